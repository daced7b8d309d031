import { randomUUID } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import type { Logger } from 'pino';
import { checkLink, chainRecords, GENESIS, parseLink, type ChainHead } from '../../domain/audit-chain.ts';
import type { AuditLog } from '../../ports/index.ts';

// Kafka mode's audit trail: topic `risk.audit` (1 partition, never compacted). Every instance
// process is a chain of its own (`writer`, also the record key), starting at record 1 chained to
// GENESIS: the alert events it wrote (raised … acknowledged, resolved, escalated), the silences
// made or ended on it and the texts it sent. `riskstream audit verify --kafka` reads the topic
// and checks every writer's chain.

/** createKafkaAuditLog: appends chained records for one writer (this process) with the instance's bounded sender. */
export function createKafkaAuditLog(o: { send: (tm: { topic: string; messages: Message[] }[]) => Promise<void>; topic: string; writer: string; now: () => number; logger: Logger }): AuditLog {
  let head: ChainHead = { n: 0, hash: GENESIS };
  let chain: Promise<unknown> = Promise.resolve();
  return {
    append(kind, records) {
      if (records.length === 0) return Promise.resolve();
      const p = chain.then(async () => {
        const chained = chainRecords(head, { at: o.now(), kind, writer: o.writer }, records);
        await o.send([{ topic: o.topic, messages: chained.lines.map((value) => ({ key: o.writer, value })) }]);
        // the head moves only once Kafka has the records: a failed send is retried with the same links
        head = chained.head;
      });
      chain = p.catch((err: unknown) => o.logger.error({ err }, 'audit records not written to Kafka'));
      return p;
    },
    close: async () => void (await chain),
  };
}

/** KafkaAuditVerdict: every writer's chain is whole, or where the first break is (partition, offset). */
export type KafkaAuditVerdict =
  | { ok: true; records: number; writers: number; duplicates: number; heads: Record<string, ChainHead>; startsLater: boolean }
  | { ok: false; partition: number; offset: string; writer: string; reason: string; records: number };

/**
 * verifyKafkaAudit reads `topic` from its first kept offset to its end as of now and checks each
 * writer's chain: an edited record, a removed one or two swapped ones break it. A record repeated
 * by a retried send (the same record twice in a row) is counted, not a break. A topic whose start
 * is gone is a break, unless `allowCut` (a retention set on purpose): then a chain may begin past
 * record 1.
 */
export async function verifyKafkaAudit(kafka: Kafka, topic: string, opts: { timeoutMs?: number; allowCut?: boolean } = {}): Promise<KafkaAuditVerdict> {
  const admin = kafka.admin();
  await admin.connect();
  let offsets: { partition: number; low: string; high: string }[];
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist (created by \`riskstream topics create\`; written by instances in mode kafka)`);
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const startsLater = offsets.some((p) => Number(p.low) > 0);
  // risk.audit keeps everything (retention -1): a start that is gone was deleted, unless a retention was set on purpose
  const cut = offsets.find((p) => Number(p.low) > 0);
  if (cut && !opts.allowCut) return { ok: false, partition: cut.partition, offset: cut.low, writer: '-', reason: `the first ${cut.low} records of the trail are gone (deleted, or removed by a retention set by hand; pass --allow-cut if that retention is deliberate)`, records: 0 };
  const want = new Map(offsets.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const byPartition = new Map<number, { offset: string; key: string; text: string }[]>();
  if (want.size > 0) {
    const consumer = kafka.consumer({ groupId: `riskstream-audit-verify-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${topic} not read to its end within ${(opts.timeoutMs ?? 60_000) / 1000} s`)), opts.timeoutMs ?? 60_000);
        const done = new Set<number>();
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const hw = want.get(partition);
              if (hw === undefined || Number(message.offset) >= hw) return;
              const list = byPartition.get(partition) ?? [];
              list.push({ offset: message.offset, key: message.key?.toString() ?? '', text: message.value?.toString('utf8') ?? '' });
              byPartition.set(partition, list);
              if (Number(message.offset) + 1 >= hw) done.add(partition);
              if (done.size === want.size) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
  }
  const heads = new Map<string, ChainHead>();
  const lastText = new Map<string, string>();
  let records = 0;
  let duplicates = 0;
  for (const [partition, list] of [...byPartition].sort((a, b) => a[0] - b[0])) {
    for (const m of list) {
      const link = parseLink(m.text);
      const writer = (link.ok ? link.writer : undefined) ?? m.key;
      if (lastText.get(writer) === m.text) {
        duplicates++;
        continue;
      }
      const r = checkLink(heads.get(writer), m.text, startsLater);
      if (!r.ok) return { ok: false, partition, offset: m.offset, writer, reason: r.reason, records };
      heads.set(writer, r.head);
      lastText.set(writer, m.text);
      records++;
    }
  }
  return { ok: true, records, writers: heads.size, duplicates, heads: Object.fromEntries(heads), startsLater };
}
