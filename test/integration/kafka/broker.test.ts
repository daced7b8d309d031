// kafkajs 2.2.4 against the real broker that deploy/local/kafka.sh runs (Apache Kafka 4.x, KRaft).
// Kafka 4.0 removed old protocol versions (KIP-896); this proves that everything riskstream's
// Kafka mode relies on still works with kafkajs: admin createTopics/describeConfigs/deleteTopics,
// an idempotent producer with acks=-1, a consumer group with eachBatch and manual commits, and a
// compacted topic.
//
//   eval "$(bash deploy/local/kafka.sh start)"     # prints BOOTSTRAP=127.0.0.1:PORT[,...]
//   RISKSTREAM_KAFKA_BROKERS=$BOOTSTRAP npx vitest run --config test/vitest.config.ts test/integration/kafka
//
// Without RISKSTREAM_KAFKA_BROKERS the suite is skipped, unless RISKSTREAM_REQUIRE_SERVICES=1 (CI),
// where it fails.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../../helpers/services.ts';
import {
  ConfigResourceTypes,
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { waitFor } from '../../helpers/wait.ts';

const BROKERS = (process.env.RISKSTREAM_KAFKA_BROKERS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const HAVE_KAFKA = serviceAvailable('kafka broker', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set (start one with `bash deploy/local/kafka.sh start` and export its BOOTSTRAP)');

const MESSAGES = 1000;
const KEYS = 50;

/** kafkajs logs retried, transient errors (e.g. "coordinator is loading") at ERROR: keep them and show them only for a failed test. */
const kafkaLog: string[] = [];
const logCreator = () => (e: LogEntry) => {
  kafkaLog.push(`${e.label} ${e.namespace} ${JSON.stringify(e.log)}`);
  if (kafkaLog.length > 500) kafkaLog.shift();
};

describe.runIf(HAVE_KAFKA)('kafka broker with kafkajs 2.2.4', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `it.kafka.events.${run}`;
  const compacted = `it.kafka.state.${run}`;
  const groupId = `it.kafka.group.${run}`;
  const kafka = new Kafka({
    clientId: `riskstream-it-${run}`,
    brokers: BROKERS,
    logLevel: logLevel.WARN,
    logCreator,
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 200 },
  });
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeEach(({ onTestFailed }) => {
    kafkaLog.length = 0;
    onTestFailed(() => console.error(`[kafka broker] kafkajs log of the failed test:\n${kafkaLog.join('\n')}`));
  });

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    if (admin) {
      const existing = await admin.listTopics().catch(() => [] as string[]);
      const mine = [topic, compacted].filter((t) => existing.includes(t));
      if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10_000 }).catch((e) => console.warn(`[kafka broker] deleteTopics: ${e}`));
      await admin.disconnect().catch(() => {});
    }
  });

  it('sees the cluster: brokers and an active controller', async () => {
    const c = await admin.describeCluster();
    expect(c.brokers.length).toBeGreaterThanOrEqual(1);
    expect(c.controller).not.toBeNull();
    expect(c.clusterId).toMatch(/\S/);
  });

  it('creates a topic with 3 partitions (admin createTopics)', async () => {
    const created = await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    expect(created).toBe(true);
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = md.topics[0]!.partitions;
    expect(partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    for (const p of partitions) expect(p.leader).toBeGreaterThanOrEqual(0);
  });

  it(`sends ${MESSAGES} keyed messages with an idempotent producer (acks -1, 1 in flight)`, async () => {
    for (let start = 0; start < MESSAGES; start += 100) {
      const messages = Array.from({ length: 100 }, (_, j) => {
        const i = start + j;
        return { key: `site-${i % KEYS}`, value: JSON.stringify({ i }), headers: { 'x-run': run } };
      });
      const meta = await producer.send({ topic, acks: -1, messages });
      for (const m of meta) expect(m.errorCode).toBe(0);
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    expect(total).toBe(MESSAGES);
    // 50 keys spread over all 3 partitions
    for (const p of offsets) expect(Number(p.high)).toBeGreaterThan(0);
  });

  it('a consumer group (eachBatch, manual commitOffsets of offset+1) receives every message', async () => {
    const seen = new Map<number, number>(); // i -> deliveries
    const lastPerKey = new Map<string, number>();
    let outOfOrder = 0;
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
        let last: string | undefined;
        for (const m of batch.messages) {
          if (!isRunning() || isStale()) break;
          const { i } = JSON.parse(m.value!.toString()) as { i: number };
          const key = m.key!.toString();
          expect(m.headers?.['x-run']?.toString()).toBe(run);
          if ((lastPerKey.get(key) ?? -1) >= i) outOfOrder++;
          lastPerKey.set(key, i);
          seen.set(i, (seen.get(i) ?? 0) + 1);
          resolveOffset(m.offset);
          last = m.offset;
        }
        if (last !== undefined) {
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        }
        await heartbeat();
      },
    });
    await waitFor(`${MESSAGES} distinct messages (have ${seen.size})`, () => seen.size >= MESSAGES, 45_000);
    expect(seen.size).toBe(MESSAGES);
    expect([...seen.keys()].every((i) => i >= 0 && i < MESSAGES)).toBe(true);
    expect(outOfOrder).toBe(0); // per key (one partition each) order is kept

    // the commits landed: the group's committed offsets equal the partitions' high watermarks
    const high = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
    await waitFor('committed offsets = high watermarks', async () => {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return t!.partitions.every((p) => p.offset === high.get(p.partition));
    }, 15_000);
    await consumer.disconnect();
  }, 60_000);

  it('a new member of the group resumes after the committed offsets', async () => {
    await producer.send({ topic, acks: -1, messages: [{ key: 'site-0', value: JSON.stringify({ i: MESSAGES }) }] });
    const got: number[] = [];
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) got.push((JSON.parse(m.value!.toString()) as { i: number }).i);
        const last = batch.messages.at(-1);
        if (last) await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      },
    });
    await waitFor('the message produced after the commit', () => got.includes(MESSAGES), 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toEqual([MESSAGES]);
    await consumer.disconnect();
  }, 60_000);

  it('creates a compacted topic (cleanup.policy=compact) and takes keyed records and tombstones', async () => {
    const created = await admin.createTopics({
      topics: [{ topic: compacted, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    const cfg = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: compacted, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    const entry = cfg.resources[0]!.configEntries.find((e) => e.configName === 'cleanup.policy');
    expect(entry?.configValue).toBe('compact');
    const meta = await producer.send({
      topic: compacted,
      acks: -1,
      messages: [
        { key: 'fp-1', value: JSON.stringify({ state: 'open' }) },
        { key: 'fp-1', value: JSON.stringify({ state: 'acked' }) },
        { key: 'fp-2', value: null }, // tombstone
      ],
    });
    expect(meta[0]!.errorCode).toBe(0);
    const [p] = await admin.fetchTopicOffsets(compacted);
    expect(Number(p!.high)).toBe(3);
  });
});
