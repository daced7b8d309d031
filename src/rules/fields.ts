import type { z } from 'zod';
import { EVENT_SCHEMAS } from '../contracts/events.ts';
import type { FieldCondition, Matcher, Rule } from '../contracts/rules.ts';
import { LABEL_FIELDS } from './evaluator.ts';

// Which event fields and template variables a rule may name. A name no event of the rule has makes
// a rule that never fires (a `where` or subject field) or a text with "—" in it (a placeholder):
// `riskstream rules check` and every rule load reject them. The event fields are read from the
// event contracts (src/contracts/events.ts) at run time, so a field or an event type added there
// is known here at once. Producers may send more than the contract says (looseObject), but a rule
// relying on such a field lists it under `extraFields`.

/** shapeKeys: the field names of an object schema (of each option of a union, of the input of a pipe). */
function shapeKeys(schema: z.core.$ZodType, out = new Set<string>()): Set<string> {
  const def = schema._zod.def as unknown as { type: string; shape?: Record<string, unknown>; options?: z.core.$ZodType[]; in?: z.core.$ZodType; innerType?: z.core.$ZodType };
  if (def.shape) for (const k of Object.keys(def.shape)) out.add(k);
  else if (def.options) for (const o of def.options) shapeKeys(o, out);
  else if (def.type === 'pipe' && def.in) shapeKeys(def.in, out);
  else if (def.innerType) shapeKeys(def.innerType, out);
  return out;
}

const FIELDS = new Map<string, ReadonlySet<string>>();

/** eventFields: the fields of an event type, from its contract schema. */
export function eventFields(type: string): ReadonlySet<string> {
  let f = FIELDS.get(type);
  if (!f) {
    const schema = (EVENT_SCHEMAS as Record<string, z.core.$ZodType>)[type];
    f = schema ? shapeKeys(schema) : new Set<string>();
    FIELDS.set(type, f);
  }
  return f;
}

/** fieldValues: the closed set of values an event type's field takes (an enum or literal of its contract), or undefined for an open field. */
export function fieldValues(type: string, field: string): readonly string[] | undefined {
  const schema = (EVENT_SCHEMAS as Record<string, z.core.$ZodType>)[type];
  const shape = (schema?._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> } | undefined)?.shape;
  let f = shape?.[field];
  while (f) {
    const def = f._zod.def as unknown as { type: string; entries?: Record<string, string>; values?: unknown[]; innerType?: z.core.$ZodType };
    if (def.type === 'enum' && def.entries) return Object.values(def.entries);
    if (def.type === 'literal' && def.values) return def.values.filter((v): v is string => typeof v === 'string');
    f = def.innerType;
  }
  return undefined;
}

/**
 * ENRICHED_VARS: what every alert's templates may name besides the event's fields (Emitter.push in
 * evaluator.ts): the level's threshold, the colour in Chinese, the sensor location in Chinese, the
 * site and town names, and the area found from the reference sensor.
 */
export const ENRICHED_VARS: readonly string[] = ['threshold', 'severityZh', 'locationZh', 'siteName', 'townName', 'areaId', 'workZh', 'metricZh', 'sourceZh', 'categoryZh', 'responseZh'];

/**
 * KIND_VARS: the template variables each rule kind adds (the `vars` of its emissions, and for the
 * impact kinds the fields of the alert's site-and-warning record, which has no event type). A kind
 * missing here has its placeholders left unchecked (test/unit/rules/fields.test.ts reads the kinds'
 * sources and fails until it is added).
 */
export const KIND_VARS: Readonly<Record<string, readonly string[]>> = {
  threshold: ['measured'],
  rate: ['delta', 'windowMin', 'gate', 'highest', 'lowest', 'posPct', 'negPct'],
  absence: ['periodSec', 'periodMin', 'lastSeen', 'silentSec'],
  flatline: ['sinceMin', 'anchor'],
  count: ['count', 'windowMin', 'windowDays'],
  correlation: ['windowSec', 'aAt'],
  deadline: ['due', 'overdueMin', 'startAt'],
  condition: [],
  warning_impact: ['siteId', 'warningId', 'event', 'headline', 'sender', 'warningEvent', 'level', 'levelZh', 'expires', 'siteKind', 'validZh'],
  nowcast_impact: ['siteId', 'cellId', 'dbz', 'hail', 'distanceKm', 'bearingZh', 'etaZh', 'lightning'],
  peer: ['peerMedian', 'peers'],
};

/**
 * LABEL_VARS: what a condition's requirements find is labelled and handed to its templates as they
 * are (src/rules/kinds/condition.ts: a special period, a permit's span, the warning an event lies in).
 */
export const LABEL_VARS: Readonly<Record<string, readonly string[]>> = {
  condition: ['specialPeriod', 'spanHours', 'allowedHours', 'warningId', 'warningEvent', 'supplierName', 'supplierId', 'load', 'loadZh', 'supplyZh'],
};

/** FieldProblem: a name a rule uses that its events do not have; `path` is inside the rule. */
export interface FieldProblem {
  path: (string | number)[];
  /** the problem is the key at `path` (a `where` field), not its value */
  key?: boolean;
  /** the placeholder as written, to point at it inside its template */
  text?: string;
  message: string;
}

const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9_]*)\}/g;

/** distance: Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

function suggest(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${best}?)` : '';
}

/** MatcherAt: a matcher and where it is written in the rule. */
interface MatcherAt {
  m: Matcher;
  path: (string | number)[];
}

/** matchersAt: a rule's matchers under `key` (`match`, `a`, `b`, `clear`), one or a list as written. */
function matchersAt(rule: Record<string, unknown>, raw: Record<string, unknown>, key: string): MatcherAt[] {
  const v = rule[key];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map((m: Matcher, j) => ({ m, path: Array.isArray(raw[key]) ? [key, j] : [key] }));
  return [{ m: v as Matcher, path: [key] }];
}

/**
 * checkRuleFields: the names a valid rule uses that its events do not have — `where` fields,
 * subject, scope and group fields, the other fields it reads — and the template placeholders its
 * alerts cannot fill. `raw` is the rule as written (for the paths of one-or-many matchers).
 */
export function checkRuleFields(rule: Rule, raw: unknown): FieldProblem[] {
  const r = rule as unknown as Record<string, unknown>;
  const w = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const extra = new Set(rule.extraFields ?? []);
  const problems: FieldProblem[] = [];
  const has = (type: string, f: string) => extra.has(f) || eventFields(type).has(f);
  const hint = ` (a field beyond the contract: list it under extraFields)`;

  const matchers = [...matchersAt(r, w, 'match'), ...matchersAt(r, w, 'a'), ...matchersAt(r, w, 'b'), ...matchersAt(r, w, 'clear')];
  const types = [...new Set(matchers.map((x) => x.m.type))];
  const typeList = types.join(', ');
  const fieldsOfAll = new Set<string>(types.flatMap((t) => [...eventFields(t)]));

  const whereKeys = (where: Record<string, FieldCondition> | undefined, path: (string | number)[], ts: string[]) => {
    for (const [f, cond] of Object.entries(where ?? {})) {
      const missing = ts.filter((t) => !has(t, f));
      if (missing.length === ts.length && ts.length > 0) {
        problems.push({ path: [...path, f], key: true, message: `unknown field "${f}": ${missing.join(', ')} has no such field${suggest(f, fieldsOfAll)}${hint}` });
        continue;
      }
      // a value outside a closed set (location, sensorType, quantity, …) is never matched
      const sets = ts.map((t) => fieldValues(t, f));
      if (sets.some((v) => v === undefined) || extra.has(f)) continue;
      const allowed = new Set(sets.flatMap((v) => v!));
      const values = Array.isArray(cond) ? cond : cond !== null && typeof cond === 'object' && 'notIn' in cond ? cond.notIn : typeof cond === 'object' ? [] : [cond];
      for (const v of values) {
        if (!allowed.has(v as string)) {
          problems.push({ path: [...path, f], message: `${JSON.stringify(v)} is not a value of ${f}${suggest(String(v), allowed)}; ${f} is one of ${[...allowed].join(', ')}` });
        }
      }
    }
  };
  /** every matched type must have the field (a key or scope built from it) */
  const fieldOfEach = (f: unknown, path: (string | number)[], ts: string[], what: string) => {
    if (typeof f !== 'string') return;
    const missing = ts.filter((t) => !has(t, f));
    if (missing.length > 0) problems.push({ path, message: `unknown ${what} field "${f}": ${missing.join(', ')} has no such field${suggest(f, missing.length === 1 ? eventFields(missing[0]!) : fieldsOfAll)}${hint}` });
  };
  /** at least one matched type must have the field */
  const fieldOfSome = (f: unknown, path: (string | number)[], what: string) => {
    if (typeof f !== 'string' || types.length === 0) return;
    if (!types.some((t) => has(t, f))) problems.push({ path, message: `unknown ${what} field "${f}": ${typeList} has no such field${suggest(f, fieldsOfAll)}${hint}` });
  };

  for (const { m, path } of matchers) whereKeys(m.where, [...path, 'where'], [m.type]);
  (r.subject as string[] | undefined)?.forEach((f, i) => fieldOfEach(f, ['subject', i], types, 'subject'));
  if (Array.isArray(r.scope)) r.scope.forEach((f, i) => fieldOfEach(f, ['scope', i], types, 'scope'));
  (r.group as string[] | undefined)?.forEach((f, i) => fieldOfEach(f, ['group', i], types, 'group'));
  (r.distinct as string[] | undefined)?.forEach((f, i) => fieldOfSome(f, ['distinct', i], 'distinct'));
  fieldOfSome(r.weight, ['weight'], 'weight');
  fieldOfEach((r.due as { field?: string } | undefined)?.field, ['due', 'field'], types, 'due');
  fieldOfSome(r.closedBy, ['closedBy'], 'closedBy');
  fieldOfSome(r.resolveAt, ['resolveAt'], 'resolveAt');
  whereKeys(r.closedWhen as Record<string, FieldCondition> | undefined, ['closedWhen'], types);
  whereKeys(r.resolveWhen as Record<string, FieldCondition> | undefined, ['resolveWhen'], types);
  (r.severities as { where?: Record<string, FieldCondition> }[] | undefined)?.forEach((s, i) => whereKeys(s.where, ['severities', i, 'where'], types));
  (r.require as { fromField?: string; toField?: string }[] | undefined)?.forEach((q, i) => {
    fieldOfSome(q.fromField, ['require', i, 'fromField'], 'fromField');
    fieldOfSome(q.toField, ['require', i, 'toField'], 'toField');
  });
  if (w.limitKey !== undefined) fieldOfEach(r.limitKey, ['limitKey'], types, 'limitKey');
  fieldOfEach((r.measure as { nominalField?: string } | undefined)?.nominalField, ['measure', 'nominalField'], types, 'nominalField');
  const scope = r.scope as { kind?: string; fields?: string[] } | undefined;
  if (scope && !Array.isArray(scope) && scope.kind === 'fields') scope.fields?.forEach((f, i) => fieldOfEach(f, ['scope', 'fields', i], types, 'scope'));

  // template placeholders: the event's fields, what every alert adds, what the kind adds
  const kindVars = KIND_VARS[rule.kind] === undefined ? undefined : [...KIND_VARS[rule.kind]!, ...(LABEL_VARS[rule.kind] ?? [])];
  if (kindVars !== undefined) {
    const known = new Set<string>([...fieldsOfAll, ...extra, ...ENRICHED_VARS, ...kindVars]);
    // an alert about a whole site (count scope, absence subject without a sensor or equipment) drops
    // the label fields of whichever event came last (scopedInfo in evaluator.ts)
    const keyFields = (rule.kind === 'count' ? r.scope : rule.kind === 'absence' ? r.subject : undefined) as string[] | undefined;
    const dropped = new Set<string>();
    if (keyFields && !keyFields.includes('sensorId') && !keyFields.includes('equipmentId')) {
      for (const f of LABEL_FIELDS) if (!keyFields.includes(f) && !extra.has(f)) dropped.add(f);
      if (dropped.has('location')) dropped.add('locationZh');
      if (!keyFields.includes('areaId')) dropped.add('areaId');
    }
    const checkTemplate = (text: unknown, path: (string | number)[]) => {
      if (typeof text !== 'string') return;
      for (const m of text.matchAll(PLACEHOLDER)) {
        const name = m[1]!;
        if (dropped.has(name)) {
          problems.push({ path, text: m[0], message: `placeholder {${name}} is never filled: the alert is about ${keyFields!.join(', ')}, not one event's ${name}` });
        } else if (!known.has(name)) {
          const about = types.length > 0 ? `${typeList} has no field ${name}` : `${rule.kind} alerts have no ${name}`;
          problems.push({ path, text: m[0], message: `unknown placeholder {${name}}: ${about}${suggest(name, known)}; known: ${[...known].sort().join(', ')}` });
        }
      }
    };
    checkTemplate(r.title, ['title']);
    checkTemplate(r.summary, ['summary']);
    (r.levels as { title?: string }[] | undefined)?.forEach((l, i) => checkTemplate(l.title, ['levels', i, 'title']));
  }
  // actions are shown as written: a placeholder in one would reach the screen and the text unfilled
  const noPlaceholder = (text: unknown, path: (string | number)[]) => {
    if (typeof text !== 'string') return;
    for (const m of text.matchAll(PLACEHOLDER)) problems.push({ path, text: m[0], message: `actions are not templates: ${m[0]} would be shown as written` });
  };
  (r.actions as string[] | undefined)?.forEach((a, i) => noPlaceholder(a, ['actions', i]));
  for (const [kind, list] of Object.entries((r.siteKinds as Record<string, string[]> | undefined) ?? {})) list.forEach((a, i) => noPlaceholder(a, ['siteKinds', kind, i]));
  return problems;
}
