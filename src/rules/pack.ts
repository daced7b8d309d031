import { basename } from 'node:path';
import { Rule, RuleFile } from '../contracts/rules.ts';
import { TOPIC_TYPES } from '../contracts/events.ts';
import { issuesToDetails, listYamlFiles, readYaml } from '../config/yaml.ts';
import { AppError, type ErrorDetail } from '../errors.ts';

/** RulePackResult: the valid rules, or every problem found, each naming file and path. */
export type RulePackResult = { ok: true; rules: Rule[]; files: string[] } | { ok: false; errors: ErrorDetail[] };

/** checkRulePack validates every YAML file of a rule directory without throwing. */
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
    let raw: unknown;
    try {
      raw = readYaml(file, 'RULES_INVALID');
    } catch (err) {
      errors.push(...(err instanceof AppError ? err.details : [{ file, path: '(file)', message: String(err) }]));
      continue;
    }
    const top = RuleFile.safeParse(raw);
    if (!top.success) {
      errors.push(...issuesToDetails(top.error.issues, file));
      continue;
    }
    top.data.rules.forEach((r, i) => {
      const parsed = Rule.safeParse(r);
      if (!parsed.success) {
        errors.push(...issuesToDetails(parsed.error.issues, file, ['rules', i]));
        return;
      }
      const prev = seen.get(parsed.data.id);
      if (prev) {
        errors.push({ file, path: `rules.${i}.id`, message: `duplicate rule id "${parsed.data.id}" (also in ${basename(prev)})` });
        return;
      }
      seen.set(parsed.data.id, file);
      rules.push(parsed.data);
    });
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

/** formatRuleError renders one problem as `file: path: message`. */
export function formatRuleError(e: ErrorDetail): string {
  return `${e.file ?? '?'}: ${e.path}: ${e.message}`;
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
