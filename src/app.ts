import type { Logger } from 'pino';
import type { Config } from './contracts/config.ts';
import type { Alert } from './contracts/alerts.ts';
import type { Rule } from './contracts/rules.ts';
import { AlertBook } from './alerts/book.ts';
import { createAuth, type Principal } from './api/auth.ts';
import { buildServer } from './api/server.ts';
import type { ReferenceData } from './enrich/reference.ts';
import { createMetrics, registerSeriesStats } from './metrics.ts';
import { WsHub } from './notify/ws-hub.ts';
import { createPipeline, type Pipeline } from './pipeline.ts';
import type { RuleEngine } from './rules/engine.ts';
import { Stepper } from './rules/stepper.ts';
import { checkRulePack } from './rules/pack.ts';
import { systemClock, type AlertStore, type Clock, type StateFile, type DeadLetterSink, type NotificationLog, type SeriesStore, type SmsGateway } from './ports/index.ts';
import { createMemorySeriesStore } from './adapters/memory/series.ts';
import { createNotifications, type Notifications } from './notify/notifications.ts';
import { WeatherWarning } from './contracts/events.ts';
import { watch, type FSWatcher } from 'node:fs';
import { severityRank, SEVERITIES } from './domain/severity.ts';

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

/** createApp wires the stages and adapters: decode → enrich → evaluate → alerts → notify. */
export function createApp(o: AppOptions): App {
  const { config, logger, ports } = o;
  const clock = ports.clock ?? systemClock;
  const series = ports.series ?? createMemorySeriesStore();
  const metrics = createMetrics();
  if (series.stats) registerSeriesStats(metrics, () => series.stats!());
  const auth = createAuth(o.secret);
  const book = new AlertBook({ decorate: (a, at) => notifications.decorate(a, at) });
  const stepper = new Stepper(o.reference, o.rules, (siteId) => book.openAlerts().filter((a) => a.siteId === siteId), { lateness: config.rules.lateness });
  const engine = stepper.engine;
  let ready = false;

  const ackAlert = async (id: string, p: Principal, note: string | undefined): Promise<Alert> => {
    const stored = book.acknowledge(id, p.sub, clock.now(), note);
    await pipeline.commit([stored]);
    return stored.event.alert;
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
    openAlerts: () => book.openAlerts(),
    lastSeq: () => book.lastSeq(),
    onAck: async (id, p, note) => void (await ackAlert(id, p, note)),
    demo: o.demo ?? false,
  });

  const pipeline = createPipeline({
    stepper,
    series,
    live: true,
    book,
    store: ports.store,
    deadLetters: ports.deadLetters,
    deliver: (events) => {
      hub.broadcast(events);
      notifications.onEvents(events);
      updateOpenGauge();
    },
    metrics,
    clock,
    logger,
    ...(o.demo ? { extraLabels: { demo: 'true' } } : {}),
    afterBatch: () => persistContext(),
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
      book,
      reference: () => o.reference,
      engine: () => engine,
      context: () => stepper.context,
      pipeline,
      metrics,
      clock,
      maxBodyBytes: config.http.bodyLimitBytes,
      info: { version: o.version ?? '0.0.0', mode: config.mode, demo: o.demo ?? false },
      isReady: () => ready,
      ackAlert,
      notifications,
      series,
      async resolveAlert(id, p, note) {
        const stored = book.resolveManually(id, p.sub, clock.now(), note);
        // The condition may persist: forget rule state so the next reading raises a fresh alert.
        engine.forget(stored.event.alert.ruleId, stored.subjectKey);
        await pipeline.commit([stored]);
        return stored.event.alert;
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
      for (const raw of ports.warningsFile?.load() ?? []) {
        const w = WeatherWarning.safeParse(raw);
        if (w.success) stepper.context.applyWarning(w.data, clock.now());
      }
      savedContextVersion = stepper.context.version;
      updateOpenGauge();
      if (o.watchRules !== false) watchRules();
      await server.listen({ host: config.http.host, port: config.http.port });
      const addr = server.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
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
      logger.info({ port, recoveredOpen: book.openAlerts().length, seq: book.lastSeq() }, 'riskstream ready');
      const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
      return { url: `http://${host}:${port}`, port };
    },
    async stop() {
      // LIFO: stop taking work, close screens, then make state durable.
      ready = false;
      if (snapshotTimer) clearInterval(snapshotTimer);
      if (tickTimer) clearInterval(tickTimer);
      watcher?.close();
      clearTimeout(reloadTimer);
      hub.closeAll();
      await server.close();
      await notifications.stop();
      await snapshot();
      await ports.store.close();
      await ports.deadLetters.close();
      await series.close?.();
    },
  };
}
