import type { RateRule } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { Severity } from '../../domain/severity.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { infoOf, type Evaluator, type SubjectField, type SubjectInfo } from '../evaluator.ts';
import { SubjectRuleBase } from './subject-rule.ts';

const MAX_SAMPLES = 512;

interface Series {
  ts: number[];
  vs: number[];
  level: number;
}

/** RateEvaluator: change of `value` between the oldest sample inside `window` and the newest. */
export class RateEvaluator extends SubjectRuleBase<RateRule> implements Evaluator {
  readonly acceptsLate = false;
  private readonly series = new Map<string, Series>();
  /** events whose item had no reference setting for `onlyAbove` (not judged): counted for /metrics */
  unconfigured = 0;

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    const v = e.value;
    if (typeof v !== 'number' || !this.where(e)) return;
    const key = this.keys.part(e);
    if (key === undefined) return;
    const gate = this.gateOf(ctx, e);
    if (gate === null) return;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { ts: [], vs: [], level: -1 }));
    const t = ctx.time;
    s.ts.push(t);
    s.vs.push(v);
    let drop = 0;
    while (drop < s.ts.length - 1 && (s.ts[drop]! < t - this.rule.window || s.ts.length - drop > MAX_SAMPLES)) drop++;
    if (drop > 0) {
      s.ts.splice(0, drop);
      s.vs.splice(0, drop);
    }
    const delta = this.rule.direction === 'rise' ? v - s.vs[0]! : s.vs[0]! - v;
    const levels = this.rule.levels;
    // below the reference gate the change is not judged: no level, an active one resolves
    const gated = gate !== undefined && v < gate;
    let target = -1;
    if (!gated) for (let i = levels.length - 1; i >= 0; i--) if (delta >= levels[i]!.value) {
      target = i;
      break;
    }
    if (!gated && s.level >= 0 && target < s.level) {
      // hysteresis: a level holds until the change falls below its restore value
      for (let i = s.level; i > target; i--) if (delta >= (levels[i]!.restore ?? levels[i]!.value)) {
        target = i;
        break;
      }
    }
    if (target === s.level) return;
    const idx = target >= 0 ? target : s.level;
    s.level = target;
    const level = levels[idx]!;
    this.emitter.push(out, target >= 0 ? 'fire' : 'resolve', this.keys.full(key), infoOf(ctx), {
      severity: level.severity,
      at: t,
      value: Math.round(delta * 1000) / 1000,
      threshold: level.value,
      vars: { delta: Math.round(delta * 1000) / 1000, windowMin: Math.round(this.rule.window / 60_000), ...(gate !== undefined ? { gate: Math.round(gate * 1000) / 1000 } : {}) },
      ...(ctx.specialPeriod ? { specialPeriod: ctx.specialPeriod } : {}),
    });
    if (target < 0 && s.ts.length <= 1) this.series.delete(key);
  }

  /**
   * gateOf: the value at or above which the change is judged (`onlyAbove`: the item's reference
   * setting + offset); undefined without `onlyAbove`, null when the item has no such setting.
   */
  private gateOf(ctx: EvalContext, e: Record<string, unknown>): number | undefined | null {
    const g = this.rule.onlyAbove;
    if (g === undefined) return undefined;
    const item = e[this.rule.limitKey];
    const ref = typeof item === 'string' ? ctx.site?.limits?.[item]?.[g.ref] : undefined;
    if (ref === undefined) {
      this.unconfigured++;
      return null;
    }
    return ref + g.offset;
  }

  seed(fullKey: string, severity: Severity): void {
    const subjectKey = this.keys.partOf(fullKey);
    const idx = Math.max(0, this.rule.levels.findIndex((l) => l.severity === severity));
    this.series.set(subjectKey, { ts: [], vs: [], level: idx });
  }

  forget(fullKey: string): void {
    const subjectKey = this.keys.partOf(fullKey);
    this.series.delete(subjectKey);
  }

  /** evict drops a subject's samples unless a level is active (its alert stays open until the change falls back or an operator resolves it). */
  evict(field: SubjectField, info: SubjectInfo): void {
    if (!this.rule.subject.includes(field)) return;
    const key = this.keys.part(info.event);
    if (key !== undefined && this.series.get(key)?.level === -1) this.series.delete(key);
  }

  size(): number {
    return this.series.size;
  }
}
