import type { Matcher, ThresholdRule } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import { raiseSeverity, type Severity } from '../../domain/severity.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { compileWhere, compileWhereExcept, type Predicate } from '../match.ts';
import { Emitter, infoOf, subjectKeyOf, type EngineEnv, type Evaluator, type SubjectField, type SubjectInfo } from '../evaluator.ts';
import { compileTemplate, type Template } from '../../domain/template.ts';

/** ThresholdState: per subject, the active level (−1 none) and a pending candidate for `for`. */
export interface ThresholdState {
  level: number;
  pendingLevel: number;
  pendingSince: number;
}

/** ResolvedLevel: a level with its value for one monitored item (undefined: does not apply to it). */
interface ResolvedLevel {
  severity: Severity;
  value: number | undefined;
  restore: number | undefined;
  title: Template | undefined;
}

/** ThresholdEvaluator: levels with hysteresis (restore) and an optional `for` duration. */
export class ThresholdEvaluator implements Evaluator {
  readonly rule: ThresholdRule;
  readonly matchers: readonly Matcher[];
  readonly acceptsLate: boolean;
  readonly states = new Map<string, ThresholdState>();
  private where: Predicate;
  private readonly resolveWhen: Predicate | undefined;
  private readonly emitter: Emitter;
  private readonly above: boolean;
  /** the levels as written; `fixed` when none reads the reference data (the common case: no per-event work) */
  private readonly written: ResolvedLevel[];
  private readonly fixed: boolean;
  /** ref levels whose item had no reference value (the rule does not apply to it): counted for /metrics */
  unconfigured = 0;

  constructor(rule: ThresholdRule, env?: EngineEnv) {
    this.rule = rule;
    this.written = rule.levels.map((l) => ({ severity: l.severity, value: l.value, restore: l.restore ?? l.value, title: l.title ? compileTemplate(l.title) : undefined }));
    this.fixed = rule.levels.every((l) => l.ref === undefined);
    this.matchers = [rule.match];
    // Without `for` a threshold looks at each reading alone, so late readings still count.
    this.acceptsLate = rule.for === undefined;
    this.where = compileWhere(rule.match.where);
    this.resolveWhen = rule.resolveWhen ? compileWhere(rule.resolveWhen) : undefined;
    this.emitter = new Emitter(rule, env);
    this.above = rule.direction === 'above';
  }

  /** seed restores the active level of a subject from a recovered open alert (restart, rebalance). */
  seed(subjectKey: string, severity: Severity): void {
    const levels = this.rule.levels;
    let idx = -1;
    for (let i = 0; i < levels.length; i++) if (levels[i]!.severity === severity) idx = i;
    // A special period may have raised the severity one level: find the level it was raised from.
    if (idx < 0) for (let i = 0; i < levels.length; i++) if (raiseSeverity(levels[i]!.severity) === severity) idx = i;
    if (idx < 0) idx = levels.length - 1;
    this.states.set(subjectKey, { level: idx, pendingLevel: -1, pendingSince: 0 });
  }

  forget(subjectKey: string): void {
    this.states.delete(subjectKey);
  }

  /** evict drops a pending subject; an active level is kept (its alert stays open until a reading restores it or an operator resolves it). */
  evict(field: SubjectField, info: SubjectInfo): void {
    if (!this.rule.subject.includes(field)) return;
    const key = subjectKeyOf(this.rule.id, this.rule.subject, info.event);
    if (key !== undefined && this.states.get(key)?.level === -1) this.states.delete(key);
  }

  size(): number {
    return this.states.size;
  }

  /** measure computes the compared number, or undefined when the event lacks what it needs. */
  private measure(e: Record<string, unknown>): number | undefined {
    const m = this.rule.measure;
    if (m.kind === 'excess_pct' || m.kind === 'share_pct') return ratioMeasure(m, e);
    const v = m.kind === 'value' && m.field !== undefined ? e[m.field] : e.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    if (m.kind === 'value') return v;
    if (m.kind === 'abs_deviation') return Math.abs(v - m.from);
    const nominal = e[m.nominalField];
    if (typeof nominal !== 'number' || nominal <= 0) return undefined;
    return (Math.abs(v - nominal) / nominal) * 100;
  }

  narrow(fields: readonly string[]): void {
    this.where = compileWhereExcept(this.rule.match.where, fields);
  }

  /** levelsFor: the levels for the item an event is about — a `ref` level reads the site's limits for the event's `limitKey` value. */
  private levelsFor(ctx: EvalContext, e: Record<string, unknown>): ResolvedLevel[] | undefined {
    if (this.fixed) return this.written;
    const item = e[this.rule.limitKey];
    const limits = typeof item === 'string' ? ctx.site?.limits?.[item] : undefined;
    let any = false;
    const out = this.rule.levels.map((l, i) => {
      const w = this.written[i]!;
      if (l.ref === undefined) return w;
      const v = limits?.[l.ref];
      const value = v === undefined ? undefined : v * (l.factor ?? 1);
      if (value !== undefined) any = true;
      return { ...w, value, restore: v === undefined || l.restoreFactor === undefined ? value : v * l.restoreFactor };
    });
    if (!any) this.unconfigured++;
    return any ? out : undefined;
  }

  /** evaluate applies one event; pushes at most one transition into `out`. */
  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    if (!this.where(e)) return;
    if (this.resolveWhen?.(e)) {
      this.resolveBySource(ctx, e, out);
      return;
    }
    const m = this.measure(e);
    if (m === undefined) return;
    const levels = this.levelsFor(ctx, e);
    if (levels === undefined) return;
    let raw = -1;
    for (let i = levels.length - 1; i >= 0; i--) {
      const l = levels[i]!;
      if (l.value !== undefined && (this.above ? m >= l.value : m <= l.value)) {
        raw = i;
        break;
      }
    }
    // The common case: a normal reading and no subject of this rule active or pending, so there is
    // nothing to change; skip building the subject key (a string concatenation and a map read).
    if (raw === -1 && this.states.size === 0) return;
    const key = subjectKeyOf(this.rule.id, this.rule.subject, e);
    if (key === undefined) return;
    const st = this.states.get(key);
    const cur = st ? st.level : -1;
    let target = raw;
    if (cur >= 0 && raw < cur) {
      // Hysteresis: stay at the highest level up to the current one that has not restored yet.
      for (let i = cur; i > raw; i--) {
        const restore = levels[i]!.restore;
        if (restore !== undefined && (this.above ? m >= restore : m <= restore)) {
          target = i;
          break;
        }
      }
    }
    const t = ctx.time;
    if (target > cur && cur === -1 && this.rule.for !== undefined) {
      const s = st ?? { level: -1, pendingLevel: target, pendingSince: t };
      if (!st) this.states.set(key, s);
      if (s.pendingLevel < 0) s.pendingSince = t;
      s.pendingLevel = target;
      if (t - s.pendingSince < this.rule.for) return;
    }
    if (target === cur) {
      if (st && target === -1) this.states.delete(key);
      return;
    }
    if (target === -1) {
      this.states.delete(key);
      this.emit(out, 'resolve', key, levels[cur] ?? this.written[cur]!, m, ctx);
      return;
    }
    if (st) {
      st.level = target;
      st.pendingLevel = -1;
    } else this.states.set(key, { level: target, pendingLevel: -1, pendingSince: 0 });
    this.emit(out, 'fire', key, levels[target]!, m, ctx);
  }

  /** resolveBySource: the source said the condition ended (`resolveWhen`): an active or pending subject ends without a number. */
  private resolveBySource(ctx: EvalContext, e: Record<string, unknown>, out: AlertTransition[]): void {
    if (this.states.size === 0) return;
    const key = subjectKeyOf(this.rule.id, this.rule.subject, e);
    const st = key === undefined ? undefined : this.states.get(key);
    if (!st || key === undefined) return;
    this.states.delete(key);
    if (st.level >= 0) this.emit(out, 'resolve', key, this.written[st.level]!, undefined, ctx);
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', key: string, level: ResolvedLevel, measured: number | undefined, ctx: EvalContext): void {
    // the unit of the compared number (a deviation or share in % is in %), and the reading itself when the compared number is a deviation
    const e = ctx.event as unknown as Record<string, unknown>;
    const kind = this.rule.measure.kind;
    const unit = kind === 'deviation_pct' || kind === 'excess_pct' || kind === 'share_pct' ? '%' : typeof e.unit === 'string' ? e.unit : undefined;
    const labels: Record<string, string> = unit ? { unit } : {};
    if (kind !== 'value' && typeof e.value === 'number') labels.reading = `${e.value}${typeof e.unit === 'string' ? e.unit : ''}`;
    this.emitter.push(out, action, key, infoOf(ctx), {
      labels,
      severity: level.severity,
      at: ctx.time,
      ...(measured !== undefined ? { value: measured, vars: { measured: Math.round(measured * 1000) / 1000 } } : {}),
      ...(level.value !== undefined ? { threshold: level.value } : {}),
      ...(level.title ? { title: level.title } : {}),
      ...(ctx.specialPeriod ? { specialPeriod: ctx.specialPeriod } : {}),
    });
  }
}

/** ratioMeasure: a percentage computed from fields of the event (excess over a limit, share of a total); undefined when a field is missing or the base is not positive. */
function ratioMeasure(m: Extract<ThresholdRule['measure'], { kind: 'excess_pct' | 'share_pct' }>, e: Record<string, unknown>): number | undefined {
  const base = e[m.of];
  if (typeof base !== 'number' || !(base > 0)) return undefined;
  if (m.kind === 'excess_pct') {
    const v = e[m.field];
    return typeof v === 'number' && Number.isFinite(v) ? ((v - base) / base) * 100 : undefined;
  }
  let sum = 0;
  for (let i = 0; i < m.fields.length; i++) {
    const v = e[m.fields[i]!];
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    sum += v;
  }
  return (sum / base) * 100;
}
