import kafkajs, { type Admin, type LogEntry, type logCreator } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { TOPIC_SPECS, defaultReplication, ensureTopics, topicNameProblem, type TopicReport } from '../adapters/kafka/topics.ts';
import { securityOf } from '../adapters/kafka/client.ts';
import { loadConfig } from '../config/load.ts';
import { AppError } from '../errors.ts';
import { reportProblems } from './report.ts';

// kafkajs is CommonJS: under Node's ESM loader only its default export (module.exports) is reliable
const { Kafka, logLevel } = kafkajs;

const NAME = 'riskstream topics create';
/** CONNECT_DEADLINE_MS: an unreachable or silent broker fails within this, with a clear message. */
const CONNECT_DEADLINE_MS = 15_000;

/** kafkaLogCreator routes kafkajs logs to pino (stderr); kafkajs logs retried, transient problems as ERROR, so they are warnings here. */
function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...rest } = log;
      const fields = { ns: namespace, ...rest };
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, `kafkajs: ${message}`);
      else if (level === logLevel.INFO) logger.info(fields, `kafkajs: ${message}`);
      else logger.debug(fields, `kafkajs: ${message}`);
    };
}

function positiveInt(flag: string, raw: string | undefined): number | undefined | Error {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1) return new Error(`${flag}: expected a positive integer, got "${raw}"`);
  return n;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function errText(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string }; originalError?: { message?: string } };
  const base = err?.message ?? String(e);
  const inner = err?.originalError?.message ?? err?.cause?.message;
  return inner && !base.includes(inner) ? `${base}: ${inner}` : base;
}

/** formatReport: one line per topic — `created`, `ok`, `MISMATCH` or `ERROR`. */
export function formatReport(r: TopicReport): string {
  const a = r.actual;
  const settings = a
    ? `partitions=${a.partitions} replication=${a.replication}` + r.spec.verify.map((k) => (a.configs[k] !== undefined ? ` ${k}=${a.configs[k]}` : '')).join('')
    : '';
  switch (r.status) {
    case 'created':
      return `created  ${r.spec.topic}  ${settings}`;
    case 'ok':
      return `ok       ${r.spec.topic}  ${settings}`;
    case 'mismatch':
      return `MISMATCH ${r.spec.topic}: ${r.problems.join('; ')}`;
    case 'error':
      return `ERROR    ${r.spec.topic}: ${r.problems.join('; ')}`;
  }
}

/**
 * runTopicsCreate: `riskstream topics create [--config FILE] [--partitions N] [--replication N]`
 * creates the missing topics of CONTRACT §5 and verifies all of them. Prints one line per topic
 * on stdout; 0 when all exist and match, 1 otherwise (or when Kafka cannot be reached), 2 on bad
 * configuration or arguments.
 */
export async function runTopicsCreate(values: { config?: string; partitions?: string; replication?: string }): Promise<number> {
  const partitions = positiveInt('--partitions', values.partitions);
  const replicationFlag = positiveInt('--replication', values.replication);
  if (partitions instanceof Error || replicationFlag instanceof Error) {
    process.stderr.write(`${NAME}: ${(partitions instanceof Error ? partitions : (replicationFlag as Error)).message}\n`);
    return 2;
  }

  let config;
  try {
    ({ config } = loadConfig(values.config ? { file: values.config } : {}));
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`${NAME}: ${err.code}\n`);
      reportProblems(err, '  ');
      return 2;
    }
    throw err;
  }
  const { brokers, clientId, topicPrefix } = config.kafka;
  // the names depend only on the prefix: check them before connecting
  const nameProblems = TOPIC_SPECS(topicPrefix, { replication: 1 })
    .map((s) => topicNameProblem(s.topic))
    .filter((p): p is string => p !== undefined);
  if (nameProblems.length > 0) {
    process.stderr.write(`${NAME}: CONFIG_INVALID\n  kafka.topicPrefix: ${nameProblems[0]}\n`);
    return 2;
  }

  // logs (JSON) go to stderr; stdout carries only the per-topic lines
  const logger = pino({ level: process.env.RISKSTREAM_LOG_LEVEL ?? 'error', base: { svc: 'riskstream', cmd: 'topics' } }, pino.destination(2));
  const kafka = new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 20_000,
    retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 2_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    ...securityOf(config.kafka),
  });
  const admin: Admin = kafka.admin();
  const where = brokers.join(',');
  try {
    try {
      await withDeadline(admin.connect(), CONNECT_DEADLINE_MS, 'connect');
    } catch (e) {
      process.stderr.write(`${NAME}: cannot connect to Kafka at ${where}: ${errText(e)}\n  (check kafka.brokers / RISKSTREAM_KAFKA_BROKERS and that the brokers are running)\n`);
      return 1;
    }
    let replication = replicationFlag;
    let brokerCount: number;
    try {
      brokerCount = (await withDeadline(admin.describeCluster(), CONNECT_DEADLINE_MS, 'describeCluster')).brokers.length;
    } catch (e) {
      process.stderr.write(`${NAME}: cannot describe the Kafka cluster at ${where}: ${errText(e)}\n`);
      return 1;
    }
    replication ??= defaultReplication(brokerCount);
    if (replication > brokerCount) {
      process.stderr.write(`${NAME}: --replication ${replication} is more than the ${brokerCount} broker(s) of the cluster at ${where}\n`);
      return 1;
    }
    const specs = TOPIC_SPECS(topicPrefix, { replication, ...(partitions !== undefined ? { partitions } : {}) });
    let reports: TopicReport[];
    try {
      reports = await ensureTopics(admin, specs, logger);
    } catch (e) {
      process.stderr.write(`${NAME}: Kafka at ${where} failed: ${errText(e)}\n`);
      return 1;
    }
    for (const r of reports) process.stdout.write(formatReport(r) + '\n');
    const count = (s: TopicReport['status']) => reports.filter((r) => r.status === s).length;
    const bad = count('mismatch') + count('error');
    process.stderr.write(
      `${reports.length} topics on ${where} (${brokerCount} broker(s), replication ${replication}): ` +
        `${count('created')} created, ${count('ok')} ok, ${count('mismatch')} mismatch, ${count('error')} error\n`,
    );
    return bad === 0 ? 0 : 1;
  } finally {
    await admin.disconnect().catch(() => {});
    logger.flush();
  }
}
