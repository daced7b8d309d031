import { BUNDLED } from '../config/paths.ts';
import { checkRulePack, formatRuleError } from '../rules/pack.ts';

/**
 * runRulesCheck: `riskstream rules check [DIR]` prints `file:line:column: path: message` per problem
 * (the rule schema, and event fields and template placeholders the rule's events do not have); 0 valid, 2 invalid.
 */
export function runRulesCheck(dirArg: string | undefined): number {
  const dir = dirArg ?? BUNDLED.rules;
  const r = checkRulePack(dir);
  if (!r.ok) {
    for (const e of r.errors) process.stderr.write(formatRuleError(e) + '\n');
    process.stderr.write(`${r.errors.length} problem(s) in ${dir}\n`);
    return 2;
  }
  process.stdout.write(`${r.rules.length} rules in ${r.files.length} files: ok\n`);
  return 0;
}
