import type { FlatlineRule } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { infoOf, type Evaluator, type SubjectField, type SubjectInfo } from '../evaluator.ts';
import { SubjectRuleBase } from './subject-rule.ts';

interface Anchor {
  value: number;
  since: number;
  firing: boolean;
}

/** FlatlineEvaluator: a value that stays within ±epsilon of where it started for `duration` (frozen data); readings below `minValue` never count. */
export class FlatlineEvaluator extends SubjectRuleBase<FlatlineRule> implements Evaluator {
  readonly acceptsLate = false;
  private readonly anchors = new Map<string, Anchor>();

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    const v = e.value;
    if (typeof v !== 'number' || !this.where(e)) return;
    const key = this.keys.part(e);
    if (key === undefined) return;
    const t = ctx.time;
    const a = this.anchors.get(key);
    if (this.rule.minValue !== undefined && v < this.rule.minValue) {
      // a steady near-zero reading is normal (low-gas mines): no anchor, and a frozen stretch ends
      if (a?.firing) this.emit(out, 'resolve', key, ctx, a, v);
      if (a) this.anchors.delete(key);
      return;
    }
    if (!a) {
      this.anchors.set(key, { value: v, since: t, firing: false });
      return;
    }
    if (Number.isNaN(a.value)) {
      // recovered after a restart: anchor on this reading, keep the open alert
      a.value = v;
      a.since = t;
      return;
    }
    if (Math.abs(v - a.value) > this.rule.epsilon) {
      if (a.firing) this.emit(out, 'resolve', key, ctx, a, v);
      a.value = v;
      a.since = t;
      a.firing = false;
      return;
    }
    if (!a.firing && t - a.since >= this.rule.duration) {
      a.firing = true;
      this.emit(out, 'fire', key, ctx, a, v);
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', key: string, ctx: EvalContext, a: Anchor, v: number): void {
    this.emitter.push(out, action, this.keys.full(key), infoOf(ctx), {
      severity: this.rule.severity,
      at: ctx.time,
      value: v,
      vars: { sinceMin: Math.round((ctx.time - a.since) / 60_000), anchor: a.value },
      ...(ctx.specialPeriod ? { specialPeriod: ctx.specialPeriod } : {}),
    });
  }

  seed(fullKey: string): void {
    const subjectKey = this.keys.partOf(fullKey);
    // The anchor is unknown after a restart: the next reading re-anchors, and a changed value resolves.
    this.anchors.set(subjectKey, { value: Number.NaN, since: 0, firing: true });
  }

  forget(fullKey: string): void {
    const subjectKey = this.keys.partOf(fullKey);
    this.anchors.delete(subjectKey);
  }

  /** evict drops a subject's anchor unless it is firing (its alert stays open until the value moves or an operator resolves it). */
  evict(field: SubjectField, info: SubjectInfo): void {
    if (!this.rule.subject.includes(field)) return;
    const key = this.keys.part(info.event);
    if (key !== undefined && this.anchors.get(key)?.firing === false) this.anchors.delete(key);
  }

  size(): number {
    return this.anchors.size;
  }
}
