import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { verifyAudit } from '../adapters/journal/audit-log.ts';
import { loadConfig } from '../config/load.ts';

/** AuditVerifyOptions: the options of `riskstream audit verify`; `kafka: true` is `--kafka` without brokers. */
export interface AuditVerifyOptions {
  data?: string;
  config?: string;
  kafka?: string | boolean;
  topic?: string;
  allowCut?: boolean;
}

/**
 * runAuditVerify: `riskstream audit verify [--data DIR] [--config FILE]` walks the audit trail of
 * the data dir; `--kafka BROKERS` (or `--kafka` with the config's brokers) reads risk.audit (or
 * `--topic NAME`) instead. It reports the first broken link (file and line, or partition and
 * offset), exit 1; exit 0 when whole; exit 2 when there is nothing to read.
 */
export async function runAuditVerify(values: AuditVerifyOptions): Promise<number> {
  // `--kafka` alone (true): the configured brokers
  const brokersFlag = typeof values.kafka === 'string' ? values.kafka : undefined;
  const flags = { ...(values.data ? { dataDir: values.data } : {}), ...(brokersFlag ? { kafka: { brokers: brokersFlag.split(',').map((b) => b.trim()) } } : {}) };
  const { config } = loadConfig({ ...(values.config ? { file: values.config } : {}), flags });
  if (values.kafka !== undefined || values.topic !== undefined) return verifyKafka(config, values.topic, values.allowCut ?? false);
  if (!existsSync(config.dataDir)) {
    process.stderr.write(`riskstream audit verify: no data dir ${config.dataDir}\n`);
    return 2;
  }
  const v = verifyAudit(config.dataDir);
  // a data dir that holds alerts but no trail at all: the trail was removed, not "whole"
  const holdsAlerts = ['alerts.snapshot.json', 'alerts.journal.ndjson'].some((f) => existsSync(join(config.dataDir, f)) && statSync(join(config.dataDir, f)).size > 0);
  if (v.ok && v.records === 0 && holdsAlerts) {
    process.stdout.write(`BROKEN ${join(config.dataDir, 'audit.ndjson')}: no audit trail, but the data dir holds alerts (the trail was removed)\n`);
    return 1;
  }
  if (!v.ok) {
    process.stdout.write(`BROKEN ${v.file}:${v.line}: ${v.reason} (${v.records} records verified before it)\n`);
    return 1;
  }
  process.stdout.write(`ok: ${v.records} records in ${v.files} file(s), records ${v.from}..${v.from + v.records - 1}, head ${v.head}\n`);
  return 0;
}

async function verifyKafka(config: ReturnType<typeof loadConfig>['config'], topicFlag: string | undefined, allowCut: boolean): Promise<number> {
  // loaded on demand: kafkajs is needed only here
  const { createKafkaClient } = await import('../adapters/kafka/client.ts');
  const { verifyKafkaAudit } = await import('../adapters/kafka/audit.ts');
  const { TOPIC } = await import('../adapters/kafka/topics.ts');
  const topic = topicFlag ?? `${config.kafka.topicPrefix}${TOPIC.audit}`;
  // stderr carries only the verdict's reason unless asked for more (kafkajs logs every retry)
  const logger = pino({ level: process.env.RISKSTREAM_LOG_LEVEL ?? 'silent' }, pino.destination(2));
  const kafka = createKafkaClient({ ...config.kafka, clientId: `${config.kafka.clientId}-audit`, logger, retry: { retries: 3, maxRetryTime: 1000 } });
  let v;
  try {
    v = await verifyKafkaAudit(kafka, topic, { allowCut });
  } catch (err) {
    process.stderr.write(`riskstream audit verify: cannot read ${topic} from ${config.kafka.brokers.join(',')}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (!v.ok) {
    process.stdout.write(`BROKEN ${topic}[${v.partition}]@${v.offset} (writer ${v.writer}): ${v.reason} (${v.records} records verified before it)\n`);
    return 1;
  }
  const heads = Object.entries(v.heads).map(([w, h]) => `  ${w}: records 1..${h.n}, head ${h.hash}`);
  process.stdout.write(
    `ok: ${v.records} records of ${v.writers} writer(s) in ${topic}` +
      (v.duplicates > 0 ? `, ${v.duplicates} repeated by a retried send` : '') +
      (v.startsLater ? ' (retention removed the topic’s start: chains may begin later)' : '') +
      '\n' +
      heads.join('\n') +
      (heads.length ? '\n' : ''),
  );
  return 0;
}
