import type { DeadlineRule, Matcher } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { Severity } from '../../domain/severity.ts';
import { formatLocal } from '../../domain/time.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { compileWhere, type Predicate } from '../match.ts';
import { TimerQueue } from '../../domain/timer-queue.ts';
import { Emitter, infoOf, subjectKeyOf, type EngineEnv, type Evaluator, type SubjectInfo } from '../evaluator.ts';

interface Clock {
  due: number;
  info: SubjectInfo;
  severity: Severity;
  firing: boolean;
}

/**
 * DeadlineEvaluator: a timestamp field plus an allowance passes while the subject is still open
 * (a hazard past its rectification deadline, an accident not reported within the hour, a report
 * not forwarded within 2 h of receipt, a casualty change without a follow-up report).
 */
export class DeadlineEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[];
  readonly acceptsLate = true;
  private readonly clocks = new Map<string, Clock>();
  private readonly where: Predicate;
  private readonly closedWhen: Predicate | undefined;
  private readonly emitter: Emitter;
  private readonly timers = new TimerQueue();
  private readonly due: { due: number; key: string }[] = [];

  readonly rule: DeadlineRule;
  constructor(
    rule: DeadlineRule,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.matchers = [rule.match];
    this.where = compileWhere(rule.match.where);
    this.closedWhen = rule.closedWhen ? compileWhere(rule.closedWhen) : undefined;
    this.emitter = new Emitter(rule, env);
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    if (!this.where(e)) return;
    const key = subjectKeyOf(this.rule.id, this.rule.subject, e);
    if (key === undefined) return;
    const start = e[this.rule.due.field];
    if (typeof start !== 'number') return;
    const within = this.rule.startWithin;
    if (within !== undefined) {
      // outside the period (a casualty change after the 30 days): no duty, no clock
      const from = e[within.field];
      if (typeof from !== 'number' || start - from > within.max || start < from) return;
    }
    const t = ctx.time;
    let c = this.clocks.get(key);
    // `first`: a clock already running is not moved by a later event of the same state
    const due = this.rule.due.first && c && !this.closes(e) ? c.due : start + this.allowance(ctx);
    const closedAt = this.rule.closedBy !== undefined ? e[this.rule.closedBy] : undefined;
    // rounds: a close stamped before the start answers an earlier round (a follow-up before the latest change)
    if (typeof closedAt === 'number' && (closedAt >= start || !this.rule.rounds)) {
      if (closedAt <= due || this.rule.lateClose === 'resolve') {
        // closed in time, or late with the duty now done (lateClose: resolve)
        if (c?.firing) this.emit(out, 'resolve', key, c, t, infoOf(ctx));
        this.clocks.delete(key);
        return;
      }
      // closed, but late: the lateness itself is the alert (迟报)
      const severity = this.emitter.severityFor(e);
      if (c?.firing || !severity) return;
      c = { due, info: infoOf(ctx), severity, firing: true };
      this.clocks.set(key, c);
      this.emit(out, 'fire', key, c, t, undefined, closedAt);
      return;
    }
    if (this.closedWhen?.(e)) {
      if (c?.firing) this.emit(out, 'resolve', key, c, t, infoOf(ctx));
      this.clocks.delete(key);
      return;
    }
    const severity = this.emitter.severityFor(e);
    if (!severity) return;
    // one timer per deadline: a re-sent event with the same deadline pushes none (a bypass re-read every minute)
    const moved = c === undefined || c.due !== due;
    if (c) {
      c.info = infoOf(ctx);
      if (c.firing && due > t && due !== c.due) {
        // the deadline was extended past now: no longer overdue
        this.emit(out, 'resolve', key, c, t);
        c.firing = false;
      }
      c.due = due;
      c.severity = severity;
    } else this.clocks.set(key, (c = { due, info: infoOf(ctx), severity, firing: false }));
    if (!c.firing && moved) this.timers.push(due, key);
  }

  /** allowance: the site's own setting (`plusRef`), else `plus`. */
  private allowance(ctx: EvalContext): number {
    const ref = this.rule.due.plusRef;
    const v = ref ? ctx.site?.limits?.[ref.limit]?.[ref.key] : undefined;
    return v !== undefined && v >= 0 ? v * ref!.unit : this.rule.due.plus;
  }

  /** closes: whether an event ends the subject (closedBy is judged apart: it may close late). */
  private closes(e: Record<string, unknown>): boolean {
    return this.closedWhen?.(e) === true;
  }

  advance(now: number, out: AlertTransition[]): void {
    this.due.length = 0;
    this.timers.popDue(now, this.due);
    for (const { key, due } of this.due) {
      const c = this.clocks.get(key);
      if (!c || c.firing || c.due !== due) continue;
      c.firing = true;
      this.emit(out, 'fire', key, c, due);
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', key: string, c: Clock, at: number, info?: SubjectInfo, closedAt?: number): void {
    this.emitter.push(out, action, key, info ?? c.info, {
      severity: c.severity,
      at,
      vars: { due: formatLocal(c.due), startAt: formatLocal(c.due - this.rule.due.plus), overdueMin: Math.max(0, Math.round(((closedAt ?? at) - c.due) / 60_000)) },
    });
  }

  seed(subjectKey: string, severity: Severity): void {
    this.clocks.set(subjectKey, { due: 0, info: { topic: '', event: {} }, severity, firing: true });
  }

  forget(subjectKey: string): void {
    this.clocks.delete(subjectKey);
  }

  size(): number {
    return this.clocks.size;
  }
}
