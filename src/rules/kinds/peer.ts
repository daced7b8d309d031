import type { Matcher, PeerRule } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import type { EvalContext } from '../context.ts';
import { compileWhere, type Predicate } from '../match.ts';
import { Emitter, infoOf, SubjectKeys, subjectKeyOf, type EngineEnv, type Evaluator } from '../evaluator.ts';

interface Member {
  value: number;
  ts: number;
  firing: boolean;
}

/** PeerEvaluator: a sensor far below the median of its fresh peers in the same group (suspected tampering). */
export class PeerEvaluator implements Evaluator {
  readonly matchers: readonly Matcher[];
  readonly acceptsLate = false;
  private readonly groups = new Map<string, Map<string, Member>>();
  /** subjects with an open alert recovered after a restart, before they report again */
  private readonly seeded = new Set<string>();
  private readonly where: Predicate;
  private readonly emitter: Emitter;
  /** members are keyed by the subject part (rule id left out) */
  private readonly keys: SubjectKeys;

  constructor(
    readonly rule: PeerRule,
    env?: EngineEnv,
  ) {
    this.matchers = [rule.match];
    this.where = compileWhere(rule.match.where);
    this.emitter = new Emitter(rule, env);
    this.keys = new SubjectKeys(rule.id, rule.subject);
  }

  evaluate(ctx: EvalContext, out: AlertTransition[]): void {
    const e = ctx.event as unknown as Record<string, unknown>;
    const v = e.value;
    if (typeof v !== 'number' || !this.where(e)) return;
    const gk = this.groupKey(e, ctx.areaId);
    const key = this.keys.part(e);
    if (gk === undefined || key === undefined) return;
    let g = this.groups.get(gk);
    if (!g) this.groups.set(gk, (g = new Map()));
    const t = ctx.time;
    let m = g.get(key);
    if (!m) g.set(key, (m = { value: v, ts: t, firing: this.seeded.delete(key) }));
    m.value = v;
    m.ts = t;
    const peers: number[] = [];
    for (const [k, p] of g) if (k !== key && t - p.ts <= this.rule.freshness) peers.push(p.value);
    let median = Number.NaN;
    if (peers.length >= this.rule.minPeers) {
      peers.sort((a, b) => a - b);
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

  /** groupKey: as subjectKeyOf over the group fields, the area falling back to the one enrich found (no copy of the event). */
  private groupKey(e: Record<string, unknown>, areaId: string | undefined): string | undefined {
    const fields = this.rule.group;
    if (!fields.includes('areaId')) return subjectKeyOf(this.rule.id, fields, e);
    let key = this.rule.id;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = f === 'areaId' ? (e.areaId ?? areaId) : e[f];
      if (v === undefined || v === null) return undefined;
      key += '\u001f' + String(v);
    }
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
      const m = g.get(subjectKey);
      if (m) m.firing = false;
    }
  }

  size(): number {
    let n = this.seeded.size;
    for (const g of this.groups.values()) n += g.size;
    return n;
  }
}
