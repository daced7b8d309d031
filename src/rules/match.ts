import type { FieldCondition } from '../contracts/rules.ts';

/** Predicate over an event's fields. */
export type Predicate = (e: Record<string, unknown>) => boolean;

/** compileCondition turns one `where` condition into a predicate on a field. */
function compileCondition(field: string, cond: FieldCondition): Predicate {
  if (Array.isArray(cond)) {
    const set = new Set<unknown>(cond);
    return (e) => set.has(e[field]);
  }
  if (typeof cond === 'object' && cond !== null) {
    const { gt, gte, lt, lte } = cond;
    return (e) => {
      const v = e[field];
      if (typeof v !== 'number') return false;
      return (gt === undefined || v > gt) && (gte === undefined || v >= gte) && (lt === undefined || v < lt) && (lte === undefined || v <= lte);
    };
  }
  return (e) => e[field] === cond;
}

/** compileWhere combines all conditions of a rule's `where` into one predicate (fields absent → no match). */
export function compileWhere(where: Record<string, FieldCondition>): Predicate {
  const preds = Object.entries(where).map(([f, c]) => compileCondition(f, c));
  if (preds.length === 0) return () => true;
  if (preds.length === 1) return preds[0] as Predicate;
  return (e) => {
    for (let i = 0; i < preds.length; i++) if (!(preds[i] as Predicate)(e)) return false;
    return true;
  };
}

/** valuesOf lists the scalar values a condition accepts, or undefined when it is a range. */
export function valuesOf(cond: FieldCondition | undefined): unknown[] | undefined {
  if (cond === undefined) return undefined;
  if (Array.isArray(cond)) return cond;
  if (typeof cond === 'object' && cond !== null) return undefined;
  return [cond];
}
