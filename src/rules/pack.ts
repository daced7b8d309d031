import { basename } from 'node:path';
import { Rule, RuleFile } from '../contracts/rules.ts';
import { TOPIC_TYPES } from '../contracts/events.ts';
import { listYamlFiles, placedDetails, readYamlDoc, type YamlDoc } from '../config/yaml.ts';
import { AppError, whereOf, type ErrorDetail } from '../errors.ts';
import { checkRuleFields } from './fields.ts';

/** RulePackResult: the valid rules, or every problem found, each naming file and path. */
export type RulePackResult = { ok: true; rules: Rule[]; files: string[] } | { ok: false; errors: ErrorDetail[] };

/**
 * checkRulePack validates every YAML file of a rule directory without throwing: the rule schema,
 * unique ids, and the event fields and template placeholders each rule names (rules/fields.ts).
 * Every problem names file, line, column and path.
 */
export function checkRulePack(dir: string): RulePackResult {
  const errors: ErrorDetail[] = [];
  const rules: Rule[] = [];
  let files: string[];
  try {
    files = listYamlFiles(dir);
  } catch (err) {
    return { ok: false, errors: [{ file: dir, path: '(dir)', message: (err as Error).message }] };
  }
  if (files.length === 0) errors.push({ file: dir, path: '(dir)', message: 'no .yaml rule files found' });
  const seen = new Map<string, string>();
  for (const file of files) {
    const before = errors.length;
    let doc: YamlDoc;
    try {
      doc = readYamlDoc(file, 'RULES_INVALID');
    } catch (err) {
      errors.push(...(err instanceof AppError ? err.details : [{ file, path: '(file)', message: String(err) }]));
      continue;
    }
    const top = RuleFile.safeParse(doc.value);
    if (!top.success) {
      errors.push(...placedDetails(top.error.issues, file, doc));
      continue;
    }
    top.data.rules.forEach((r, i) => {
      const parsed = Rule.safeParse(r);
      if (!parsed.success) {
        errors.push(...placedDetails(parsed.error.issues, file, doc, ['rules', i]));
        return;
      }
      const problems = checkRuleFields(parsed.data, r);
      if (problems.length > 0) {
        for (const p of problems) {
          const path = ['rules', i, ...p.path];
          const at = doc.locate(path, { ...(p.key ? { key: true } : {}), ...(p.text !== undefined ? { text: p.text } : {}) });
          errors.push({ file, path: path.join('.'), message: p.message, code: 'unknown_field', ...(at ? { line: at.line, column: at.column } : {}) });
        }
        return;
      }
      const prev = seen.get(parsed.data.id);
      if (prev) {
        const at = doc.locate(['rules', i, 'id']);
        errors.push({ file, path: `rules.${i}.id`, message: `duplicate rule id "${parsed.data.id}" (also in ${basename(prev)})`, ...(at ? { line: at.line, column: at.column } : {}) });
        return;
      }
      seen.set(parsed.data.id, file);
      rules.push(parsed.data);
    });
    // a file's problems in the order they are written
    const mine = errors.splice(before).sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    errors.push(...mine);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules, files };
}

/** loadRulePack validates a rule directory, throwing RULES_INVALID with every problem. */
export function loadRulePack(dir: string): Rule[] {
  const r = checkRulePack(dir);
  if (!r.ok) {
    throw new AppError('RULES_INVALID', `invalid rule pack: ${r.errors.map(formatRuleError).join('; ')}`, { details: r.errors });
  }
  return r.rules;
}

/** formatRuleError renders one problem as `file:line:column: path: message` (`file: path: message` when it has no place). */
export function formatRuleError(e: ErrorDetail): string {
  return `${whereOf({ ...e, file: e.file ?? '?' })}${e.path}: ${e.message}`;
}

const WINDOW_KEYS = new Set(['window', 'for', 'period', 'duration', 'lookback']);

/**
 * longestWindow: the longest time span a rule looks back over (window, for, period, duration, lookback), in
 * ms. Kafka mode replays this much of a newly assigned partition to rebuild window state.
 */
export function longestWindow(rules: readonly Rule[]): number {
  let max = 0;
  const walk = (v: unknown, key?: string): void => {
    if (typeof v === 'number' && key && WINDOW_KEYS.has(key)) max = Math.max(max, v);
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  for (const r of rules) walk(r);
  return max;
}

/**
 * warmupByTopic: per input topic, the longest window of the rules that read its events (a rule
 * whose event types cannot be told counts for every topic), capped at `cap`. A rebalance replays
 * a telemetry partition only as far as the telemetry rules look back (minutes), not as far as the
 * 30-day accident count on the small enforcement topic.
 */
export function warmupByTopic(rules: readonly Rule[], cap: number): Record<string, number> {
  const topicOfType = new Map<string, string>();
  for (const [topic, types] of Object.entries(TOPIC_TYPES)) for (const t of types) topicOfType.set(t, topic);
  const out: Record<string, number> = Object.fromEntries(Object.keys(TOPIC_TYPES).map((t) => [t, 0]));
  for (const r of rules) {
    const topics = new Set<string>();
    const walk = (v: unknown, key?: string): void => {
      if (typeof v === 'string' && key === 'type' && topicOfType.has(v)) topics.add(topicOfType.get(v)!);
      else if (Array.isArray(v)) for (const x of v) walk(x, key);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(r);
    const w = Math.min(cap, longestWindow([r]));
    for (const t of topics.size > 0 ? topics : Object.keys(out)) out[t] = Math.max(out[t] ?? 0, w);
  }
  return out;
}
