import type { Alert, AlertEvent, AlertEventKind } from '../contracts/alerts.ts';
import { alertIdOf, fingerprintOf } from '../domain/fingerprint.ts';
import { severityRank } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { AppError } from '../errors.ts';
import { addEvidence, evidenceOf, keepAcks } from './evidence.ts';
import { OpenCaps, type CapListener, type OpenCapsLimits } from './caps.ts';
import { OpenIndexes, type OpenWatcher } from './open-index.ts';

export type { OpenWatcher } from './open-index.ts';
import type { AlertRecord, AlertStoreState, StoredAlertEvent } from '../ports/index.ts';

const MAX_HISTORY = 200;
/** Decorate: extra labels for an alert as it fires or changes (e.g. the silence that covers it). */
export type Decorate = (alert: Alert, at: number) => Record<string, string> | undefined;
/** notes and names from operators are bounded at the API; the book bounds what it keeps anyway */
const MAX_NOTE = 2000;
const MAX_NAME = 200;

/** AlertBookOptions: retention, decoration and the bounds (limits.*) of one book. */
export interface AlertBookOptions {
  maxResolved?: number;
  decorate?: Decorate;
  /** an alert raised or changed from an event older than this (ms) at receipt is back-filled (label `backfill`): shown, never texted or escalated */
  maxEventAge?: number;
  /** open alerts per site and per rule (default: unbounded, e.g. a backtest) */
  limits?: Partial<OpenCapsLimits> & { acksPerAlert?: number };
  /** a site's name for the overflow alert (the book holds no reference data) */
  siteName?: (siteId: string) => string | undefined;
  onLimit?: CapListener;
}

/** AlertBook holds the alert lifecycle: at most one open alert per fingerprint, `seq` strictly increasing. */
export class AlertBook {
  private seq = 0;
  private readonly open = new Map<string, AlertRecord>();
  /** open alerts per severity and per site, and the watchers' indexes: kept in step, so no caller scans every open alert */
  private readonly idx = new OpenIndexes();
  /** every held alert by id: open ones plus a bounded tail of resolved ones */
  private readonly byId = new Map<string, AlertRecord>();
  private readonly maxResolved: number;
  private resolvedCount = 0;

  private readonly decorate: Decorate | undefined;
  private readonly caps: OpenCaps;
  private readonly acksPerAlert: number;

  private readonly opts: AlertBookOptions;
  constructor(opts: AlertBookOptions = {}) {
    this.opts = opts;
    this.maxResolved = opts.maxResolved ?? 5000;
    this.decorate = opts.decorate;
    const l = opts.limits ?? {};
    this.caps = new OpenCaps({ openAlertsPerSite: l.openAlertsPerSite ?? Infinity, openAlertsPerRule: l.openAlertsPerRule ?? Infinity }, opts.siteName, opts.onLimit);
    this.acksPerAlert = l.acksPerAlert ?? Infinity;
  }

  private labelsFor(a: Alert, at: number): Record<string, string> {
    if (!this.decorate) return a.labels;
    const extra = this.decorate(a, at);
    return extra ? { ...a.labels, ...extra } : a.labels;
  }

  /** lastSeq is the seq of the newest alert event. */
  lastSeq(): number {
    return this.seq;
  }

  /** watch keeps an index in step with the open alerts (the ones open now are given to it at once). */
  watch(w: OpenWatcher): void {
    this.idx.watch(w, this.open.values());
  }

  /** openCounts: open alerts per severity rank (blue, yellow, orange, red), O(1). */
  openCounts(): readonly number[] {
    return this.idx.bySeverity;
  }

  /** openCount: how many alerts are open, O(1). */
  openCount(): number {
    return this.open.size;
  }

  /** openAt lists the open alerts of one site (O(alerts of that site)). */
  openAt(siteId: string): Alert[] {
    return this.idx.openAt(siteId);
  }

  /** getOpen returns an open alert by id, O(1). */
  getOpen(id: string): Alert | undefined {
    const rec = this.byId.get(id);
    return rec && this.open.get(rec.alert.fingerprint) === rec ? rec.alert : undefined;
  }

  /** openAlerts lists firing and acknowledged alerts (O(open): for snapshots and listings, never per event). */
  openAlerts(): Alert[] {
    return [...this.open.values()].map((r) => r.alert);
  }

  /** openFor returns the open alert about a subject, if any (O(1)). */
  openFor(subjectKey: string): Alert | undefined {
    return this.open.get(fingerprintOf(subjectKey))?.alert;
  }

  /** openRecords lists open records (to seed rule state after recovery). */
  openRecords(): AlertRecord[] {
    return [...this.open.values()];
  }

  /** all lists every held alert, open and recently resolved. */
  all(): Alert[] {
    return [...this.byId.values()].map((r) => r.alert);
  }

  /** get returns a held alert record by id. */
  get(id: string): AlertRecord | undefined {
    return this.byId.get(id);
  }

  /**
   * apply turns rule transitions into alert events (fired, updated, resolved); repeats change nothing.
   * `now` is the wall-clock instant of receipt (live mode): it becomes `receivedAt`, and an event older
   * than `maxEventAge` then is back-filled. Without it (backtest) event time is the only clock.
   * A fire past a bound opens nothing: it is counted into the site's (or rule's) one overflow alert.
   */
  apply(transitions: readonly AlertTransition[], now?: number): StoredAlertEvent[] {
    const out: StoredAlertEvent[] = [];
    let last: number | undefined;
    for (const t of transitions) {
      this.applyOne(t, now, out);
      last = t.at;
    }
    // one overflow event per scope and batch, however many fires it held back
    if (last !== undefined) for (const t of this.caps.drain(now ?? last)) this.applyOne(t, now, out);
    return out;
  }

  private applyOne(t: AlertTransition, now: number | undefined, out: StoredAlertEvent[]): void {
    const fp = fingerprintOf(t.subjectKey);
    const rec = this.open.get(fp);
    const received = now !== undefined ? { receivedAt: formatTs(now) } : {};
    if (t.action === 'resolve') {
      if (!rec) return;
      // an alert never ends before it started (a resolving event stamped earlier, read later)
      const end = formatTs(Math.max(t.at, Date.parse(rec.alert.startsAt)));
      const alert: Alert = { ...rec.alert, state: 'resolved', updatedAt: end, ...received, endsAt: end, value: t.value, evidence: addEvidence(rec.alert.evidence, t) };
      // resolved because its subject stopped being tracked (rules/evaluator.ts stoppedEmission): the alert says so
      if (t.labels.tracking === 'stopped') Object.assign(alert, { summary: t.summary, labels: { ...rec.alert.labels, tracking: 'stopped' } });
      out.push(this.record(rec.subjectKey, 'resolved', t.at, alert));
      return;
    }
    if (!rec) {
      const over = this.caps.exceeded(t);
      // Rule state still holds the subject as firing (forgetting it would make timer kinds re-fire every
      // tick): it opens once there is room and its severity changes, or after it clears and fires again.
      if (over) return this.caps.holdBack(t, over);
      const alert: Alert = {
        id: this.freshId(fp, t.at),
        fingerprint: fp,
        ruleId: t.ruleId,
        title: t.title,
        severity: t.severity,
        domain: t.domain,
        state: 'firing',
        ...(t.siteId ? { siteId: t.siteId } : {}),
        ...(t.town ? { town: t.town } : {}),
        startsAt: formatTs(t.at),
        updatedAt: formatTs(t.at),
        ...received,
        ...(t.value !== undefined ? { value: t.value } : {}),
        ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
        summary: t.summary,
        actions: t.actions,
        evidence: [evidenceOf(t)],
        escalation: 0,
        acks: [],
        labels: this.backfilled(t, now),
      };
      alert.labels = this.labelsFor(alert, t.at);
      out.push(this.record(t.subjectKey, 'fired', t.at, alert));
      return;
    }
    if (rec.alert.severity === t.severity) {
      // a bound's alert says how much it holds back: refresh the count, not the times (escalation runs on)
      if (t.domain === 'system' && t.value !== undefined && t.value !== rec.alert.value) {
        out.push(this.record(rec.subjectKey, 'updated', t.at, { ...rec.alert, value: t.value, summary: t.summary }));
      }
      return;
    }
    // A rise in severity needs fresh attention: an acknowledged alert goes back to firing.
    const rising = severityRank(t.severity) > severityRank(rec.alert.severity);
    const alert: Alert = {
      ...rec.alert,
      severity: t.severity,
      state: rising ? 'firing' : rec.alert.state,
      updatedAt: formatTs(t.at),
      ...received,
      title: t.title,
      summary: t.summary,
      actions: t.actions,
      // the company's confirmation stands when the level falls; a rise asks it anew (its window starts now)
      labels: { ...this.backfilled(t, now), ...(rising ? {} : confirmationOf(rec.alert.labels)) },
      // a rise starts escalation afresh at the new severity
      escalation: rising ? 0 : rec.alert.escalation,
      evidence: addEvidence(rec.alert.evidence, t),
      ...(t.value !== undefined ? { value: t.value } : {}),
      ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
    };
    alert.labels = this.labelsFor(alert, t.at);
    out.push(this.record(rec.subjectKey, 'updated', t.at, alert));
  }

  /** backfilled: the transition's labels, marked `backfill` when its event was older than maxEventAge at receipt. */
  private backfilled(t: AlertTransition, now: number | undefined): Record<string, string> {
    const max = this.opts.maxEventAge;
    if (now === undefined || max === undefined || now - t.at <= max) return t.labels;
    return { ...t.labels, backfill: 'true' };
  }

  /**
   * acknowledge records who acknowledged an open alert; 409 CONFLICT when it is resolved. A repeated
   * ack by someone who already acknowledged it changes nothing (undefined: no event, nothing
   * journaled). At most `limits.acksPerAlert` acks are kept: the first and the most recent.
   */
  acknowledge(id: string, by: string, at: number, note?: string): StoredAlertEvent | undefined {
    const rec = this.requireOpen(id);
    if (rec.alert.state === 'acknowledged' && rec.alert.acks.some((a) => a.by === by)) return undefined;
    const ack = { by: by.slice(0, MAX_NAME), at: formatTs(at), ...(note ? { note: note.slice(0, MAX_NOTE) } : {}) };
    const alert: Alert = { ...rec.alert, state: 'acknowledged', updatedAt: formatTs(at), acks: keepAcks(rec.alert.acks, ack, this.acksPerAlert) };
    return this.record(rec.subjectKey, 'acknowledged', at, alert);
  }

  /** resolveManually closes an open alert on an operator's word. */
  resolveManually(id: string, by: string, at: number, note?: string): StoredAlertEvent {
    const rec = this.requireOpen(id);
    const labels = { ...rec.alert.labels, resolvedBy: by.slice(0, MAX_NAME), ...(note ? { resolveNote: note.slice(0, MAX_NOTE) } : {}) };
    const alert: Alert = { ...rec.alert, state: 'resolved', updatedAt: formatTs(at), endsAt: formatTs(at), labels };
    return this.record(rec.subjectKey, 'resolved', at, alert);
  }

  /**
   * confirm records the company's word that the actions asked of it were carried out (labels
   * `confirmedBy`, `confirmedAt`, `confirmNote`: the latest one; a 企业未反馈 mark goes); 409
   * CONFLICT when it is resolved. The same confirmation again changes nothing (undefined).
   */
  confirm(id: string, by: string, at: number, note?: string): StoredAlertEvent | undefined {
    const rec = this.requireOpen(id);
    const clipped = note?.slice(0, MAX_NOTE);
    // the same confirmation again is no news (it would push the alert's real history out)
    if (rec.alert.labels.confirmedBy === by.slice(0, MAX_NAME) && rec.alert.labels.confirmNote === clipped) return undefined;
    const labels: Record<string, string> = { ...rec.alert.labels, confirmedBy: by.slice(0, MAX_NAME), confirmedAt: formatTs(at) };
    if (clipped) labels.confirmNote = clipped;
    else delete labels.confirmNote;
    delete labels.confirmOverdue;
    return this.record(rec.subjectKey, 'updated', at, { ...rec.alert, updatedAt: formatTs(at), labels });
  }

  /** escalate records that an unacknowledged alert was escalated (to the leader on duty, or its officer again). */
  escalate(id: string, at: number, to: string): StoredAlertEvent {
    const rec = this.requireOpen(id);
    const alert: Alert = { ...rec.alert, escalation: rec.alert.escalation + 1, updatedAt: formatTs(at), labels: { ...rec.alert.labels, escalatedTo: to } };
    return this.record(rec.subjectKey, 'escalated', at, alert);
  }

  /** relabel changes an open alert's labels (silence marks) without touching its times; undefined removes a label. */
  relabel(id: string, patch: Record<string, string | undefined>, at: number): StoredAlertEvent | undefined {
    const rec = this.byId.get(id);
    if (!rec || rec.alert.state === 'resolved') return undefined;
    const labels = { ...rec.alert.labels };
    let changed = false;
    for (const [k, v] of Object.entries(patch)) {
      if (labels[k] === v) continue;
      changed = true;
      if (v === undefined) delete labels[k];
      else labels[k] = v;
    }
    if (!changed) return undefined;
    return this.record(rec.subjectKey, 'updated', at, { ...rec.alert, labels });
  }

  /** prune drops resolved alerts that ended before `before` (retention). */
  prune(before: number): number {
    let n = 0;
    for (const [id, r] of this.byId) {
      if (r.alert.state === 'resolved' && r.alert.endsAt !== undefined && Date.parse(r.alert.endsAt) < before) {
        this.byId.delete(id);
        this.resolvedCount--;
        n++;
      }
    }
    return n;
  }

  private requireOpen(id: string): AlertRecord {
    const rec = this.byId.get(id);
    if (!rec) throw new AppError('NOT_FOUND', `alert ${id} not found`);
    if (rec.alert.state === 'resolved') throw new AppError('CONFLICT', `alert ${id} is already resolved`);
    return rec;
  }

  private record(subjectKey: string, kind: AlertEventKind, at: number, alert: Alert): StoredAlertEvent {
    const event: AlertEvent = { seq: ++this.seq, kind, at: formatTs(at), alert };
    this.applyEvent({ subjectKey, event });
    return { subjectKey, event };
  }

  /** freshId derives the alert id; a re-fire in the same millisecond as an earlier alert gets a suffix. */
  private freshId(fp: string, at: number): string {
    const id = alertIdOf(fp, at);
    return this.byId.has(id) ? `${id}-${(this.seq + 1).toString(36)}` : id;
  }

  /** replay applies a stored alert event (recovery, or another instance's event in Kafka mode); an event already applied is ignored. */
  replay(s: StoredAlertEvent): void {
    if (s.event.seq <= this.seq) return;
    this.applyEvent(s);
  }

  private applyEvent(s: StoredAlertEvent): void {
    const { event } = s;
    if (event.seq > this.seq) this.seq = event.seq;
    const a = event.alert;
    let rec = this.byId.get(a.id);
    if (!rec) {
      rec = { subjectKey: s.subjectKey, alert: a, history: [] };
      this.byId.set(a.id, rec);
    }
    // an open alert that changes leaves its indexes as it was and enters them as it is
    const reindex = this.open.get(rec.alert.fingerprint) === rec;
    if (reindex) this.idx.out(rec);
    rec.alert = a;
    if (reindex) this.idx.in(rec);
    if (rec.history.length >= MAX_HISTORY) rec.history.splice(0, rec.history.length - MAX_HISTORY + 1);
    rec.history.push(event);
    if (a.state === 'resolved') {
      this.unsetOpen(rec);
      this.resolvedCount++;
      this.trimResolved();
    } else this.setOpen(rec);
  }

  /** setOpen and unsetOpen keep `open` and the per-site and per-rule counts together. */
  private setOpen(rec: AlertRecord): void {
    const prev = this.open.get(rec.alert.fingerprint);
    if (prev === rec) return;
    if (prev) {
      this.caps.closed(prev.alert);
      this.idx.out(prev);
    }
    this.open.set(rec.alert.fingerprint, rec);
    this.caps.opened(rec.alert);
    this.idx.in(rec);
  }

  private unsetOpen(rec: AlertRecord): void {
    if (this.open.get(rec.alert.fingerprint) !== rec) return;
    this.open.delete(rec.alert.fingerprint);
    this.caps.closed(rec.alert);
    this.idx.out(rec);
  }

  private trimResolved(): void {
    if (this.resolvedCount <= this.maxResolved) return;
    // Map iteration is insertion order: drop the oldest resolved alerts first.
    for (const [id, r] of this.byId) {
      if (this.resolvedCount <= this.maxResolved) break;
      if (r.alert.state === 'resolved') {
        this.byId.delete(id);
        this.resolvedCount--;
      }
    }
  }

  /**
   * adopt takes over an alert held elsewhere (Kafka mode: another instance's alert whose site's
   * partition this instance now owns, or a state record read at start) without changing `seq`;
   * an alert already held is left as it is.
   */
  adopt(rec: AlertRecord): boolean {
    if (this.byId.has(rec.alert.id)) return false;
    const copy: AlertRecord = { subjectKey: rec.subjectKey, alert: rec.alert, history: [...rec.history] };
    this.byId.set(rec.alert.id, copy);
    if (rec.alert.state === 'resolved') {
      this.resolvedCount++;
      this.trimResolved();
    } else this.setOpen(copy);
    return true;
  }

  /** drop forgets an alert this instance no longer owns (its site's partition moved to another instance). */
  drop(id: string): void {
    const rec = this.byId.get(id);
    if (!rec) return;
    this.byId.delete(id);
    if (this.open.get(rec.alert.fingerprint) === rec) this.unsetOpen(rec);
    else if (rec.alert.state === 'resolved') this.resolvedCount--;
  }

  /** exportState returns what a snapshot holds, as a point-in-time copy. */
  exportState(): AlertStoreState {
    // Records are live (history grows in place) and the store serialises later: copy the histories.
    // Alerts themselves are replaced, never mutated, so sharing them is safe.
    const records: AlertRecord[] = [];
    for (const r of this.byId.values()) records.push({ subjectKey: r.subjectKey, alert: r.alert, history: [...r.history] });
    return { seq: this.seq, records };
  }

  /** restore loads a snapshot and then the journal tail written after it. */
  restore(snapshot: AlertStoreState, tail: readonly StoredAlertEvent[]): void {
    this.seq = Math.max(this.seq, snapshot.seq);
    for (const r of snapshot.records) {
      this.byId.set(r.alert.id, r);
      if (r.alert.state === 'resolved') this.resolvedCount++;
      else this.setOpen(r);
    }
    for (const s of tail) if (s.event.seq > snapshot.seq) this.replay(s);
    this.trimResolved();
  }
}

/** confirmationOf: the company's confirmation among an alert's labels (kept across a fall in level). */
function confirmationOf(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['confirmedBy', 'confirmedAt', 'confirmNote'] as const) if (labels[k] !== undefined) out[k] = labels[k];
  return out;
}
