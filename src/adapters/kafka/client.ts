// The kafkajs client as riskstream uses it: logs into pino, the co-partitioned assigner (Kafka
// Streams' rule: partition p of every keyed topic goes to the same member, so all state of a site
// lives in one instance), and the producers' key → partition hash for ownership decisions.
import { readFileSync } from 'node:fs';
import kafkajs, { type Kafka as KafkaClient, type KafkaConfig, type PartitionAssigner, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';

// kafkajs is CommonJS: under Node's ESM loader only its default export (module.exports) is reliable
const { Kafka, Partitioners, AssignerProtocol, logLevel } = kafkajs;

/** KafkaSecurity: config `kafka.sasl` and `kafka.ssl` (a secured cluster). */
export interface KafkaSecurity {
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  ssl?: { enabled: boolean; ca?: string | undefined; rejectUnauthorized: boolean } | undefined;
}

/** KafkaClientOptions: brokers, the client id of this instance and how to authenticate. */
export interface KafkaClientOptions extends KafkaSecurity {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  /** a one-shot command gives up sooner than a running instance (default: up to 12 retries, 5 s apart at most) */
  retry?: { retries: number; maxRetryTime: number };
}

/**
 * securityOf turns `kafka.sasl` / `kafka.ssl` into kafkajs settings; a CA file that cannot be read
 * is a CONFIG_INVALID naming kafka.ssl.ca.
 */
export function securityOf(o: KafkaSecurity): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const out: Pick<KafkaConfig, 'sasl' | 'ssl'> = {};
  if (o.ssl?.enabled) {
    let ca: string | undefined;
    if (o.ssl.ca) {
      try {
        ca = readFileSync(o.ssl.ca, 'utf8');
      } catch (err) {
        throw new AppError('CONFIG_INVALID', `kafka.ssl.ca: cannot read ${o.ssl.ca}: ${(err as Error).message}`, { details: [{ path: 'kafka.ssl.ca', message: 'not readable' }] });
      }
    }
    out.ssl = { rejectUnauthorized: o.ssl.rejectUnauthorized, ...(ca ? { ca: [ca] } : {}) };
  }
  if (o.sasl) out.sasl = { mechanism: o.sasl.mechanism, username: o.sasl.username, password: o.sasl.password } as KafkaConfig['sasl'];
  return out;
}

/** pinoLogCreator sends kafkajs logs to pino (kafkajs INFO is chatty: logged at debug). */
function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }) => {
      const { message, timestamp: _ts, logger: _l, ...rest } = log as { message: string; timestamp?: string; logger?: string };
      if (level === logLevel.ERROR) child.error(rest, message);
      else if (level === logLevel.WARN) child.warn(rest, message);
      else if (level === logLevel.INFO) child.debug(rest, message);
      else child.trace(rest, message);
    };
}

/** createKafkaClient: one kafkajs client; retries back off up to 5 s (a broker restart takes ~10 s). */
export function createKafkaClient(o: KafkaClientOptions): KafkaClient {
  return new Kafka({
    clientId: o.clientId,
    brokers: [...o.brokers],
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(o.logger),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, maxRetryTime: o.retry?.maxRetryTime ?? 5000, retries: o.retry?.retries ?? 12 },
    ...securityOf(o),
  });
}

const defaultPartitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, { partitionId: number; leader: number }[]>();

/** partitionOf: the partition a producer's default (murmur2, Java-compatible) partitioner picks for `key` among `n`. */
export function partitionOf(key: string, n: number): number {
  let meta = metadataCache.get(n);
  if (!meta) {
    meta = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }));
    metadataCache.set(n, meta);
  }
  return defaultPartitioner({ topic: '', partitionMetadata: meta as never, message: { key, value: null } });
}

/** CO_PARTITIONED: the assigner's protocol name (every member of a group must offer it). */
export const CO_PARTITIONED = 'RiskstreamCoPartitioned';

/**
 * coPartitionedAssigner: deals partition numbers (not topic-partitions) round-robin over the
 * sorted members, and gives a member partition p of every subscribed topic, so readings, breaker
 * events and enforcement events of one site meet in one instance (the default round-robin
 * assigner would split them).
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED,
  version: 1,
  async assign({ members, topics }) {
    const sorted = members.map((m) => m.memberId).sort();
    const counts = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).length] as const));
    const n = Math.max(0, ...counts.values());
    const plan = new Map<string, Record<string, number[]>>(sorted.map((id) => [id, {}]));
    for (let p = 0; p < n; p++) {
      const member = plan.get(sorted[p % sorted.length]!)!;
      for (const t of topics) if (p < counts.get(t)!) (member[t] ??= []).push(p);
    }
    return sorted.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: plan.get(memberId)!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: CO_PARTITIONED, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});
