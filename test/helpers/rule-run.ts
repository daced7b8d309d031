import { AlertBook } from '../../src/alerts/book.ts';
import { Event, TOPIC_TYPES } from '../../src/contracts/events.ts';
import type { Rule } from '../../src/contracts/rules.ts';
import type { AlertTransition } from '../../src/domain/transition.ts';
import type { ReferenceData } from '../../src/enrich/reference.ts';
import { Stepper } from '../../src/rules/stepper.ts';

// Rule tests drive raw producer JSON and clock ticks through a Stepper with an alert book, as the
// backtest does: one harness for every rule test file.

/** Raw: an event as a producer sends it (ISO strings become ms through Event.parse). */
export type Raw = Record<string, unknown>;
/** Step: an event, or the clock moving to an instant. */
export type Step = Raw | { tick: string };
export const tick = (at: string): Step => ({ tick: at });

/** TOPIC_OF: the input topic of each event type. */
export const TOPIC_OF = new Map(Object.entries(TOPIC_TYPES).flatMap(([topic, types]) => types.map((t) => [t as string, topic] as const)));

/** RuleRun: one stepper with its alert book; every transition is applied to the book and logged. */
export class RuleRun {
  readonly book = new AlertBook();
  readonly stepper: Stepper;
  readonly log: AlertTransition[] = [];

  constructor(reference: ReferenceData, rules: readonly Rule[]) {
    this.stepper = new Stepper(reference, rules, (siteId) => this.book.openAlerts().filter((a) => a.siteId === siteId));
  }

  step(s: Step): AlertTransition[] {
    const out: AlertTransition[] = [];
    if ('tick' in s && typeof s.tick === 'string') this.stepper.tick(Date.parse(s.tick), out);
    else {
      const e = Event.parse(s);
      this.stepper.event(TOPIC_OF.get(e.type)!, e, out);
    }
    this.book.apply(out);
    this.log.push(...out);
    return out;
  }

  steps(list: readonly Step[]): this {
    for (const s of list) this.step(s);
    return this;
  }
}
