import type { Matcher, NowcastImpactRule } from '../../contracts/rules.ts';
import type { Site } from '../../contracts/reference.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { Severity } from '../../domain/severity.ts';
import { bearingDeg, distanceKm } from '../../domain/geo.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { TimerQueue } from '../../domain/timer-queue.ts';
import { Emitter, infoOfSite, type EngineEnv, type Evaluator } from '../evaluator.ts';

const SEP = '\u001f';

interface Cell {
  ts: number;
  sites: Map<string, Severity>;
  last: Record<string, unknown>;
  /** where the cell was at its previous update: its motion gives an arrival estimate */
  prev?: { lat: number; lon: number; ts: number };
}

const COMPASS_ZH = ['北', '东北', '东', '东南', '南', '西南', '西', '西北'] as const;

/** compassZh names the 8-point direction of a bearing (degrees clockwise from north). */
export function compassZh(deg: number): string {
  return COMPASS_ZH[Math.round(deg / 45) % 8]!;
}

/**
 * etaZh: "，预计约N分钟后到达" from the cell's approach between its previous and current update
 * (distance to the site minus its radius, over the closing speed); "，已到达" inside the radius;
 * empty when the motion is unknown or the cell is not closing in.
 */
export function etaZh(prevKm: number | undefined, prevTs: number | undefined, km: number, ts: number, radiusKm: number): string {
  if (km <= radiusKm) return '，已到达';
  if (prevKm === undefined || prevTs === undefined || ts <= prevTs) return '';
  const closingKmPerMin = (prevKm - km) / ((ts - prevTs) / 60_000);
  if (!(closingKmPerMin > 0)) return '';
  return `，预计约${Math.max(1, Math.round((km - radiusKm) / closingKmPerMin))}分钟后到达`;
}

/**
 * NowcastImpactEvaluator: a radar cell within its radius + margin of an exposed site; the cell's
 * next update or its silence clears it. Every cell is kept until its silence (`ttl`), also one that
 * touches no site yet: its previous position gives the arrival estimate when it comes in range.
 */
export class NowcastImpactEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[] = [{ type: 'weather.nowcast', where: {} }];
  readonly acceptsLate = false;
  private readonly cells = new Map<string, Cell>();
  private readonly exposed: Site[];
  private readonly emitter: Emitter;
  private readonly timers = new TimerQueue();
  private readonly due: { due: number; key: string }[] = [];
  /** a rule of lightning levels only reports the flash count, not the reflectivity */
  private readonly lightningOnly: boolean;

  readonly rule: NowcastImpactRule;
  private readonly env?: EngineEnv;
  constructor(
    rule: NowcastImpactRule,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.env = env;
    this.exposed = env ? [...env.reference.sites.values()].filter((s) => rule.siteKinds[s.kind]) : [];
    this.emitter = new Emitter(rule, env);
    this.lightningOnly = rule.levels.every((l) => l.dbz === undefined);
  }

  private severityOf(dbz: number, hail: boolean, lightning: number | undefined): Severity | undefined {
    let sev: Severity | undefined;
    for (const l of this.rule.levels) {
      if ((l.dbz !== undefined && dbz >= l.dbz) || (l.orHail && hail) || (l.lightning !== undefined && lightning !== undefined && lightning >= l.lightning)) sev = l.severity;
    }
    return sev;
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event;
    if (e.type !== 'weather.nowcast') return;
    const t = ctx.time;
    let cell = this.cells.get(e.cellId);
    if (cell && t < cell.ts) return; // an older update of the cell
    if (!cell) this.cells.set(e.cellId, (cell = { ts: t, sites: new Map(), last: {} }));
    if (typeof cell.last.lat === 'number' && typeof cell.last.lon === 'number' && t > cell.ts) cell.prev = { lat: cell.last.lat, lon: cell.last.lon, ts: cell.ts };
    cell.ts = t;
    cell.last = e as unknown as Record<string, unknown>;
    const sev = this.severityOf(e.reflectivityDbz, e.hail === true, e.lightningPer10Min);
    const targets = new Map<string, Severity>();
    if (sev) for (const s of this.exposed) if (distanceKm(e.lat, e.lon, s.lat, s.lon) <= e.radiusKm + this.rule.marginKm) targets.set(s.id, sev);
    this.apply(out, e.cellId, cell, targets, t);
    this.timers.push(t + this.rule.ttl, e.cellId);
  }

  private apply(out: AlertTransition[], cellId: string, cell: Cell, targets: Map<string, Severity>, at: number): void {
    for (const [siteId, sev] of cell.sites) if (!targets.has(siteId)) {
      cell.sites.delete(siteId);
      this.emit(out, 'resolve', cellId, cell, siteId, sev, at);
    }
    for (const [siteId, sev] of targets) if (cell.sites.get(siteId) !== sev) {
      cell.sites.set(siteId, sev);
      this.emit(out, 'fire', cellId, cell, siteId, sev, at);
    }
  }

  advance(now: number, out: AlertTransition[]): void {
    this.due.length = 0;
    this.timers.popDue(now, this.due);
    for (const { key, due } of this.due) {
      const cell = this.cells.get(key);
      if (!cell || cell.ts + this.rule.ttl !== due) continue;
      this.apply(out, key, cell, new Map(), due);
      this.cells.delete(key);
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', cellId: string, cell: Cell, siteId: string, severity: Severity, at: number): void {
    const env = this.env!;
    const site = env.reference.sites.get(siteId)!;
    const info = infoOfSite(env.reference, site, 'risk.weather.nowcast', { cellId, dbz: cell.last.reflectivityDbz, hail: cell.last.hail === true ? '是' : '否' });
    info.key = cellId;
    const last = cell.last;
    const located = typeof last.lat === 'number' && typeof last.lon === 'number';
    const km = located ? distanceKm(last.lat as number, last.lon as number, site.lat, site.lon) : undefined;
    const prevKm = cell.prev ? distanceKm(cell.prev.lat, cell.prev.lon, site.lat, site.lon) : undefined;
    const lightning = typeof last.lightningPer10Min === 'number' ? last.lightningPer10Min : undefined;
    const value = this.lightningOnly ? lightning : typeof last.reflectivityDbz === 'number' ? last.reflectivityDbz : undefined;
    const labels: Record<string, string> = { unit: this.lightningOnly ? '次/10分钟' : 'dBZ' };
    if (last.simulated === true) labels.simulated = 'true';
    this.emitter.push(out, action, this.rule.id + SEP + cellId + SEP + siteId, info, {
      severity,
      at,
      ...(value !== undefined ? { value } : {}),
      actions: this.rule.siteKinds[site.kind] ?? this.rule.actions,
      vars: {
        distanceKm: km === undefined ? undefined : Math.round(km * 10) / 10,
        // seen from the site: where the cell is
        bearingZh: located ? compassZh(bearingDeg(site.lat, site.lon, last.lat as number, last.lon as number)) : undefined,
        etaZh: km === undefined ? '' : etaZh(prevKm, cell.prev?.ts, km, cell.ts, typeof last.radiusKm === 'number' ? last.radiusKm : 0),
        lightning,
      },
      labels,
    });
  }

  seed(subjectKey: string, severity: Severity): void {
    const [, cellId, siteId] = subjectKey.split(SEP);
    if (!cellId || !siteId) return;
    const cell = this.cells.get(cellId) ?? { ts: 0, sites: new Map<string, Severity>(), last: {} };
    cell.sites.set(siteId, severity);
    this.cells.set(cellId, cell);
    this.timers.push(this.rule.ttl, cellId); // resolves at the first tick unless the cell updates
  }

  forget(subjectKey: string): void {
    const [, cellId, siteId] = subjectKey.split(SEP);
    if (cellId && siteId) this.cells.get(cellId)?.sites.delete(siteId);
  }

  size(): number {
    return this.cells.size;
  }
}
