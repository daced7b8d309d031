import type { EventType } from '../contracts/events.ts';
import type { Matcher, Rule } from '../contracts/rules.ts';
import type { AlertTransition } from '../domain/transition.ts';
import type { Severity } from '../domain/severity.ts';
import type { WarningChange } from '../enrich/context.ts';
import type { EvalContext } from '../enrich/eval-context.ts';
import type { EngineEnv, Evaluator, SubjectField, SubjectInfo } from './evaluator.ts';
import { PRIMARY_FIELD, RuleIndex, SECONDARY_FIELD } from './index.ts';
import { valuesOf } from './match.ts';
import { ThresholdEvaluator } from './kinds/threshold.ts';
import { RateEvaluator } from './kinds/rate.ts';
import { AbsenceEvaluator } from './kinds/absence.ts';
import { FlatlineEvaluator } from './kinds/flatline.ts';
import { CountEvaluator } from './kinds/count.ts';
import { CorrelationEvaluator } from './kinds/correlation.ts';
import { DeadlineEvaluator } from './kinds/deadline.ts';
import { ConditionEvaluator } from './kinds/condition.ts';
import { WarningImpactEvaluator } from './kinds/warning-impact.ts';
import { NowcastImpactEvaluator } from './kinds/nowcast-impact.ts';
import { PeerEvaluator } from './kinds/peer.ts';

/** SeedHook: told of every seeded open alert, with the subject's field values when the rule's key fields are known. */
export type SeedHook = (ruleId: string, subjectKey: string, fields: Record<string, string> | undefined) => void;

/** keyFieldsOf: the event fields a rule keys its state by (its subject, or a count's or `fields` correlation's scope). */
export function keyFieldsOf(rule: Rule): readonly string[] | undefined {
  if ('subject' in rule) return rule.subject;
  if (rule.kind === 'count') return rule.scope;
  if (rule.kind === 'correlation' && rule.scope.kind === 'fields') return rule.scope.fields;
  return undefined;
}

/** fieldsOfKey reads the field values back out of a subject key built from `fields` (the last values; ids hold no separator). */
function fieldsOfKey(ruleId: string, subjectKey: string, fields: readonly string[]): Record<string, string> | undefined {
  const parts = subjectKey.split('\u001f');
  if (parts[0] !== ruleId || parts.length <= fields.length) return undefined;
  const values = parts.slice(-fields.length);
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i++) out[fields[i]!] = values[i]!;
  return out;
}

/** createEvaluator builds the evaluator of one rule. */
export function createEvaluator(rule: Rule, env?: EngineEnv): Evaluator {
  switch (rule.kind) {
    case 'threshold':
      return new ThresholdEvaluator(rule, env);
    case 'rate':
      return new RateEvaluator(rule, env);
    case 'absence':
      return new AbsenceEvaluator(rule, env);
    case 'flatline':
      return new FlatlineEvaluator(rule, env);
    case 'count':
      return new CountEvaluator(rule, env);
    case 'correlation':
      return new CorrelationEvaluator(rule, env);
    case 'deadline':
      return new DeadlineEvaluator(rule, env);
    case 'condition':
      return new ConditionEvaluator(rule, env);
    case 'warning_impact':
      return new WarningImpactEvaluator(rule, env);
    case 'nowcast_impact':
      return new NowcastImpactEvaluator(rule, env);
    case 'peer':
      return new PeerEvaluator(rule, env);
  }
}

interface Entry {
  match: { type: string; where: Record<string, unknown> };
  ev: Evaluator;
}

/**
 * entriesOf: one index entry per distinct event type, so an evaluator sees each event once. Several
 * matchers of one type are indexed under the union of their primary-field values (the power-off
 * rule sees methane readings only); when one of them accepts any value, the entry matches all.
 */
function entriesOf(ev: Evaluator): Entry[] {
  const byType = new Map<string, Matcher[]>();
  for (const m of ev.matchers) (byType.get(m.type) ?? byType.set(m.type, []).get(m.type)!).push(m);
  const out: Entry[] = [];
  for (const [type, ms] of byType) {
    if (ms.length === 1) {
      out.push({ match: ms[0]!, ev });
      continue;
    }
    const pf = PRIMARY_FIELD[type as EventType];
    const union = unionOf(ms, pf);
    const where: Record<string, unknown> = {};
    if (union !== undefined) {
      where[pf!] = union;
      // the secondary field narrows only within primary values: kept when every matcher names both
      const sf = SECONDARY_FIELD[type as EventType];
      const sub = unionOf(ms, sf);
      if (sub !== undefined) where[sf!] = sub;
    }
    out.push({ match: { type, where }, ev });
  }
  return out;
}

/** impliedFields: the fields of a matcher's conditions that the rule index checks (primary, then secondary values). */
function impliedFields(m: Matcher): string[] {
  const pf = PRIMARY_FIELD[m.type as EventType];
  if (pf === undefined || valuesOf(m.where[pf]) === undefined) return [];
  const sf = SECONDARY_FIELD[m.type as EventType];
  return sf !== undefined && valuesOf(m.where[sf]) !== undefined ? [pf, sf] : [pf];
}

/** unionOf: the values of `field` any of the matchers accepts, or undefined when one accepts any value. */
function unionOf(ms: readonly Matcher[], field: string | undefined): unknown[] | undefined {
  if (field === undefined) return undefined;
  const union: unknown[] = [];
  for (const m of ms) {
    const vs = valuesOf(m.where[field]);
    if (vs === undefined) return undefined;
    for (const v of vs) if (!union.includes(v)) union.push(v);
  }
  return union;
}

/**
 * RuleEngine evaluates enriched events against the indexed rule pack and fires timers as the
 * clock advances. Event time is the clock: the watermark (max event time − lateness) decides
 * which events are late; late events reach only the rules that look at each event alone.
 */
export class RuleEngine {
  private evaluators: Evaluator[] = [];
  private withTimers: Evaluator[] = [];
  private withWarnings: Evaluator[] = [];
  private withEvict: Evaluator[] = [];
  private index = new RuleIndex<Entry>([]);
  private maxEventTime = -Infinity;
  private readonly lateness: number;
  private readonly env: EngineEnv | undefined;
  /** count of events later than the watermark */
  lateCount = 0;
  /** count of subjects whose state was evicted (idle, not in the reference data) */
  evictedCount = 0;
  /** told of every seed, so the subject registry tracks seeded subjects too */
  seedHook: SeedHook | undefined;

  /** live mode: the wall clock — an event stamped in the future (a fast clock) moves the watermark no further than now */
  private readonly now: (() => number) | undefined;

  constructor(rules: readonly Rule[], env?: EngineEnv, opts: { lateness?: number; now?: () => number } = {}) {
    this.env = env;
    this.lateness = opts.lateness ?? 120_000;
    this.now = opts.now;
    this.load(rules);
  }

  /** load replaces the rule set; evaluators of rules whose definition did not change keep their state. */
  load(rules: readonly Rule[]): void {
    const old = new Map(this.evaluators.map((e) => [e.rule.id, e]));
    this.evaluators = rules
      .filter((r) => r.enabled)
      .map((r) => {
        const prev = old.get(r.id);
        return prev && JSON.stringify(prev.rule) === JSON.stringify(r) ? prev : createEvaluator(r, this.env);
      });
    this.withTimers = this.evaluators.filter((e) => e.advance !== undefined);
    this.withWarnings = this.evaluators.filter((e) => e.onWarnings !== undefined);
    this.withEvict = this.evaluators.filter((e) => e.evict !== undefined);
    const entries: Entry[] = [];
    for (const ev of this.evaluators) {
      entries.push(...entriesOf(ev));
      if (ev.narrow && ev.matchers.length === 1) ev.narrow(impliedFields(ev.matchers[0]!));
    }
    this.index = new RuleIndex<Entry>(entries);
  }

  /** rules lists the active rules. */
  rules(): Rule[] {
    return this.evaluators.map((e) => e.rule);
  }

  /** watermark is the event time up to which input is taken as complete. */
  watermark(): number {
    return this.maxEventTime - this.lateness;
  }

  /** evaluate runs the rules that can apply to one event; returns whether the event was late. */
  evaluate(ctx: EvalContext, out: AlertTransition[]): boolean {
    const late = ctx.time < this.maxEventTime - this.lateness;
    if (late) this.lateCount++;
    else if (ctx.time > this.maxEventTime) {
      // one producer with a fast clock must not make every other producer's readings late: in live
      // mode the watermark follows event time only as far as the wall clock
      const now = this.now?.();
      this.maxEventTime = now === undefined || ctx.time <= now ? ctx.time : Math.max(this.maxEventTime, now);
    }
    const cands = this.index.candidates(ctx.event as never) as readonly Entry[];
    for (let i = 0; i < cands.length; i++) {
      const ev = cands[i]!.ev;
      if (!late || ev.acceptsLate) ev.evaluate(ctx, out);
    }
    return late;
  }

  /** onWarnings passes weather warnings coming into force, changing or ending to the impact rules. */
  onWarnings(changes: readonly WarningChange[], now: number, out: AlertTransition[]): void {
    if (changes.length === 0) return;
    for (const ev of this.withWarnings) ev.onWarnings!(changes, now, out);
  }

  /** advance fires every timer due at or before `now` (the watermark, or the wall clock in live mode). */
  advance(now: number, out: AlertTransition[]): void {
    if (!Number.isFinite(now)) return; // before the first event the event-time clock has not started
    for (const ev of this.withTimers) ev.advance!(now, out);
  }

  /** seed restores evaluator state for an open alert recovered from the store. */
  seed(ruleId: string, subjectKey: string, severity: Severity): void {
    const ev = this.evaluators.find((e) => e.rule.id === ruleId);
    ev?.seed(subjectKey, severity);
    if (this.seedHook) {
      const fields = ev ? keyFieldsOf(ev.rule) : undefined;
      this.seedHook(ruleId, subjectKey, fields ? fieldsOfKey(ruleId, subjectKey, fields) : undefined);
    }
  }

  /** evict drops every rule's state about one subject (see Evaluator.evict); open alerts about it resolve into `out`. */
  evict(field: SubjectField, info: SubjectInfo, at: number, out: AlertTransition[]): void {
    this.evictedCount++;
    for (const ev of this.withEvict) ev.evict!(field, info, at, out);
  }

  /** forget drops a subject's state (after a manual resolve, so a persisting condition fires again). */
  forget(ruleId: string, subjectKey: string): void {
    this.evaluators.find((e) => e.rule.id === ruleId)?.forget(subjectKey);
  }

  /** unconfigured: per rule, events it could not judge because the item has no reference limit (for /metrics). */
  unconfigured(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.evaluators) if (e.unconfigured) out[e.rule.id] = e.unconfigured;
    return out;
  }

  /** stateSize counts subjects held in rule state (for /metrics). */
  stateSize(): number {
    let n = 0;
    for (const e of this.evaluators) n += e.size();
    return n;
  }
}
