import type { Logger } from 'pino';
import { keyOf, type Event } from '../contracts/events.ts';
import { Config } from '../contracts/config.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { limitTransition } from '../alerts/limits.ts';
import { ContextState, type WarningChange } from '../enrich/context.ts';
import { enrichInto, type EnrichFlags } from '../enrich/enrich.ts';
import type { ReferenceData } from '../enrich/reference.ts';
import { SubjectRegistry, type LimitListener, type Refusal } from './subjects.ts';
import type { Rule } from '../contracts/rules.ts';
import type { Severity } from '../domain/severity.ts';
import { severityRank } from '../domain/severity.ts';
import { RuleEngine } from './engine.ts';

/** OpenAlertsAtSite: the severities of open alerts at a site, by domain (from the alert book); drills are marked by a `drill` label. */
export type OpenAlertsAtSite = (siteId: string) => Iterable<{ severity: Severity; domain: string; labels?: Record<string, string> }>;

/** StepResult: what one event did; `refused`: not evaluated (a new subject at a site at limits.subjectsPerSite, see Stepper.refusal). */
export interface StepResult {
  late: boolean;
  unknownSite: boolean;
  refused: boolean;
}

/** StepperLimits: the bounds the stepper keeps (config `limits`; defaults as there). */
export type StepperLimits = Pick<Config['limits'], 'subjectsPerSite' | 'subjectIdle' | 'warnings'> & Partial<Pick<Config['limits'], 'recordsPerSite'>>;

/** StepperOptions: lateness (ms), bounds, and who hears of bounds reached and subjects evicted. */
export interface StepperOptions {
  lateness?: number;
  /** live mode: the wall clock; the watermark never runs ahead of it (see RuleEngine) */
  now?: () => number;
  limits?: Partial<StepperLimits>;
  /** a bound was reached, or held an item back (riskstream_limit_*_total) */
  onLimit?: LimitListener;
  /** a tick evicted idle subjects (e.g. to refresh the rule-state gauge) */
  onEvicted?: (n: number) => void;
  logger?: Pick<Logger, 'info'>;
}

const DEFAULT_LIMITS: StepperLimits = Config.parse({}).limits;

const NO_CHANGES: WarningChange[] = [];

/** STEP_RESULTS: the four possible results, shared and frozen (no allocation per event); index late·2 + unknownSite. */
const STEP_RESULTS: readonly StepResult[] = [
  Object.freeze({ late: false, unknownSite: false, refused: false }),
  Object.freeze({ late: false, unknownSite: true, refused: false }),
  Object.freeze({ late: true, unknownSite: false, refused: false }),
  Object.freeze({ late: true, unknownSite: true, refused: false }),
];
/** REFUSED: the result of an event that was not evaluated */
const REFUSED: StepResult = Object.freeze({ late: false, unknownSite: false, refused: true });

/**
 * Stepper runs enrich → evaluate for one event at a time and fires timers as the clock advances;
 * the live pipeline and the backtest share it, so both decide the same way.
 */
export class Stepper {
  readonly context: ContextState;
  readonly engine: RuleEngine;
  /** the subjects rules keep state about, bounded per site */
  readonly subjects: SubjectRegistry;
  /** enrich's flags, reused for every event (no allocation per event) */
  private readonly flags: EnrichFlags = { changes: NO_CHANGES, unknownSite: false };
  private readonly opts: StepperOptions;
  /** refused warnings already counted into onLimit */
  private warningsCounted = 0;

  readonly reference: ReferenceData;
  constructor(
    reference: ReferenceData,
    rules: readonly Rule[],
    openAt: OpenAlertsAtSite,
    opts: StepperOptions = {},
  ) {
    this.reference = reference;
    this.opts = opts;
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.context = new ContextState(reference, { maxWarnings: limits.warnings });
    const env = {
      reference,
      context: this.context,
      siteAlertSeverity(siteId: string, domains?: readonly string[]): Severity | undefined {
        let worst: Severity | undefined;
        for (const a of openAt(siteId)) {
          if (domains && !domains.includes(a.domain)) continue;
          if (a.labels?.drill !== undefined) continue; // an exercise or test warning is never a real red alert
          if (worst === undefined || severityRank(a.severity) > severityRank(worst)) worst = a.severity;
        }
        return worst;
      },
    };
    this.engine = new RuleEngine(rules, env, { ...(opts.lateness !== undefined ? { lateness: opts.lateness } : {}), ...(opts.now ? { now: opts.now } : {}) });
    const engine = this.engine;
    this.subjects = new SubjectRegistry(reference, limits, (field, info, at, out) => engine.evict(field, info, at, out), opts.onLimit);
    engine.seedHook = (ruleId, subjectKey, fields) => {
      if (ruleId === 'system.limit.warnings') this.context.warningLimit.open = true;
      else this.subjects.seed(ruleId, subjectKey, fields);
    };
  }

  /** event enriches and evaluates one event, appending transitions to `out`; a refused event is neither (see refusal). */
  event(topic: string, event: Event, out: AlertTransition[]): StepResult {
    if (!this.subjects.admit(topic, event, out)) return REFUSED;
    const flags = this.flags;
    const ctx = enrichInto(this.reference, this.context, topic, event, keyOf(event), flags);
    const late = this.engine.evaluate(ctx, out);
    const { changes, unknownSite } = flags;
    flags.changes = NO_CHANGES; // hold no warning change past the event
    if (changes.length > 0) this.engine.onWarnings(changes, ctx.time, out);
    if (event.type === 'weather.warning') this.warningLimit(ctx.time, out);
    return STEP_RESULTS[(late ? 2 : 0) + (unknownSite ? 1 : 0)]!;
  }

  /** refusal says why `event` returned `refused` (code SUBJECT_LIMIT). */
  refusal(event: Event): Refusal {
    return this.subjects.refusal(event);
  }

  /** tick moves the clock to `now`: warnings expire, idle subjects are evicted and due timers fire. */
  tick(now: number, out: AlertTransition[]): void {
    const expired = this.context.expire(now);
    if (expired.length > 0) this.engine.onWarnings(expired, now, out);
    this.warningLimit(now, out);
    this.context.sweep(now);
    const evicted = this.subjects.sweep(now, out);
    if (evicted > 0) {
      this.opts.logger?.info({ evicted, subjects: this.subjects.size, evictedTotal: this.subjects.evicted }, 'idle subjects outside the reference data evicted from rule state');
      this.opts.onEvicted?.(evicted);
    }
    this.engine.advance(now, out);
  }

  /** warningLimit raises or resolves the system alert of limits.warnings and counts refused warnings. */
  private warningLimit(at: number, out: AlertTransition[]): void {
    const l = this.context.warningLimit;
    this.context.settleWarningLimit();
    for (; this.warningsCounted < l.refusedTotal; this.warningsCounted++) this.opts.onLimit?.('warnings', 'overflow');
    if (l.pending === undefined) return;
    if (l.pending === 'fire') this.opts.onLimit?.('warnings', 'reached');
    out.push(limitTransition(l.pending, 'warnings', l.cap, {}, l.refused, at));
    l.pending = undefined;
  }

  /** watermark: max event time − lateness. */
  watermark(): number {
    return this.engine.watermark();
  }
}
