import type { CorrelationRule, Matcher } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { Severity } from '../../domain/severity.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { compileAnyOf, type Predicate } from '../match.ts';
import { TimerQueue } from '../../domain/timer-queue.ts';
import { Emitter, infoOf, SubjectKeys, type EngineEnv, type Evaluator, type SubjectField, type SubjectInfo } from '../evaluator.ts';

interface Instance {
  aAt: number;
  info: SubjectInfo;
  severity: Severity;
  firing: boolean;
  specialPeriod?: string;
  /** not_followed_by with `clear`: B has come, so the episode is handled until it clears */
  satisfied?: boolean;
  /** not_followed_by with `clear`: the subjects (e.g. sensors) whose A opened or joined the episode */
  members?: Set<string>;
}

/** LATE_B_MS: how long past its window a B is remembered for an A that arrives late (the default `rules.lateness`) */
const LATE_B_MS = 120_000;

/** IDENTITY_FIELDS: what tells one A subject (a sensor, a piece of equipment …) from another inside a scope. */
const IDENTITY_FIELDS = ['sensorId', 'equipmentId', 'cellId', 'hazardId', 'permitId', 'accidentId'] as const;

function identityOf(e: Record<string, unknown>): string | undefined {
  for (const f of IDENTITY_FIELDS) if (e[f] !== undefined && e[f] !== null) return `${f}=${String(e[f])}`;
  return undefined;
}

/**
 * CorrelationEvaluator: condition A, then B (`followed_by`) or no B (`not_followed_by`) within a
 * window, in a scope (same fields, site, area or town). Time is event time; timers fire on advance.
 *
 * `not_followed_by` with `clear` treats A as an episode that lasts until it clears (methane at or
 * above the power-off value until it is back below the restore value): B settles the episode, so
 * later A readings of the same episode do not demand a new B; a B up to `window` before the first
 * A counts too (the power-off may be stamped before the reading that caused it); and only a
 * `clear` from a subject that raised A (same sensor) ends it, not a normal reading of a neighbour.
 *
 * `not_followed_by` with `lookback` (an accident report, then a casualty signal): the latest B per
 * scope is remembered, and an A up to `lookback` after it is already answered.
 */
export class CorrelationEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[];
  readonly acceptsLate = false;
  private readonly instances = new Map<string, Instance>();
  /** not_followed_by with `clear`: the last B per scope that found no episode open */
  private readonly lastB = new Map<string, number>();
  private readonly isA: Predicate;
  private readonly isB: Predicate;
  private readonly isClear: Predicate | undefined;
  /** event types of A: a `clear` of another type (a power-off after readings) has no member identity */
  private readonly aTypes: ReadonlySet<string>;
  private readonly emitter: Emitter;
  private readonly timers = new TimerQueue();
  private readonly due: { due: number; key: string }[] = [];
  /** state is keyed by the scope part (rule id left out); `fields` scopes share the per-event cache */
  private readonly keys: SubjectKeys;
  /** not_followed_by with `clear` or `lookback`: a B that found no instance open is remembered per scope */
  private readonly remembersB: boolean;
  /** how long a remembered B is kept: its window or lookback, plus LATE_B_MS for an A that arrives late */
  private readonly keepB: number;

  readonly rule: CorrelationRule;
  constructor(
    rule: CorrelationRule,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.matchers = [...rule.a, ...rule.b, ...(rule.clear ?? [])];
    this.isA = compileAnyOf(rule.a);
    this.isB = compileAnyOf(rule.b);
    this.isClear = rule.clear ? compileAnyOf(rule.clear) : undefined;
    this.aTypes = new Set(rule.a.map((m) => m.type));
    this.emitter = new Emitter(rule, env);
    this.remembersB = rule.mode === 'not_followed_by' && (rule.clear !== undefined || rule.lookback !== undefined);
    this.keepB = Math.max(rule.window, rule.lookback ?? 0) + LATE_B_MS;
    // a `fields` scope key has always carried a doubled separator after the rule id: kept, since alert fingerprints derive from it
    this.keys = rule.scope.kind === 'fields' ? new SubjectKeys(rule.id + '\u001f', rule.scope.fields, true) : new SubjectKeys(rule.id, []);
  }

  private scopeKey(ctx: EvalContext, e: Record<string, unknown>): string | undefined {
    switch (this.rule.scope.kind) {
      case 'site':
        return typeof e.siteId === 'string' ? '\u001f' + e.siteId : undefined;
      case 'area':
        return typeof e.siteId === 'string' && ctx.areaId !== undefined ? '\u001f' + e.siteId + '\u001f' + ctx.areaId : undefined;
      case 'town':
        return ctx.town !== undefined ? '\u001f' + ctx.town : undefined;
      case 'fields':
        return this.keys.part(e);
    }
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    const a = this.isA(e);
    const b = this.isB(e);
    const clear = this.isClear ? this.isClear(e) : false;
    if (!a && !b && !clear) return;
    // Without an open instance an event that is not A changes nothing (except a B remembered for
    // episodes): skip building its scope key — most readings are a normal B or clear of no episode.
    if (!a && this.instances.size === 0 && !(b && this.remembersB)) return;
    const key = this.scopeKey(ctx, e);
    if (key === undefined) return;
    const t = ctx.time;
    const inst = this.instances.get(key);
    if (this.rule.mode === 'not_followed_by') {
      this.notFollowedBy(ctx, e, key, inst, a, b, clear, out);
      return;
    }
    if (this.isClear !== undefined) {
      this.followedByEpisode(ctx, e, key, inst, a, b, clear, out);
      return;
    }
    // followed_by: remember the latest A; a B within the window fires; `clear` resolves
    if (clear && inst?.firing) {
      this.instances.delete(key);
      this.emit(out, 'resolve', key, inst, t, infoOf(ctx));
      return;
    }
    if (a && !inst?.firing) {
      const severity = this.emitter.severityFor(e);
      if (severity) this.instances.set(key, { aAt: t, info: infoOf(ctx), severity, firing: false });
      this.timers.push(t + this.rule.window, key);
    }
    const cur = this.instances.get(key);
    if (b && cur && !cur.firing && t - cur.aAt <= this.rule.window && t >= cur.aAt) {
      cur.firing = true;
      cur.info = infoOf(ctx);
      this.emit(out, 'fire', key, cur, t);
    }
  }

  /**
   * followedByEpisode: `followed_by` with `clear`. A is a state that lasts while its subjects keep
   * reporting it (methane at or above the restore value): each A refreshes the episode and joins
   * its subject; the episode lapses `window` after the last A. A B inside the episode fires, with
   * the A's subject and value (the sensor that still reads high, not the power event). A `clear`
   * from a member ends that member (all gone: the episode ends and a firing alert resolves); a
   * `clear` of another event type than A's (a power-off) resolves a firing alert but keeps the episode,
   * so a second B while A holds fires again.
   */
  private followedByEpisode(ctx: EvalContext, e: Record<string, unknown>, key: string, inst: Instance | undefined, a: boolean, b: boolean, clear: boolean, out: AlertTransition[]): void {
    const t = ctx.time;
    if (clear && inst) {
      const id = this.aTypes.has(e.type as string) ? identityOf(e) : undefined;
      if (id === undefined) {
        if (inst.firing) {
          inst.firing = false;
          this.emit(out, 'resolve', key, inst, t, infoOf(ctx));
        }
        return;
      }
      if (!inst.members?.delete(id)) return; // a neighbour's normal reading: not this episode's end
      if (inst.members.size > 0) return;
      this.instances.delete(key);
      if (inst.firing) this.emit(out, 'resolve', key, inst, t, infoOf(ctx));
      return;
    }
    if (a) {
      const id = identityOf(e);
      if (inst) {
        if (id !== undefined) inst.members?.add(id);
        if (!inst.firing) {
          inst.aAt = t;
          inst.info = infoOf(ctx);
          this.timers.push(t + this.rule.window, key);
        }
        return;
      }
      const severity = this.emitter.severityFor(e);
      if (!severity) return;
      this.instances.set(key, { aAt: t, info: infoOf(ctx), severity, firing: false, members: new Set(id !== undefined ? [id] : []), ...(ctx.specialPeriod ? { specialPeriod: ctx.specialPeriod } : {}) });
      this.timers.push(t + this.rule.window, key);
      return;
    }
    if (b && inst && !inst.firing && t >= inst.aAt && t - inst.aAt <= this.rule.window) {
      inst.firing = true;
      this.emit(out, 'fire', key, inst, t);
    }
  }

  private notFollowedBy(ctx: EvalContext, e: Record<string, unknown>, key: string, inst: Instance | undefined, a: boolean, b: boolean, clear: boolean, out: AlertTransition[]): void {
    const t = ctx.time;
    const episodes = this.isClear !== undefined;
    const lookback = this.rule.lookback;
    if (b) {
      // lookback: every B is remembered (the latest), so an A after it — or a second A after the
      // B resolved the first — finds it
      if (lookback !== undefined && !((this.lastB.get(key) ?? -Infinity) > t)) this.lastB.set(key, t);
      if (!inst) {
        if (episodes) this.lastB.set(key, t);
        return;
      }
      // a B past the window whose timer has not run yet (the clock is the watermark, event time
      // minus lateness): the window passed without B, so the alert fires at its end and resolves now
      if (!inst.firing && !inst.satisfied && t > inst.aAt + this.rule.window) {
        inst.firing = true;
        this.emit(out, 'fire', key, inst, inst.aAt + this.rule.window);
      }
      if (inst.firing) this.emit(out, 'resolve', key, inst, t, infoOf(ctx));
      if (episodes) {
        inst.firing = false;
        inst.satisfied = true;
      } else this.instances.delete(key);
      return;
    }
    if (clear && inst) {
      const id = identityOf(e);
      const members = inst.members;
      if (id !== undefined && members && members.size > 0) {
        if (!members.delete(id)) return; // a neighbour's normal reading: not this episode's end
        if (members.size > 0) return; // another subject still holds A
      }
      this.instances.delete(key);
      if (inst.firing) this.emit(out, 'resolve', key, inst, t, infoOf(ctx));
      return;
    }
    if (!a) return;
    const id = episodes ? identityOf(e) : undefined;
    if (inst) {
      if (id !== undefined) inst.members?.add(id);
      return;
    }
    const severity = this.emitter.severityFor(e);
    if (!severity) return;
    const bAt = this.lastB.get(key);
    if (lookback !== undefined) {
      // the B came first (up to `lookback` before A), or was read first though stamped up to `window` after it
      if (bAt !== undefined && t - bAt <= lookback && bAt - t <= this.rule.window) return;
      this.instances.set(key, { aAt: t, info: infoOf(ctx), severity, firing: false, ...(ctx.specialPeriod ? { specialPeriod: ctx.specialPeriod } : {}) });
      this.timers.push(t + this.rule.window, key);
      return;
    }
    // event time, either side: a B stamped before A (the power-off may be stamped before the reading
    // that caused it) or after it but read first (records of one site reach the owner out of order
    // when a producer's partitioner or a takeover delays one of them)
    const satisfied = bAt !== undefined && Math.abs(t - bAt) <= this.rule.window;
    this.lastB.delete(key);
    this.instances.set(key, {
      aAt: t,
      info: infoOf(ctx),
      severity,
      firing: false,
      ...(ctx.specialPeriod ? { specialPeriod: ctx.specialPeriod } : {}),
      ...(episodes ? { satisfied, members: new Set(id !== undefined ? [id] : []) } : {}),
    });
    if (!satisfied) this.timers.push(t + this.rule.window, key);
  }

  advance(now: number, out: AlertTransition[]): void {
    // a B is kept past its window by LATE_B_MS, for an A that arrives late (a takeover, a slow partition)
    if (this.lastB.size > 0) for (const [k, at] of this.lastB) if (at < now - this.keepB) this.lastB.delete(k);
    this.due.length = 0;
    this.timers.popDue(now, this.due);
    for (const { key, due } of this.due) {
      const inst = this.instances.get(key);
      if (!inst || inst.firing || inst.satisfied || inst.aAt + this.rule.window !== due) continue;
      if (this.rule.mode === 'not_followed_by') {
        inst.firing = true;
        this.emit(out, 'fire', key, inst, due);
      } else this.instances.delete(key); // followed_by: A expired without B
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', key: string, inst: Instance, at: number, info?: SubjectInfo): void {
    const e = inst.info.event;
    this.emitter.push(out, action, this.keys.full(key), info ?? inst.info, {
      severity: inst.severity,
      at,
      ...(typeof e.value === 'number' ? { value: e.value } : {}),
      // the unit of A's value (a methane reading in %), for texts that quote it
      ...(typeof e.value === 'number' && typeof e.unit === 'string' ? { labels: { unit: e.unit } } : {}),
      evidenceTs: action === 'fire' ? inst.aAt : at,
      vars: { windowSec: Math.round(this.rule.window / 1000), aAt: inst.aAt },
      ...(inst.specialPeriod ? { specialPeriod: inst.specialPeriod } : {}),
    });
  }

  seed(subjectKey: string, severity: Severity): void {
    this.instances.set(this.keys.partOf(subjectKey), { aAt: 0, info: { topic: '', event: {} }, severity, firing: true });
  }

  forget(subjectKey: string): void {
    this.instances.delete(this.keys.partOf(subjectKey));
  }

  /**
   * evict drops a `fields` or `site` scope keyed by the subject (area and town scopes are not per
   * subject) once it is settled; one firing (its alert stays open until B, `clear` or an operator)
   * or still inside its window (a calibration longer than the idle time must still fire) is kept.
   */
  evict(field: SubjectField, info: SubjectInfo, at: number): void {
    const scope = this.rule.scope;
    const e = info.event;
    let key: string | undefined;
    if (scope.kind === 'fields' && scope.fields.includes(field)) key = this.keys.part(e);
    else if (scope.kind === 'site' && field === 'siteId' && typeof e.siteId === 'string') key = '\u001f' + e.siteId;
    if (key === undefined) return;
    this.lastB.delete(key);
    const inst = this.instances.get(key);
    if (inst && !inst.firing && (inst.satisfied === true || inst.aAt + this.rule.window <= at)) this.instances.delete(key);
  }

  size(): number {
    return this.instances.size + this.lastB.size;
  }
}
