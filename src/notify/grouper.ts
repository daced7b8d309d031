import { TimerQueue } from '../domain/timer-queue.ts';
import type { Batch, Intent } from './stages.ts';

/** Group: intents for one number about one site (or town) and one kind, sent as one text; or a number's summary fold. */
interface Group {
  key: string;
  phone: string;
  /** a fold: intents past the number's queue bound, sent as one summary text */
  summary: boolean;
  intents: Map<string, Intent>;
  flushAt: number;
  lastFlush: number;
}

/** GrouperOptions: Alertmanager's group_wait / group_interval, and the per-number queue bound. */
export interface GrouperOptions {
  groupWait: number;
  groupInterval: number;
  /** intents queued per number; more are folded into one summary text per number (default: unbounded) */
  textsQueuedPerNumber?: number;
  /** the bound was reached for a number ('reached'), and every intent folded ('overflow') */
  onLimit?: (what: 'reached' | 'overflow') => void;
}

/** a group with nothing queued is forgotten this many intervals after its last flush */
const FORGET_AFTER = 10;

/**
 * Grouper: the group stage (Alertmanager's aggregation groups). Intents for one number about one
 * site and one kind wait `groupWait`, then leave as one batch, at most one per `groupInterval`.
 * Past `textsQueuedPerNumber` queued intents a number's further intents fold into one summary
 * batch. Flush and forget times sit in a min-heap: `due` costs what is due, not the groups held.
 */
export class Grouper {
  private readonly groups = new Map<string, Group>();
  private readonly timers = new TimerQueue<string>();
  /** intents queued per number in its groups (not folds) */
  private readonly queued = new Map<string, number>();
  private queuedTotal = 0;
  private foldedTotal = 0;
  /** timer entries the last `due` looked at (the complexity guard's count) */
  examined = 0;
  /** the summary groups holding intents */
  private readonly foldsWaiting = new Set<string>();

  private readonly o: GrouperOptions;
  constructor(o: GrouperOptions) {
    this.o = o;
  }

  /** add queues an intent at `now`; one already queued (the same key) is not queued twice. */
  add(i: Intent, now: number): void {
    const phone = i.to.phone;
    const key = `${phone}|${i.alert.siteId ?? i.alert.town ?? '-'}|${i.kind}${i.role === 'site' ? '|site' : ''}`;
    const g = this.groups.get(key);
    if (g?.intents.has(i.key)) return;
    if ((this.queued.get(phone) ?? 0) >= (this.o.textsQueuedPerNumber ?? Infinity)) return this.fold(i, now);
    this.put(g ?? this.group(key, phone, false), i, now);
  }

  private fold(i: Intent, now: number): void {
    const f = this.groups.get(`summary|${i.to.phone}`) ?? this.group(`summary|${i.to.phone}`, i.to.phone, true);
    if (f.intents.has(i.key)) return;
    if (f.intents.size === 0) this.o.onLimit?.('reached');
    this.put(f, i, now);
    this.o.onLimit?.('overflow');
  }

  private group(key: string, phone: string, summary: boolean): Group {
    const g: Group = { key, phone, summary, intents: new Map(), flushAt: Infinity, lastFlush: -Infinity };
    this.groups.set(key, g);
    return g;
  }

  /** put adds to a group; the first intent of an empty group sets its flush: after the wait, never sooner than an interval after the last. */
  private put(g: Group, i: Intent, now: number): void {
    g.intents.set(i.key, i);
    this.track(g, 1);
    if (g.intents.size > 1) return;
    const wait = g.lastFlush === -Infinity || g.summary ? this.o.groupWait : 0;
    g.flushAt = Math.max(now + wait, g.lastFlush + this.o.groupInterval);
    this.timers.push(g.flushAt, g.key);
  }

  /**
   * due takes the batches whose flush time has come (their groups empty, to be filled by new
   * intents meanwhile) and forgets groups idle for FORGET_AFTER intervals.
   */
  due(now: number): Batch[] {
    const popped: { due: number; key: string }[] = [];
    this.timers.popDue(now, popped);
    this.examined = popped.length;
    const out: Batch[] = [];
    for (const { key } of popped) {
      const g = this.groups.get(key);
      if (!g) continue;
      if (g.intents.size === 0) {
        if (now - g.lastFlush >= FORGET_AFTER * this.o.groupInterval) this.groups.delete(key);
        continue;
      }
      if (g.flushAt > now) continue; // an older timer of this group
      const intents = [...g.intents.values()];
      g.intents.clear();
      this.track(g, -intents.length);
      g.lastFlush = now;
      g.flushAt = Infinity;
      this.timers.push(now + FORGET_AFTER * this.o.groupInterval, key);
      out.push({ key, phone: g.phone, summary: g.summary, intents, at: now });
    }
    return out;
  }

  /** retry puts back a batch whose text failed and may succeed later: it leaves again an interval from now. */
  retry(b: Batch, now: number): void {
    const g = this.groups.get(b.key) ?? this.group(b.key, b.phone, b.summary);
    for (const i of b.intents) {
      if (g.intents.has(i.key)) continue;
      g.intents.set(i.key, i);
      this.track(g, 1);
    }
    g.flushAt = now + this.o.groupInterval;
    this.timers.push(g.flushAt, g.key);
  }

  /** track keeps the counts in step with a group that gained (`n` > 0) or gave up intents: queued per number, or folded. */
  private track(g: Group, n: number): void {
    if (g.summary) {
      this.foldedTotal += n;
      if (g.intents.size > 0) this.foldsWaiting.add(g.key);
      else this.foldsWaiting.delete(g.key);
      return;
    }
    this.queuedTotal += n;
    const left = (this.queued.get(g.phone) ?? 0) + n;
    if (left > 0) this.queued.set(g.phone, left);
    else this.queued.delete(g.phone);
  }

  /** held: how many groups and folds are held (queued or idle, not yet forgotten). */
  get held(): number {
    return this.groups.size;
  }

  /** pending: texts waiting — queued intents, plus one per number with a summary due. */
  pending(): number {
    return this.queuedTotal + this.foldsWaiting.size;
  }

  /** folded: intents waiting in summary texts. */
  folded(): number {
    return this.foldedTotal;
  }
}
