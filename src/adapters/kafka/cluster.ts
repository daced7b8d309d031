// Kafka mode (CONTRACT.md §5): the adapters behind AlertStore, DeadLetterSink and EventSink, and
// the consumer loops that drive the app.
//
// - keyed topics (telemetry, enforcement, and the internal repartition topic): one consumer group,
//   co-partitioned assignment; a record on another partition than its siteId's (any producer's
//   partitioner, any key or none) is forwarded to risk.repartition keyed by siteId before its
//   offset may move, so the owner of the site evaluates it and "not mine" never drops work;
//   eachBatch with manual commits only after the batch's effects are durable (at-least-once),
//   heartbeat() between chunks, isRunning()/isStale() checks, and a warm-up replay from
//   (committed offset − longest window) that rebuilds window state and emits nothing;
// - weather topics, the alert log, the commands topic: read in full by every instance (a group of
//   its own that never commits, like a Kafka Streams global table), caught up before ready;
// - the compacted alert state topic: read once at start;
// - one idempotent producer (acks=all) for alerts, state, commands, the DLQ and HTTP ingest;
//   a send is retried with backoff and the producer recreated when it keeps failing (kafkajs#979);
// - watchdogs: a consumer that crashed without restarting, or that stopped fetching while it has
//   partitions, is recreated; a send that cannot succeed for `sendDeadlineMs` is fatal.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import type { BatchMeta, Cluster, ClusterHandlers } from '../../ports/index.ts';
import { coPartitionedAssigner, createKafkaClient, partitionOf, type KafkaSecurity } from './client.ts';
import { createBoundedSender } from './producer.ts';
import { createCommitter } from './committer.ts';
import { createKafkaPorts } from './ports.ts';
import { feedHandler, readAlertStates } from './feeds.ts';
import { createCodec } from './codec.ts';
import { warmupPlan } from './warmup.ts';
import { CONSUMER_RETRY, createReaders, type FullReader } from './readers.ts';
import { TOPIC } from './topics.ts';

/** KafkaClusterOptions: config (CONTRACT §7 `kafka`) plus the runtime knobs. */
export interface KafkaClusterOptions extends KafkaSecurity {
  brokers: readonly string[];
  clientId: string;
  groupId: string;
  topicPrefix: string;
  logger: Logger;
  /**
   * how far before the committed offset a newly assigned partition's warm-up starts (the longest
   * window of the rules reading the topic), per contract topic name; a number is every topic's
   */
  warmupMs: number | Record<string, number>;
  /** largest event message (bytes) */
  maxMessageBytes?: number;
  /** a send failing for this long is fatal (the process exits; a restart resumes from committed offsets) */
  sendDeadlineMs?: number;
  /** a consumer with partitions and no fetch for this long is recreated */
  stallMs?: number;
  /** called when the instance cannot go on (alert events cannot be written) */
  onFatal: (err: unknown) => void;
  now?: () => number;
}

const KEYED = [TOPIC.mineTelemetry, TOPIC.gridTelemetry, TOPIC.siteTelemetry, TOPIC.enforcementEvents, TOPIC.casualtySignals, TOPIC.roadEvents, TOPIC.fireEvents, TOPIC.repartition] as const;
/** the contract topics a repartitioned record may come from (its x-source-topic header) */
const SOURCE_TOPICS: ReadonlySet<string> = new Set([TOPIC.mineTelemetry, TOPIC.gridTelemetry, TOPIC.siteTelemetry, TOPIC.enforcementEvents, TOPIC.casualtySignals, TOPIC.roadEvents, TOPIC.fireEvents]);
const GLOBAL = [TOPIC.weatherWarnings, TOPIC.weatherNowcast] as const;
const CHUNK = 1000;
/** ATTEMPT_MS: one send attempt; longer means a stuck producer (see producer.ts) */
const ATTEMPT_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** PartitionPlan: where a newly assigned topic-partition starts and where its warm-up ends. */
interface PartitionPlan {
  topic: string;
  partition: number;
  /** first offset to read */
  seekTo: number;
  /** offsets below this are warm-up (already processed before the rebalance or crash) */
  until: number;
  /** an explicit seek was issued: batches fetched before it took effect are ignored */
  seeked: boolean;
  started: boolean;
  /** next offset to process; anything below was processed (or skipped) in this assignment */
  next: number;
  /** give up waiting for the seek to take effect after this time */
  deadline: number;
}


/** createKafkaCluster builds the Kafka adapters; nothing connects until `start`. */
export function createKafkaCluster(o: KafkaClusterOptions): Cluster {
  const log = o.logger.child({ component: 'kafka' });
  const now = o.now ?? Date.now;
  const t = (base: string) => o.topicPrefix + base;
  const keyedTopics = KEYED.map(t);
  const globalTopics = GLOBAL.map(t);
  const base = new Map<string, string>([...KEYED, ...GLOBAL].map((b) => [t(b), b]));
  const kafka = createKafkaClient({ brokers: o.brokers, clientId: o.clientId, logger: o.logger, sasl: o.sasl, ssl: o.ssl });
  const admin: Admin = kafka.admin();
  const instance = `${o.clientId}-${randomUUID().slice(0, 8)}`;
  const sendDeadlineMs = o.sendDeadlineMs ?? 120_000;
  const stallMs = o.stallMs ?? 30_000;
  const maxBytes = o.maxMessageBytes ?? 1024 * 1024;

  let keyedPartitions = 0;
  let handlers: ClusterHandlers | undefined;
  let group: Consumer | undefined;
  let stopping = false;
  let generation = 0;
  let preparing: Promise<void> = Promise.resolve();
  let joined!: () => void;
  const firstJoin = new Promise<void>((r) => (joined = r));
  const plans = new Map<string, PartitionPlan>();
  /** partitions whose warm-up is over in the current assignment */
  const warmed = new Set<number>();
  let owned: number[] = [];
  const readers: FullReader[] = [];
  let feed: FullReader | undefined;
  let lastFetch = now();
  let inBatch = false;
  let watchdog: NodeJS.Timeout | undefined;
  const lag = new Map<string, number>();
  const stat = { rebalances: 0, consumerRestarts: 0, producerRestarts: 0, sendRetries: 0, warmupEvents: 0, deadLetters: 0, commits: 0, forwarded: 0, repartitioned: 0 };
  const repartitionTopic = t(TOPIC.repartition);

  // ------------------------------------------------------------------ producer
  const sender = createBoundedSender({ kafka, log, now, sendDeadlineMs, attemptMs: ATTEMPT_MS, isStopping: () => stopping, stat });
  const send = sender.send;

  // ------------------------------------------------------------------ full readers and watchdogs
  const { watchProgress, restartWith, highWatermarks, readFull } = createReaders({ kafka, admin, log, now, stallMs, groupId: o.groupId, instance, isStopping: () => stopping, stat });

  // ------------------------------------------------------------------ decode
  const decodeMessages = createCodec({
    base,
    keyedTopics,
    repartitionTopic,
    sourceTopics: SOURCE_TOPICS,
    maxBytes,
    now,
    gate: (contract, events) => (handlers ? handlers.gate(contract, events) : { events: [...events], rejections: [] }),
    partitions: () => keyedPartitions,
  });

  // ------------------------------------------------------------------ the consumer group
  async function prepare(gen: number, assignment: Record<string, number[]>): Promise<void> {
    stat.rebalances++;
    const mine = new Set<number>();
    for (const topic of keyedTopics) for (const p of assignment[topic] ?? []) mine.add(p);
    owned = [...mine].sort((a, b) => a - b);
    log.info({ partitions: owned, generation: gen }, 'partitions assigned');
    plans.clear();
    warmed.clear();
    // offsets of partitions given away are no longer ours to commit
    committer.keepOnly(mine);
    await handlers!.assigned(owned);
    if (owned.length === 0) return;
    const committed = new Map<string, number>();
    for (const t of await admin.fetchOffsets({ groupId: o.groupId, topics: keyedTopics })) {
      for (const p of t.partitions) committed.set(`${t.topic}:${p.partition}`, Number(p.offset));
    }
    for (const topic of keyedTopics) {
      const parts = assignment[topic] ?? [];
      if (parts.length === 0) continue;
      const hws = await highWatermarks(topic);
      const byTs = new Map<number, number>();
      const warmup = warmupOf(topic);
      if (warmup > 0) for (const e of await admin.fetchTopicOffsetsByTimestamp(topic, now() - warmup)) byTs.set(e.partition, Number(e.offset));
      for (const p of parts) {
        const c = committed.get(`${topic}:${p}`) ?? -1;
        const { seekTo, until, seeked } = warmupPlan(c, hws.get(p) ?? { low: 0, high: 0 }, byTs.get(p));
        if (stopping || gen !== generation) return;
        if (seeked) group!.seek({ topic, partition: p, offset: String(seekTo) });
        plans.set(`${topic}:${p}`, { topic, partition: p, seekTo, until, seeked, started: false, next: seekTo, deadline: now() + 15_000 });
        // never committed (a new group, or no record yet): commit the start at once, or a record produced
        // here before this instance dies uncommitted is skipped by the next owner as "before the group"
        if (c < 0) committer.later(topic, p, until);
      }
    }
    const warming = [...plans.values()].filter((pl) => pl.seekTo < pl.until);
    if (warming.length > 0) log.info({ partitions: warming.map((pl) => `${pl.topic}:${pl.partition} ${pl.seekTo}..${pl.until}`) }, 'warm-up replay');
    for (const p of owned) maybeWarm(p);
  }

  /** maybeWarm tells the app, once per assignment, when every topic of partition p has passed its warm-up. */
  function maybeWarm(p: number): void {
    if (warmed.has(p)) return;
    const pending = [...plans.values()].some((pl) => pl.partition === p && pl.next < pl.until);
    if (!pending) {
      warmed.add(p);
      handlers!.warmedUp(p);
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    inBatch = true;
    try {
      const gen = generation;
      // the app adopts the partitions' open alerts before any of their events are processed
      while (true) {
        const r = await Promise.race([preparing.then(() => true), sleep(2000).then(() => false)]);
        if (r) break;
        await heartbeat();
      }
      if (gen !== generation || !isRunning() || isStale()) return;
      const plan = plans.get(`${batch.topic}:${batch.partition}`);
      if (!plan || batch.messages.length === 0) return;
      lag.set(`${batch.topic}:${batch.partition}`, Number(batch.offsetLagLow()));
      if (!plan.started) {
        const first = Number(batch.messages[0]!.offset);
        const warm = plan.seekTo < plan.until;
        // a batch fetched before our seek took effect starts elsewhere: ignore it (not resolved, so not skipped)
        const expected = warm ? first < plan.until : first <= plan.until || !plan.seeked;
        if (!expected && now() < plan.deadline) return;
        if (!expected) log.warn({ topic: batch.topic, partition: batch.partition, first, plan }, 'seek did not take effect in time; continuing from where the consumer is');
        plan.started = true;
      }
      const msgs = batch.messages.filter((m) => Number(m.offset) >= plan.next);
      for (let i = 0; i < msgs.length; i += CHUNK) {
        if (stopping || !isRunning() || isStale()) return;
        const chunk = msgs.slice(i, i + CHUNK);
        const warmPart = chunk.filter((m) => Number(m.offset) < plan.until);
        const livePart = warmPart.length === chunk.length ? [] : chunk.slice(warmPart.length);
        if (warmPart.length > 0) {
          // records of other sites' partitions were forwarded when they were live: not again
          const { runs } = decodeMessages(batch.topic, batch.partition, warmPart);
          for (const r of runs) {
            stat.warmupEvents += r.events.length;
            await handlers!.events(r.contract, r.events, meta(batch.topic, batch.partition, true));
          }
          const last = warmPart.at(-1)!.offset;
          plan.next = Number(last) + 1;
          resolveOffset(last);
          if (plan.next >= plan.until) maybeWarm(batch.partition);
        }
        if (livePart.length > 0) {
          const { runs, dead, forward } = decodeMessages(batch.topic, batch.partition, livePart);
          if (dead.length > 0) await deadLetters.write(dead).then(() => handlers!.deadLettered?.(base.get(batch.topic)!, dead));
          // forwarded (acknowledged by the brokers) before the offset may move: the owner evaluates them
          if (forward.length > 0) {
            await send([{ topic: repartitionTopic, messages: forward }]);
            stat.forwarded += forward.length;
          }
          for (const r of runs) {
            if (batch.topic === repartitionTopic) stat.repartitioned += r.events.length;
            await handlers!.events(r.contract, r.events, meta(batch.topic, batch.partition, false));
          }
          const last = livePart.at(-1)!.offset;
          plan.next = Number(last) + 1;
          resolveOffset(last);
          // effects are durable (alert events acknowledged by the brokers): now the offset may move
          if (!isStale()) committer.later(batch.topic, batch.partition, plan.next);
          maybeWarm(batch.partition);
        }
        await heartbeat();
      }
    } finally {
      inBatch = false;
      lastFetch = now();
    }
  }

  const committer = createCommitter({ commit: (batch) => group!.commitOffsets(batch), log, stat });

  const meta = (topic: string, partition: number, warmup: boolean): BatchMeta => ({ topic: base.get(topic)!, partition, warmup });
  /** the repartition topic warms up as far back as the longest of the keyed topics it stands in for */
  const warmupOf = (topic: string): number => {
    if (typeof o.warmupMs === 'number') return o.warmupMs;
    if (topic !== repartitionTopic) return o.warmupMs[base.get(topic)!] ?? 0;
    let max = 0;
    for (const b of SOURCE_TOPICS) max = Math.max(max, o.warmupMs[b] ?? 0);
    return max;
  };

  async function startGroup(): Promise<void> {
    const consumer = kafka.consumer({
      groupId: o.groupId,
      partitionAssigners: [coPartitionedAssigner],
      // a crashed instance's partitions move after 15 s (heartbeats every 1.5 s, and between chunks of a long batch)
      sessionTimeout: 15_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 1500,
      maxWaitTimeInMs: 50,
      minBytes: 1,
      retry: CONSUMER_RETRY,
    });
    group = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (stopping) return;
      generation++;
      const gen = generation;
      preparing = prepare(gen, e.payload.memberAssignment).catch((err: unknown) => {
        if (stopping) return;
        log.error({ err: errText(err) }, 'preparing the assigned partitions failed; rejoining');
        // a rebalance makes kafkajs rejoin: a fresh GROUP_JOIN prepares again
        void restartGroup('prepare failed');
      });
      void preparing.then(() => joined());
    });
    consumer.on(consumer.events.FETCH, () => (lastFetch = now()));
    consumer.on(consumer.events.CRASH, (e) => {
      if (stopping || e.payload.restart) return;
      log.error({ err: errText(e.payload.error) }, 'consumer crashed and will not restart by itself; recreating it');
      void restartGroup('crash');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: keyedTopics, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
  }

  let restarting = false;
  async function restartGroup(why: string): Promise<void> {
    if (restarting || stopping) return;
    restarting = true;
    log.warn({ why }, 'recreating the consumer');
    try {
      const old = group;
      await restartWith({ consumer: 'group' }, async () => old?.disconnect(), startGroup);
    } finally {
      lastFetch = now();
      restarting = false;
    }
  }

  // ------------------------------------------------------------------ ports
  const { deadLetters, store, nflog, sink, audit, ledger } = createKafkaPorts({ send, disconnect: () => sender.disconnect(), t, instance, now, log, stat });

  return {
    store,
    deadLetters,
    sink,
    nflog,
    audit,
    partitionOf: (key) => partitionOf(key, keyedPartitions || 1),
    async start(h) {
      handlers = h;
      await admin.connect();
      const md = await admin.fetchTopicMetadata({ topics: [] }).catch(() => ({ topics: [] as { name: string; partitions: unknown[] }[] }));
      const have = new Map(md.topics.map((x) => [x.name, x.partitions.length]));
      const needed = [...keyedTopics, ...globalTopics, t(TOPIC.alerts), t(TOPIC.alertsState), t(TOPIC.alertsCommands), t(TOPIC.notifications), t(TOPIC.dlq), t(TOPIC.audit)];
      const missing = needed.filter((n) => !have.has(n));
      if (missing.length > 0) {
        throw new AppError('CONFIG_INVALID', `Kafka topics missing: ${missing.join(', ')}; create them with \`riskstream topics create\``, {
          details: missing.map((m) => ({ path: 'kafka.topicPrefix', message: `topic ${m} does not exist` })),
        });
      }
      const counts = new Set(keyedTopics.map((k) => have.get(k)));
      if (counts.size !== 1) {
        throw new AppError('CONFIG_INVALID', `the keyed topics must have the same partition count (co-partitioned by siteId): ${keyedTopics.map((k) => `${k}=${have.get(k)}`).join(', ')}`);
      }
      keyedPartitions = [...counts][0]!;
      await sender.connect();
      const restored = await readAlertStates(readFull, t(TOPIC.alertsState), log, h);
      // the alert log and the commands, then the weather tables; ready only once caught up on all
      let catching = true;
      feed = await readFull('feed', [t(TOPIC.alerts), t(TOPIC.alertsCommands), t(TOPIC.notifications)], feedHandler({ t, log, h, ledger, catching: () => catching }));
      readers.push(feed);
      const weather = await readFull('global', globalTopics, async (topic, partition, msgs) => {
        const { runs, dead } = decodeMessages(topic, partition, msgs);
        const events = runs.flatMap((r) => r.events);
        // every instance reads the weather topics: the owner of partition 0 dead-letters their bad messages
        if (dead.length > 0 && owned.includes(0)) await deadLetters.write(dead).then(() => h.deadLettered?.(base.get(topic)!, dead));
        else if (dead.length > 0) log.warn({ topic, rejected: dead.length }, 'weather messages rejected (dead-lettered by the owner of partition 0)');
        if (events.length > 0) await h.events(base.get(topic)!, events, { topic: base.get(topic)!, partition, warmup: false });
      });
      readers.push(weather);
      await Promise.all([feed.caughtUp, weather.caughtUp]);
      catching = false;
      log.info({ restoredStates: restored, alertLog: feed.position(t(TOPIC.alerts)) }, 'caught up on the alert log, commands and weather');
      await startGroup();
      // ready once the group gave this instance its partitions (or none) and they are prepared:
      // whatever is produced after that is live for it
      if (!(await Promise.race([firstJoin.then(() => true), sleep(60_000).then(() => false)]))) log.warn('no partition assignment within 60 s; serving screens while the group forms');
      watchdog = watchProgress({
        topics: keyedTopics,
        // only the partitions this instance owns
        positions: () => new Map([...plans.values()].map((pl) => [`${pl.topic}:${pl.partition}`, pl.next] as const)),
        lastFetch: () => lastFetch,
        idle: () => restarting || inBatch || owned.length === 0,
        progressMs: stallMs,
        restart: (why) => void restartGroup(`${why} while owning partitions`),
      });
    },
    publishCommand: async (key, c) => send([{ topic: t(TOPIC.alertsCommands), messages: [{ key, value: JSON.stringify(c) }] }]),
    async stop() {
      stopping = true;
      if (watchdog) clearInterval(watchdog);
      // the batch in hand ends at its next chunk (it sees `stopping`); its offsets are committed while
      // this instance is still a member of the group: kafkajs's stop() leaves the group as soon as
      // the batch returns, and a commit after that is refused (the events would be delivered again)
      for (const t0 = Date.now(); inBatch && Date.now() - t0 < 15_000; ) await sleep(20);
      await committer.idle();
      await group?.stop().catch((err: unknown) => log.warn({ err: errText(err) }, 'consumer stop failed'));
      await committer.idle();
      await group?.disconnect().catch((err: unknown) => log.warn({ err: errText(err) }, 'consumer disconnect failed'));
      for (const r of readers) await r.close();
      await admin.disconnect().catch(() => undefined);
    },
    stats() {
      let totalLag = 0;
      for (const v of lag.values()) totalLag += v;
      return { ...stat, assignedPartitions: owned.length, keyedPartitions, lag: totalLag, alertLogPosition: feed?.position(t(TOPIC.alerts)) ?? 0 };
    },
    async catchUpLogs(timeoutMs = 30_000) {
      if (!feed) return true;
      const f = feed; // the notification log too: what the old owner texted is known before anything owed is sent
      const ends = await Promise.all([TOPIC.alerts, TOPIC.notifications].map(async (b) => [t(b), (await highWatermarks(t(b))).get(0)?.high ?? 0] as const));
      return Promise.race([Promise.all(ends.map(([topic, hw]) => f.reach(topic, hw))).then(() => true), sleep(timeoutMs).then(() => false)]);
    },
  };
}
