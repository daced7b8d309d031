import type { Matcher, NowcastImpactRule } from '../../contracts/rules.ts';
import type { Site } from '../../contracts/reference.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { Severity } from '../../domain/severity.ts';
import { distanceKm } from '../../domain/geo.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { TimerQueue } from '../../domain/timer-queue.ts';
import { Emitter, infoOfSite, type EngineEnv, type Evaluator } from '../evaluator.ts';

const SEP = '\u001f';

interface Cell {
  ts: number;
  sites: Map<string, Severity>;
  last: Record<string, unknown>;
}

/** NowcastImpactEvaluator: a radar cell within its radius + margin of an exposed site; the cell's next update or its silence clears it. */
export class NowcastImpactEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[] = [{ type: 'weather.nowcast', where: {} }];
  readonly acceptsLate = false;
  private readonly cells = new Map<string, Cell>();
  private readonly exposed: Site[];
  private readonly emitter: Emitter;
  private readonly timers = new TimerQueue();
  private readonly due: { due: number; key: string }[] = [];

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
  }

  private severityOf(dbz: number, hail: boolean): Severity | undefined {
    let sev: Severity | undefined;
    for (const l of this.rule.levels) if (dbz >= l.dbz || (l.orHail && hail)) sev = l.severity;
    return sev;
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event;
    if (e.type !== 'weather.nowcast') return;
    const t = ctx.time;
    let cell = this.cells.get(e.cellId);
    if (cell && t < cell.ts) return; // an older update of the cell
    if (!cell) this.cells.set(e.cellId, (cell = { ts: t, sites: new Map(), last: {} }));
    cell.ts = t;
    cell.last = e as unknown as Record<string, unknown>;
    const sev = this.severityOf(e.reflectivityDbz, e.hail === true);
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
    if (cell.sites.size === 0 && targets.size === 0) this.cells.delete(cellId);
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
    const km = typeof cell.last.lat === 'number' ? distanceKm(cell.last.lat, cell.last.lon as number, site.lat, site.lon) : undefined;
    this.emitter.push(out, action, this.rule.id + SEP + cellId + SEP + siteId, info, {
      severity,
      at,
      ...(typeof cell.last.reflectivityDbz === 'number' ? { value: cell.last.reflectivityDbz } : {}),
      actions: this.rule.siteKinds[site.kind] ?? this.rule.actions,
      vars: { distanceKm: km === undefined ? undefined : Math.round(km * 10) / 10 },
      ...(cell.last.simulated === true ? { labels: { simulated: 'true' } } : {}),
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
