import cron from 'node-cron';
import type { Logger } from 'pino';
import type { Alert, AlertEvent } from '../contracts/alerts.ts';
import type { Config } from '../contracts/config.ts';
import { SEVERITY_ZH, severityRank, type Severity } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import type { AlertBook } from '../alerts/book.ts';
import { limitTransition } from '../alerts/limits.ts';
import type { Muter } from '../alerts/mute.ts';
import { leadersOnDuty, onDuty } from '../alerts/roster.ts';
import type { ReferenceData } from '../enrich/reference.ts';
import type { Metrics } from '../metrics.ts';
import type { Clock, NotificationLog, NotificationRecord, SmsGateway, StoredAlertEvent } from '../ports/index.ts';
import { Notifier, type Intent } from './notifier.ts';
import { createSmsSender } from './sms/sender.ts';
import { renderAlertSms, renderDutyReportHeader, renderSiteSms, requiredAction } from './sms/templates.ts';

/** FLUSH_AT_STOP_MS: how long a shutdown waits for the texts due to go out. */
const FLUSH_AT_STOP_MS = 10_000;

/** RESOLVED_RECOVERY_MS: a resolution owed at a restart is still sent if the alert resolved this recently. */
const RESOLVED_RECOVERY_MS = 3_600_000;

/** NotificationsDeps: the alert book, a way to commit alert events, the mute decision, and the SMS ports. */
export interface NotificationsDeps {
  config: Config;
  reference: ReferenceData;
  book: AlertBook;
  commit: (stored: StoredAlertEvent[]) => Promise<void>;
  logger: Logger;
  clock: Clock;
  gateway: SmsGateway;
  nflog: NotificationLog;
  /** the lifecycle's mute decision (drills, back-fill, silences, inhibition) */
  muter: Muter;
  metrics?: Metrics;
  /** pushes the daily duty report to the screens */
  broadcast?: (frame: Record<string, unknown>) => void;
  /** a demo server: every text says it is a demonstration with simulated data */
  demo?: boolean;
  /** Kafka mode: every alert of the shared log (the duty report covers all of them) */
  view?: AlertBook;
  /** Kafka mode: only one instance (the owner of partition 0) texts the duty report */
  sendsReport?: () => boolean;
}

/**
 * createNotifications: the sink that tells people — grouped and deduplicated texts to the duty
 * roster for the alert events it is given (muted ones are not texted), the one system alert while
 * texts are folded, and the daily duty report. The lifecycle (silences, escalation, retention)
 * lives in `src/alerts/lifecycle.ts`.
 */
export function createNotifications(d: NotificationsDeps) {
  const { config, book, logger, clock } = d;
  const limit = (what: 'reached' | 'overflow') => (what === 'reached' ? d.metrics?.limitReached : d.metrics?.limitOverflow)?.inc({ limit: 'textsQueuedPerNumber' });
  // texts folded into summaries since the bound was last clear, and how many the system alert says
  const folds = { total: 0, shown: 0, lastAt: 0 };
  const sender = createSmsSender({ gateway: d.gateway, ratePerMinute: config.sms.ratePerMinute, now: () => clock.now(), logger });
  const siteName = (id?: string) => (id ? d.reference.sites.get(id)?.name : undefined);
  const townName = (id?: string) => (id ? d.reference.townNames[id] : undefined);
  /** the notification log is loaded (texts may be recovered against it) */
  let started = false;
  const notifier = new Notifier({
    muter: d.muter,
    openAlert: (id) => book.getOpen(id),
    log: d.nflog,
    logger,
    now: () => clock.now(),
    onDuty: (town, domain, at) => onDuty(d.reference.roster, town, domain, at),
    // a demo's texts say so (a demo pointed at a real SMS provider must not read as a real alarm)
    render: (intents) => (d.demo ? `【演示·模拟数据】${renderGroup(intents)}` : renderGroup(intents)),
    send: (msg) => sender.send(msg),
    minSeverity: config.notify.minSeverity,
    siteContacts: (id) => d.reference.sites.get(id)?.contacts ?? [],
    ...(config.notify.siteContacts.enabled ? { siteMinSeverity: config.notify.siteContacts.minSeverity } : {}),
    groupWait: config.notify.groupWait,
    groupInterval: config.notify.groupInterval,
    textsQueuedPerNumber: config.limits.textsQueuedPerNumber,
    onLimit: (what) => {
      if (what === 'overflow') {
        folds.total++;
        folds.lastAt = clock.now();
      }
      limit(what);
    },
    onDropped: (stage, n) => d.metrics?.textsSkipped.inc({ stage }, n),
    onSent: (records) => {
      for (const r of records) d.metrics?.textsSent.inc({ kind: r.kind, role: r.role });
    },
    onFailed: (records, retryable) => {
      for (const r of records) d.metrics?.textsFailed.inc({ kind: r.kind, retryable: String(retryable) });
    },
  });
  const jobs: { stop(): void }[] = [];

  /** siteCtx: what a company's text names — its site and town, and the duty room's number to call back */
  function siteCtx(a: Alert) {
    const duty = onDuty(d.reference.roster, a.town, a.domain, clock.now());
    return { siteName: siteName(a.siteId) ?? a.siteId, townName: townName(a.town) ?? a.town, ...(duty ? { dutyPhone: duty.officer.phone } : {}) };
  }

  function renderGroup(all: readonly Intent[]): string {
    // one alert owed twice (two escalation levels in one interval) is one alert in the text
    const intents = [...new Map(all.map((i) => [i.alert.id, i])).values()];
    const first = intents[0]!;
    const a = first.alert;
    // the company is asked to act (fired); anything else it is told like anyone else
    const ask = first.role === 'site' && first.kind === 'fired';
    if (intents.length === 1 && !ask) {
      const ctx = { siteName: siteName(a.siteId) ?? a.siteId, townName: townName(a.town) ?? a.town, ...(first.kind === 'escalated' ? { escalatedTo: first.to.name } : {}) };
      return renderAlertSms(first.kind, a, ctx as never);
    }
    // many alerts at one site in one text: counts per colour and the worst one — of equal colour, a
    // measured exceedance (a value over a threshold) before a monitoring fault, then the latest
    const measuredFirst = (a: Alert) => (a.value !== undefined && a.threshold !== undefined ? 1 : 0);
    const worst = [...intents].sort((x, y) => severityRank(y.alert.severity) - severityRank(x.alert.severity) || measuredFirst(y.alert) - measuredFirst(x.alert) || y.alert.startsAt.localeCompare(x.alert.startsAt))[0]!.alert;
    // the company: what to do at its site about the worst alert, and to confirm it
    if (ask) return renderSiteSms(worst, siteCtx(worst), intents.length - 1);
    const counts = new Map<Severity, number>();
    for (const i of intents) counts.set(i.alert.severity, (counts.get(i.alert.severity) ?? 0) + 1);
    const colours = [...counts].sort((x, y) => severityRank(y[0]) - severityRank(x[0])).map(([s, n]) => `${SEVERITY_ZH[s]}${n}`).join(' ');
    const where = [townName(a.town), siteName(a.siteId) ?? a.siteId].filter(Boolean).join(' ');
    if (first.kind === 'unconfirmed') return `【企业未反馈】${where} ${intents.length}条预警未收到企业处置反馈，最高：${worst.title}。请电话督促企业落实处置，核实后在指挥中心大屏登记企业反馈。`;
    if (first.role === 'site') return `【解除】${where} ${intents.length}条预警已解除：${colours}。`;
    const verb = first.kind === 'resolved' ? '已解除' : first.kind === 'escalated' ? '超时未确认（已升级）' : '告警';
    // the action of the worst alert's own level (not the first one listed, which is the yellow one)
    const required = requiredAction(worst);
    const action = required ? `。处置：${required}` : '';
    return `【风险${verb}】${where} ${intents.length}条：${colours}；最高：${worst.title}${action}。请在指挥中心大屏确认。`;
  }

  /**
   * textsLimit raises (and refreshes) the one system alert while texts are folded into summaries,
   * and resolves it once they are sent and nothing was folded for a group interval.
   */
  async function textsLimit(now: number): Promise<void> {
    const cap = config.limits.textsQueuedPerNumber;
    let action: 'fire' | 'resolve' | undefined;
    if (folds.total > folds.shown) action = 'fire';
    else if (folds.total > 0 && notifier.folded() === 0 && now - folds.lastAt >= config.notify.groupInterval) action = 'resolve';
    if (!action) return;
    const t = limitTransition(action, 'textsQueuedPerNumber', cap, {}, folds.total, now);
    if (action === 'resolve') folds.total = 0;
    folds.shown = folds.total;
    await d.commit(book.apply([t], now));
  }

  async function dutyReport(): Promise<void> {
    const now = clock.now();
    const since = now - 86_400_000;
    const all = d.view ?? book;
    const recent = all.all().filter((a) => Date.parse(a.startsAt) >= since);
    const real = recent.filter((a) => !a.labels.drill);
    const fired: Partial<Record<Severity, number>> = {};
    for (const a of real) fired[a.severity] = (fired[a.severity] ?? 0) + 1;
    const perTown: Record<string, Record<string, number>> = {};
    for (const a of real) {
      const t = (perTown[a.town ?? '-'] ??= {});
      t[a.domain] = (t[a.domain] ?? 0) + 1;
    }
    const summary = { at: now, fired, open: all.openAlerts().length, escalated: real.filter((a) => a.escalation > 0).length, drills: recent.length - real.length };
    const text = renderDutyReportHeader(summary);
    d.broadcast?.({ type: 'report', kind: 'duty', at: formatTs(now), text, summary: { ...summary, at: formatTs(now), perTown } });
    if (d.sendsReport && !d.sendsReport()) return;
    const day = formatTs(now).slice(0, 10);
    for (const leader of leadersOnDuty(d.reference.roster, now)) {
      const key = `report/${day}/${leader.phone}`;
      if (notifier.records(key).some((r) => r.status === 'sent')) continue;
      try {
        const res = await sender.send({ id: key, to: leader.phone, text });
        const rec: NotificationRecord = { key, alertId: key, kind: 'report', level: 0, to: leader.phone, name: leader.name, role: 'leader', at: clock.now(), smsId: key, status: 'sent', providerIds: res.providerIds };
        await d.nflog.append([rec]);
        notifier.note(rec);
      } catch (err) {
        logger.error({ err, to: leader.phone }, 'duty report not sent');
      }
    }
  }

  /** pruneRecords: the notifier forgets records of alerts the book no longer holds, older than retention. */
  function pruneRecords(now: number): number {
    // the view holds every alert held anywhere (Kafka mode: the shared log; embedded: the book itself)
    const n = notifier.prune(now - config.retention, (id) => (d.view ?? book).get(id) !== undefined);
    if (n > 0) logger.info({ alerts: n }, 'text records of alerts past retention dropped from memory');
    return n;
  }

  return {
    notifier,
    onEvents(events: readonly AlertEvent[]): void {
      notifier.onEvents(events);
    },
    /**
     * recover queues the texts of alerts taken over from another instance that the shared log does
     * not show as sent (the old owner died between raising and texting); returns how many
     */
    recover(alerts: readonly Alert[]): number {
      // before start the log is not loaded yet: start() recovers every open alert itself
      return started ? notifier.recover(alerts) : 0;
    },
    async start(): Promise<void> {
      await notifier.start();
      started = true;
      // Kafka mode: texts sent by other instances (the old owner of a site) are known here too
      d.nflog.subscribe?.((r) => notifier.note(r));
      d.gateway.onDeliveryReceipt?.((r) => void notifier.receipt(r).catch((err: unknown) => logger.warn({ err }, 'delivery receipt not recorded')));
      // resolutions of the last hour owed to whoever was told the alert fired are owed still
      const recent = clock.now() - RESOLVED_RECOVERY_MS;
      const n = notifier.recover(book.openAlerts(), book.all().filter((a) => a.state === 'resolved' && Date.parse(a.endsAt ?? a.updatedAt) >= recent));
      if (n > 0) logger.warn({ texts: n }, 'texts for open alerts were not confirmed sent before the restart; sending them now');
      jobs.push(cron.schedule(config.notify.dutyReport, () => void dutyReport().catch((err: unknown) => logger.error({ err }, 'duty report failed')), { timezone: 'Asia/Shanghai' }));
      // what was texted about alerts gone past retention leaves memory (the log keeps it)
      jobs.push(cron.schedule('*/10 * * * *', () => void pruneRecords(clock.now()), { timezone: 'Asia/Shanghai' }));
    },
    /** tick runs every second: due texts go on their numbers' chains (resolves once those sent; the 1-s timer does not wait for it), the folded-texts system alert */
    async tick(): Promise<void> {
      const now = clock.now();
      const sends = notifier.tick();
      await textsLimit(now);
      await sends;
      d.metrics?.textsPending.set(notifier.pending());
    },
    records: (alertId: string) => notifier.records(alertId),
    dutyReport,
    /** flush sends the texts that are due now (at shutdown, while this instance still owns their alerts) */
    // bounded: a provider failing every attempt must not hold a shutdown for minutes; what is not
    // sent by then is owed, and the next start (or the next owner) recovers it
    flush: (): Promise<void> => Promise.race([notifier.tick(), new Promise<void>((r) => setTimeout(r, FLUSH_AT_STOP_MS).unref())]),
    /** stop sends nothing more: what is still queued is owed, and the next owner (or this instance after a restart) sends it */
    async stop(): Promise<void> {
      for (const j of jobs) j.stop();
      await d.nflog.close();
      await d.gateway.close();
    },
  };
}

/** Notifications: the running notification stage. */
export type Notifications = ReturnType<typeof createNotifications>;
