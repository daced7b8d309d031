import type { EventType } from '../contracts/events.ts';
import { valuesOf } from './match.ts';

/** PRIMARY_FIELD: per event type, the field rules are indexed by (sensor type, quantity, metric). */
export const PRIMARY_FIELD: Partial<Record<EventType, string>> = {
  'mine.reading': 'sensorType',
  'grid.reading': 'quantity',
  'grid.event': 'event',
  'site.reading': 'metric',
  'weather.warning': 'event',
  'vehicle.event': 'event',
  'fire.event': 'event',
};

/** SECONDARY_FIELD: per event type, a second field that narrows each primary bucket (five methane thresholds differ by location). */
export const SECONDARY_FIELD: Partial<Record<EventType, string>> = {
  'mine.reading': 'location',
};

interface Indexable {
  match: { type: string; where: Record<string, unknown> };
}

/** Bucket: the rules of one primary value, optionally split by the secondary field's value. */
interface Bucket<R> {
  list: R[];
  /** by secondary value: the rules of `list` that accept it (in `list` order) */
  sub: Map<unknown, R[]> | undefined;
  /** the rules of `list` that accept any secondary value */
  subAny: R[];
}

/** bucketOf splits a candidate list by the secondary field, keeping the list's order in every part. */
function bucketOf<R extends Indexable>(list: R[], sf: string | undefined): Bucket<R> {
  if (sf === undefined) return { list, sub: undefined, subAny: list };
  const accepted = list.map((r) => valuesOf(r.match.where[sf] as never));
  const sub = new Map<unknown, R[]>();
  for (const vs of accepted) if (vs !== undefined) for (const v of vs) if (!sub.has(v)) sub.set(v, []);
  for (const [v, part] of sub) for (let i = 0; i < list.length; i++) if (accepted[i] === undefined || accepted[i]!.includes(v)) part.push(list[i]!);
  const subAny = list.filter((_, i) => accepted[i] === undefined);
  return { list, sub: sub.size > 0 ? sub : undefined, subAny };
}

/** RuleIndex finds, for an event, only the rules that can apply to it (by type, primary and secondary field). */
export class RuleIndex<R extends Indexable> {
  // `pf`, `sf`: the type's primary and secondary field, looked up once here rather than per event by type name
  private readonly byType = new Map<string, { pf: string | undefined; sf: string | undefined; byValue: Map<unknown, Bucket<R>>; any: Bucket<R> }>();

  constructor(rules: readonly R[]) {
    const lists = new Map<string, { pf: string | undefined; byValue: Map<unknown, R[]>; any: R[] }>();
    for (const r of rules) {
      const pf = PRIMARY_FIELD[r.match.type as EventType];
      let t = lists.get(r.match.type);
      if (!t) lists.set(r.match.type, (t = { pf, byValue: new Map(), any: [] }));
      const values = pf ? valuesOf(r.match.where[pf] as never) : undefined;
      if (values === undefined) t.any.push(r);
      else for (const v of values) (t.byValue.get(v) ?? t.byValue.set(v, []).get(v)!).push(r);
    }
    // Each value bucket also carries the rules that match any value, so lookup is one map read.
    for (const [type, t] of lists) {
      const sf = SECONDARY_FIELD[type as EventType];
      const byValue = new Map<unknown, Bucket<R>>();
      for (const [v, list] of t.byValue) byValue.set(v, bucketOf([...list, ...t.any], sf));
      this.byType.set(type, { pf: t.pf, sf, byValue, any: bucketOf(t.any, sf) });
    }
  }

  /** candidates returns the rules that may match an event (a superset filtered by each rule's predicate), in rule order. */
  candidates(e: { type: string } & Record<string, unknown>): readonly R[] {
    const t = this.byType.get(e.type);
    if (!t) return EMPTY;
    const pf = t.pf;
    const b = pf === undefined ? t.any : (t.byValue.get(e[pf]) ?? t.any);
    const sub = b.sub;
    if (sub === undefined) return b.subAny;
    return sub.get(e[t.sf!]) ?? b.subAny;
  }
}
const EMPTY: readonly never[] = Object.freeze([]);
