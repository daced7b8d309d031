import type { Event } from '../contracts/events.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { ContextState, type WarningChange } from '../enrich/context.ts';
import { enrichInto, keyOf, type EnrichFlags } from '../enrich/enrich.ts';
import type { ReferenceData } from '../enrich/reference.ts';
import type { Rule } from '../contracts/rules.ts';
import type { Severity } from '../domain/severity.ts';
import { severityRank } from '../domain/severity.ts';
import { RuleEngine } from './engine.ts';

/** OpenAlertsAtSite: the severities of open alerts at a site, by domain (from the alert book); drills are marked by a `drill` label. */
export type OpenAlertsAtSite = (siteId: string) => Iterable<{ severity: Severity; domain: string; labels?: Record<string, string> }>;

/** StepResult: what one event did. */
export interface StepResult {
  late: boolean;
  unknownSite: boolean;
}

const NO_CHANGES: WarningChange[] = [];

/** STEP_RESULTS: the four possible results, shared and frozen (no allocation per event); index late·2 + unknownSite. */
const STEP_RESULTS: readonly StepResult[] = [
  Object.freeze({ late: false, unknownSite: false }),
  Object.freeze({ late: false, unknownSite: true }),
  Object.freeze({ late: true, unknownSite: false }),
  Object.freeze({ late: true, unknownSite: true }),
];

/**
 * Stepper runs enrich → evaluate for one event at a time and fires timers as the clock advances;
 * the live pipeline and the backtest share it, so both decide the same way.
 */
export class Stepper {
  readonly context: ContextState;
  readonly engine: RuleEngine;
  /** enrich's flags, reused for every event (no allocation per event) */
  private readonly flags: EnrichFlags = { changes: NO_CHANGES, unknownSite: false };

  constructor(
    readonly reference: ReferenceData,
    rules: readonly Rule[],
    openAt: OpenAlertsAtSite,
    opts: { lateness?: number } = {},
  ) {
    this.context = new ContextState(reference);
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
    this.engine = new RuleEngine(rules, env, opts);
  }

  /** event enriches and evaluates one event, appending transitions to `out`. */
  event(topic: string, event: Event, out: AlertTransition[]): StepResult {
    const flags = this.flags;
    const ctx = enrichInto(this.reference, this.context, topic, event, keyOf(event), flags);
    const late = this.engine.evaluate(ctx, out);
    const { changes, unknownSite } = flags;
    flags.changes = NO_CHANGES; // hold no warning change past the event
    if (changes.length > 0) this.engine.onWarnings(changes, ctx.time, out);
    return STEP_RESULTS[(late ? 2 : 0) + (unknownSite ? 1 : 0)]!;
  }

  /** tick moves the clock to `now`: warnings expire and due timers fire. */
  tick(now: number, out: AlertTransition[]): void {
    const expired = this.context.expire(now);
    if (expired.length > 0) this.engine.onWarnings(expired, now, out);
    this.context.sweep(now);
    this.engine.advance(now, out);
  }

  /** watermark: max event time − lateness. */
  watermark(): number {
    return this.engine.watermark();
  }
}
