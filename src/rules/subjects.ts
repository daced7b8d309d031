import { eventTime, type Event } from '../contracts/events.ts';
import { fieldIndex, recordOf } from './subject-fields.ts';
import type { Site } from '../contracts/reference.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { limitTransition, type LimitName, type LimitScope } from '../alerts/limits.ts';
import { TimerQueue } from '../domain/timer-queue.ts';
import type { SubjectField, SubjectInfo } from './evaluator.ts';
import type { ReferenceData } from '../enrich/reference.ts';

/** SubjectLimits: the bounds on the subjects of one site (limits.subjectsPerSite, limits.subjectIdle in ms, limits.recordsPerSite). */
export interface SubjectLimits {
  subjectsPerSite: number;
  subjectIdle: number;
  /** open enforcement records per site (default 5,000) */
  recordsPerSite?: number;
}

/** DEFAULT_RECORDS_PER_SITE: limits.recordsPerSite when not given. */
const DEFAULT_RECORDS_PER_SITE = 5000;

/** Evict drops every rule's state about one subject (RuleEngine.evict); open alerts about it resolve into `out`. */
export type Evict = (field: SubjectField, info: SubjectInfo, at: number, out: AlertTransition[]) => void;

/** LimitListener is told when a bound is reached and of every item it holds back (riskstream_limit_*_total). */
export type LimitListener = (limit: LimitName, what: 'reached' | 'overflow') => void;

/** Refusal: why an event was not evaluated (code SUBJECT_LIMIT). */
export interface Refusal {
  path: string;
  message: string;
}

/** the identity fields of measured things, by index; the site itself is tracked apart (SiteSubjects.self) */
const FIELDS = ['sensorId', 'equipmentId', 'metric'] as const;
const SUBJECT_NAMES = ['sensors', 'pieces of equipment', 'metrics'] as const;
/** the topic of a seeded subject's alerts (evidence of a resolve by eviction before it reported again) */
const TOPICS = ['risk.mine.telemetry', 'risk.grid.telemetry', 'risk.site.telemetry'] as const;

interface Entry {
  site: SiteSubjects;
  field: SubjectField;
  id: string;
  /** the latest event (or the seeded field values): evaluators compute their keys from it on eviction */
  last: Record<string, unknown>;
  topic: string;
  /** max(event time, clock) of the latest event; NaN for a seeded subject before the first tick */
  lastSeen: number;
  scheduled: boolean;
  /** evicted: a timer still queued for it is skipped */
  gone: boolean;
}

interface SiteSubjects {
  siteId: string;
  site: Site | undefined;
  /** by FIELDS index: id → entry (subjects that are not expected sensors) */
  byField: [Map<string, Entry>, Map<string, Entry>, Map<string, Entry>];
  /** the site itself, tracked when it is missing from the reference data (accepted under ingest.unknownSites: accept) */
  self: Entry | undefined;
  /** subjects held in byField */
  n: number;
  /** its subjectsPerSite system alert is open */
  capped: boolean;
  /** events refused since the cap was reached */
  refused: number;
  /**
   * open enforcement records ("hazardId:h1", "permitId:p1", "accidentId:a1") → when the record ends
   * by itself (a permit's validTo; Infinity for hazards and accidents, which end by an event)
   */
  records: Map<string, number>;
  /** its recordsPerSite system alert is open */
  recordsCapped: boolean;
  /** records refused since that cap was reached */
  recordsRefused: number;
}

/**
 * SubjectRegistry bounds the subjects rules keep state about, per site. A subject is a sensor,
 * piece of equipment or metric of a site. Expected sensors of the reference data are always
 * admitted and never tracked here; others count toward `subjectsPerSite`: a new one at a site at
 * the cap is refused (not evaluated), and the first refusal raises one system alert for the site.
 * A tracked subject idle for `subjectIdle` (clock: event time, or the tick's time when later) is
 * evicted from every rule, which resolves its open alerts; the site's alert resolves once it is
 * below the cap again. Per event: two map reads, no scan; idle eviction runs off a timer heap.
 */
export class SubjectRegistry {
  private readonly sites = new Map<string, SiteSubjects>();
  /** per reference site: its expected sensor ids (empty for a site without any) */
  private readonly expected = new Map<string, ReadonlySet<string>>();
  private readonly timers = new TimerQueue<Entry>();
  private readonly due: { due: number; key: Entry }[] = [];
  /** seeded entries waiting for the first tick to start their idle clock */
  private readonly pending: Entry[] = [];
  /** sites whose system alert is open: checked after each sweep (a handful) */
  private readonly capped = new Set<SiteSubjects>();
  /** the latest tick's time */
  private clock = -Infinity;
  /** subjects held (sites outside the reference data count as one each) */
  size = 0;
  /** subjects evicted since start */
  evicted = 0;

  private readonly ref: ReferenceData;
  readonly limits: SubjectLimits;
  private readonly evict: Evict;
  private readonly onLimit?: LimitListener;
  constructor(
    ref: ReferenceData,
    limits: SubjectLimits,
    evict: Evict,
    onLimit?: LimitListener,
  ) {
    this.ref = ref;
    this.limits = limits;
    this.evict = evict;
    this.onLimit = onLimit;
    for (const s of ref.sites.values()) this.expected.set(s.id, new Set((s.sensors ?? []).map((x) => x.id)));
  }

  /**
   * admit registers the subject of an event about to be evaluated; false when it is refused (a new
   * subject at a site already at the cap), in which case the event must not be evaluated.
   */
  admit(topic: string, e: Event, out: AlertTransition[]): boolean {
    if (e.type === 'weather.warning' || e.type === 'weather.nowcast') return true;
    const siteId = e.siteId;
    const rec = recordOf(e);
    if (rec !== undefined && !this.admitRecord(siteId, rec, this.seen(e), out)) return false;
    // the common case, an expected sensor of a reference site, costs two map reads and nothing else
    const expected = this.expected.get(siteId);
    const f = fieldIndex(e);
    let s: SiteSubjects | undefined;
    let seen = Number.NaN;
    if (f >= 0) {
      const id = (e as unknown as Record<string, string>)[FIELDS[f]!]!;
      if (f !== 0 || expected?.has(id) !== true) {
        seen = this.seen(e);
        s = this.siteOf(siteId);
        let en = s.byField[f as 0 | 1 | 2].get(id);
        if (en === undefined) {
          if (s.n >= this.limits.subjectsPerSite) {
            this.refuse(s, seen, out);
            return false;
          }
          en = this.add(s, FIELDS[f]!, id, e as unknown as Record<string, unknown>, topic, seen);
        } else this.touch(en, e as unknown as Record<string, unknown>, topic, seen);
      }
    }
    if (expected === undefined) {
      if (Number.isNaN(seen)) seen = this.seen(e);
      s ??= this.siteOf(siteId);
      if (s.self === undefined) this.add(s, 'siteId', siteId, e as unknown as Record<string, unknown>, topic, seen);
      else this.touch(s.self, e as unknown as Record<string, unknown>, topic, seen);
    }
    return true;
  }

  /** seen: the time a subject is taken as last seen, its event time or the clock when later (a producer lagging behind is not idle) */
  private seen(e: Event): number {
    const t = eventTime(e);
    return t > this.clock ? t : this.clock;
  }

  /**
   * admitRecord bounds the open enforcement records of a site (limits.recordsPerSite): a record
   * that closes is released, a known one passes, a new one at a site at the cap is refused. Permits
   * past their validTo are released when the cap is reached (a scan of that one site, only then).
   */
  private admitRecord(siteId: string, rec: NonNullable<ReturnType<typeof recordOf>>, at: number, out: AlertTransition[]): boolean {
    let s = this.sites.get(siteId);
    if (rec.closes) {
      if (s?.records.delete(rec.key)) this.recordsReleased(s, at, out);
      return true;
    }
    s ??= this.siteOf(siteId);
    if (s.records.has(rec.key)) {
      s.records.set(rec.key, rec.endsAt);
      return true;
    }
    const cap = this.limits.recordsPerSite ?? DEFAULT_RECORDS_PER_SITE;
    if (s.records.size >= cap) {
      const now = this.clock;
      for (const [k, ends] of s.records) if (ends <= now) s.records.delete(k);
    }
    if (s.records.size >= cap) {
      s.recordsRefused++;
      this.onLimit?.('recordsPerSite', 'overflow');
      if (!s.recordsCapped) {
        s.recordsCapped = true;
        this.onLimit?.('recordsPerSite', 'reached');
        out.push(limitTransition('fire', 'recordsPerSite', cap, this.scopeOf(s), s.recordsRefused, at));
      }
      return false;
    }
    s.records.set(rec.key, rec.endsAt);
    return true;
  }

  /** recordsReleased resolves a site's recordsPerSite alert once it is below the cap again. */
  private recordsReleased(s: SiteSubjects, at: number, out: AlertTransition[]): void {
    const cap = this.limits.recordsPerSite ?? DEFAULT_RECORDS_PER_SITE;
    if (s.recordsCapped && s.records.size < cap) {
      out.push(limitTransition('resolve', 'recordsPerSite', cap, this.scopeOf(s), s.recordsRefused, at));
      s.recordsCapped = false;
      s.recordsRefused = 0;
    }
    this.dropIfEmpty(s);
  }

  /** records: the open enforcement records held for a site. */
  records(siteId: string): number {
    return this.sites.get(siteId)?.records.size ?? 0;
  }

  /** refusal says why admit refused an event (its path and a message naming the site and the cap). */
  refusal(e: Event): Refusal {
    const rec = recordOf(e);
    if (rec !== undefined) {
      const cap = this.limits.recordsPerSite ?? DEFAULT_RECORDS_PER_SITE;
      const siteId = (e as { siteId: string }).siteId;
      const s = this.sites.get(siteId);
      if (s !== undefined && s.records.size >= cap && !s.records.has(rec.key)) {
        return { path: rec.field, message: `site ${siteId} already has ${cap} open enforcement records (limits.recordsPerSite ${cap}): ${rec.key.replace(':', ' "')}" is not evaluated until some are closed` };
      }
    }
    const f = fieldIndex(e);
    const r = e as unknown as Record<string, unknown>;
    const field = FIELDS[f] ?? 'siteId';
    const cap = this.limits.subjectsPerSite;
    return {
      path: field,
      message: `site ${String(r.siteId)} already has ${cap} ${SUBJECT_NAMES[f] ?? 'subjects'} that are not in the reference data (limits.subjectsPerSite ${cap}): ${field} "${String(r[field])}" is not evaluated until one has been idle for limits.subjectIdle`,
    };
  }

  /**
   * seed tracks the subject of an open alert recovered after a restart (field values from its
   * subject key), so an idle one is still evicted and its alert resolved; a recovered
   * subjectsPerSite alert resolves at the next tick unless the site is at the cap again.
   */
  seed(ruleId: string, subjectKey: string, fields: Record<string, string> | undefined): void {
    if (ruleId === 'system.limit.subjectsPerSite') {
      const s = this.siteOf(subjectKey.slice(subjectKey.indexOf('|') + 1));
      s.capped = true;
      this.capped.add(s);
      return;
    }
    const siteId = fields?.siteId;
    if (fields === undefined || siteId === undefined) return;
    let f = -1;
    for (let i = 0; i < FIELDS.length && f < 0; i++) if (fields[FIELDS[i]!] !== undefined) f = i;
    if (f >= 0) {
      const id = fields[FIELDS[f]!]!;
      if (f === 0 && this.expected.get(siteId)?.has(id) === true) return;
      const s = this.siteOf(siteId);
      // never refused: the alert is open already (the site may go past the cap until idle ones are evicted)
      if (!s.byField[f as 0 | 1 | 2].has(id)) this.pending.push(this.add(s, FIELDS[f]!, id, fields, TOPICS[f]!, Number.NaN));
    } else if (!this.ref.sites.has(siteId)) {
      const s = this.siteOf(siteId);
      if (s.self === undefined) this.pending.push(this.add(s, 'siteId', siteId, fields, '', Number.NaN));
    }
  }

  /** sweep moves the clock to `now` and evicts the subjects idle for subjectIdle; returns how many. */
  sweep(now: number, out: AlertTransition[]): number {
    if (!Number.isFinite(now)) return 0;
    if (now > this.clock) this.clock = now;
    if (this.pending.length > 0) {
      for (const en of this.pending) {
        if (en.gone) continue;
        if (Number.isNaN(en.lastSeen)) en.lastSeen = now;
        this.schedule(en);
      }
      this.pending.length = 0;
    }
    const due = this.due;
    due.length = 0;
    this.timers.popDue(now, due);
    let evicted = 0;
    for (const { key: en } of due) {
      if (en.gone) continue;
      en.scheduled = false;
      if (en.lastSeen + this.limits.subjectIdle > now) {
        this.schedule(en);
        continue;
      }
      this.remove(en);
      evicted++;
      this.evict(en.field, this.infoOf(en), now, out);
    }
    this.evicted += evicted;
    if (this.capped.size > 0) {
      for (const s of this.capped) {
        if (s.n >= this.limits.subjectsPerSite) continue;
        out.push(limitTransition('resolve', 'subjectsPerSite', this.limits.subjectsPerSite, this.scopeOf(s), s.refused, now));
        s.capped = false;
        s.refused = 0;
        this.capped.delete(s);
        this.dropIfEmpty(s);
      }
    }
    return evicted;
  }

  /** tracked: whether a subject (site and identity field value) is held. */
  tracked(siteId: string, field: SubjectField, id: string): boolean {
    const s = this.sites.get(siteId);
    if (!s) return false;
    if (field === 'siteId') return s.self !== undefined;
    return s.byField[FIELDS.indexOf(field)]?.has(id) ?? false;
  }

  /** count: the subjects held at a site, besides its expected sensors. */
  count(siteId: string): number {
    return this.sites.get(siteId)?.n ?? 0;
  }

  private siteOf(siteId: string): SiteSubjects {
    let s = this.sites.get(siteId);
    if (s === undefined) {
      s = { siteId, site: this.ref.sites.get(siteId), byField: [new Map(), new Map(), new Map()], self: undefined, n: 0, capped: false, refused: 0, records: new Map(), recordsCapped: false, recordsRefused: 0 };
      this.sites.set(siteId, s);
    }
    return s;
  }

  private add(s: SiteSubjects, field: SubjectField, id: string, last: Record<string, unknown>, topic: string, seen: number): Entry {
    const en: Entry = { site: s, field, id, last, topic, lastSeen: seen, scheduled: false, gone: false };
    if (field === 'siteId') s.self = en;
    else {
      s.byField[FIELDS.indexOf(field) as 0 | 1 | 2].set(id, en);
      s.n++;
    }
    this.size++;
    if (!Number.isNaN(seen)) this.schedule(en);
    return en;
  }

  private touch(en: Entry, last: Record<string, unknown>, topic: string, seen: number): void {
    en.last = last;
    en.topic = topic;
    if (!(en.lastSeen >= seen)) en.lastSeen = seen;
    // an entry already queued is re-queued when its timer finds it was seen since (one timer per subject)
    if (!en.scheduled) this.schedule(en);
  }

  private schedule(en: Entry): void {
    en.scheduled = true;
    this.timers.push(en.lastSeen + this.limits.subjectIdle, en);
  }

  private remove(en: Entry): void {
    const s = en.site;
    en.gone = true;
    this.size--;
    if (en.field === 'siteId') s.self = undefined;
    else {
      s.byField[FIELDS.indexOf(en.field) as 0 | 1 | 2].delete(en.id);
      s.n--;
    }
    this.dropIfEmpty(s);
  }

  private dropIfEmpty(s: SiteSubjects): void {
    if (s.n === 0 && s.self === undefined && !s.capped && s.records.size === 0 && this.sites.get(s.siteId) === s) this.sites.delete(s.siteId);
  }

  private refuse(s: SiteSubjects, at: number, out: AlertTransition[]): void {
    s.refused++;
    this.onLimit?.('subjectsPerSite', 'overflow');
    if (s.capped) return;
    s.capped = true;
    this.capped.add(s);
    this.onLimit?.('subjectsPerSite', 'reached');
    out.push(limitTransition('fire', 'subjectsPerSite', this.limits.subjectsPerSite, this.scopeOf(s), s.refused, at));
  }

  private scopeOf(s: SiteSubjects): LimitScope {
    return { siteId: s.siteId, ...(s.site ? { siteName: s.site.name, town: s.site.town } : {}) };
  }

  private infoOf(en: Entry): SubjectInfo {
    const site = en.site.site;
    const info: SubjectInfo = { topic: en.topic, key: en.site.siteId, event: en.last };
    if (site) {
      info.site = site;
      info.town = site.town;
      info.townName = this.ref.townNames[site.town] ?? site.town;
    }
    return info;
  }
}
