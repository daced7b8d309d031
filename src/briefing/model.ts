import type { Alert } from '../contracts/alerts.ts';
import type { Site } from '../contracts/reference.ts';
import type { EventOf } from '../contracts/events.ts';
import { bearingDeg, distanceKm } from '../domain/geo.ts';
import { raiseSeverity, SEVERITY_ZH, severityRank, type Severity } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import { onDuty } from '../alerts/roster.ts';
import type { ActiveWarning, ContextState, NowcastCell } from '../enrich/context.ts';
import { escalatingPeriod, type ReferenceData } from '../enrich/reference.ts';

/** BriefingInputs: what a joint-consultation briefing (会商材料) is built from. */
export interface BriefingInputs {
  reference: ReferenceData;
  context: ContextState;
  /** every alert held (open and recently resolved) */
  alerts: readonly Alert[];
  /** the latest visitor count of a site, when a `visitors` series is kept */
  visitors?: (siteId: string) => Promise<{ value: number; ts: number } | undefined>;
}

const DRILL_STATUSES = new Set(['Exercise', 'Test']);
const isWeatherAlert = (a: Alert) => a.domain === 'weather' || a.labels.warningId !== undefined || a.labels.cellId !== undefined;

/** SiteRef: a site as the briefing names it. */
export interface SiteRef {
  id: string;
  name: string;
  kind: string;
}
const siteRef = (s: Site): SiteRef => ({ id: s.id, name: s.name, kind: s.kind });

/** TownBriefing: one town's part of the briefing. */
export interface TownBriefing {
  town: string;
  name: string;
  /** the county's response level: the highest warning in force, raised one level in a special period — shown apart from the warning colour */
  response: { level: Severity; raisedBy?: string } | undefined;
  warnings: { id: string; rootId: string; event: string; level: Severity; status: string; drill: boolean; sender: string; headline?: string; onset: string; expires: string }[];
  exposedSites: SiteRef[];
  /** exposed sites by kind, with what each kind must do (the rule pack's actions for it) */
  exposedByKind: { kind: string; sites: SiteRef[]; actions: string[] }[];
  /** people at risk where known: the latest visitor count of exposed sites that report one */
  peopleAtRisk: { siteId: string; name: string; visitors: number; at: string }[];
  /** open high-risk work permits at exposed sites */
  permits: { permitId: string; siteId: string; siteName: string; work: string; grade: string; validFrom: string; validTo: string }[];
  /** open major hazards at exposed sites (openMajorHazards: every one in the town) */
  hazardsInWarnedArea: { hazardId: string; siteId: string; siteName: string; deadline: string; overdue: boolean }[];
  openMajorHazards: { hazardId: string; siteId: string; status: string; foundAt: string; deadline: string; overdue: boolean; description?: string }[];
  /** radar cells: distance to the nearest site of the town, and when they reach it at their speed if heading that way */
  cells: { cellId: string; reflectivityDbz: number; hail: boolean; radiusKm: number; distanceKm: number; nearestSite: string; motion?: { bearingDeg: number; speedKmh: number }; arrivesInMin?: number; at: string }[];
  /** open alerts about the weather (exposure to warnings and cells, weather-linked trips) */
  weatherAlerts: Alert[];
  /** open alerts about equipment, sensors and everything else, kept apart */
  otherAlerts: Alert[];
  /** firing alerts (kept for older clients: everything firing in the town) */
  firingAlerts: Alert[];
  duty: { officer: { name: string; phone: string }; leader: { name: string; phone: string } } | undefined;
}

/** Briefing: the joint-consultation material for some towns at an instant. */
export interface Briefing {
  generatedAt: string;
  at: string;
  towns: TownBriefing[];
}

/** arrivalMin: minutes until a cell moving at its speed reaches `site` (edge of its radius), if it heads within 60° of it. */
function arrivalMin(c: NowcastCell, site: Site, dist: number): number | undefined {
  if (!c.motion || c.motion.speedKmh <= 0) return undefined;
  if (dist <= c.radiusKm) return 0;
  const toSite = bearingDeg(c.lat, c.lon, site.lat, site.lon);
  const off = Math.abs(((toSite - c.motion.bearingDeg + 540) % 360) - 180);
  if (off > 60) return undefined;
  const closing = c.motion.speedKmh * Math.cos((off * Math.PI) / 180);
  return Math.round(((dist - c.radiusKm) / closing) * 60);
}

/** buildBriefing: per town, what the joint consultation looks at, as of `at` (warnings in force then). */
export async function buildBriefing(d: BriefingInputs, towns: readonly string[], at: number, now: number): Promise<Briefing> {
  const ref = d.reference;
  const warnings = [...d.context.warnings.values()].filter((w) => w.onset <= at && at < w.expires);
  const open = d.alerts.filter((a) => a.state !== 'resolved');
  const period = escalatingPeriod(ref.calendar, at);
  const out: TownBriefing[] = [];
  for (const town of towns) {
    const townSites = [...ref.sites.values()].filter((s) => s.town === town);
    const inTown = (siteId: string) => ref.sites.get(siteId)?.town === town;
    const ws = warnings.filter((w) => w.towns.includes(town) || w.siteIds.some(inTown)).sort((a, b) => severityRank(b.level) - severityRank(a.level));
    const real = ws.filter((w) => !DRILL_STATUSES.has(w.status));
    const exposedIds = new Set(real.flatMap((w: ActiveWarning) => w.siteIds.filter(inTown)));
    const exposed = [...exposedIds].map((id) => ref.sites.get(id)!).filter(Boolean);
    const townOpen = open.filter((a) => a.town === town && a.labels.drill === undefined);
    const weatherAlerts = townOpen.filter(isWeatherAlert);
    const byKind = new Map<string, { kind: string; sites: SiteRef[]; actions: string[] }>();
    for (const s of exposed) {
      let k = byKind.get(s.kind);
      if (!k) byKind.set(s.kind, (k = { kind: s.kind, sites: [], actions: [] }));
      k.sites.push(siteRef(s));
      // what the rule pack says this kind of site must do: the actions of its weather alert
      if (k.actions.length === 0) k.actions = weatherAlerts.find((a) => a.siteId === s.id && a.labels.warningId !== undefined)?.actions ?? [];
    }
    const people: TownBriefing['peopleAtRisk'] = [];
    if (d.visitors) for (const s of exposed) {
      const v = await d.visitors(s.id);
      if (v) people.push({ siteId: s.id, name: s.name, visitors: v.value, at: formatTs(v.ts) });
    }
    const permits = [...d.context.openPermits.values()].filter((p: EventOf<'enforcement.permit'>) => exposedIds.has(p.siteId) && p.validFrom <= at && at < p.validTo);
    const hazards = [...d.context.openHazards.values()].filter((h) => h.level === 'major' && inTown(h.siteId));
    const cells: TownBriefing['cells'] = [];
    for (const c of d.context.cells.values()) {
      let best: { site: Site; km: number } | undefined;
      for (const s of townSites) {
        const km = distanceKm(c.lat, c.lon, s.lat, s.lon);
        if (!best || km < best.km) best = { site: s, km };
      }
      if (!best || best.km > 150) continue;
      const eta = arrivalMin(c, best.site, best.km);
      cells.push({ cellId: c.cellId, reflectivityDbz: c.reflectivityDbz, hail: c.hail === true, radiusKm: c.radiusKm, distanceKm: Math.round(best.km * 10) / 10, nearestSite: best.site.name, ...(c.motion ? { motion: c.motion } : {}), ...(eta !== undefined ? { arrivesInMin: eta } : {}), at: formatTs(c.ts) });
    }
    cells.sort((a, b) => a.distanceKm - b.distanceKm);
    const top = real[0]?.level;
    const duty = onDuty(ref.roster, town, 'weather', at);
    const siteName = (id: string) => ref.sites.get(id)?.name ?? id;
    out.push({
      town,
      name: ref.townNames[town] ?? town,
      response: top ? { level: period ? raiseSeverity(top) : top, ...(period && raiseSeverity(top) !== top ? { raisedBy: period } : {}) } : undefined,
      warnings: ws.map((w) => ({ id: w.id, rootId: w.rootId, event: w.event, level: w.level, status: w.status, drill: DRILL_STATUSES.has(w.status), sender: w.sender, ...(w.headline ? { headline: w.headline } : {}), onset: formatTs(w.onset), expires: formatTs(w.expires) })),
      exposedSites: exposed.map(siteRef),
      exposedByKind: [...byKind.values()].sort((a, b) => b.sites.length - a.sites.length),
      peopleAtRisk: people.sort((a, b) => b.visitors - a.visitors),
      permits: permits.map((p) => ({ permitId: p.permitId, siteId: p.siteId, siteName: siteName(p.siteId), work: p.work, grade: p.grade, validFrom: formatTs(p.validFrom), validTo: formatTs(p.validTo) })),
      hazardsInWarnedArea: hazards.filter((h) => exposedIds.has(h.siteId)).map((h) => ({ hazardId: h.hazardId, siteId: h.siteId, siteName: siteName(h.siteId), deadline: formatTs(h.deadline), overdue: h.deadline < now })),
      openMajorHazards: hazards.map((h) => ({ hazardId: h.hazardId, siteId: h.siteId, status: h.status, foundAt: formatTs(h.foundAt), deadline: formatTs(h.deadline), overdue: h.deadline < now, ...(h.description ? { description: h.description } : {}) })),
      cells,
      weatherAlerts: weatherAlerts.sort(bySeverity),
      otherAlerts: townOpen.filter((a) => !isWeatherAlert(a)).sort(bySeverity),
      firingAlerts: open.filter((a) => a.town === town && a.state === 'firing' && a.labels.drill === undefined).sort(bySeverity),
      duty: duty ? { officer: { name: duty.officer.name, phone: duty.officer.phone }, leader: { name: duty.leader.name, phone: duty.leader.phone } } : undefined,
    });
  }
  return { generatedAt: formatTs(now), at: formatTs(at), towns: out };
}

const bySeverity = (a: Alert, b: Alert) => severityRank(b.severity) - severityRank(a.severity) || b.startsAt.localeCompare(a.startsAt);

/** BriefingChanges: what changed in a town since the previous briefing of it. */
export interface BriefingChanges {
  since: string;
  warningsAdded: string[];
  warningsEnded: string[];
  sitesExposed: string[];
  sitesCleared: string[];
  alertsNew: string[];
  alertsEnded: string[];
}

/** changesSince compares a town's briefing with the previous one (names, for people to read). */
export function changesSince(prev: TownBriefing, prevAt: string, cur: TownBriefing): BriefingChanges {
  const diff = <T>(a: readonly T[], b: readonly T[], key: (x: T) => string, name: (x: T) => string) => {
    const keys = new Set(a.map(key));
    return b.filter((x) => !keys.has(key(x))).map(name);
  };
  const wName = (w: TownBriefing['warnings'][number]) => `${w.event}${SEVERITY_ZH[w.level]}预警`;
  const alerts = (t: TownBriefing) => [...t.weatherAlerts, ...t.otherAlerts];
  return {
    since: prevAt,
    warningsAdded: diff(prev.warnings, cur.warnings, (w) => w.id, wName),
    warningsEnded: diff(cur.warnings, prev.warnings, (w) => w.id, wName),
    sitesExposed: diff(prev.exposedSites, cur.exposedSites, (s) => s.id, (s) => s.name),
    sitesCleared: diff(cur.exposedSites, prev.exposedSites, (s) => s.id, (s) => s.name),
    alertsNew: diff(alerts(prev), alerts(cur), (a) => a.id, (a) => a.title),
    alertsEnded: diff(alerts(cur), alerts(prev), (a) => a.id, (a) => a.title),
  };
}

/**
 * BriefingLog: the briefings *issued* for each town (record=true: the material of a consultation),
 * so the next one says what changed since then; looking at a briefing records nothing. Kept by this
 * process, the last KEEP per town (towns are the reference data's).
 */
export class BriefingLog {
  private readonly byTown = new Map<string, { at: number; town: TownBriefing }[]>();

  static readonly KEEP = 10;

  /** compare returns what changed since the last issued briefing of the town; `record` issues this one. */
  compare(b: TownBriefing, now: number, record: boolean): BriefingChanges | undefined {
    const list = this.byTown.get(b.town) ?? [];
    const prev = list[list.length - 1];
    if (record) {
      list.push({ at: now, town: b });
      if (list.length > BriefingLog.KEEP) list.shift();
      this.byTown.set(b.town, list);
    }
    return prev ? changesSince(prev.town, formatTs(prev.at), b) : undefined;
  }
}
