import type { FieldCondition, Matcher } from '../contracts/rules.ts';

/** Predicate over an event's fields. */
export type Predicate = (e: Record<string, unknown>) => boolean;

/** compileCondition turns one `where` condition into a predicate on a field. */
function compileCondition(field: string, cond: FieldCondition): Predicate {
  if (Array.isArray(cond)) {
    const set = new Set<unknown>(cond);
    return (e) => set.has(e[field]);
  }
  if (typeof cond === 'object' && cond !== null && 'notIn' in cond) {
    const set = new Set<unknown>(cond.notIn);
    return (e) => !set.has(e[field]);
  }
  if (typeof cond === 'object' && cond !== null) return compileRange(field, cond);
  return (e) => e[field] === cond;
}

/** compileRange: a numeric range; the common one-bound case gets its own predicate (hot path). */
function compileRange(field: string, cond: { gt?: number; gte?: number; lt?: number; lte?: number }): Predicate {
  const { gt, gte, lt, lte } = cond;
  const bounds = Number(gt !== undefined) + Number(gte !== undefined) + Number(lt !== undefined) + Number(lte !== undefined);
  if (bounds === 1) {
    if (gt !== undefined) return (e) => numberOf(e[field]) > gt;
    if (gte !== undefined) return (e) => numberOf(e[field]) >= gte;
    if (lt !== undefined) return (e) => numberOf(e[field]) < lt;
    if (lte !== undefined) return (e) => numberOf(e[field]) <= lte;
  }
  return (e) => {
    const v = e[field];
    if (typeof v !== 'number') return false;
    return (gt === undefined || v > gt) && (gte === undefined || v >= gte) && (lt === undefined || v < lt) && (lte === undefined || v <= lte);
  };
}

/** numberOf: the value if it is a number, else NaN (every comparison with NaN is false: no match). */
function numberOf(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}

/** compileWhere combines all conditions of a rule's `where` into one predicate (fields absent → no match). */
export function compileWhere(where: Record<string, FieldCondition>): Predicate {
  // cheapest first (a number compared, a value compared, a set looked up): the conditions are
  // pure, so their order changes only how soon a non-matching event is turned away
  const conds = Object.entries(where).map(([f, c], i) => ({ f, c, i, cost: costOf(c) }));
  conds.sort((a, b) => a.cost - b.cost || a.i - b.i);
  const preds = conds.map(({ f, c }) => compileCondition(f, c));
  if (preds.length === 0) return () => true;
  if (preds.length === 1) return preds[0] as Predicate;
  // two or three conditions (most rules) without the loop over an array of closures
  if (preds.length === 2) {
    const [p0, p1] = preds as [Predicate, Predicate];
    return (e) => p0(e) && p1(e);
  }
  if (preds.length === 3) {
    const [p0, p1, p2] = preds as [Predicate, Predicate, Predicate];
    return (e) => p0(e) && p1(e) && p2(e);
  }
  return (e) => {
    for (let i = 0; i < preds.length; i++) if (!(preds[i] as Predicate)(e)) return false;
    return true;
  };
}

/** costOf ranks a condition by the work of checking it: range 0, single value 1, set 2, `notIn` 3. */
function costOf(cond: FieldCondition): number {
  if (Array.isArray(cond)) return 2;
  if (typeof cond === 'object' && cond !== null) return 'notIn' in cond ? 3 : 0;
  return 1;
}

/** compileWhereExcept: compileWhere without the conditions on `fields` (ones the rule index has already checked). */
export function compileWhereExcept(where: Record<string, FieldCondition>, fields: readonly string[]): Predicate {
  if (fields.length === 0) return compileWhere(where);
  const rest: Record<string, FieldCondition> = {};
  for (const [f, c] of Object.entries(where)) if (!fields.includes(f)) rest[f] = c;
  return compileWhere(rest);
}

/** valuesOf lists the scalar values a condition accepts, or undefined when it is a range. */
export function valuesOf(cond: FieldCondition | undefined): unknown[] | undefined {
  if (cond === undefined) return undefined;
  if (Array.isArray(cond)) return cond;
  if (typeof cond === 'object' && cond !== null) return undefined;
  return [cond];
}

/** compileAnyOf: true when an event matches one of the matchers (type and `where`); a plain loop, no closure per event. */
export function compileAnyOf(ms: readonly Matcher[]): Predicate {
  const types = ms.map((m) => m.type);
  const preds = ms.map((m) => compileWhere(m.where));
  if (ms.length === 1) {
    const [t0, p0] = [types[0]!, preds[0]!];
    return (e) => e.type === t0 && p0(e);
  }
  return (e) => {
    const type = e.type;
    for (let i = 0; i < types.length; i++) if (types[i] === type && preds[i]!(e)) return true;
    return false;
  };
}
