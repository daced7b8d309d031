import type { FlatlineRule, Matcher, PeerRule, RateRule } from '../../contracts/rules.ts';
import { compileWhere, compileWhereExcept, type Predicate } from '../match.ts';
import { Emitter, SubjectKeys, type EngineEnv } from '../evaluator.ts';

type SubjectRule = FlatlineRule | RateRule | PeerRule;

/**
 * SubjectRuleBase: what every single-matcher kind keyed by subject shares — its matcher, the
 * compiled `where` (narrowed to the fields the index did not check), the emitter and the
 * subject keys (state is keyed by the subject part, the rule id left out).
 */
export abstract class SubjectRuleBase<R extends SubjectRule> {
  readonly matchers: readonly Matcher[];
  protected where: Predicate;
  protected readonly emitter: Emitter;
  protected readonly keys: SubjectKeys;

  readonly rule: R;
  constructor(
    rule: R,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.matchers = [rule.match];
    this.where = compileWhere(rule.match.where);
    this.emitter = new Emitter(rule, env);
    this.keys = new SubjectKeys(rule.id, rule.subject);
  }

  /** narrow drops the conditions the rule index already checked. */
  narrow(fields: readonly string[]): void {
    this.where = compileWhereExcept(this.rule.match.where, fields);
  }
}
