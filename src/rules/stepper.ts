import type { Event } from '../contracts/events.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { ContextState } from '../enrich/context.ts';
import { enrich, keyOf } from '../enrich/enrich.ts';
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

/**
 * Stepper runs enrich → evaluate for one event at a time and fires timers as the clock advances;
 * the live pipeline and the backtest share it, so both decide the same way.
 */
export class Stepper {
  readonly context: ContextState;
  readonly engine: RuleEngine;

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
    const { ctx, changes, unknownSite } = enrich(this.reference, this.context, topic, event, keyOf(event));
    const late = this.engine.evaluate(ctx, out);
    if (changes.length > 0) this.engine.onWarnings(changes, ctx.time, out);
    return { late, unknownSite };
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
