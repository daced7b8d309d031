import type { AbsenceRule, Matcher } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import { formatLocal } from '../../domain/time.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { compileAnyOf, compileWhere, type Predicate } from '../match.ts';
import { TimerQueue } from '../../domain/timer-queue.ts';
import { Emitter, infoOf, infoOfSite, scopedInfo, stoppedEmission, SubjectKeys, type EngineEnv, type Evaluator, type SubjectField, type SubjectInfo } from '../evaluator.ts';

/**
 * Watch: per subject, a timestamp and what its alert is built from. An event only moves
 * `lastSeen`: the watch holds no per-event object (a storm of readings leaves nothing behind for
 * the garbage collector to promote), and the identity fields an absence alert names do not change
 * from one reading of a subject to the next.
 */
interface Watch {
  /** last event time; NaN for an expected subject not yet heard from (watched from the first tick) */
  lastSeen: number;
  /** what the alert is built from: the subject's first event, or the reference data (expected) or the seed until it reports */
  info: SubjectInfo;
  /** `info` comes from one of the subject's own events */
  heard: boolean;
  firing: boolean;
  scheduled: boolean;
  /** a subject of the reference data: never evicted */
  expected: boolean;
  /** how long it may be silent: the rule's period, or `periods` × a declared feed's `every` */
  period: number;
  /** `during`: the instant the watch ends (Infinity: until a `stop` event) */
  until?: number;
}

/**
 * AbsenceEvaluator (deadman): a subject silent for longer than `period` fires; its next event
 * resolves. Expected subjects come from reference data, so one that never reports is caught too.
 */
export class AbsenceEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[];
  readonly acceptsLate = true;
  private readonly watches = new Map<string, Watch>();
  private readonly timers = new TimerQueue();
  private readonly where: Predicate;
  private readonly emitter: Emitter;
  private started = false;
  private readonly due: { due: number; key: string }[] = [];
  /** watches and timers are keyed by the subject part (rule id left out) */
  private readonly keys: SubjectKeys;
  /** `during`: what opens a watch and what ends it */
  private readonly isStart: Predicate | undefined;
  private readonly isStop: Predicate | undefined;

  readonly rule: AbsenceRule;
  private readonly env?: EngineEnv;
  constructor(
    rule: AbsenceRule,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.env = env;
    const during = rule.during;
    this.matchers = during ? [rule.match, during.start] : [rule.match];
    this.where = compileWhere(rule.match.where);
    this.isStart = during ? compileAnyOf([during.start]) : undefined;
    this.isStop = during?.stop ? compileWhere(during.stop) : undefined;
    this.emitter = new Emitter(rule, env);
    this.keys = new SubjectKeys(rule.id, rule.subject);
    this.feedsOnly = rule.expected?.from === 'feeds';
    this.addExpected();
  }

  /** feeds: only the feeds the reference data declares are watched (a one-off reading of another metric is not a feed) */
  private readonly feedsOnly: boolean;

  private addExpected(): void {
    const exp = this.rule.expected;
    if (!exp || !this.env) return;
    const ref = this.env.reference;
    const where = compileWhere(exp.where);
    for (const site of ref.sites.values()) {
      if (exp.siteKinds && !exp.siteKinds.includes(site.kind)) continue;
      const subjects: { fields: Record<string, unknown>; period: number }[] =
        exp.from === 'sites'
          ? [{ fields: { siteId: site.id }, period: this.rule.period }]
          : exp.from === 'feeds'
            ? (site.feeds ?? [])
                .filter((f) => f.type === this.rule.match.type)
                .map((f) => ({ fields: { siteId: site.id, ...(f.metric ? { metric: f.metric } : {}) }, period: f.every === undefined ? this.rule.period : f.every * exp.periods }))
            : (site.sensors ?? []).map((s) => ({ fields: { siteId: site.id, sensorId: s.id, sensorType: s.sensorType, location: s.location, ...(s.areaId ? { areaId: s.areaId } : {}) }, period: this.rule.period }));
      for (const { fields, period } of subjects) {
        if (!where(fields)) continue;
        const key = this.keys.part(fields);
        if (key === undefined || this.watches.has(key)) continue;
        this.watches.set(key, { lastSeen: Number.NaN, info: infoOfSite(ref, site, this.topic(), fields), heard: false, firing: false, scheduled: false, expected: true, period });
      }
    }
  }

  private topic(): string {
    return this.rule.match.type.startsWith('mine.') ? 'risk.mine.telemetry' : this.rule.match.type.startsWith('grid.') ? 'risk.grid.telemetry' : 'risk.site.telemetry';
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    if (this.isStart?.(e)) {
      this.startOrStop(ctx, e, out);
      return;
    }
    if (e.type !== this.rule.match.type || !this.where(e)) return;
    if (this.isStart && !this.watches.has(this.keys.part(e) ?? '')) return; // `during`: nothing open, nothing expected
    const key = this.keys.part(e);
    if (key === undefined) return;
    const t = ctx.time;
    let w = this.watches.get(key);
    if (!w && this.feedsOnly) return;
    if (!w) this.watches.set(key, (w = { lastSeen: t, info: infoOf(ctx), heard: true, firing: false, scheduled: false, expected: false, period: this.rule.period }));
    else if (!w.heard) {
      w.info = infoOf(ctx);
      w.heard = true;
    }
    // a back-dated event (older than the last one seen) says nothing about now: it ends no silence
    const fresh = !(w.lastSeen >= t);
    if (fresh) w.lastSeen = t;
    if (w.firing && fresh) {
      w.firing = false;
      this.emit(out, 'resolve', key, w, t, infoOf(ctx));
    }
    if (!w.scheduled) {
      w.scheduled = true;
      this.timers.push(w.lastSeen + w.period, key);
    }
  }

  /** startOrStop: a `during.start` event opens its subject's watch (or moves its end), or ends it when it matches `stop`. */
  private startOrStop(ctx: EvalContext, e: Record<string, unknown>, out: AlertTransition[]): void {
    const key = this.keys.part(e);
    if (key === undefined) return;
    const t = ctx.time;
    const { from: fromField, until: untilField } = this.rule.during!;
    const u = untilField !== undefined ? e[untilField] : undefined;
    const until = typeof u === 'number' ? u : Infinity;
    // a permit issued ahead of its validity is watched from validFrom, not from its issue
    const f = fromField !== undefined ? e[fromField] : undefined;
    const from = typeof f === 'number' && f > t ? f : t;
    const w = this.watches.get(key);
    if (this.isStop?.(e) || until <= t) {
      if (w) this.end(key, w, t, out, infoOf(ctx));
      return;
    }
    if (w) {
      w.until = until;
      w.info = infoOf(ctx);
    } else this.watches.set(key, { lastSeen: from, info: infoOf(ctx), heard: true, firing: false, scheduled: true, expected: false, until, period: this.rule.period });
    if (!w) this.timers.push(from + this.rule.period, key);
    if (until !== Infinity) this.timers.push(until, key);
  }

  /** end: a `during` watch is over (its end instant, a stop event); an open alert resolves. */
  private end(key: string, w: Watch, at: number, out: AlertTransition[], info: SubjectInfo = w.info): void {
    this.watches.delete(key);
    if (w.firing) this.emit(out, 'resolve', key, w, at, info);
  }

  advance(now: number, out: AlertTransition[]): void {
    if (!Number.isFinite(now)) return; // no clock yet (a backtest without events: watermark −∞)
    if (!this.started) {
      // Expected subjects that never reported are watched from the first tick of the clock.
      this.started = true;
      for (const [key, w] of this.watches) {
        if (Number.isNaN(w.lastSeen)) w.lastSeen = now;
        if (!w.scheduled && !w.firing) {
          w.scheduled = true;
          this.timers.push(w.lastSeen + w.period, key);
        }
      }
    }
    this.due.length = 0;
    this.timers.popDue(now, this.due);
    for (const { key } of this.due) {
      const w = this.watches.get(key);
      if (!w) continue;
      if (w.until !== undefined && w.until <= now) {
        this.end(key, w, w.until, out);
        continue;
      }
      w.scheduled = false;
      if (w.firing) continue;
      const dueAt = w.lastSeen + w.period;
      if (dueAt > now) {
        w.scheduled = true;
        this.timers.push(dueAt, key);
        continue;
      }
      w.firing = true;
      this.emit(out, 'fire', key, w, dueAt);
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', key: string, w: Watch, at: number, info: SubjectInfo = w.info): void {
    this.emitter.push(out, action, this.keys.full(key), scopedInfo(info, this.rule.subject), {
      severity: this.rule.severity,
      at,
      evidenceTs: w.lastSeen,
      vars: { periodSec: Math.round(w.period / 1000), periodMin: Math.round(w.period / 60_000), lastSeen: w.heard ? formatLocal(w.lastSeen) : `从未（自 ${formatLocal(w.lastSeen)} 起）`, silentSec: Math.round((at - w.lastSeen) / 1000) },
    });
  }

  seed(fullKey: string): void {
    const subjectKey = this.keys.partOf(fullKey);
    const w = this.watches.get(subjectKey);
    if (w) w.firing = true;
    // an open alert for a subject this rule no longer expects resolves on its next event
    else this.watches.set(subjectKey, { lastSeen: Number.NaN, info: { topic: this.topic(), event: {} }, heard: false, firing: true, scheduled: false, expected: false, period: this.rule.period });
  }

  forget(fullKey: string): void {
    const subjectKey = this.keys.partOf(fullKey);
    const w = this.watches.get(subjectKey);
    if (!w) return;
    w.firing = false;
    // still silent after a manual resolve: the next tick raises it again
    if (!w.scheduled && !Number.isNaN(w.lastSeen)) {
      w.scheduled = true;
      this.timers.push(w.lastSeen + w.period, subjectKey);
    }
  }

  /** evict stops watching a subject that is not expected (its timer entry, if any, finds no watch and is skipped); an open 监测中断 resolves. */
  evict(field: SubjectField, info: SubjectInfo, at: number, out: AlertTransition[]): void {
    if (!this.rule.subject.includes(field)) return;
    const key = this.keys.part(info.event);
    if (key === undefined) return;
    const w = this.watches.get(key);
    if (!w || w.expected) return;
    this.watches.delete(key);
    if (w.firing) this.emitter.push(out, 'resolve', this.keys.full(key), scopedInfo(w.heard ? w.info : info, this.rule.subject), stoppedEmission(field, this.rule.severity, at));
  }

  size(): number {
    return this.watches.size;
  }
}
