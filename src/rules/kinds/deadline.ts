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
 * (a hazard past its rectification deadline, an accident not reported within the hour).
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
    const due = start + this.rule.due.plus;
    const t = ctx.time;
    let c = this.clocks.get(key);
    const closedAt = this.rule.closedBy !== undefined ? e[this.rule.closedBy] : undefined;
    if (typeof closedAt === 'number') {
      if (closedAt <= due) {
        // closed in time
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
    if (!c.firing) this.timers.push(due, key);
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
      vars: { due: formatLocal(c.due), overdueMin: Math.max(0, Math.round(((closedAt ?? at) - c.due) / 60_000)) },
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
