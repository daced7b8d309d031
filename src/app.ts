import type { Logger } from 'pino';
import type { Config } from './contracts/config.ts';
import type { Alert } from './contracts/alerts.ts';
import type { Rule } from './contracts/rules.ts';
import { AlertBook } from './alerts/book.ts';
import { createAuth, type Principal } from './auth/auth.ts';
import { buildServer } from './api/server.ts';
import type { ReferenceData } from './enrich/reference.ts';
import { createMetrics, registerClusterStats, registerSeriesStats } from './metrics.ts';
import { WsHub } from './notify/ws-hub.ts';
import { createPipeline, type Pipeline } from './pipeline.ts';
import type { RuleEngine } from './rules/engine.ts';
import { Stepper } from './rules/stepper.ts';
import { checkRulePack } from './rules/pack.ts';
import type { AlertTransition } from './domain/transition.ts';
import { fingerprintOf } from './domain/fingerprint.ts';
import { formatTs } from './domain/time.ts';
import { gateEvents } from './ingest/gate.ts';
import { Command } from './contracts/commands.ts';
import { AppError } from './errors.ts';
import type { Cluster, ClusterHandlers, StoredAlertEvent } from './ports/index.ts';
import { systemClock, type AuditLog, type AlertStore, type Clock, type StateFile, type DeadLetterSink, type NotificationLog, type SeriesStore, type SmsGateway } from './ports/index.ts';
import { createMemorySeriesStore } from './adapters/memory/series.ts';
import { createNotifications, type Notifications } from './notify/notifications.ts';
import { WeatherWarning, type Event } from './contracts/events.ts';
import { watch, type FSWatcher } from 'node:fs';
import { severityRank, SEVERITIES } from './domain/severity.ts';

/** AlertCommand: an operator's ack or resolve of one alert. */
type AlertCommand = Extract<Command, { type: 'ack' | 'resolve' }>;

/** AppPorts: the adapters an app runs on (embedded: journal files; distributed: Kafka). */
export interface AppPorts {
  store: AlertStore;
  deadLetters: DeadLetterSink;
  /** the SMS provider (log, HTTP or SMPP) */
  sms: SmsGateway;
  /** what was texted to whom */
  nflog: NotificationLog;
  /** keeps silences across restarts */
  silencesFile?: StateFile;
  /** history of readings (default: a bounded in-memory ring) */
  series?: SeriesStore;
  /** keeps the weather warnings in force across restarts */
  warningsFile?: StateFile;
  clock?: Clock;
  /** Kafka mode: the consumer group, the shared alert log and the command topic */
  cluster?: Cluster;
  /** the hash-chained audit trail: every alert event, silence and text record (embedded mode) */
  audit?: AuditLog;
}

/** AppOptions: everything createApp needs, already loaded and validated. */
export interface AppOptions {
  config: Config;
  secret: string;
  reference: ReferenceData;
  rules: Rule[];
  rulesDir: string;
  logger: Logger;
  ports: AppPorts;
  demo?: boolean;
  version?: string;
  /** watch the rule directory and reload on change (default true) */
  watchRules?: boolean;
  /** the process must stop (alert events could not be made durable) */
  onFatal?: (err: unknown) => void;
}

/** App: a running riskstream instance. */
export interface App {
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  pipeline: Pipeline;
  book: AlertBook;
  engine: RuleEngine;
  stepper: Stepper;
  hub: WsHub;
  notifications: Notifications;
}

/**
 * withAudit: what becomes durable also goes to the audit trail, in the same order — alert events
 * once they are in the store, text records once they are in the notification log.
 */
function withAudit(ports: AppPorts): AppPorts {
  const audit = ports.audit;
  if (!audit) return ports;
  return {
    ...ports,
    store: {
      load: () => ports.store.load(),
      snapshot: (st) => ports.store.snapshot(st),
      close: () => ports.store.close(),
      async append(events) {
        await ports.store.append(events);
        await audit.append('alert', events.map((e) => ({ subjectKey: e.subjectKey, event: e.event })));
      },
    },
    nflog: {
      load: () => ports.nflog.load(),
      close: () => ports.nflog.close(),
      async append(records) {
        await ports.nflog.append(records);
        await audit.append('text', records);
      },
    },
  };
}

/** createApp wires the stages and adapters: decode → enrich → evaluate → alerts → notify. */
export function createApp(o: AppOptions): App {
  const { config, logger } = o;
  const ports = withAudit(o.ports);
  const clock = ports.clock ?? systemClock;
  const series = ports.series ?? createMemorySeriesStore();
  const metrics = createMetrics();
  if (series.stats) registerSeriesStats(metrics, () => series.stats!());
  if (ports.cluster) registerClusterStats(metrics, () => ports.cluster!.stats());
  const auth = createAuth(o.secret);
  const book = new AlertBook({
    decorate: (a, at) => notifications.decorate(a, at),
    maxEventAge: config.notify.maxEventAge,
    limits: config.limits,
    siteName: (id) => o.reference.sites.get(id)?.name,
    onLimit: (limit, what) => (what === 'reached' ? metrics.limitReached : metrics.limitOverflow).inc({ limit }),
  });
  const cluster = ports.cluster;
  // Kafka mode: `book` holds the alerts this instance owns (its partitions' sites) and decides their
  // lifecycle; `view` is every alert of the shared log (seq = offset + 1), what screens and the API see.
  const view = cluster ? new AlertBook() : book;
  let owned = new Set<number>();
  const ownerPartition = (siteId: string | undefined, fingerprint: string): number => cluster!.partitionOf(siteId ?? fingerprint);
  const keep = (t: AlertTransition): boolean => owned.has(ownerPartition(t.siteId, fingerprintOf(t.subjectKey)));
  const stepper = new Stepper(o.reference, o.rules, (siteId) => book.openAlerts().filter((a) => a.siteId === siteId), {
    lateness: config.rules.lateness,
    limits: config.limits,
    logger,
    onLimit: (limit, what) => (what === 'reached' ? metrics.limitReached : metrics.limitOverflow).inc({ limit }),
    onEvicted: () => metrics.ruleState.set(stepper.engine.stateSize()),
  });
  const engine = stepper.engine;
  let ready = false;

  /** applyHere applies an operator's ack or resolve to an alert this instance holds (embedded: all; Kafka mode: the ones it owns). */
  async function applyHere(cmd: AlertCommand): Promise<Alert> {
    const at = Date.parse(cmd.at);
    const stored = cmd.type === 'ack' ? book.acknowledge(cmd.alertId, cmd.by, at, cmd.note) : book.resolveManually(cmd.alertId, cmd.by, at, cmd.note);
    // a repeated ack by the same person changes nothing: no event, nothing journaled
    if (!stored) return book.get(cmd.alertId)!.alert;
    // The condition may persist: forget rule state so the next reading raises a fresh alert.
    if (cmd.type === 'resolve') engine.forget(stored.event.alert.ruleId, stored.subjectKey);
    await pipeline.commit([stored]);
    return stored.event.alert;
  }

  /** operatorAction: the API's ack and resolve; Kafka mode sends them to the owner through the commands topic. */
  const operatorAction =
    (type: AlertCommand['type']) =>
    async (id: string, p: Principal, note: string | undefined): Promise<Alert> => {
      const cmd: AlertCommand = { type, alertId: id, by: p.sub, at: formatTs(clock.now()), ...(note ? { note } : {}) };
      if (!cluster) return applyHere(cmd);
      // a repeated ack makes no event for the owner to send back: answer at once
      const cur = view.get(id)?.alert;
      if (type === 'ack' && cur?.state === 'acknowledged' && cur.acks.some((a) => a.by === p.sub)) return cur;
      const applied =
        type === 'ack'
          ? (s: StoredAlertEvent) => s.event.kind === 'acknowledged' && s.event.alert.acks.some((a) => a.by === p.sub && a.at === cmd.at)
          : (s: StoredAlertEvent) => s.event.kind === 'resolved' && s.event.alert.labels.resolvedBy === p.sub;
      return viaCommand(id, cmd, applied);
    };
  const ackAlert = operatorAction('ack');
  const resolveAlert = operatorAction('resolve');

  // ---- Kafka mode: operator commands go through risk.alerts.commands; the owner applies them
  const viewWaiters = new Set<(s: StoredAlertEvent) => void>();
  const COMMAND_WAIT_MS = 10_000;
  /** viaCommand publishes a command and answers with the alert once the owner's change is back in the shared log (or as it is after 10 s). */
  async function viaCommand(id: string, cmd: Command, done: (s: StoredAlertEvent) => boolean): Promise<Alert> {
    const rec = view.get(id);
    if (!rec) throw new AppError('NOT_FOUND', `alert ${id} not found`);
    if (rec.alert.state === 'resolved') throw new AppError('CONFLICT', `alert ${id} is already resolved`);
    let timer: NodeJS.Timeout | undefined;
    let waiter: ((s: StoredAlertEvent) => void) | undefined;
    const applied = new Promise<Alert | undefined>((resolve) => {
      waiter = (s) => {
        if (s.event.alert.id === id && done(s)) resolve(s.event.alert);
      };
      viewWaiters.add(waiter);
      timer = setTimeout(() => resolve(undefined), COMMAND_WAIT_MS);
    });
    try {
      await cluster!.publishCommand(id, cmd);
      const a = await applied;
      if (!a) logger.warn({ alertId: id, cmd: cmd.type }, 'command published but not yet applied by the alert owner (no owner right now?); it applies when one takes over');
      return a ?? view.get(id)!.alert;
    } finally {
      clearTimeout(timer);
      viewWaiters.delete(waiter!);
    }
  }

  /**
   * pending: acks and resolves for alerts this instance does not hold (yet), by alert id, applied
   * when it adopts the alert — made during a rebalance, or while no instance held the alert live
   * (read back from the commands topic at start). Bounded: a day old at most, 10,000 at most (the
   * oldest go first, logged).
   */
  const pending = new Map<string, { cmd: AlertCommand; at: number }>();
  const PENDING_MS = 24 * 3_600_000;
  const PENDING_MAX = 10_000;
  function holdForOwner(cmd: AlertCommand): void {
    const at = Date.parse(cmd.at);
    pending.delete(cmd.alertId);
    pending.set(cmd.alertId, { cmd, at: Number.isFinite(at) ? at : clock.now() });
    for (const [k, v] of pending) {
      if (pending.size <= PENDING_MAX && clock.now() - v.at <= PENDING_MS) break;
      if (pending.size > PENDING_MAX) logger.warn({ alertId: k, cmd: v.cmd.type }, 'pending operator command dropped: more than 10,000 held for alerts no instance owns');
      pending.delete(k);
    }
  }
  /** appliedAlready: whether an alert already carries the effect of a command (the same ack, or resolved). */
  const appliedAlready = (a: Alert, cmd: AlertCommand): boolean => a.state === 'resolved' || (cmd.type === 'ack' && a.acks.some((x) => x.by === cmd.by && (x.at === cmd.at || a.state === 'acknowledged')));
  async function applyCommand(cmd: Command): Promise<void> {
    if (cmd.type === 'silence') return notifications.putSilence(cmd.silence);
    const rec = book.get(cmd.alertId);
    if (!rec) {
      // not ours, or not adopted yet (a rebalance in progress): keep it for the next owner
      if (view.get(cmd.alertId)?.alert.state !== 'resolved') holdForOwner(cmd);
      return;
    }
    if (rec.alert.state === 'resolved') return;
    await applyHere(cmd);
  }

  /** gate: the one ingest gate of HTTP and Kafka input (reference sites, ingest.unknownSites, the clock) */
  const gate = (events: readonly Event[], indexOf?: (i: number) => number) => gateEvents(events, { sites: o.reference.sites, unknownSites: config.ingest.unknownSites, now: clock.now() }, indexOf);

  const clusterHandlers: ClusterHandlers = {
    // the same gate as HTTP ingest, for any producer (the adapter dead-letters the refusals)
    gate: (_topic, events) => gate(events),
    async events(topic, events, meta) {
      await pipeline.process(topic, events, [], 'kafka', { emit: !meta.warmup });
    },
    alertEvent(s) {
      // a send retried after a timeout may land twice: the repeat of the alert's last event is dropped
      const last = view.get(s.event.alert.id)?.history.at(-1);
      if (last && last.kind === s.event.kind && last.at === s.event.at && JSON.stringify(last.alert) === JSON.stringify(s.event.alert)) return;
      view.replay(s);
      hub.broadcast([s.event]);
      for (const w of viewWaiters) w(s);
    },
    alertState(s) {
      view.adopt({ subjectKey: s.subjectKey, alert: s.event.alert, history: [] });
    },
    async command(raw, live) {
      const c = Command.safeParse(raw);
      if (!c.success) {
        logger.warn({ issues: c.error.issues.slice(0, 3) }, 'unreadable command skipped');
        return;
      }
      // while catching up at start, an ack or resolve may or may not have reached the alert log yet
      // (its owner may have died first): hold it; whoever adopts the alert applies it unless it shows
      if (!live && c.data.type !== 'silence') return holdForOwner(c.data);
      await applyCommand(c.data);
    },
    async assigned(partitions) {
      if (!(await cluster!.catchUpAlertLog())) logger.warn('the alert log was not read to its end within 30 s; adopting open alerts from what was read');
      const next = new Set(partitions);
      let dropped = 0;
      let adopted = 0;
      for (const rec of book.openRecords()) {
        if (!next.has(ownerPartition(rec.alert.siteId, rec.alert.fingerprint))) {
          book.drop(rec.alert.id);
          dropped++;
        }
      }
      owned = next;
      for (const rec of view.openRecords()) {
        if (!next.has(ownerPartition(rec.alert.siteId, rec.alert.fingerprint))) continue;
        if (book.adopt(rec)) {
          adopted++;
          engine.seed(rec.alert.ruleId, rec.subjectKey, rec.alert.severity);
          const p = pending.get(rec.alert.id);
          if (p) {
            pending.delete(rec.alert.id);
            if (!appliedAlready(book.get(rec.alert.id)!.alert, p.cmd)) {
              logger.info({ alertId: rec.alert.id, cmd: p.cmd.type, by: p.cmd.by }, 'operator command made while no instance held the alert: applied on adoption');
              await applyCommand(p.cmd);
            }
          }
        }
      }
      // texts the old owner did not get to send (the shared notification log does not show them) go out now
      const owed = notifications.recover(book.openAlerts().filter((a) => next.has(ownerPartition(a.siteId, a.fingerprint))));
      if (owed > 0) logger.warn({ texts: owed }, 'texts for taken-over alerts were not sent by their old owner; sending them now');
      logger.info({ partitions, adopted, dropped, open: book.openAlerts().length }, 'ownership changed');
      updateOpenGauge();
    },
    warmedUp(partition) {
      // the warm-up rebuilt windows from events; the alerts that are open decide the rule state
      for (const rec of book.openRecords()) {
        if (ownerPartition(rec.alert.siteId, rec.alert.fingerprint) === partition) engine.seed(rec.alert.ruleId, rec.subjectKey, rec.alert.severity);
      }
    },
  };

  const hub = new WsHub({
    auth,
    logger,
    metrics,
    allowedOrigins: config.http.allowedOrigins,
    heartbeatMs: config.ws.heartbeat,
    maxBufferedBytes: config.ws.maxBufferedBytes,
    replayBuffer: config.ws.replayBuffer,
    now: () => clock.now(),
    openAlerts: () => view.openAlerts(),
    lastSeq: () => view.lastSeq(),
    onAck: async (id, p, note) => void (await ackAlert(id, p, note)),
    demo: o.demo ?? false,
    subscribePerSecond: config.limits.wsSubscribePerSecond,
  });

  const pipeline = createPipeline({
    stepper,
    series,
    live: true,
    book,
    store: ports.store,
    deadLetters: ports.deadLetters,
    deliver: (events) => {
      // Kafka mode: screens get alert events from the shared log (clusterHandlers.alertEvent)
      if (!cluster) hub.broadcast(events);
      notifications.onEvents(events);
      updateOpenGauge();
    },
    metrics,
    clock,
    logger,
    ...(o.demo ? { extraLabels: { demo: 'true' } } : {}),
    afterBatch: () => persistContext(),
    ...(cluster ? { keep } : {}),
    onFatal: (err) => {
      ready = false;
      o.onFatal?.(err);
    },
  });

  const notifications = createNotifications({
    config,
    reference: o.reference,
    book,
    commit: (stored) => pipeline.commit(stored),
    logger,
    clock,
    gateway: ports.sms,
    nflog: ports.nflog,
    ...(ports.silencesFile ? { silencesFile: ports.silencesFile } : {}),
    broadcast: (frame) => hub.broadcastFrame(frame),
    metrics,
    ...(cluster ? { onSilence: (s) => cluster.publishCommand(s.id, { type: 'silence', silence: s }), view, sendsReport: () => owned.has(0) } : {}),
    ...(!cluster && ports.audit ? { onSilence: (s) => ports.audit!.append('silence', [s]) } : {}),
  });

  function updateOpenGauge(): void {
    const counts = [0, 0, 0, 0];
    for (const a of book.openAlerts()) counts[severityRank(a.severity)]!++;
    SEVERITIES.forEach((s, i) => metrics.openAlerts.set({ severity: s }, counts[i]!));
    metrics.ruleState.set(engine.stateSize());
  }

  const server = buildServer(
    {
      auth,
      book: view,
      reference: () => o.reference,
      engine: () => engine,
      context: () => stepper.context,
      pipeline,
      metrics,
      clock,
      maxBodyBytes: config.http.bodyLimitBytes,
      gate,
      info: { version: o.version ?? '0.0.0', mode: config.mode, demo: o.demo ?? false },
      isReady: () => ready,
      ackAlert,
      resolveAlert,
      notifications,
      series,
      // resolves to the events refused at evaluation (SUBJECT_LIMIT, already dead-lettered; `index` = position in `events`)
      async ingest(topic, events, rejections) {
        if (!cluster) return (await pipeline.process(topic, events, rejections, 'http')).refused;
        // Kafka mode: rejections are dead-lettered here; accepted events go onto their topic for the partition's owner (which refuses and dead-letters there)
        await pipeline.process(topic, [], rejections, 'http');
        if (events.length > 0) await cluster.sink.publish(topic, events);
        return [];
      },
      reloadRules: () => reloadRules(),
    },
    hub,
    logger,
  );

  let savedContextVersion = stepper.context.version;
  const persistContext = (): void => {
    if (!ports.warningsFile || stepper.context.version === savedContextVersion) return;
    savedContextVersion = stepper.context.version;
    ports.warningsFile.save(stepper.context.sources()).catch((err: unknown) => logger.error({ err }, 'saving weather warnings failed'));
  };

  function reloadRules() {
    const r = checkRulePack(o.rulesDir);
    if (!r.ok) return r;
    engine.load(r.rules);
    for (const rec of book.openRecords()) engine.seed(rec.alert.ruleId, rec.subjectKey, rec.alert.severity);
    logger.info({ rules: r.rules.length }, 'rules reloaded');
    return { ok: true as const, rules: r.rules.length };
  }

  let watcher: FSWatcher | undefined;
  let reloadTimer: NodeJS.Timeout | undefined;
  const watchRules = (): void => {
    try {
      watcher = watch(o.rulesDir, () => {
        // editors write files in several steps: reload once things settle
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => {
          const r = reloadRules();
          if (!r.ok) logger.error({ errors: r.errors }, 'rule pack changed but is invalid; the previous rules stay active');
        }, 500);
        reloadTimer.unref();
      });
      watcher.on('error', (err) => logger.warn({ err: err.message }, 'rule directory watch failed'));
    } catch (err) {
      logger.warn({ err: (err as Error).message, dir: o.rulesDir }, 'cannot watch the rule directory; use POST /api/v1/rules/reload');
    }
  };

  let snapshotTimer: NodeJS.Timeout | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  const snapshot = () => ports.store.snapshot(book.exportState());

  return {
    pipeline,
    book,
    engine,
    stepper,
    hub,
    notifications,
    async start() {
      const { snapshot: snap, tail } = await ports.store.load();
      book.restore(snap, tail);
      // Rule state follows the recovered open alerts, so a clearing reading after a restart resolves them.
      for (const rec of book.openRecords()) engine.seed(rec.alert.ruleId, rec.subjectKey, rec.alert.severity);
      // a stored warning that no longer passes is dropped with a warning naming file and index (and quarantined)
      for (const w of ports.warningsFile?.load(WeatherWarning) ?? []) stepper.context.applyWarning(w, clock.now());
      savedContextVersion = stepper.context.version;
      updateOpenGauge();
      if (o.watchRules !== false) watchRules();
      await server.listen({ host: config.http.host, port: config.http.port });
      const addr = server.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
      // Kafka mode: catch up on the alert log, commands and weather, then join the group (readyz stays 503 until then)
      if (cluster) await cluster.start(clusterHandlers);
      snapshotTimer = setInterval(() => {
        snapshot().catch((err: unknown) => logger.error({ err }, 'alert snapshot failed'));
      }, config.snapshotEvery);
      snapshotTimer.unref();
      // Timers (absence, deadlines, windows) follow the wall clock too, so silence is caught when nothing arrives.
      await notifications.start();
      tickTimer = setInterval(() => {
        pipeline
          .tick()
          .then(() => notifications.tick())
          .catch((err: unknown) => logger.error({ err }, 'timer tick failed'));
      }, 1000);
      tickTimer.unref();
      ready = true;
      logger.info({ port, mode: config.mode, open: view.openAlerts().length, seq: view.lastSeq() }, 'riskstream ready');
      const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
      return { url: `http://${host}:${port}`, port };
    },
    async stop() {
      // LIFO: stop taking work, close screens, then make state durable.
      ready = false;
      // Kafka mode: stop fetching, finish the batch in hand, commit its offsets; the producer stays for what follows
      const step = async (name: string, f: () => unknown): Promise<void> => {
        const t0 = performance.now();
        await f();
        logger.debug({ step: name, ms: Math.round(performance.now() - t0) }, 'shutdown step done');
      };
      await step('kafka consumers', () => cluster?.stop());
      if (snapshotTimer) clearInterval(snapshotTimer);
      if (tickTimer) clearInterval(tickTimer);
      watcher?.close();
      clearTimeout(reloadTimer);
      hub.closeAll();
      await step('http server', () => server.close());
      await step('notifications', () => notifications.stop());
      await step('alert snapshot', () => snapshot());
      await step('alert store', () => ports.store.close());
      if (ports.audit) await step('audit trail', () => ports.audit!.close());
      await step('dead letters', () => ports.deadLetters.close());
      await step('history', () => series.close?.());
    },
  };
}
