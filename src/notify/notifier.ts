import type { Logger } from 'pino';
import type { Alert, AlertEvent } from '../contracts/alerts.ts';
import { severityRank, type Severity } from '../domain/severity.ts';
import type { NotificationLog, NotificationRecord } from '../ports/index.ts';
import type { Muter } from '../alerts/mute.ts';
import { asksCompany } from '../alerts/escalation.ts';
import { AppError } from '../errors.ts';
import { Grouper } from './grouper.ts';
import { TextRecords } from './records.ts';
import { dedupStage, muteStage, recordStage, renderStage, runStages, sendStage, type Batch, type Intent, type Person, type Stage } from './stages.ts';

export { summaryText, type Intent, type Person } from './stages.ts';

/** NotifierDeps: the decisions' inputs and the send path. */
export interface NotifierDeps {
  log: NotificationLog;
  logger: Logger;
  now: () => number;
  /** who is on duty for a town and domain at an instant */
  onDuty(town: string | undefined, domain: string, at: number): { officer: Person; leader: Person } | undefined;
  /** the one mute decision (drills, back-fill, silences, inhibition) */
  muter: Muter;
  /** an open alert by id (O(1)); undefined once it is resolved or gone */
  openAlert(id: string): Alert | undefined;
  /** renders one text for one or more alerts of one group */
  render(intents: readonly Intent[]): string;
  /** sends one text (with rate limit and retries); throws when it finally fails */
  send(msg: { id: string; to: string; text: string }): Promise<{ providerIds?: string[] }>;
  minSeverity: Severity;
  /** the company's own contacts of a site (sites.yaml `contacts`), texted the actions meant for the site */
  siteContacts?: (siteId: string) => readonly Person[];
  /** the least severe alert texted to a site's contacts (undefined: nobody at the sites is texted) */
  siteMinSeverity?: Severity;
  groupWait: number;
  groupInterval: number;
  onSent?: (records: readonly NotificationRecord[]) => void;
  onFailed?: (records: readonly NotificationRecord[], retryable: boolean) => void;
  /** intents a flush stage let go (`mute`: acknowledged, resolved or muted during the group wait; `dedup`: texted already) */
  onDropped?: (stage: string, n: number) => void;
  /** texts waiting for one number (limits.textsQueuedPerNumber); more are folded into one summary text (default: unbounded) */
  textsQueuedPerNumber?: number;
  /** a number's queue reached its bound ('reached'), and every intent folded ('overflow') */
  onLimit?: (what: 'reached' | 'overflow') => void;
}

/** SITE_RECOVERY_MS: at a restart, a company's text still owed is sent for alerts raised this recently. */
const SITE_RECOVERY_MS = 3_600_000;

/** RECORD_SLICE: records written to the notification log per turn of the event loop. */
const RECORD_SLICE = 100;

/**
 * Notifier: notify as stages, in Alertmanager's manner. An alert event goes
 * route (who is on duty) → mute (the one Muter) → group (Grouper: group wait and interval, the
 * per-number bound and summary fold); each due group then goes through the flush stages
 * mute (muted meanwhile) → dedup (the notification log) → render → send → record. A restart
 * neither loses nor repeats a text: intents are re-derived from open alerts and the log.
 */
export class Notifier {
  private readonly texts = new TextRecords();
  private readonly grouper: Grouper;
  private readonly flushStages: readonly Stage[];
  /**
   * one chain of sends per phone number: a number waiting for its rate limit, or for a provider
   * that keeps failing it, holds up only its own texts, never another officer's or leader's
   */
  private readonly chains = new Map<string, Promise<void>>();

  private readonly d: NotifierDeps;
  constructor(d: NotifierDeps) {
    this.d = d;
    this.grouper = new Grouper(d);
    this.flushStages = [
      muteStage(d.muter, d.openAlert),
      dedupStage(this.texts),
      renderStage(d.render),
      sendStage({ send: d.send, now: d.now, logger: d.logger, failed: (b, smsId, err) => this.failed(b, smsId, err) }),
      recordStage(async (b) => {
        const sent = b.sent!;
        await this.record(b, sent.smsId, sent.at, { status: 'sent', ...(sent.providerIds ? { providerIds: sent.providerIds } : {}) }, (r) => this.d.onSent?.(r));
      }),
    ];
  }

  /** start loads the notification log. */
  async start(): Promise<void> {
    for (const r of await this.d.log.load()) this.texts.note(r);
  }

  /**
   * record writes one record per intent of a text (sent or failed) to the log and notes them, in
   * slices of RECORD_SLICE with a turn of the event loop between: a summary text standing for
   * 20,000 alerts is 20,000 records, which must not hold up the alerts arriving meanwhile.
   */
  private async record(
    b: Batch,
    smsId: string,
    at: number,
    outcome: Pick<NotificationRecord, 'status' | 'providerIds' | 'error'>,
    done?: (records: NotificationRecord[]) => void,
  ): Promise<void> {
    const first = b.intents[0]!;
    const make = (i: Intent): NotificationRecord => ({ to: b.phone, name: first.to.name, role: first.role, smsId, key: i.key, alertId: i.alert.id, kind: i.kind, severity: i.alert.severity, level: i.level, at, ...outcome });
    for (let k = 0; k < b.intents.length; k += RECORD_SLICE) {
      if (k > 0) await new Promise<void>((r) => setImmediate(r));
      const slice = b.intents.slice(k, k + RECORD_SLICE).map(make);
      await this.d.log.append(slice);
      for (const r of slice) this.texts.note(r);
      done?.(slice);
    }
  }

  /**
   * failed records a text that did not go out. A permanent failure (an invalid number, a refused
   * account) is recorded and not retried; anything else is tried again after the interval: a text
   * is never dropped silently.
   */
  private async failed(b: Batch, smsId: string, err: unknown): Promise<void> {
    const at = this.d.now();
    const records: NotificationRecord[] = [];
    await this.record(b, smsId, at, { status: 'failed', error: (err as Error).message }, (r) => records.push(...r)).catch(() => undefined);
    const retryable = !(err instanceof AppError && !err.retryable);
    this.d.onFailed?.(records, retryable);
    if (retryable) this.grouper.retry(b, at);
  }

  /** note remembers a record (loaded, or written by another sender such as the duty report). */
  note(r: NotificationRecord): void {
    this.texts.note(r);
  }

  /** receipt records a provider's delivery receipt against the texts sent with that id (audit). */
  async receipt(r: { id?: string; providerId: string; status: string; at: number }): Promise<void> {
    if (!r.id) return;
    const records = this.texts.bySms(r.id).map<NotificationRecord>((x) => ({ ...x, key: `${x.key}/receipt/${r.providerId}`, at: r.at, status: r.status === 'DELIVRD' ? 'delivered' : 'undelivered', providerIds: [r.providerId] }));
    if (records.length === 0) return;
    await this.d.log.append(records);
    for (const rec of records) this.texts.note(rec);
  }

  /**
   * prune forgets the records of alerts no longer held (`held` false: resolved and dropped past
   * retention, or a day's duty report) whose last record is older than `before`; the durable log
   * keeps them, and an alert no longer held can no longer be texted about. Returns how many alerts.
   */
  prune(before: number, held: (alertId: string) => boolean): number {
    return this.texts.prune(before, held);
  }

  /** heldAlerts counts the alerts with records in memory (for tests and /metrics). */
  heldAlerts(): number {
    return this.texts.alerts;
  }

  /** records lists what was texted about an alert (audit). */
  records(alertId: string): NotificationRecord[] {
    return this.texts.of(alertId);
  }

  /** intentsFor: the route and mute stages for one alert event — who gets a text (no I/O). */
  intentsFor(e: AlertEvent, at: number): Intent[] {
    const a = e.alert;
    if (e.kind === 'resolved') {
      // tell whoever was told it fired
      const people = new Map<string, NotificationRecord>();
      for (const r of this.texts.of(a.id)) if (r.status === 'sent' && r.kind !== 'resolved') people.set(`${r.role}|${r.to}`, r);
      // the company is told only when the data says it is over — not an operator's book-keeping
      // resolve, nor a subject riskstream stopped tracking (the danger may well be there still)
      const toCompany = a.labels.resolvedBy === undefined && a.labels.tracking !== 'stopped';
      return [...people.values()].filter((r) => r.role !== 'site' || toCompany).map((r) => this.intent(a, 'resolved', 0, { name: r.name, phone: r.to }, r.role));
    }
    if (e.kind !== 'fired' && e.kind !== 'updated' && e.kind !== 'escalated') return [];
    if (a.state === 'resolved' || this.d.muter.mutes(a, at) !== undefined) return [];
    const escalated = e.kind === 'escalated';
    const out = escalated ? [] : this.siteIntents(a);
    // the company has not confirmed in time: the duty officer is reminded (once: the key says so)
    const remind = !escalated && a.labels.confirmOverdue === 'true' && a.labels.confirmedAt === undefined;
    const fired = !escalated && a.state === 'firing' && severityRank(a.severity) >= severityRank(this.d.minSeverity);
    if (!escalated && !remind && !fired) return out;
    const duty = this.d.onDuty(a.town, a.domain, at);
    if (!duty) {
      this.d.logger.error({ alertId: a.id, town: a.town, domain: a.domain }, 'nobody on the duty roster for this alert');
      return out;
    }
    // red escalates to the leader on duty; orange goes to the duty officer again
    if (escalated) out.push(a.severity === 'red' ? this.intent(a, 'escalated', a.escalation, duty.leader, 'leader') : this.intent(a, 'escalated', a.escalation, duty.officer, 'officer'));
    if (remind) out.push(this.intent(a, 'unconfirmed', 0, duty.officer, 'officer'));
    if (fired) out.push(this.intent(a, 'fired', 0, duty.officer, 'officer'));
    return out;
  }

  /**
   * siteIntents: the company's own contacts are texted the actions meant for the site when an alert
   * at least `siteMinSeverity` fires there (again when it rises), until the company confirms them.
   */
  private siteIntents(a: Alert): Intent[] {
    const min = this.d.siteMinSeverity;
    if (min === undefined || !asksCompany(a) || a.labels.confirmedAt !== undefined || severityRank(a.severity) < severityRank(min)) return [];
    return (this.d.siteContacts?.(a.siteId!) ?? []).map((c) => this.intent(a, 'fired', 0, c, 'site'));
  }

  private intent(alert: Alert, kind: Intent['kind'], level: number, to: Person, role: Intent['role']): Intent {
    const sev = kind === 'resolved' ? '' : alert.severity;
    // a number that is both an officer's and a site contact's gets both texts (different keys)
    return { key: `${alert.id}/${kind}/${sev}/${level}/${to.phone}${role === 'site' ? '/site' : ''}`, alert, kind, level, to, role };
  }

  /** onEvents queues the texts durable alert events call for. */
  onEvents(events: readonly AlertEvent[]): void {
    const now = this.d.now();
    for (const e of events) for (const i of this.intentsFor(e, now)) if (!this.texts.wasSent(i.key)) this.grouper.add(i, now);
  }

  /**
   * recover re-derives texts the log does not show as sent (after a restart): fired and escalated
   * for open alerts, and the resolution owed to whoever was told a `resolved` alert fired.
   */
  recover(open: readonly Alert[], resolved: readonly Alert[] = []): number {
    const now = this.d.now();
    let n = 0;
    for (const a of [...open, ...resolved]) {
      const events: AlertEvent[] =
        a.state === 'resolved' ? [{ seq: 0, kind: 'resolved', at: a.endsAt ?? a.updatedAt, alert: a }] : [{ seq: 0, kind: 'fired', at: a.updatedAt, alert: a }];
      if (a.state !== 'resolved' && a.escalation > 0) events.push({ seq: 0, kind: 'escalated', at: a.updatedAt, alert: a });
      // a company is not asked after a restart (an upgrade) about an alert older than an hour: it
      // was never asked by the version before, and an old order out of the blue helps nobody
      const base = Date.parse(a.receivedAt ?? a.startsAt);
      const stale = now - base > SITE_RECOVERY_MS;
      for (const e of events) for (const i of this.intentsFor(e, now)) if (!this.texts.wasSent(i.key) && !(stale && i.role === 'site' && i.kind === 'fired')) {
        this.grouper.add(i, now);
        n++;
      }
    }
    return n;
  }

  /** pending counts queued texts (for /metrics and tests): queued intents, plus one per number with a summary due. */
  pending(): number {
    return this.grouper.pending();
  }

  /** folded counts intents waiting in summary texts (numbers past limits.textsQueuedPerNumber). */
  folded(): number {
    return this.grouper.folded();
  }

  /**
   * tick takes the groups that are due and queues each on its number's chain (texts to one number
   * go out in order, one at a time; numbers do not wait for each other). Resolves once every
   * chain queued so far has run (tests, shutdown).
   */
  tick(): Promise<void> {
    for (const b of this.grouper.due(this.d.now())) {
      const prev = this.chains.get(b.phone) ?? Promise.resolve();
      const next = prev
        .then(() => runStages(this.flushStages, b, this.d.onDropped))
        .catch((err: unknown) => this.d.logger.error({ err, to: b.phone }, 'notification flush failed'))
        .finally(() => {
          if (this.chains.get(b.phone) === next) this.chains.delete(b.phone);
        });
      this.chains.set(b.phone, next);
    }
    return Promise.all(this.chains.values()).then(() => undefined);
  }

  /** sending: numbers with texts on their way (for tests and /metrics). */
  sending(): number {
    return this.chains.size;
  }
}
