import type { Rule } from '../contracts/rules.ts';
import type { AlertTransition } from '../domain/transition.ts';
import type { EvalContext } from './context.ts';
import { RuleIndex } from './index.ts';
import { ThresholdEvaluator } from './threshold.ts';

type Evaluator = ThresholdEvaluator;

/** RuleEngine evaluates enriched events against the indexed rule pack. */
export class RuleEngine {
  private evaluators: Evaluator[] = [];
  private index = new RuleIndex<{ match: Rule['match']; ev: Evaluator }>([]);

  constructor(rules: readonly Rule[]) {
    this.load(rules);
  }

  /** load replaces the rule set; evaluators of rules whose definition did not change keep their state. */
  load(rules: readonly Rule[]): void {
    const old = new Map(this.evaluators.map((e) => [e.rule.id, e]));
    this.evaluators = rules
      .filter((r) => r.enabled)
      .map((r) => {
        const prev = old.get(r.id);
        return prev && JSON.stringify(prev.rule) === JSON.stringify(r) ? prev : new ThresholdEvaluator(r);
      });
    this.index = new RuleIndex(this.evaluators.map((ev) => ({ match: ev.rule.match, ev })));
  }

  /** rules lists the active rules. */
  rules(): Rule[] {
    return this.evaluators.map((e) => e.rule);
  }

  /** evaluate runs the rules that can apply to one event and appends their transitions to `out`. */
  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const cands = this.index.candidates(ctx.event as never);
    for (let i = 0; i < cands.length; i++) cands[i]!.ev.evaluate(ctx, out);
  }

  /** seed restores evaluator state for an open alert recovered from the store. */
  seed(ruleId: string, subjectKey: string, severity: string): void {
    this.evaluators.find((e) => e.rule.id === ruleId)?.seed(subjectKey, severity);
  }

  /** forget drops a subject's state (after a manual resolve, so a persisting condition fires again). */
  forget(ruleId: string, subjectKey: string): void {
    this.evaluators.find((e) => e.rule.id === ruleId)?.states.delete(subjectKey);
  }

  /** stateSize counts subjects held in rule state (for /metrics). */
  stateSize(): number {
    let n = 0;
    for (const e of this.evaluators) n += e.states.size;
    return n;
  }
}
