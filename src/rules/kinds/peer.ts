import type { PeerRule } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { infoOf, type Evaluator, type SubjectField, type SubjectInfo } from '../evaluator.ts';
import { SubjectRuleBase } from './subject-rule.ts';

interface Member {
  value: number;
  ts: number;
  firing: boolean;
}

/** Group: the members of one group, by subject part and (in the same insertion order) as a list. */
interface Group {
  byKey: Map<string, Member>;
  list: Member[];
}

/** Slot: where a subject's last reading went (its group-field values, group and member), so the next reading of the same group skips the group key. */
interface Slot {
  values: unknown[];
  group: Group;
  member: Member;
}

/** PeerEvaluator: a sensor far below the median of its fresh peers in the same group (suspected tampering). */
export class PeerEvaluator extends SubjectRuleBase<PeerRule> implements Evaluator {
  readonly acceptsLate = false;
  private readonly groups = new Map<string, Group>();
  /** by subject part: the slot of its last reading */
  private readonly slots = new Map<string, Slot>();
  /** subjects with an open alert recovered after a restart, before they report again */
  private readonly seeded = new Set<string>();
  /** the fresh peers' values of the current reading (reused; sorted in place) */
  private readonly peers: number[] = [];
  /** the group-field values of the current reading (reused) */
  private readonly values: unknown[] = [];

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    const v = e.value;
    if (typeof v !== 'number' || !this.where(e)) return;
    if (!this.groupValues(e, ctx.areaId)) return;
    const key = this.keys.part(e);
    if (key === undefined) return;
    const values = this.values;
    let slot = this.slots.get(key);
    if (slot === undefined || !sameValues(slot.values, values)) {
      const gk = this.groupKey(values);
      let g = this.groups.get(gk);
      if (!g) this.groups.set(gk, (g = { byKey: new Map(), list: [] }));
      let m = g.byKey.get(key);
      if (!m) {
        m = { value: v, ts: ctx.time, firing: this.seeded.delete(key) };
        g.byKey.set(key, m);
        g.list.push(m);
      }
      this.slots.set(key, (slot = { values: values.slice(), group: g, member: m }));
    }
    const m = slot.member;
    const t = ctx.time;
    m.value = v;
    m.ts = t;
    const list = slot.group.list;
    const peers = this.peers;
    peers.length = 0;
    const freshness = this.rule.freshness;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p !== m && t - p.ts <= freshness) insertSorted(peers, p.value);
    }
    let median = Number.NaN;
    if (peers.length >= this.rule.minPeers) {
      const mid = peers.length >> 1;
      median = peers.length % 2 ? peers[mid]! : (peers[mid - 1]! + peers[mid]!) / 2;
    }
    const suspicious = median >= this.rule.minPeerMedian && v < this.rule.ratio * median;
    if (suspicious === m.firing) return;
    m.firing = suspicious;
    this.emitter.push(out, suspicious ? 'fire' : 'resolve', this.keys.full(key), infoOf(ctx), {
      severity: this.rule.severity,
      at: t,
      value: v,
      ...(Number.isNaN(median) ? {} : { threshold: Math.round(this.rule.ratio * median * 1000) / 1000 }),
      vars: { peerMedian: Number.isNaN(median) ? undefined : Math.round(median * 1000) / 1000, peers: peers.length },
    });
  }

  /** groupValues fills `values` with the group fields' values, the area falling back to the one enrich found; false when one is missing. */
  private groupValues(e: Record<string, unknown>, areaId: string | undefined): boolean {
    const fields = this.rule.group;
    const values = this.values;
    values.length = fields.length;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = f === 'areaId' ? (e.areaId ?? areaId) : e[f];
      if (v === undefined || v === null) return false;
      values[i] = v;
    }
    return true;
  }

  /** groupKey: as subjectKeyOf over the group fields (the values from groupValues). */
  private groupKey(values: readonly unknown[]): string {
    let key = this.rule.id;
    for (let i = 0; i < values.length; i++) key += '\u001f' + String(values[i]);
    return key;
  }

  seed(fullKey: string): void {
    const subjectKey = this.keys.partOf(fullKey);
    // the group is unknown until the sensor reports; its next non-suspicious reading resolves
    this.seeded.add(subjectKey);
  }

  forget(fullKey: string): void {
    const subjectKey = this.keys.partOf(fullKey);
    this.seeded.delete(subjectKey);
    for (const g of this.groups.values()) {
      const m = g.byKey.get(subjectKey);
      if (m) m.firing = false;
    }
  }

  /** evict removes a subject from its group (an empty group goes too) unless it is firing (its alert stays open until a normal reading or an operator resolves it). */
  evict(field: SubjectField, info: SubjectInfo): void {
    if (!this.rule.subject.includes(field)) return;
    const key = this.keys.part(info.event);
    const slot = key === undefined ? undefined : this.slots.get(key);
    if (!slot || slot.member.firing) return;
    this.slots.delete(key!);
    const g = slot.group;
    g.byKey.delete(key!);
    const i = g.list.indexOf(slot.member);
    if (i >= 0) g.list.splice(i, 1);
    if (g.byKey.size === 0) this.groups.delete(this.groupKey(slot.values));
  }

  size(): number {
    let n = this.seeded.size;
    for (const g of this.groups.values()) n += g.byKey.size;
    return n;
  }
}

/** sameValues: whether two group-field value lists are equal, value by value. */
function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** insertSorted inserts a number into an ascending array (groups are small: a few sensors). */
function insertSorted(xs: number[], x: number): void {
  let i = xs.length;
  xs.push(x);
  while (i > 0 && xs[i - 1]! > x) {
    xs[i] = xs[i - 1]!;
    i--;
  }
  xs[i] = x;
}
