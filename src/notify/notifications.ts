import cron from 'node-cron';
import type { Logger } from 'pino';
import type { Alert, AlertEvent } from '../contracts/alerts.ts';
import type { Config } from '../contracts/config.ts';
import { Silence, type SilenceInput } from '../contracts/silences.ts';
import { SEVERITY_ZH, severityRank, type Severity } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import type { AlertBook } from '../alerts/book.ts';
import { DEFAULT_INHIBIT_RULES } from '../alerts/inhibit.ts';
import { limitTransition, type LimitName } from '../alerts/limits.ts';
import { dueEscalations } from '../alerts/escalation.ts';
import { leadersOnDuty, onDuty } from '../alerts/roster.ts';
import { Silences } from '../alerts/silences.ts';
import type { ReferenceData } from '../enrich/reference.ts';
import type { Metrics } from '../metrics.ts';
import type { Clock, NotificationLog, NotificationRecord, SmsGateway, StateFile, StoredAlertEvent } from '../ports/index.ts';
import { muteReason, Notifier, type Intent } from './notifier.ts';
import { createSmsSender } from './sms/sender.ts';
import { renderAlertSms, renderDutyReportHeader } from './sms/templates.ts';

/** NotificationsDeps: the alert book, a way to commit alert events, and the SMS and state ports. */
export interface NotificationsDeps {
  config: Config;
  reference: ReferenceData;
  book: AlertBook;
  commit: (stored: StoredAlertEvent[]) => Promise<void>;
  logger: Logger;
  clock: Clock;
  gateway: SmsGateway;
  nflog: NotificationLog;
  silencesFile?: StateFile;
  metrics?: Metrics;
  /** pushes the daily duty report to the screens */
  broadcast?: (frame: Record<string, unknown>) => void;
  /** Kafka mode: every alert of the shared log (the duty report covers all of them) */
  view?: AlertBook;
  /** Kafka mode: only one instance (the owner of partition 0) texts the duty report */
  sendsReport?: () => boolean;
  /** a silence was made or ended here (Kafka mode: tell the other instances) */
  onSilence?: (s: Silence) => Promise<void>;
}

/**
 * createNotifications: silences (marked on screens, never texted), inhibition, escalation of
 * unacknowledged alerts, grouped and deduplicated texts to the duty roster, and the daily duty
 * report — the alert lifecycle after an alert event is durable.
 */
export function createNotifications(d: NotificationsDeps) {
  const { config, book, logger, clock } = d;
  const limit = (l: LimitName) => (what: 'reached' | 'overflow') => (what === 'reached' ? d.metrics?.limitReached : d.metrics?.limitOverflow)?.inc({ limit: l });
  const silences = new Silences(loadSilences(), { max: config.limits.silences, retention: config.retention, onLimit: limit('silences') });
  // texts folded into summaries since the bound was last clear, and how many the system alert says
  const folds = { total: 0, shown: 0, lastAt: 0 };
  const sender = createSmsSender({ gateway: d.gateway, ratePerMinute: config.sms.ratePerMinute, now: () => clock.now(), logger });
  const siteName = (id?: string) => (id ? d.reference.sites.get(id)?.name : undefined);
  const townName = (id?: string) => (id ? d.reference.townNames[id] : undefined);
  const deps = {
    silencedBy: (a: Alert, at: number) => silences.activeFor(a, at)?.id,
    openAlerts: () => book.openAlerts(),
    inhibitRules: DEFAULT_INHIBIT_RULES,
  };
  /** the notification log is loaded (texts may be recovered against it) */
  let started = false;
  const notifier = new Notifier({
    ...deps,
    log: d.nflog,
    logger,
    now: () => clock.now(),
    onDuty: (town, domain, at) => onDuty(d.reference.roster, town, domain, at),
    render: (intents) => renderGroup(intents),
    send: (msg) => sender.send(msg),
    minSeverity: config.notify.minSeverity,
    groupWait: config.notify.groupWait,
    groupInterval: config.notify.groupInterval,
    textsQueuedPerNumber: config.limits.textsQueuedPerNumber,
    onLimit: (what) => {
      if (what === 'overflow') {
        folds.total++;
        folds.lastAt = clock.now();
      }
      limit('textsQueuedPerNumber')(what);
    },
    onSent: (records) => {
      for (const r of records) d.metrics?.textsSent.inc({ kind: r.kind, role: r.role });
    },
    onFailed: (records, retryable) => {
      for (const r of records) d.metrics?.textsFailed.inc({ kind: r.kind, retryable: String(retryable) });
    },
  });
  const jobs: { stop(): void }[] = [];

  /** loadSilences: a stored silence that no longer passes is dropped with a warning naming file and index (and quarantined). */
  function loadSilences(): Silence[] {
    return d.silencesFile?.load(Silence) ?? [];
  }

  function saveSilences(): void {
    d.silencesFile?.save(silences.list()).catch((err: unknown) => logger.error({ err }, 'saving silences failed'));
  }

  function renderGroup(intents: readonly Intent[]): string {
    const first = intents[0]!;
    const a = first.alert;
    if (intents.length === 1) {
      const ctx = { siteName: siteName(a.siteId) ?? a.siteId, townName: townName(a.town) ?? a.town, ...(first.kind === 'escalated' ? { escalatedTo: first.to.name } : {}) };
      return renderAlertSms(first.kind, a, ctx as never);
    }
    // many alerts at one site in one text: counts per colour and the worst one
    const worst = [...intents].sort((x, y) => severityRank(y.alert.severity) - severityRank(x.alert.severity))[0]!.alert;
    const counts = new Map<Severity, number>();
    for (const i of intents) counts.set(i.alert.severity, (counts.get(i.alert.severity) ?? 0) + 1);
    const colours = [...counts].sort((x, y) => severityRank(y[0]) - severityRank(x[0])).map(([s, n]) => `${SEVERITY_ZH[s]}${n}`).join(' ');
    const where = `${townName(a.town) ?? ''}${siteName(a.siteId) ?? a.siteId ?? ''}`;
    const verb = first.kind === 'resolved' ? '已解除' : first.kind === 'escalated' ? '超时未确认（已升级）' : '告警';
    const action = worst.actions[0] ? `。处置：${worst.actions[0]}` : '';
    return `【风险${verb}】${where} ${intents.length}条：${colours}；最高：${worst.title}${action}。请在指挥中心大屏确认。`;
  }

  function sweep(now: number): void {
    if (silences.sweep(now, config.retention)) saveSilences();
    const n = book.prune(now - config.retention);
    if (n > 0) logger.info({ pruned: n }, 'resolved alerts past retention dropped');
  }

  /** reconcile marks and unmarks silenced open alerts on the screens (a silence started, ended or was deleted). */
  async function reconcileSilences(now: number): Promise<void> {
    const stored: StoredAlertEvent[] = [];
    for (const a of book.openAlerts()) {
      const s = silences.activeFor(a, now);
      const patch = s ? { silenced: 'true', silenceId: s.id } : { silenced: undefined, silenceId: undefined };
      if ((s && a.labels.silenceId !== s.id) || (!s && a.labels.silenced)) {
        const ev = book.relabel(a.id, patch, now);
        if (ev) stored.push(ev);
      }
    }
    await d.commit(stored);
  }

  async function escalate(now: number): Promise<void> {
    const due = dueEscalations(book.openAlerts(), now, config.escalation, (a) => muteReason(a, deps, now) !== undefined);
    const stored = due.map(({ alert, to }) => {
      const duty = onDuty(d.reference.roster, alert.town, alert.domain, now);
      const who = to === 'leader' ? duty?.leader.name : duty?.officer.name;
      return book.escalate(alert.id, now, who ? `${to}:${who}` : to);
    });
    await d.commit(stored);
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

  return {
    silences,
    notifier,
    /** decorate marks an alert covered by a silence as it fires or changes */
    decorate(a: Alert, at: number): Record<string, string> | undefined {
      const s = silences.activeFor(a, at);
      return s ? { silenced: 'true', silenceId: s.id } : undefined;
    },
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
      const n = notifier.recover(book.openAlerts());
      if (n > 0) logger.warn({ texts: n }, 'texts for open alerts were not confirmed sent before the restart; sending them now');
      jobs.push(cron.schedule(config.notify.dutyReport, () => void dutyReport().catch((err: unknown) => logger.error({ err }, 'duty report failed')), { timezone: 'Asia/Shanghai' }));
      // housekeeping: resolved alerts and ended silences past retention (silence marks follow every tick)
      jobs.push(cron.schedule('*/10 * * * *', () => sweep(clock.now()), { timezone: 'Asia/Shanghai' }));
    },
    /** tick runs every second: silence marks, escalations, due texts, retention */
    async tick(): Promise<void> {
      const now = clock.now();
      await reconcileSilences(now);
      await escalate(now);
      await notifier.tick();
      await textsLimit(now);
      d.metrics?.textsPending.set(notifier.pending());
    },
    async addSilence(input: SilenceInput, by: string): Promise<Silence> {
      const s = silences.add(input, by, clock.now());
      saveSilences();
      await d.onSilence?.(s);
      await reconcileSilences(clock.now());
      return s;
    },
    async expireSilence(id: string, by: string): Promise<Silence> {
      const s = silences.expire(id, by, clock.now());
      saveSilences();
      await d.onSilence?.(s);
      await reconcileSilences(clock.now());
      return s;
    },
    /** putSilence applies a silence made or ended on another instance */
    async putSilence(s: Silence): Promise<void> {
      silences.put(s);
      saveSilences();
      await reconcileSilences(clock.now());
    },
    sweep,
    records: (alertId: string) => notifier.records(alertId),
    dutyReport,
    async stop(): Promise<void> {
      for (const j of jobs) j.stop();
      await notifier.tick();
      await d.nflog.close();
      await d.gateway.close();
    },
  };
}

/** Notifications: the running notification stage. */
export type Notifications = ReturnType<typeof createNotifications>;
