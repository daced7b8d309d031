import type { EventOf } from '../contracts/events.ts';
import type { Site } from '../contracts/reference.ts';
import { bearingDeg, distanceKm, insideAny, toPolygon, type GeoPolygon } from '../domain/geo.ts';
import { severityRank, type Severity } from '../domain/severity.ts';
import type { ReferenceData } from './reference.ts';

type Warning = EventOf<'weather.warning'>;

/** ActiveWarning: a weather warning in force, with the sites inside its area. */
export interface ActiveWarning {
  id: string;
  /** id of the first warning of its Update chain: alerts about it keep one fingerprint across updates */
  rootId: string;
  event: string;
  level: Severity;
  status: Warning['status'];
  sender: string;
  headline?: string;
  onset: number;
  expires: number;
  towns: string[];
  polygons: GeoPolygon[];
  siteIds: string[];
  source: Warning;
}

/** WarningChange: a warning that came into force or changed (`upsert`) or ended (`remove`). */
export type WarningChange = { kind: 'upsert'; warning: ActiveWarning } | { kind: 'remove'; warning: ActiveWarning; reason: 'cancel' | 'expired' | 'superseded' };

const MAX_ROOTS = 10_000;

/** WarningLimit: the bound on warnings in force (limits.warnings) and the state of its system alert. */
export interface WarningLimit {
  readonly cap: number;
  /** new warnings refused since the bound was reached */
  refused: number;
  /** new warnings refused since start (the stepper counts the difference into riskstream_limit_overflow_total) */
  refusedTotal: number;
  /** its system alert is open */
  open: boolean;
  /** a change of that alert not raised yet (the stepper turns it into a transition) */
  pending: 'fire' | 'resolve' | undefined;
}

/** radar cells held for the map: at most this many (the least recently updated leave first), none older than CELL_TTL_MS */
export const CELLS_MAX = 2000;
export const CELL_TTL_MS = 30 * 60_000;

/** NowcastCell: the latest state of a radar cell, and its motion when two updates are known. */
export interface NowcastCell {
  cellId: string;
  ts: number;
  lat: number;
  lon: number;
  radiusKm: number;
  reflectivityDbz: number;
  hail?: boolean;
  lightningPer10Min?: number;
  /** from the previous update (within CELL_TTL_MS): where it is heading and how fast */
  motion?: { bearingDeg: number; speedKmh: number };
}

/** the ledger board keeps closed hazards this long, and at most this many */
export const CLOSED_HAZARD_DAYS = 30;
export const CLOSED_HAZARDS_MAX = 5000;

/**
 * ContextState: what enrich knows besides the event itself — active weather warnings (a table keyed
 * by id, following CAP Alert/Update/Cancel and expiry; every instance holds it in full) and the
 * open hazards, permits and accidents per site.
 */
export class ContextState {
  readonly warnings = new Map<string, ActiveWarning>();
  private readonly roots = new Map<string, string>();
  readonly openHazards = new Map<string, EventOf<'enforcement.hazard'>>();
  /**
   * hazards closed (销号) in the last CLOSED_HAZARD_DAYS, for the ledger board: at most
   * CLOSED_HAZARDS_MAX (the oldest closing leaves first), and older ones leave at the sweep
   */
  readonly closedHazards = new Map<string, { hazard: EventOf<'enforcement.hazard'>; closedAt: number }>();
  readonly openPermits = new Map<string, EventOf<'enforcement.permit'>>();
  /** radar cells for the map, in order of their last update (bounded: CELLS_MAX, CELL_TTL_MS) */
  readonly cells = new Map<string, NowcastCell>();
  readonly openAccidents = new Map<string, EventOf<'enforcement.accident'>>();
  private readonly sites: Site[];
  /** bumped whenever the warning table changes (so it can be persisted) */
  version = 0;
  readonly warningLimit: WarningLimit;

  /** `maxWarnings`: limits.warnings (default 500) */
  constructor(ref: ReferenceData, opts: { maxWarnings?: number } = {}) {
    this.sites = [...ref.sites.values()];
    this.warningLimit = { cap: opts.maxWarnings ?? 500, refused: 0, refusedTotal: 0, open: false, pending: undefined };
  }

  /**
   * applyWarning follows CAP semantics; Draft and System messages change nothing. A warning that
   * would add to a table already at limits.warnings is refused (changes nothing); an Update or
   * Cancel of a warning held, or a repeat of one, always applies.
   */
  /** references between a drill and a real warning, ignored (a drill never ends or changes a real warning) */
  crossedReferences = 0;

  applyWarning(w: Warning, now: number): WarningChange[] {
    if (w.status === 'Draft' || w.status === 'System') return [];
    if (w.msgType !== 'Cancel' && w.expires > now && this.warnings.size >= this.warningLimit.cap && this.adds(w)) {
      this.refuseWarning();
      return [];
    }
    const changes: WarningChange[] = [];
    let rootId = w.id;
    const drill = isDrillStatus(w.status);
    for (const ref of w.references ?? []) {
      const old = this.warnings.get(ref);
      // a drill (Exercise/Test) never updates or cancels a real warning, nor a real one a drill
      if (old && isDrillStatus(old.status) !== drill) {
        this.crossedReferences++;
        continue;
      }
      const root = this.roots.get(ref) ?? old?.rootId;
      if (root !== undefined) rootId = root;
      if (old) {
        this.warnings.delete(ref);
        if (w.msgType === 'Cancel') changes.push({ kind: 'remove', warning: old, reason: 'cancel' });
        else if (w.msgType === 'Update' && old.rootId !== rootId) changes.push({ kind: 'remove', warning: old, reason: 'superseded' });
      }
    }
    this.remember(w.id, rootId);
    if (w.msgType === 'Cancel' && !drill) {
      // A Cancel for a warning this table never held (e.g. lost across a restart) still ends alerts about it
      // (a drill's Cancel does not: what it names may be a real warning)
      for (const ref of w.references ?? []) {
        if (!changes.some((c) => c.warning.id === ref)) changes.push({ kind: 'remove', warning: this.stub(ref, w), reason: 'cancel' });
      }
    }
    if (changes.length > 0) this.version++;
    if (w.msgType === 'Cancel' || w.expires <= now) return changes;
    const polygons = (w.area.polygons ?? []).map((p) => toPolygon(p as [number, number][])).filter((p): p is GeoPolygon => p !== undefined);
    const towns = w.area.towns ?? [];
    const siteIds = this.sites.filter((s) => towns.includes(s.town) || (polygons.length > 0 && insideAny(s.lat, s.lon, polygons))).map((s) => s.id);
    const active: ActiveWarning = {
      id: w.id,
      rootId,
      event: w.event,
      level: w.level,
      status: w.status,
      sender: w.sender,
      ...(w.headline ? { headline: w.headline } : {}),
      onset: w.onset,
      expires: w.expires,
      towns,
      polygons,
      siteIds,
      source: w,
    };
    this.warnings.set(w.id, active);
    this.version++;
    changes.push({ kind: 'upsert', warning: active });
    return changes;
  }

  /** adds: whether applying `w` grows the table (it neither repeats nor updates a warning held). */
  private adds(w: Warning): boolean {
    if (this.warnings.has(w.id)) return false;
    for (const ref of w.references ?? []) if (this.warnings.has(ref)) return false;
    return true;
  }

  private refuseWarning(): void {
    const l = this.warningLimit;
    l.refused++;
    l.refusedTotal++;
    if (l.open) return;
    l.open = true;
    l.pending = 'fire';
  }

  /** settleWarningLimit: once the table is below the cap again, the bound's open alert is to resolve. */
  settleWarningLimit(): void {
    const l = this.warningLimit;
    if (!l.open || this.warnings.size >= l.cap) return;
    l.open = false;
    l.refused = 0;
    l.pending = l.pending === 'fire' ? undefined : 'resolve';
  }

  private stub(id: string, w: Warning): ActiveWarning {
    return { id, rootId: this.roots.get(id) ?? id, event: w.event, level: w.level, status: w.status, sender: w.sender, onset: w.onset, expires: w.expires, towns: [], polygons: [], siteIds: [], source: w };
  }

  /** sources lists the warnings in force as received, to persist and re-apply after a restart. */
  sources(): Warning[] {
    return [...this.warnings.values()].map((w) => w.source);
  }

  private remember(id: string, root: string): void {
    this.roots.set(id, root);
    if (this.roots.size > MAX_ROOTS) this.roots.delete(this.roots.keys().next().value as string);
  }

  /** expire removes warnings whose `expires` has passed. */
  expire(now: number): WarningChange[] {
    const out: WarningChange[] = [];
    for (const [id, w] of this.warnings) {
      if (w.expires <= now) {
        this.warnings.delete(id);
        out.push({ kind: 'remove', warning: w, reason: 'expired' });
      }
    }
    if (out.length > 0) this.version++;
    return out;
  }

  /** nextExpiry is the earliest instant a warning ends, or Infinity. */
  nextExpiry(): number {
    let min = Infinity;
    for (const w of this.warnings.values()) if (w.expires < min) min = w.expires;
    return min;
  }

  /** warningsAt lists real (status Actual) warnings in force covering a site, of these events and at least this level. */
  warningsAt(siteId: string, events: readonly string[], minLevel: Severity): ActiveWarning[] {
    const floor = severityRank(minLevel);
    const out: ActiveWarning[] = [];
    for (const w of this.warnings.values()) {
      if (w.status === 'Actual' && events.includes(w.event) && severityRank(w.level) >= floor && w.siteIds.includes(siteId)) out.push(w);
    }
    return out;
  }

  /**
   * warningsAtPoint lists real warnings in force whose polygons contain a point (a vehicle's
   * position), of these events and at least this level; a warning given only by towns has no
   * geometry to test and is not listed.
   */
  warningsAtPoint(lat: number, lon: number, events: readonly string[], minLevel: Severity): ActiveWarning[] {
    const floor = severityRank(minLevel);
    const out: ActiveWarning[] = [];
    for (const w of this.warnings.values()) {
      if (w.status === 'Actual' && w.polygons.length > 0 && events.includes(w.event) && severityRank(w.level) >= floor && insideAny(lat, lon, w.polygons)) out.push(w);
    }
    return out;
  }

  /** observeEnforcement keeps the open hazards, permits and accidents per id. */
  observeEnforcement(e: EventOf<'enforcement.hazard' | 'enforcement.permit' | 'enforcement.accident'>, now: number): void {
    if (e.type === 'enforcement.hazard') {
      if (e.status === 'closed') {
        this.openHazards.delete(e.hazardId);
        this.closedHazards.delete(e.hazardId); // re-inserted: the newest closing is last
        this.closedHazards.set(e.hazardId, { hazard: e, closedAt: now });
        if (this.closedHazards.size > CLOSED_HAZARDS_MAX) this.closedHazards.delete(this.closedHazards.keys().next().value!);
      } else {
        this.closedHazards.delete(e.hazardId); // reopened
        this.openHazards.set(e.hazardId, e);
      }
    } else if (e.type === 'enforcement.permit') {
      // a permit closed (验收关闭) or cancelled before its validTo is no longer open work
      if (e.validTo <= now || e.status === 'closed' || e.status === 'cancelled') this.openPermits.delete(e.permitId);
      else this.openPermits.set(e.permitId, e);
    } else if (e.reportedAt === undefined) this.openAccidents.set(e.accidentId, e);
    else this.openAccidents.delete(e.accidentId);
  }

  /** observeCell keeps a radar cell's latest position and, from its previous one, its motion. */
  observeCell(e: EventOf<'weather.nowcast'>, now: number): void {
    const prev = this.cells.get(e.cellId);
    if (prev && now <= prev.ts) return; // an older update
    let motion = prev?.motion;
    if (prev && now - prev.ts <= CELL_TTL_MS) {
      const km = distanceKm(prev.lat, prev.lon, e.lat, e.lon);
      motion = km > 0 ? { bearingDeg: Math.round(bearingDeg(prev.lat, prev.lon, e.lat, e.lon)), speedKmh: Math.round((km / ((now - prev.ts) / 3_600_000)) * 10) / 10 } : undefined;
    }
    this.cells.delete(e.cellId); // re-inserted: the most recently updated is last
    this.cells.set(e.cellId, {
      cellId: e.cellId, ts: now, lat: e.lat, lon: e.lon, radiusKm: e.radiusKm, reflectivityDbz: e.reflectivityDbz,
      ...(e.hail !== undefined ? { hail: e.hail } : {}),
      ...(e.lightningPer10Min !== undefined ? { lightningPer10Min: e.lightningPer10Min } : {}),
      ...(motion ? { motion } : {}),
    });
    if (this.cells.size > CELLS_MAX) this.cells.delete(this.cells.keys().next().value!);
  }

  /** sweep drops permits that have ended and radar cells gone quiet (bounded state). */
  sweep(now: number): void {
    for (const [id, c] of this.cells) {
      if (c.ts >= now - CELL_TTL_MS) break;
      this.cells.delete(id);
    }
    for (const [id, p] of this.openPermits) if (p.validTo <= now) this.openPermits.delete(id);
    // closings are kept in order: the oldest are first
    for (const [id, c] of this.closedHazards) {
      if (c.closedAt >= now - CLOSED_HAZARD_DAYS * 86_400_000) break;
      this.closedHazards.delete(id);
    }
  }
}

/** isDrillStatus: CAP Exercise and Test messages are drills (演练/测试). */
function isDrillStatus(status: string): boolean {
  return status === 'Exercise' || status === 'Test';
}
