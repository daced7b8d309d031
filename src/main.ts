import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp, type App } from './app.ts';
import type { ConfigInput } from './contracts/config.ts';
import { BUNDLED, PROJECT_ROOT } from './config/paths.ts';
import { loadConfig, resolveSecret, startFlagLayer } from './config/load.ts';
import { loadReference } from './enrich/reference.ts';
import { loadRulePack, warmupByTopic } from './rules/pack.ts';
import { createKafkaCluster } from './adapters/kafka/cluster.ts';
import { kafkaTopology } from './topology/kafka.ts';
import { AppError } from './errors.ts';
import { createJournalAlertStore } from './adapters/journal/alert-journal.ts';
import { createJournalDeadLetterSink } from './adapters/journal/dead-letter.ts';
import { createStateFile } from './adapters/journal/state-file.ts';
import { createJournalAuditLog } from './adapters/journal/audit-log.ts';
import { createJournalNotificationLog } from './adapters/journal/notification-log.ts';
import { createSmsGateway } from './adapters/sms-gateway.ts';
import { createInfluxSeriesStore } from './adapters/influx/series.ts';
import { createAuth } from './auth/auth.ts';
import { startBundledDemo } from './jobs/demo.ts';

/** StartFlags: `riskstream start` flags (CONTRACT.md §1). */
export interface StartFlags {
  config?: string;
  demo?: boolean;
  port?: number;
  data?: string;
  sites?: string;
  rules?: string;
  calendar?: string;
  roster?: string;
  /** move unreadable journal lines and state records to <dataDir>/quarantine/ instead of refusing to start */
  repair?: boolean;
}

/** WARMUP_CAP_MS: the longest warm-up replay of a partition (24 h). */
export const WARMUP_CAP_MS = 24 * 3_600_000;

/** VERSION: the package version. */
export const VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Running: a started instance with its URL and a way to stop it. */
export interface Running {
  app: App;
  url: string;
  port: number;
  /** only with --demo: a 12-hour operator token for the printed dashboard URL */
  operatorToken?: string;
  stop(): Promise<void>;
}

/**
 * boot is the composition root: load config → reference data and rules → adapters → createApp →
 * start (→ demo). Config and rule problems throw AppError with every path named.
 */
export async function boot(flags: StartFlags, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Running> {
  const flagLayer: ConfigInput = startFlagLayer(flags);
  const { config } = loadConfig({ ...(flags.config ? { file: flags.config } : {}), env, flags: flagLayer });
  const reference = loadReference({
    sites: config.reference.sites ?? BUNDLED.sites,
    roster: config.reference.roster ?? BUNDLED.roster,
    calendar: config.reference.calendar ?? BUNDLED.calendar,
  });
  const rulesDir = config.rules.dir ?? BUNDLED.rules;
  const rules = loadRulePack(rulesDir);
  const secret = resolveSecret(config);
  if (flags.demo && config.mode === 'kafka') {
    throw new AppError('CONFIG_INVALID', 'the demo scenario runs in embedded mode only', { details: [{ path: 'mode', message: '--demo needs mode: embedded' }] });
  }
  const onFatal = () => {
    // memory is ahead of what is durable: exit so a restart recovers from the journal / committed offsets
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
  };
  const cluster =
    config.mode === 'kafka'
      ? createKafkaCluster({
          ...config.kafka,
          logger,
          // replay this much before the committed offset of a newly assigned partition: per topic, the
          // longest window of the rules reading it (capped: telemetry retention is 7 days)
          warmupMs: warmupByTopic(rules, WARMUP_CAP_MS),
          onFatal,
        })
      : undefined;
  const app = createApp({
    config,
    secret,
    reference,
    rules,
    rulesDir,
    logger,
    demo: flags.demo ?? false,
    version: VERSION,
    onFatal,
    ports: {
      store: cluster ? cluster.store : createJournalAlertStore({ dataDir: config.dataDir, logger, repair: flags.repair ?? false }),
      deadLetters: cluster ? cluster.deadLetters : createJournalDeadLetterSink({ dataDir: config.dataDir }),
      // Kafka mode rebuilds the warnings in force from the weather topics
      ...(cluster ? { topology: kafkaTopology(cluster) } : { warningsFile: createStateFile(config.dataDir, 'warnings.json', { logger, repair: flags.repair ?? false }) }),
      silencesFile: createStateFile(config.dataDir, 'silences.json', { logger, repair: flags.repair ?? false }),
      // Kafka mode: one log for every instance, so a takeover neither repeats nor misses a text
      nflog: cluster ? cluster.nflog : createJournalNotificationLog(config.dataDir, { logger }),
      // the hash-chained audit trail (riskstream audit verify [--kafka])
      audit: cluster ? cluster.audit : createJournalAuditLog(config.dataDir, { logger }),
      sms: createSmsGateway(config, logger),
      ...(config.influx ? { series: createInfluxSeriesStore({ ...config.influx, logger }) } : {}),
    },
  });
  const { url, port } = await app.start();
  const stopDemo = flags.demo ? startBundledDemo({ scenario: BUNDLED.demo, pipeline: app.pipeline, reference: app.stepper.reference, logger, now: () => Date.now() }) : () => undefined;
  const operatorToken = flags.demo ? await createAuth(secret).sign({ sub: 'demo-operator', role: 'operator', towns: '*' }, '12h') : undefined;
  return {
    app,
    url,
    port,
    ...(operatorToken ? { operatorToken } : {}),
    async stop() {
      stopDemo();
      await app.stop();
    },
  };
}
