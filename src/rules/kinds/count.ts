import type { CountRule, Matcher } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { compileAnyOf, type Predicate } from '../match.ts';
import { TimerQueue } from '../../domain/timer-queue.ts';
import { Emitter, flaggedSite, infoOf, scopedInfo, subjectKeyOf, type EngineEnv, type Evaluator, type SubjectField, type SubjectInfo } from '../evaluator.ts';

const MAX_ENTRIES = 10_000;

interface Bucket {
  ts: number[];
  weights: number[];
  keys: (string | undefined)[];
  firing: boolean;
  info: SubjectInfo;
  scheduled: boolean;
}

/** CountEvaluator: N matching events (distinct values, or summed weights) per scope within a sliding window. */
export class CountEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[];
  readonly acceptsLate = false;
  private readonly buckets = new Map<string, Bucket>();
  private readonly matches: Predicate;
  private readonly emitter: Emitter;
  private readonly timers = new TimerQueue();
  private readonly due: { due: number; key: string }[] = [];

  readonly rule: CountRule;
  constructor(
    rule: CountRule,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.matchers = rule.match;
    this.matches = compileAnyOf(rule.match);
    this.emitter = new Emitter(rule, env);
  }

  /**
   * total: the sum of weights (1 each without `weight`). With `distinct`, an event that has one of
   * the distinct fields counts once per value (with its latest weight: a hazard re-sent on every
   * update is one hazard, an inspection re-sent is its violations once); one without adds its weight.
   */
  private total(b: Bucket): number {
    let sum = 0;
    if (this.rule.distinct) {
      const latest = new Map<string, number>();
      for (let i = 0; i < b.keys.length; i++) {
        const k = b.keys[i];
        if (k === undefined) sum += b.weights[i]!;
        else latest.set(k, b.weights[i]!);
      }
      for (const w of latest.values()) sum += w;
      return sum;
    }
    for (const w of b.weights) sum += w;
    return sum;
  }

  private trim(b: Bucket, now: number): void {
    let drop = 0;
    while (drop < b.ts.length && (b.ts[drop]! <= now - this.rule.window || b.ts.length - drop > MAX_ENTRIES)) drop++;
    if (drop > 0) {
      b.ts.splice(0, drop);
      b.weights.splice(0, drop);
      b.keys.splice(0, drop);
    }
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    if (!this.matches(e) || !flaggedSite(ctx.site, this.rule.siteFlags)) return;
    const key = subjectKeyOf(this.rule.id, this.rule.scope, e);
    if (key === undefined) return;
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { ts: [], weights: [], keys: [], firing: false, info: infoOf(ctx), scheduled: false }));
    const t = ctx.time;
    b.ts.push(t);
    const w = this.rule.weight !== undefined ? e[this.rule.weight] : 1;
    b.weights.push(typeof w === 'number' ? w : 1);
    let dk: string | undefined;
    for (const f of this.rule.distinct ?? []) if (e[f] !== undefined) {
      dk = `${f}=${String(e[f])}`;
      break;
    }
    b.keys.push(dk);
    b.info = infoOf(ctx);
    this.trim(b, t);
    const n = this.total(b);
    if (!b.firing && n >= this.rule.threshold) {
      b.firing = true;
      this.emit(out, 'fire', key, b, t, n);
    }
    if (!b.scheduled && b.ts.length > 0) {
      b.scheduled = true;
      this.timers.push(b.ts[0]! + this.rule.window, key);
    }
  }

  advance(now: number, out: AlertTransition[]): void {
    this.due.length = 0;
    this.timers.popDue(now, this.due);
    for (const { key } of this.due) {
      const b = this.buckets.get(key);
      if (!b) continue;
      b.scheduled = false;
      this.trim(b, now);
      const n = this.total(b);
      if (b.firing && n < this.rule.threshold) {
        b.firing = false;
        this.emit(out, 'resolve', key, b, now, n);
      }
      if (b.ts.length === 0) {
        if (!b.firing) this.buckets.delete(key);
        continue;
      }
      b.scheduled = true;
      this.timers.push(b.ts[0]! + this.rule.window, key);
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', key: string, b: Bucket, at: number, n: number): void {
    this.emitter.push(out, action, key, scopedInfo(b.info, this.rule.scope), {
      severity: this.rule.severity,
      at,
      value: n,
      threshold: this.rule.threshold,
      // a summed weight (mm of rain) is rounded for the text; counts are whole numbers anyway
      vars: { count: Math.round(n * 1000) / 1000, windowMin: Math.round(this.rule.window / 60_000), windowDays: Math.round(this.rule.window / 86_400_000) },
    });
  }

  seed(subjectKey: string): void {
    const b = this.buckets.get(subjectKey);
    if (b) b.firing = true;
    else {
      // The window's events are gone after a restart: keep the alert open (fail safe); new events refill
      // the window and it resolves once that drains below the threshold, or an operator resolves it.
      this.buckets.set(subjectKey, { ts: [], weights: [], keys: [], firing: true, info: { topic: '', event: {} }, scheduled: false });
    }
  }

  forget(subjectKey: string): void {
    this.buckets.delete(subjectKey);
  }

  /** evict drops a scope keyed by the subject unless it is firing (its timer resolves it as the window drains). */
  evict(field: SubjectField, info: SubjectInfo): void {
    if (!this.rule.scope.includes(field)) return;
    const key = subjectKeyOf(this.rule.id, this.rule.scope, info.event);
    if (key !== undefined && this.buckets.get(key)?.firing === false) this.buckets.delete(key);
  }

  size(): number {
    return this.buckets.size;
  }
}
