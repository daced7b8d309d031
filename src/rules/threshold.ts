import type { ThresholdRule } from '../contracts/rules.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { raiseSeverity, SEVERITY_ZH } from '../domain/severity.ts';
import { compileTemplate, type Template } from '../domain/template.ts';
import { compileWhere, type Predicate } from './match.ts';
import type { EvalContext } from './context.ts';

/** ThresholdState: per subject, the active level (−1 none) and a pending candidate for `for`. */
export interface ThresholdState {
  level: number;
  pendingLevel: number;
  pendingSince: number;
}

/** LABEL_FIELDS: identifiers copied from the event into alert labels (CONTRACT.md §4). */
export const LABEL_FIELDS = ['sensorId', 'areaId', 'equipmentId', 'cellId', 'hazardId', 'permitId', 'accidentId', 'location', 'sensorType', 'quantity', 'metric'] as const;

/** ThresholdEvaluator: levels with hysteresis (restore) and an optional `for` duration. */
export class ThresholdEvaluator {
  readonly rule: ThresholdRule;
  readonly states = new Map<string, ThresholdState>();
  private readonly where: Predicate;
  private readonly summary: Template;
  private readonly title: Template;
  private readonly above: boolean;

  constructor(rule: ThresholdRule) {
    this.rule = rule;
    this.where = compileWhere(rule.match.where);
    this.summary = compileTemplate(rule.summary);
    this.title = compileTemplate(rule.title);
    this.above = rule.direction === 'above';
  }

  /** seed restores the active level of a subject from a recovered open alert (restart, rebalance). */
  seed(subjectKey: string, severity: string): void {
    const levels = this.rule.levels;
    let idx = -1;
    for (let i = 0; i < levels.length; i++) if (levels[i]!.severity === severity) idx = i;
    // A special period may have raised the severity one level: find the level it was raised from.
    if (idx < 0) for (let i = 0; i < levels.length; i++) if (raiseSeverity(levels[i]!.severity) === severity) idx = i;
    if (idx < 0) idx = levels.length - 1;
    this.states.set(subjectKey, { level: idx, pendingLevel: -1, pendingSince: 0 });
  }

  /** measure computes the compared number, or undefined when the event lacks what it needs. */
  private measure(e: Record<string, unknown>): number | undefined {
    const v = e.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    const m = this.rule.measure;
    if (m.kind === 'value') return v;
    if (m.kind === 'abs_deviation') return Math.abs(v - m.from);
    const nominal = e[m.nominalField];
    if (typeof nominal !== 'number' || nominal <= 0) return undefined;
    return (Math.abs(v - nominal) / nominal) * 100;
  }

  private subjectKey(e: Record<string, unknown>): string | undefined {
    let key = this.rule.id;
    for (const f of this.rule.subject) {
      const v = e[f];
      if (v === undefined || v === null) return undefined;
      key += '|' + String(v);
    }
    return key;
  }

  /** evaluate applies one event; pushes at most one transition into `out`. */
  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    if (!this.where(e)) return;
    const m = this.measure(e);
    if (m === undefined) return;
    const key = this.subjectKey(e);
    if (key === undefined) return;
    const levels = this.rule.levels;
    let raw = -1;
    for (let i = levels.length - 1; i >= 0; i--) {
      const l = levels[i]!;
      if (this.above ? m >= l.value : m <= l.value) {
        raw = i;
        break;
      }
    }
    const st = this.states.get(key);
    const cur = st ? st.level : -1;
    let target = raw;
    if (cur >= 0 && raw < cur) {
      // Hysteresis: stay at the highest level up to the current one that has not restored yet.
      for (let i = cur; i > raw; i--) {
        const l = levels[i]!;
        const restore = l.restore ?? l.value;
        if (this.above ? m >= restore : m <= restore) {
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
      out.push(this.transition('resolve', key, cur, m, ctx));
      return;
    }
    if (st) {
      st.level = target;
      st.pendingLevel = -1;
    } else this.states.set(key, { level: target, pendingLevel: -1, pendingSince: 0 });
    out.push(this.transition('fire', key, target, m, ctx));
  }

  private transition(action: 'fire' | 'resolve', subjectKey: string, levelIdx: number, measured: number, ctx: EvalContext): AlertTransition {
    const e = ctx.event as unknown as Record<string, unknown>;
    const level = this.rule.levels[levelIdx]!;
    let severity = level.severity;
    const labels: Record<string, string> = { ...this.rule.labels };
    for (const f of LABEL_FIELDS) {
      const v = e[f];
      if (v !== undefined && v !== null) labels[f] = String(v);
    }
    if (this.rule.escalateInSpecialPeriods && ctx.specialPeriod) {
      severity = raiseSeverity(severity);
      labels.specialPeriod = ctx.specialPeriod;
    }
    const site = ctx.site;
    const vars = {
      ...e,
      value: e.value,
      measured: Math.round(measured * 1000) / 1000,
      threshold: level.value,
      severityZh: SEVERITY_ZH[severity],
      siteName: site?.name ?? e.siteId,
      townName: ctx.townName,
    };
    return {
      action,
      ruleId: this.rule.id,
      subjectKey,
      at: ctx.time,
      severity,
      domain: this.rule.domain,
      title: this.title(vars),
      summary: this.summary(vars),
      actions: this.rule.actions,
      ...(typeof e.siteId === 'string' ? { siteId: e.siteId } : {}),
      ...(ctx.town ? { town: ctx.town } : {}),
      value: measured,
      threshold: level.value,
      labels,
      evidence: { topic: ctx.topic, ...(ctx.key ? { key: ctx.key } : {}), ts: ctx.time },
    };
  }
}
