import type { Logger } from 'pino';
import type { Config } from './contracts/config.ts';
import type { Alert } from './contracts/alerts.ts';
import type { Rule } from './contracts/rules.ts';
import { AlertBook } from './alerts/book.ts';
import { createAuth, type Principal } from './auth/auth.ts';
import { buildServer, routesOf } from './api/server.ts';
import type { ReferenceData } from './enrich/reference.ts';
import { countFailures, createMetrics, registerReadiness, registerRuleStats, registerSeriesStats, type Journal, type Metrics } from './metrics.ts';
import { WsHub } from './notify/ws-hub.ts';
import { createPipeline, type Pipeline } from './pipeline.ts';
import type { RuleEngine } from './rules/engine.ts';
import { Stepper } from './rules/stepper.ts';
import { checkRulePack } from './rules/pack.ts';
import { formatTs } from './domain/time.ts';
import { gateEvents } from './ingest/gate.ts';
import { embeddedTopology } from './topology/embedded.ts';
import type { AlertCommand, TopologyFactory } from './topology/types.ts';
import { systemClock, type AuditLog, type AlertStore, type Clock, type StateFile, type DeadLetterSink, type NotificationLog, type SeriesStore, type SmsGateway } from './ports/index.ts';
import { createMemorySeriesStore } from './adapters/memory/series.ts';
import { createNotifications, type Notifications } from './notify/notifications.ts';
import { createLifecycle, type Lifecycle } from './alerts/lifecycle.ts';
import { WeatherWarning, type Event } from './contracts/events.ts';
import { watch, type FSWatcher } from 'node:fs';
import { SEVERITIES } from './domain/severity.ts';

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
  /** how instances share the work (default: embedded, one instance owns everything; Kafka: kafkaTopology) */
  topology?: TopologyFactory;
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
  lifecycle: Lifecycle;
  /** what the 1-s timer runs: rule timers, the lifecycle (silence marks, escalation), due texts */
  tick(): Promise<void>;
  /** the HTTP routes the server registered, as `METHOD path` (the OpenAPI document must list each) */
  routes(): string[];
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
      // Kafka mode: the other instances' texts (without it a takeover texted everything again)
      ...(ports.nflog.subscribe ? { subscribe: (fn: Parameters<NonNullable<NotificationLog['subscribe']>>[0]) => ports.nflog.subscribe!(fn) } : {}),
      async append(records) {
        await ports.nflog.append(records);
        await audit.append('text', records);
      },
    },
  };
}

/** withJournalErrors counts failed journal writes in riskstream_journal_errors_total{journal} (the errors still propagate). */
function withJournalErrors(ports: AppPorts, m: Metrics): AppPorts {
  const inc = (journal: Journal) => () => m.journalErrors.inc({ journal });
  return {
    ...ports,
    store: countFailures(ports.store, { append: inc('alerts'), snapshot: inc('snapshot') }),
    nflog: countFailures(ports.nflog, { append: inc('notifications') }),
    deadLetters: countFailures(ports.deadLetters, { write: inc('dead_letters') }),
    ...(ports.audit ? { audit: countFailures(ports.audit, { append: inc('audit') }) } : {}),
  };
}

/** createApp wires the stages and adapters: decode → enrich → evaluate → alerts → notify. */
export function createApp(o: AppOptions): App {
  const { config, logger } = o;
  const metrics = createMetrics();
  const ports = withAudit(withJournalErrors(o.ports, metrics));
  const clock = ports.clock ?? systemClock;
  const series = ports.series ?? createMemorySeriesStore();
  if (series.stats) registerSeriesStats(metrics, () => series.stats!());
  registerRuleStats(metrics, () => stepper.engine.unconfigured());
  registerReadiness(metrics, () => ready);
  const auth = createAuth(o.secret);
  const book = new AlertBook({
    decorate: (a, at) => lifecycle.decorate(a, at),
    maxEventAge: config.notify.maxEventAge,
    limits: config.limits,
    siteName: (id) => o.reference.sites.get(id)?.name,
    onLimit: (limit, what) => (what === 'reached' ? metrics.limitReached : metrics.limitOverflow).inc({ limit }),
  });
  const stepper = new Stepper(o.reference, o.rules, (siteId) => book.openAt(siteId), {
    lateness: config.rules.lateness,
    now: () => clock.now(),
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
    const stored =
      cmd.type === 'ack'
        ? book.acknowledge(cmd.alertId, cmd.by, at, cmd.note)
        : cmd.type === 'confirm'
          ? book.confirm(cmd.alertId, cmd.by, at, cmd.note)
          : book.resolveManually(cmd.alertId, cmd.by, at, cmd.note);
    // a repeated ack (or confirmation) by the same person changes nothing: no event, nothing journaled
    if (!stored) return book.get(cmd.alertId)!.alert;
    // The condition may persist: forget rule state so the next reading raises a fresh alert.
    if (cmd.type === 'resolve') engine.forget(stored.event.alert.ruleId, stored.subjectKey);
    await pipeline.commit([stored]);
    return stored.event.alert;
  }

  /** gate: the one ingest gate of HTTP and Kafka input (reference sites, ingest.unknownSites, the clock) */
  const gate = (events: readonly Event[], indexOf?: (i: number) => number) => gateEvents(events, { sites: o.reference.sites, unknownSites: config.ingest.unknownSites, now: clock.now(), simulated: o.demo ? 'accept' : 'refuse' }, indexOf);

  // how this instance shares the work (embedded: it owns everything; Kafka: partitions of a consumer group)
  const topology = (ports.topology ?? embeddedTopology)({
    book,
    engine,
    logger,
    clock,
    metrics,
    apply: applyHere,
    putSilence: (s) => lifecycle.putSilence(s),
    recover: (alerts) => notifications.recover(alerts),
    process: (topic, events, rejections, source, opts) => pipeline.process(topic, events, rejections, source, opts),
    gate,
    changed: () => updateOpenGauge(),
    rejected: (topic, items) => pipeline.counted(topic, items, 'kafka'),
  });
  // what screens and the API see: every alert of the alert log
  const view = topology.log.view;

  /** operatorAction: the API's and the screens' ack and resolve, sent to whichever instance holds the alert. */
  const operatorAction =
    (type: AlertCommand['type']) =>
    (id: string, p: Principal, note: string | undefined): Promise<Alert> =>
      topology.commands.send({ type, alertId: id, by: p.sub, at: formatTs(clock.now()), ...(note ? { note } : {}) });
  const ackAlert = operatorAction('ack');
  const resolveAlert = operatorAction('resolve');
  const confirmAlert = operatorAction('confirm');

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
    openAlert: (id) => view.getOpen(id),
    lastSeq: () => view.lastSeq(),
    onAck: async (id, p, note) => void (await ackAlert(id, p, note)),
    demo: o.demo ?? false,
    subscribePerSecond: config.limits.wsSubscribePerSecond,
  });

  // screens follow the alert log, whoever wrote the event
  topology.log.subscribe((events) => hub.broadcast(events));

  const pipeline = createPipeline({
    stepper,
    series,
    live: true,
    book,
    store: ports.store,
    deadLetters: ports.deadLetters,
    deliver: (events) => {
      topology.log.published(events);
      notifications.onEvents(events);
      updateOpenGauge();
    },
    metrics,
    clock,
    logger,
    ...(o.demo ? { extraLabels: { demo: 'true' } } : {}),
    afterBatch: () => persistContext(),
    keep: (t) => topology.ownership.owns(t),
    onFatal: (err) => {
      ready = false;
      o.onFatal?.(err);
    },
  });

  // the alert lifecycle: silence marks, escalation, retention, the mute decision
  const lifecycle = createLifecycle({
    config,
    demo: o.demo,
    book,
    commit: (stored) => pipeline.commit(stored),
    roster: o.reference.roster,
    hasContacts: (siteId) => (o.reference.sites.get(siteId)?.contacts?.length ?? 0) > 0,
    logger,
    clock,
    ...(ports.silencesFile ? { silencesFile: ports.silencesFile } : {}),
    metrics,
    async onSilence(s) {
      await topology.commands.shareSilence(s);
      await ports.audit?.append('silence', [s]);
    },
  });

  // notify: the sink that texts the duty roster about the alert events it is given
  const notifications = createNotifications({
    config,
    reference: o.reference,
    book,
    commit: (stored) => pipeline.commit(stored),
    logger,
    clock,
    gateway: ports.sms,
    nflog: ports.nflog,
    muter: lifecycle.muter,
    demo: o.demo ?? false,
    broadcast: (frame) => hub.broadcastFrame(frame),
    metrics,
    view,
    sendsReport: () => topology.ownership.sendsReport(),
  });

  function updateOpenGauge(): void {
    // kept by the book as alerts change: O(1), whatever the number of open alerts
    const counts = book.openCounts();
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
      confirmAlert,
      notifications,
      lifecycle,
      series,
      ...(config.reference.outlines ? { outlines: config.reference.outlines } : {}),
      // resolves to the events refused at evaluation (SUBJECT_LIMIT, already dead-lettered; `index` = position in `events`)
      ingest: (topic, events, rejections) => topology.intake.ingest(topic, events, rejections),
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

  /** tick: rule timers, then the lifecycle, then due texts */
  async function tick(): Promise<void> {
    await pipeline.tick();
    await lifecycle.tick();
    await notifications.tick();
  }

  return {
    pipeline,
    book,
    engine,
    stepper,
    hub,
    notifications,
    lifecycle,
    tick,
    routes: () => routesOf(server),
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
      // join the others (Kafka mode: catch up on the alert log, commands and weather, join the group; readyz stays 503 until then)
      await topology.start();
      snapshotTimer = setInterval(() => {
        snapshot().catch((err: unknown) => logger.error({ err }, 'alert snapshot failed'));
      }, config.snapshotEvery);
      snapshotTimer.unref();
      // Timers (absence, deadlines, windows) follow the wall clock too, so silence is caught when nothing arrives.
      await notifications.start();
      lifecycle.start();
      tickTimer = setInterval(() => {
        tick().catch((err: unknown) => logger.error({ err }, 'timer tick failed'));
      }, 1000);
      tickTimer.unref();
      ready = true;
      logger.info({ port, mode: config.mode, open: view.openAlerts().length, seq: view.lastSeq() }, 'riskstream ready');
      const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
      return { url: `http://${host}:${port}`, port };
    },
    async stop() {
      // LIFO: stop taking work, close screens, then make state durable. Kafka mode: stop fetching,
      // finish the batch in hand, commit its offsets; the producer stays for what follows.
      ready = false;
      const step = async (name: string, f: () => unknown): Promise<void> => {
        const t0 = performance.now();
        await f();
        logger.debug({ step: name, ms: Math.round(performance.now() - t0) }, 'shutdown step done');
      };
      // timers first: giving its work away, it escalates and texts nothing more (sent twice otherwise)
      if (snapshotTimer) clearInterval(snapshotTimer);
      if (tickTimer) clearInterval(tickTimer);
      await step('texts due', () => notifications.flush());
      await step('topology', () => topology.stop());
      watcher?.close();
      clearTimeout(reloadTimer);
      hub.closeAll();
      await step('http server', () => server.close());
      lifecycle.stop();
      await step('notifications', () => notifications.stop());
      await step('alert snapshot', () => snapshot());
      await step('alert store', () => ports.store.close());
      if (ports.audit) await step('audit trail', () => ports.audit!.close());
      await step('dead letters', () => ports.deadLetters.close());
      await step('history', () => series.close?.());
    },
  };
}
