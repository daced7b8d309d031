import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert, AlertEvent } from '../contracts/alerts.ts';
import { severityRank, type Severity } from '../domain/severity.ts';
import type { NotificationLog, NotificationRecord } from '../ports/index.ts';
import { muteReason, type MuteDeps } from '../alerts/mute.ts';
import { AppError } from '../errors.ts';

/** Person: someone on the duty roster. */
export interface Person {
  name: string;
  phone: string;
}

/** Intent: one text one person should get about one alert transition. */
export interface Intent {
  key: string;
  alert: Alert;
  kind: 'fired' | 'escalated' | 'resolved';
  level: number;
  to: Person;
  role: 'officer' | 'leader';
}

/** NotifierDeps: the decisions' inputs and the send path. */
export interface NotifierDeps {
  log: NotificationLog;
  logger: Logger;
  now: () => number;
  /** who is on duty for a town and domain at an instant */
  onDuty(town: string | undefined, domain: string, at: number): { officer: Person; leader: Person } | undefined;
  /** the silence covering an alert now, if any */
  silencedBy: MuteDeps['silencedBy'];
  inhibitedBy: MuteDeps['inhibitedBy'];
  /** an open alert by id (O(1)); undefined once it is resolved or gone */
  openAlert(id: string): Alert | undefined;
  /** renders one text for one or more alerts of one group */
  render(intents: readonly Intent[]): string;
  /** sends one text (with rate limit and retries); throws when it finally fails */
  send(msg: { id: string; to: string; text: string }): Promise<{ providerIds?: string[] }>;
  minSeverity: Severity;
  groupWait: number;
  groupInterval: number;
  onSent?: (records: readonly NotificationRecord[]) => void;
  onFailed?: (records: readonly NotificationRecord[], retryable: boolean) => void;
  /** texts waiting for one number (limits.textsQueuedPerNumber); more are folded into one summary text (default: unbounded) */
  textsQueuedPerNumber?: number;
  /** a number's queue reached its bound ('reached'), and every intent folded ('overflow') */
  onLimit?: (what: 'reached' | 'overflow') => void;
}

/** summaryText: the one text that stands for the intents folded for a number. */
export const summaryText = (n: number): string => `【风险告警汇总】另有 ${n} 条告警未单独发送，请查看指挥中心大屏。`;

interface Group {
  phone: string;
  intents: Intent[];
  flushAt: number;
  lastFlush: number;
}

/** RECORD_SLICE: records written to the notification log per turn of the event loop. */
const RECORD_SLICE = 100;

/** Fold: the intents for one number past its queue bound, sent as one summary text. */
interface Fold {
  intents: Map<string, Intent>;
  flushAt: number;
  lastFlush: number;
}

/**
 * Notifier: alert events → who must be texted (roster) → silence and inhibition → grouping
 * (group wait / interval, so many alerts at one site make one text) → dedup against the durable
 * notification log → send with retry → record. A restart neither loses nor repeats a text:
 * intents are re-derived from open alerts and the log.
 */
export class Notifier {
  private readonly sent = new Map<string, NotificationRecord>();
  /** the keys of the records of each text sent (smsId → keys), for delivery receipts */
  private readonly bySmsId = new Map<string, Set<string>>();
  private readonly byAlert = new Map<string, NotificationRecord[]>();
  private readonly groups = new Map<string, Group>();
  /** intents queued per number (in groups), kept in step with `groups` */
  private readonly queued = new Map<string, number>();
  private readonly folds = new Map<string, Fold>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly d: NotifierDeps) {}

  /** start loads the notification log. */
  async start(): Promise<void> {
    for (const r of await this.d.log.load()) this.note(r);
  }

  /**
   * record writes records to the log and notes them, in slices of RECORD_SLICE with a turn of the
   * event loop between: a summary text standing for 20,000 alerts is 20,000 records, which must not
   * hold up the alerts arriving meanwhile.
   */
  private async record(intents: readonly Intent[], make: (i: Intent) => NotificationRecord, done?: (records: NotificationRecord[]) => void): Promise<void> {
    for (let k = 0; k < intents.length; k += RECORD_SLICE) {
      if (k > 0) await new Promise<void>((r) => setImmediate(r));
      const slice = intents.slice(k, k + RECORD_SLICE).map(make);
      await this.d.log.append(slice);
      for (const r of slice) this.note(r);
      done?.(slice);
    }
  }

  /** note remembers a record (loaded, or written by another sender such as the duty report). */
  note(r: NotificationRecord): void {
    if (r.status === 'sent') {
      this.sent.set(r.key, r);
      // receipts name the text (smsId): index them, so a receipt does not scan every text sent
      if (r.smsId) {
        let keys = this.bySmsId.get(r.smsId);
        if (!keys) this.bySmsId.set(r.smsId, (keys = new Set()));
        keys.add(r.key);
      }
    }
    const list = this.byAlert.get(r.alertId) ?? [];
    // a shared log echoes this instance's own records back: keep one of each
    if (list.some((x) => x.key === r.key && x.status === r.status && x.at === r.at && x.smsId === r.smsId)) return;
    list.push(r);
    this.byAlert.set(r.alertId, list);
  }

  /** receipt records a provider's delivery receipt against the texts sent with that id (audit). */
  async receipt(r: { id?: string; providerId: string; status: string; at: number }): Promise<void> {
    if (!r.id) return;
    const sent = [...(this.bySmsId.get(r.id) ?? [])].map((k) => this.sent.get(k)!).filter(Boolean);
    const records = sent.map<NotificationRecord>((x) => ({ ...x, key: `${x.key}/receipt/${r.providerId}`, at: r.at, status: r.status === 'DELIVRD' ? 'delivered' : 'undelivered', providerIds: [r.providerId] }));
    if (records.length === 0) return;
    await this.d.log.append(records);
    for (const rec of records) this.note(rec);
  }

  /**
   * prune forgets the records of alerts no longer held (`held` false: resolved and dropped past
   * retention, or a day's duty report) whose last record is older than `before`: the maps keyed by
   * alert, text key and smsId would otherwise grow with every text ever sent. The durable log keeps
   * them; an alert that is no longer held can no longer be texted about. Returns how many alerts.
   */
  prune(before: number, held: (alertId: string) => boolean): number {
    let n = 0;
    for (const [alertId, list] of this.byAlert) {
      if (held(alertId) || list.some((r) => r.at >= before)) continue;
      for (const r of list) {
        if (this.sent.get(r.key) === r) this.sent.delete(r.key);
        const keys = this.bySmsId.get(r.smsId);
        keys?.delete(r.key);
        if (keys?.size === 0) this.bySmsId.delete(r.smsId);
      }
      this.byAlert.delete(alertId);
      n++;
    }
    return n;
  }

  /** held counts the alerts with records in memory (for tests and /metrics). */
  heldAlerts(): number {
    return this.byAlert.size;
  }

  /** records lists what was texted about an alert (audit). */
  records(alertId: string): NotificationRecord[] {
    return this.byAlert.get(alertId) ?? [];
  }

  /** intentsFor decides who gets a text for one alert event (no I/O). */
  intentsFor(e: AlertEvent, at: number): Intent[] {
    const a = e.alert;
    let kind: Intent['kind'];
    if (e.kind === 'fired' || e.kind === 'updated') {
      if (a.state !== 'firing' || severityRank(a.severity) < severityRank(this.d.minSeverity)) return [];
      kind = 'fired';
    } else if (e.kind === 'escalated') kind = 'escalated';
    else if (e.kind === 'resolved') {
      // tell whoever was told it fired
      const told = (this.byAlert.get(a.id) ?? []).filter((r) => r.status === 'sent' && r.kind !== 'resolved');
      const people = new Map(told.map((r) => [r.to, r]));
      return [...people.values()].map((r) => this.intent(a, 'resolved', 0, { name: r.name, phone: r.to }, r.role));
    } else return [];
    if (muteReason(a, this.d, at)) return [];
    const duty = this.d.onDuty(a.town, a.domain, at);
    if (!duty) {
      this.d.logger.error({ alertId: a.id, town: a.town, domain: a.domain }, 'nobody on the duty roster for this alert');
      return [];
    }
    if (kind === 'fired') return [this.intent(a, 'fired', 0, duty.officer, 'officer')];
    // red escalates to the leader on duty; orange goes to the duty officer again
    return a.severity === 'red' ? [this.intent(a, 'escalated', a.escalation, duty.leader, 'leader')] : [this.intent(a, 'escalated', a.escalation, duty.officer, 'officer')];
  }

  private intent(alert: Alert, kind: Intent['kind'], level: number, to: Person, role: Intent['role']): Intent {
    const sev = kind === 'resolved' ? '' : alert.severity;
    return { key: `${alert.id}/${kind}/${sev}/${level}/${to.phone}`, alert, kind, level, to, role };
  }

  /** onEvents queues the texts durable alert events call for. */
  onEvents(events: readonly AlertEvent[]): void {
    const now = this.d.now();
    for (const e of events) for (const i of this.intentsFor(e, now)) this.enqueue(i, now);
  }

  /** recover re-derives texts for open alerts that the log does not show as sent (after a restart). */
  recover(open: readonly Alert[]): number {
    const now = this.d.now();
    let n = 0;
    for (const a of open) {
      const events: AlertEvent[] = [{ seq: 0, kind: 'fired', at: a.updatedAt, alert: a }];
      if (a.escalation > 0) events.push({ seq: 0, kind: 'escalated', at: a.updatedAt, alert: a });
      for (const e of events) for (const i of this.intentsFor(e, now)) if (!this.sent.has(i.key)) {
        this.enqueue(i, now);
        n++;
      }
    }
    return n;
  }

  private enqueue(i: Intent, now: number): void {
    if (this.sent.has(i.key)) return;
    const phone = i.to.phone;
    const gk = `${phone}|${i.alert.siteId ?? i.alert.town ?? '-'}|${i.kind}`;
    let g = this.groups.get(gk);
    if (g?.intents.some((x) => x.key === i.key)) return;
    const queued = this.queued.get(phone) ?? 0;
    if (queued >= (this.d.textsQueuedPerNumber ?? Infinity)) return this.fold(i, now);
    if (!g) this.groups.set(gk, (g = { phone, intents: [], flushAt: now + this.d.groupWait, lastFlush: -Infinity }));
    g.intents.push(i);
    this.queued.set(phone, queued + 1);
    if (g.intents.length === 1) g.flushAt = Math.max(now + (g.lastFlush === -Infinity ? this.d.groupWait : 0), g.lastFlush + this.d.groupInterval);
  }

  /** fold counts an intent past the number's bound into its one summary text (at most one per group interval). */
  private fold(i: Intent, now: number): void {
    let f = this.folds.get(i.to.phone);
    if (!f) this.folds.set(i.to.phone, (f = { intents: new Map(), flushAt: now, lastFlush: -Infinity }));
    if (f.intents.has(i.key)) return;
    if (f.intents.size === 0) {
      f.flushAt = Math.max(now + this.d.groupWait, f.lastFlush + this.d.groupInterval);
      this.d.onLimit?.('reached');
    }
    f.intents.set(i.key, i);
    this.d.onLimit?.('overflow');
  }

  /** pending counts queued texts (for /metrics and tests): queued intents, plus one per number with a summary due. */
  pending(): number {
    let n = 0;
    for (const q of this.queued.values()) n += q;
    for (const f of this.folds.values()) if (f.intents.size > 0) n++;
    return n;
  }

  /** folded counts intents waiting in summary texts (numbers past limits.textsQueuedPerNumber). */
  folded(): number {
    let n = 0;
    for (const f of this.folds.values()) n += f.intents.size;
    return n;
  }

  private unqueue(phone: string, n: number): void {
    const left = (this.queued.get(phone) ?? 0) - n;
    if (left > 0) this.queued.set(phone, left);
    else this.queued.delete(phone);
  }

  /** tick sends the groups that are due; runs one flush at a time. */
  tick(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushDue()).catch((err: unknown) => this.d.logger.error({ err }, 'notification flush failed'));
    return this.flushing;
  }

  private async flushDue(): Promise<void> {
    const now = this.d.now();
    for (const [gk, g] of this.groups) {
      if (g.intents.length === 0 || g.flushAt > now) continue;
      // drop what became muted (acknowledged before the group wait ended, silenced, already sent)
      const intents = g.intents.filter((i) => !this.sent.has(i.key) && (i.kind === 'resolved' || !this.stale(i, now)));
      this.unqueue(g.phone, g.intents.length);
      g.intents = [];
      g.lastFlush = now;
      if (intents.length === 0) continue;
      if (await this.sendGroup(intents, this.d.render(intents), gk)) continue;
      g.intents.push(...intents);
      this.queued.set(g.phone, (this.queued.get(g.phone) ?? 0) + intents.length);
      g.flushAt = now + this.d.groupInterval;
    }
    for (const [phone, f] of this.folds) {
      if (f.intents.size === 0) {
        if (now - f.lastFlush > 10 * this.d.groupInterval) this.folds.delete(phone);
        continue;
      }
      if (f.flushAt > now) continue;
      const intents = [...f.intents.values()].filter((i) => !this.sent.has(i.key));
      f.intents.clear();
      f.lastFlush = now;
      if (intents.length === 0) continue;
      // the summary is recorded against every alert it stands for, so none is texted again on its own
      if (await this.sendGroup(intents, summaryText(intents.length), `summary|${phone}`)) continue;
      for (const i of intents) f.intents.set(i.key, i);
      f.flushAt = now + this.d.groupInterval;
    }
    for (const [gk, g] of this.groups) if (g.intents.length === 0 && now - g.lastFlush > 10 * this.d.groupInterval) this.groups.delete(gk);
  }

  /** sendGroup sends one text for some intents and records it; false when it failed and should be tried again. */
  private async sendGroup(intents: readonly Intent[], text: string, gk: string): Promise<boolean> {
    const smsId = createHash('sha256').update(intents.map((i) => i.key).join('\n')).digest('hex').slice(0, 24);
    const base = { to: intents[0]!.to.phone, name: intents[0]!.to.name, role: intents[0]!.role, smsId };
    try {
      const res = await this.d.send({ id: smsId, to: base.to, text });
      const at = this.d.now();
      // record before anything else: a crash after sending but before this line may repeat one text (fail open)
      await this.record(intents, (i) => ({ ...base, key: i.key, alertId: i.alert.id, kind: i.kind, severity: i.alert.severity, level: i.level, at, status: 'sent', ...(res.providerIds ? { providerIds: res.providerIds } : {}) }), (r) => this.d.onSent?.(r));
      return true;
    } catch (err) {
      this.d.logger.error({ err, to: base.to, group: gk, alerts: intents.length }, 'text not sent');
      const at = this.d.now();
      const failed: NotificationRecord[] = [];
      await this.record(intents, (i) => ({ ...base, key: i.key, alertId: i.alert.id, kind: i.kind, severity: i.alert.severity, level: i.level, at, status: 'failed', error: (err as Error).message }), (r) => failed.push(...r)).catch(() => undefined);
      // A permanent failure (an invalid number, a refused account) is recorded and not retried;
      // anything else is tried again after the interval: a text is never dropped silently.
      const retryable = !(err instanceof AppError && !err.retryable);
      this.d.onFailed?.(failed, retryable);
      return !retryable;
    }
  }

  /** stale: the alert is no longer one to text about (acknowledged, resolved or muted meanwhile). */
  private stale(i: Intent, now: number): boolean {
    const cur = this.d.openAlert(i.alert.id);
    if (!cur) return true;
    if (i.kind === 'fired' && cur.state !== 'firing') return true;
    return muteReason(cur, this.d, now) !== undefined;
  }
}
