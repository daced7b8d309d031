import type { EventType } from '../contracts/events.ts';
import { valuesOf } from './match.ts';

/** PRIMARY_FIELD: per event type, the field rules are indexed by (sensor type, quantity, metric). */
export const PRIMARY_FIELD: Partial<Record<EventType, string>> = {
  'mine.reading': 'sensorType',
  'grid.reading': 'quantity',
  'grid.event': 'event',
  'site.reading': 'metric',
  'weather.warning': 'event',
};

interface Indexable {
  match: { type: string; where: Record<string, unknown> };
}

/** RuleIndex finds, for an event, only the rules that can apply to it (by type and primary field). */
export class RuleIndex<R extends Indexable> {
  // `pf`: the type's primary field, looked up once here rather than per event by type name
  private readonly byType = new Map<string, { pf: string | undefined; byValue: Map<unknown, R[]>; any: R[] }>();

  constructor(rules: readonly R[]) {
    for (const r of rules) {
      const pf = PRIMARY_FIELD[r.match.type as EventType];
      let t = this.byType.get(r.match.type);
      if (!t) this.byType.set(r.match.type, (t = { pf, byValue: new Map(), any: [] }));
      const values = pf ? valuesOf(r.match.where[pf] as never) : undefined;
      if (values === undefined) t.any.push(r);
      else for (const v of values) (t.byValue.get(v) ?? t.byValue.set(v, []).get(v)!).push(r);
    }
    // Each value bucket also carries the rules that match any value, so lookup is one map read.
    for (const t of this.byType.values()) for (const [v, list] of t.byValue) t.byValue.set(v, [...list, ...t.any]);
  }

  /** candidates returns the rules that may match an event (a superset filtered by each rule's predicate). */
  candidates(e: { type: string } & Record<string, unknown>): readonly R[] {
    const t = this.byType.get(e.type);
    if (!t) return EMPTY;
    const pf = t.pf;
    if (pf === undefined) return t.any;
    return t.byValue.get(e[pf]) ?? t.any;
  }
}
const EMPTY: readonly never[] = Object.freeze([]);
