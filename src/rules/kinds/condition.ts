import type { ConditionRule, Matcher, Requirement } from '../../contracts/rules.ts';
import { sameEffect } from '../../contracts/reference.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import { severityRank, type Severity } from '../../domain/severity.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { compileWhere, type Predicate } from '../match.ts';
import { TimerQueue } from '../../domain/timer-queue.ts';
import { localMinuteOfDay } from '../../domain/time.ts';
import { Emitter, infoOf, infoOfSite, subjectKeyOf, type EngineEnv, type Evaluator, type SubjectInfo } from '../evaluator.ts';

/** LOAD_ZH: what a supplied load is, in the texts. */
const LOAD_ZH: Record<string, string> = { main_fan: '主要通风机', drainage_pumps: '主排水泵', hoist: '提升机', other: '重要负荷' };
const SEP = '\u001f';

interface Open {
  severity: Severity;
  info: SubjectInfo;
  resolveAt: number;
}

/**
 * ConditionEvaluator: an event that matters by itself or in its context (inside a weather warning,
 * during a special period, at a site with a red alert). Resolves on a later event of the subject
 * (`resolveWhen`) or at a time (`resolveAt` field, `resolveAfter`).
 */
export class ConditionEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[];
  readonly acceptsLate = true;
  private readonly open = new Map<string, Open>();
  private readonly where: Predicate;
  private readonly resolveWhen: Predicate | undefined;
  private readonly emitter: Emitter;
  private readonly timers = new TimerQueue();
  private readonly due: { due: number; key: string }[] = [];

  readonly rule: ConditionRule;
  private readonly env?: EngineEnv;
  constructor(
    rule: ConditionRule,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.env = env;
    this.matchers = [rule.match];
    this.where = compileWhere(rule.match.where);
    this.resolveWhen = rule.resolveWhen ? compileWhere(rule.resolveWhen) : undefined;
    this.emitter = new Emitter(rule, env);
  }

  /** requirementsHold checks the context; returns labels to add, or undefined when one fails. */
  private requirementsHold(ctx: EvalContext, e: Record<string, unknown>): Record<string, string> | undefined {
    const labels: Record<string, string> = {};
    for (const r of this.rule.require) if (!this.check(r, ctx, e, labels)) return undefined;
    return labels;
  }

  private check(r: Requirement, ctx: EvalContext, e: Record<string, unknown>, labels: Record<string, string>): boolean {
    const env = this.env;
    if (r.kind === 'span_over') {
      const from = e[r.fromField];
      const to = e[r.toField];
      if (typeof from !== 'number' || typeof to !== 'number' || to - from <= r.over) return false;
      labels.spanHours = String(Math.round(((to - from) / 3_600_000) * 10) / 10);
      labels.allowedHours = String(Math.round((r.over / 3_600_000) * 10) / 10);
      return true;
    }
    if (!env) return false;
    if (r.kind === 'special_period') {
      const from = r.fromField && typeof e[r.fromField] === 'number' ? (e[r.fromField] as number) : ctx.time;
      const to = r.toField && typeof e[r.toField] === 'number' ? (e[r.toField] as number) : from;
      const p = env.reference.calendar.find((p) => p.effects.some((x) => sameEffect(x, r.effect)) && from < p.to && to >= p.from);
      if (!p) return false;
      labels.specialPeriod = p.name;
      return true;
    }
    if (r.kind === 'local_time') return inLocalWindow(localMinuteOfDay(ctx.time), minuteOf(r.from), minuteOf(r.to));
    if (r.kind === 'inside_warning' && r.at === 'event') {
      if (typeof e.lat !== 'number' || typeof e.lon !== 'number') return false;
      return labelWarning(env.context.warningsAtPoint(e.lat, e.lon, r.events, r.minLevel), labels);
    }
    const siteId = typeof e.siteId === 'string' ? e.siteId : undefined;
    if (!siteId) return false;
    if (r.kind === 'inside_warning') return labelWarning(env.context.warningsAt(siteId, r.events, r.minLevel), labels);
    const worst = env.siteAlertSeverity(siteId, r.domains);
    return worst !== undefined && severityRank(worst) >= severityRank(r.minSeverity);
  }

  /**
   * supplied: the sites the event's site supplies with the rule's loads (sites.yaml `supplies`), each
   * as the subject of an alert of its own: key `<subject>␟<site>␟<load>`, about the supplied site.
   */
  private supplied(ctx: EvalContext, e: Record<string, unknown>, key: string): { key: string; info: SubjectInfo }[] | undefined {
    const s = this.rule.supplied;
    if (!s) return undefined;
    const ref = this.env?.reference;
    const supplier = typeof e.siteId === 'string' ? ref?.sites.get(e.siteId) : undefined;
    if (!ref || !supplier) return [];
    const out: { key: string; info: SubjectInfo }[] = [];
    for (const x of supplier.supplies ?? []) {
      if (!s.loads.includes(x.load) || (x.equipmentId !== undefined && x.equipmentId !== e.equipmentId)) continue;
      const site = ref.sites.get(x.siteId);
      if (!site) continue;
      const fields = { equipmentId: e.equipmentId, load: x.load, loadZh: LOAD_ZH[x.load] ?? x.load, supplierName: supplier.name, supplierId: supplier.id, ...(x.description ? { supplyZh: x.description } : {}), event: e.event, type: e.type, ts: e.ts };
      out.push({ key: `${key}${SEP}${site.id}${SEP}${x.load}`, info: infoOfSite(ref, site, ctx.topic, fields) });
    }
    return out;
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    if (!this.where(e)) return;
    const key = subjectKeyOf(this.rule.id, this.rule.subject, e);
    if (key === undefined) return;
    const fanOut = this.supplied(ctx, e, key);
    if (fanOut) return this.evaluateSupplied(ctx, e, fanOut, out);
    const t = ctx.time;
    const cur = this.open.get(key);
    if (this.resolveWhen?.(e)) {
      if (cur) {
        this.open.delete(key);
        this.emit(out, 'resolve', key, cur, t, infoOf(ctx));
      }
      return;
    }
    const severity = this.emitter.severityFor(e);
    if (!severity) return;
    const labels = this.requirementsHold(ctx, e);
    if (!labels) return;
    let resolveAt = Infinity;
    if (this.rule.resolveAt && typeof e[this.rule.resolveAt] === 'number') resolveAt = e[this.rule.resolveAt] as number;
    if (this.rule.resolveAfter !== undefined) resolveAt = Math.min(resolveAt, t + this.rule.resolveAfter);
    if (resolveAt <= t) return; // already over (e.g. a permit that has ended)
    if (cur && cur.severity === severity) {
      cur.resolveAt = resolveAt;
      cur.info = infoOf(ctx);
    } else {
      const o = { severity, info: infoOf(ctx), resolveAt };
      this.open.set(key, o);
      this.emit(out, 'fire', key, o, t, undefined, labels, ctx.specialPeriod);
    }
    if (resolveAt !== Infinity) this.timers.push(resolveAt, key);
  }

  /** evaluateSupplied: the same decisions as evaluate, once per supplied site (its alert is about that site). */
  private evaluateSupplied(ctx: EvalContext, e: Record<string, unknown>, targets: { key: string; info: SubjectInfo }[], out: AlertTransition[]): void {
    const t = ctx.time;
    if (this.resolveWhen?.(e)) {
      for (const x of targets) {
        const cur = this.open.get(x.key);
        if (!cur) continue;
        this.open.delete(x.key);
        this.emit(out, 'resolve', x.key, cur, t, x.info);
      }
      return;
    }
    const severity = this.emitter.severityFor(e);
    if (!severity) return;
    const labels = this.requirementsHold(ctx, e);
    if (!labels) return;
    for (const x of targets) {
      const cur = this.open.get(x.key);
      if (cur && cur.severity === severity) continue;
      const o = { severity, info: x.info, resolveAt: Infinity };
      this.open.set(x.key, o);
      this.emit(out, 'fire', x.key, o, t, undefined, labels, ctx.specialPeriod);
    }
  }

  advance(now: number, out: AlertTransition[]): void {
    this.due.length = 0;
    this.timers.popDue(now, this.due);
    for (const { key, due } of this.due) {
      const o = this.open.get(key);
      if (!o || o.resolveAt !== due) continue;
      this.open.delete(key);
      this.emit(out, 'resolve', key, o, due);
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', key: string, o: Open, at: number, info?: SubjectInfo, labels?: Record<string, string>, specialPeriod?: string): void {
    // what the requirements found (the special period, the permit's span) is labelled and, with the context's labels (warningEvent …), may be named in the texts
    this.emitter.push(out, action, key, info ?? o.info, { severity: o.severity, at, ...(labels ? { labels, vars: labels } : {}), ...(specialPeriod ? { specialPeriod } : {}) });
  }

  seed(subjectKey: string, severity: Severity): void {
    this.open.set(subjectKey, { severity, info: { topic: '', event: {} }, resolveAt: Infinity });
  }

  forget(subjectKey: string): void {
    this.open.delete(subjectKey);
  }

  size(): number {
    return this.open.size;
  }
}

/** minuteOf: minutes since midnight of a validated "HH:MM". */
function minuteOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** inLocalWindow: whether a minute of the day lies in [from, to), a window that may wrap midnight (from > to). */
export function inLocalWindow(minute: number, from: number, to: number): boolean {
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** labelWarning: whether a warning was found; the first one is named in the alert's labels. */
function labelWarning(ws: readonly { id: string; event: string }[], labels: Record<string, string>): boolean {
  if (ws.length === 0) return false;
  labels.warningId = ws[0]!.id;
  labels.warningEvent = ws[0]!.event;
  return true;
}
