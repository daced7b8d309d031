import type { Alert, AlertEvent, AlertEventKind } from '../contracts/alerts.ts';
import { alertIdOf, fingerprintOf } from '../domain/fingerprint.ts';
import { severityRank } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { AppError } from '../errors.ts';
import type { AlertRecord, AlertStoreState, StoredAlertEvent } from '../ports/index.ts';

const MAX_HISTORY = 200;

/** Decorate: extra labels for an alert as it fires or changes (e.g. the silence that covers it). */
export type Decorate = (alert: Alert, at: number) => Record<string, string> | undefined;
const MAX_EVIDENCE = 20;

/** AlertBook holds the alert lifecycle: at most one open alert per fingerprint, `seq` strictly increasing. */
export class AlertBook {
  private seq = 0;
  private readonly open = new Map<string, AlertRecord>();
  /** every held alert by id: open ones plus a bounded tail of resolved ones */
  private readonly byId = new Map<string, AlertRecord>();
  private readonly maxResolved: number;
  private resolvedCount = 0;

  private readonly decorate: Decorate | undefined;

  constructor(opts: { maxResolved?: number; decorate?: Decorate } = {}) {
    this.maxResolved = opts.maxResolved ?? 5000;
    this.decorate = opts.decorate;
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

  /** openAlerts lists firing and acknowledged alerts. */
  openAlerts(): Alert[] {
    return [...this.open.values()].map((r) => r.alert);
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

  /** apply turns rule transitions into alert events (fired, updated, resolved); repeats change nothing. */
  apply(transitions: readonly AlertTransition[]): StoredAlertEvent[] {
    const out: StoredAlertEvent[] = [];
    for (const t of transitions) {
      const fp = fingerprintOf(t.subjectKey);
      const rec = this.open.get(fp);
      if (t.action === 'resolve') {
        if (!rec) continue;
        const alert: Alert = { ...rec.alert, state: 'resolved', updatedAt: formatTs(t.at), endsAt: formatTs(t.at), value: t.value, evidence: addEvidence(rec.alert.evidence, t) };
        // resolved because its subject stopped being tracked (rules/evaluator.ts stoppedEmission): the alert says so
        if (t.labels.tracking === 'stopped') Object.assign(alert, { summary: t.summary, labels: { ...rec.alert.labels, tracking: 'stopped' } });
        out.push(this.record(rec.subjectKey, 'resolved', t.at, alert));
        continue;
      }
      if (!rec) {
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
          ...(t.value !== undefined ? { value: t.value } : {}),
          ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
          summary: t.summary,
          actions: t.actions,
          evidence: [evidenceOf(t)],
          escalation: 0,
          acks: [],
          labels: t.labels,
        };
        alert.labels = this.labelsFor(alert, t.at);
        out.push(this.record(t.subjectKey, 'fired', t.at, alert));
        continue;
      }
      if (rec.alert.severity === t.severity) continue;
      // A rise in severity needs fresh attention: an acknowledged alert goes back to firing.
      const rising = severityRank(t.severity) > severityRank(rec.alert.severity);
      const alert: Alert = {
        ...rec.alert,
        severity: t.severity,
        state: rising ? 'firing' : rec.alert.state,
        updatedAt: formatTs(t.at),
        title: t.title,
        summary: t.summary,
        actions: t.actions,
        labels: t.labels,
        // a rise starts escalation afresh at the new severity
        escalation: rising ? 0 : rec.alert.escalation,
        evidence: addEvidence(rec.alert.evidence, t),
        ...(t.value !== undefined ? { value: t.value } : {}),
        ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
      };
      alert.labels = this.labelsFor(alert, t.at);
      out.push(this.record(rec.subjectKey, 'updated', t.at, alert));
    }
    return out;
  }

  /** acknowledge records who acknowledged an open alert; 409 CONFLICT when it is resolved. */
  acknowledge(id: string, by: string, at: number, note?: string): StoredAlertEvent {
    const rec = this.requireOpen(id);
    const ack = { by, at: formatTs(at), ...(note ? { note } : {}) };
    const alert: Alert = { ...rec.alert, state: 'acknowledged', updatedAt: formatTs(at), acks: [...rec.alert.acks, ack] };
    return this.record(rec.subjectKey, 'acknowledged', at, alert);
  }

  /** resolveManually closes an open alert on an operator's word. */
  resolveManually(id: string, by: string, at: number, note?: string): StoredAlertEvent {
    const rec = this.requireOpen(id);
    const labels = { ...rec.alert.labels, resolvedBy: by, ...(note ? { resolveNote: note } : {}) };
    const alert: Alert = { ...rec.alert, state: 'resolved', updatedAt: formatTs(at), endsAt: formatTs(at), labels };
    return this.record(rec.subjectKey, 'resolved', at, alert);
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
    rec.alert = a;
    if (rec.history.length >= MAX_HISTORY) rec.history.splice(0, rec.history.length - MAX_HISTORY + 1);
    rec.history.push(event);
    if (a.state === 'resolved') {
      if (this.open.get(a.fingerprint) === rec) this.open.delete(a.fingerprint);
      this.resolvedCount++;
      this.trimResolved();
    } else this.open.set(a.fingerprint, rec);
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
    } else this.open.set(rec.alert.fingerprint, copy);
    return true;
  }

  /** drop forgets an alert this instance no longer owns (its site's partition moved to another instance). */
  drop(id: string): void {
    const rec = this.byId.get(id);
    if (!rec) return;
    this.byId.delete(id);
    if (this.open.get(rec.alert.fingerprint) === rec) this.open.delete(rec.alert.fingerprint);
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
      else this.open.set(r.alert.fingerprint, r);
    }
    for (const s of tail) if (s.event.seq > snapshot.seq) this.replay(s);
    this.trimResolved();
  }
}

function evidenceOf(t: AlertTransition): Alert['evidence'][number] {
  return { topic: t.evidence.topic, ...(t.evidence.key ? { key: t.evidence.key } : {}), ts: formatTs(t.evidence.ts) };
}

function addEvidence(list: Alert['evidence'], t: AlertTransition): Alert['evidence'] {
  const next = [...list, evidenceOf(t)];
  return next.length > MAX_EVIDENCE ? next.slice(next.length - MAX_EVIDENCE) : next;
}
