// Helpers of the Kafka end-to-end benchmark (test/bench/kafka.ts): the kafkajs client, bench topics
// under a fresh prefix, the synthetic mine telemetry, the bulk preload, the open-loop producer, the
// bare consumers (the baselines), and a riskstream instance started as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import kafkajs, { type Admin, type Consumer, type EachBatchPayload, type Kafka as KafkaClient, type LogEntry, type Message, type Producer } from 'kafkajs';
import { PROJECT_ROOT } from '../../src/config/paths.ts';
import { TOPIC, TOPIC_SPECS, ensureTopics } from '../../src/adapters/kafka/topics.ts';

// kafkajs is CommonJS: under Node's ESM loader only its default export is reliable (named imports fail at runtime)
const { Kafka, logLevel, Partitioners } = kafkajs;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
/** nowMs: wall-clock epoch milliseconds with sub-millisecond resolution (performance.timeOrigin + performance.now()). */
export const nowMs = () => performance.timeOrigin + performance.now();

/** BROKERS: RISKSTREAM_KAFKA_BROKERS (comma-separated), default 127.0.0.1:19092. */
export const BROKERS = (process.env.RISKSTREAM_KAFKA_BROKERS ?? '127.0.0.1:19092')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

// ---------------------------------------------------------------------------------------------
// kafkajs client

/** kafkaLog: kafkajs log lines (WARN and up; it logs retried, transient errors at ERROR), shown only when something fails. */
export const kafkaLog: string[] = [];
const logCreator = () => (e: LogEntry) => {
  kafkaLog.push(`${new Date().toISOString()} ${e.label} ${e.namespace} ${e.log.message} ${JSON.stringify({ ...e.log, message: undefined, timestamp: undefined, logger: undefined })}`);
  if (kafkaLog.length > 200) kafkaLog.shift();
};

export function createKafka(clientId: string): KafkaClient {
  return new Kafka({ clientId, brokers: BROKERS, logLevel: logLevel.WARN, logCreator, connectionTimeout: 3000, retry: { retries: 8, initialRetryTime: 200 } });
}

// ---------------------------------------------------------------------------------------------
// topics

/** newPrefix: a fresh topic prefix per measurement, so that runs never see each other's data. */
export const newPrefix = () => `bench-${randomBytes(4).toString('hex')}.`;

/** telemetryTopic: the mine telemetry topic of a prefix (6 partitions, key = siteId). */
export const telemetryTopic = (prefix: string) => prefix + TOPIC.mineTelemetry;

/** createBenchTopics creates every topic of TOPIC_SPECS for the prefix (replication 1) and fails unless all are created or ok. */
export async function createBenchTopics(admin: Admin, prefix: string): Promise<number> {
  const t0 = performance.now();
  const problems: string[] = [];
  const logger = { info: () => undefined, warn: (obj: object, msg: string) => void problems.push(`${msg} ${JSON.stringify(obj)}`) };
  const reports = await ensureTopics(admin, TOPIC_SPECS(prefix, { replication: 1 }), logger);
  const bad = reports.filter((r) => r.status !== 'created' && r.status !== 'ok');
  if (bad.length > 0) throw new Error(`ensureTopics(${prefix}): ${bad.map((r) => `${r.spec.topic} ${r.status}: ${r.problems.join('; ')}`).join(' | ')}${problems.length ? ` (${problems.join('; ')})` : ''}`);
  return (performance.now() - t0) / 1000;
}

/**
 * cleanupPrefix deletes the prefix's topics and every consumer group named after it (the bench's
 * own and the ones riskstream derives from its group id, e.g. `<group>.state.<instance>`); best
 * effort, never throws.
 */
export async function cleanupPrefix(admin: Admin, prefix: string): Promise<string | undefined> {
  const notes: string[] = [];
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10_000 });
  } catch (e) {
    notes.push(`deleteTopics ${prefix}*: ${(e as Error).message}`);
  }
  const stem = prefix.replace(/\.$/, '');
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(stem));
      if (groups.length > 0) await admin.deleteGroups(groups);
      break;
    } catch (e) {
      // a member that has not left yet keeps its group non-empty for a moment
      if (attempt < 2) {
        await sleep(1500);
        continue;
      }
      const err = e as { message?: string; groups?: Array<{ groupId: string; error?: { type?: string } }> };
      const left = (err.groups ?? []).filter((g) => g.error).map((g) => `${g.groupId} (${g.error?.type})`);
      notes.push(`deleteGroups: ${left.length ? left.join(', ') : (err.message ?? String(e))}`);
    }
  }
  return notes.length > 0 ? notes.join('; ') : undefined;
}

// ---------------------------------------------------------------------------------------------
// synthetic mine telemetry

/** COAL_MINES: the coal-mine siteIds of the bundled reference (deploy/reference/sites.yaml). */
export const COAL_MINES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01', 'cm-ags-01'] as const;

/** BG_SENSORS: background sensors; sensor k always reports for site k % 6 from one location. */
export const BG_SENSORS = 3000;

/**
 * BG_LOCATIONS: locations of the background sensors. Values stay in 0.10–0.35 % CH4, under every
 * methane level of the bundled rules for these locations (lowest: total_return yellow 0.6 %) and
 * with a spread under the 0.3 % rise of mine.ch4.rise; `intake` (yellow 0.4 %) is left out. So the
 * threshold, rate and flatline rules evaluate them and none fires; return_airway matches no
 * methane rule at all. The sensors are not in sites.yaml and have no area (no peer / power-off rules).
 */
const BG_LOCATIONS = ['return_airway', 'coal_face', 'coal_face_return', 'heading_face', 'total_return', 'return_airway'] as const;

/** backgroundEvent: the i-th normal (non-alerting) methane reading; key = siteId. */
export function backgroundEvent(i: number, ts: number): { key: string; value: string } {
  const k = i % BG_SENSORS;
  const siteId = COAL_MINES[k % COAL_MINES.length]!;
  const location = BG_LOCATIONS[Math.floor(k / COAL_MINES.length) % BG_LOCATIONS.length]!;
  const value = round(0.1 + ((i * 7) % 26) / 100, 2);
  return { key: siteId, value: JSON.stringify({ type: 'mine.reading', siteId, sensorId: `BG-${k}`, sensorType: 'CH4', location, value, unit: '%', ts: Math.floor(ts) }) };
}

/** alertEvent: a red methane reading (1.6 % at a coal face, rule mine.ch4.face) of a never-seen sensor: one `fired` alert. */
export function alertEvent(n: number, ts: number): { key: string; value: string; sensorId: string } {
  const sensorId = `CH4-BENCH-${n}`;
  return { key: 'cm-shm-01', sensorId, value: JSON.stringify({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Math.floor(ts) }) };
}

// ---------------------------------------------------------------------------------------------
// producing

/** createProducer: a plain producer (not idempotent, so sends may overlap: open loop), murmur2 partitioner like the Java client. */
export async function createProducer(kafka: KafkaClient): Promise<Producer> {
  const p = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  return p;
}

/** preload produces `n` background events as fast as it can: batches of `batch` per send, `inFlight` sends at a time, acks -1. */
export async function preload(producer: Producer, topic: string, n: number, opts: { batch?: number; inFlight?: number } = {}): Promise<{ sec: number; eventsPerSec: number; bytes: number }> {
  const batch = opts.batch ?? 2000;
  const inFlight = opts.inFlight ?? 8;
  const t0 = performance.now();
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < n) {
      const start = next;
      const end = Math.min(n, start + batch);
      next = end;
      const ts = Date.now();
      const messages: Message[] = [];
      for (let i = start; i < end; i++) {
        const m = backgroundEvent(i, ts);
        bytes += m.value.length;
        messages.push(m);
      }
      await producer.send({ topic, acks: -1, messages });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const sec = (performance.now() - t0) / 1000;
  return { sec: round(sec, 2), eventsPerSec: Math.round(n / sec), bytes };
}

/** endOffsets: the high watermark of every partition of a topic. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const p of await admin.fetchTopicOffsets(topic)) out.set(p.partition, Number(p.high));
  return out;
}

/** OpenLoopStats: what the open-loop producer did. */
export interface OpenLoopStats {
  ticks: number;
  sends: number;
  messages: number;
  /** sends made more than one interval after their scheduled time */
  lateSends: number;
  /** how late the send call was against its schedule, ms */
  lagMs: { p50: number; p99: number; max: number };
  maxInFlight: number;
  errors: number;
  firstError?: string;
  /** achieved produce rate over the measured window (messages/s, acked or not) */
  measuredRate: number;
}

/**
 * openLoop sends on a fixed schedule, never waiting for a send to finish before the next one is due
 * (open loop): every `intervalMs` one `send` (acks -1) of the messages `build(tick, sendTimeMs)`
 * returns. `sendTimeMs` is nowMs() just before the send call (performance.timeOrigin +
 * performance.now(), sub-ms). Ticks before `warmupMs` are the warm-up; the run ends after
 * `warmupMs + measureMs`. Resolves once every send has settled.
 */
export async function openLoop(
  producer: Producer,
  topic: string,
  opts: { intervalMs: number; warmupMs: number; measureMs: number; build: (tick: number, sendTimeMs: number, measured: boolean) => Message[] },
): Promise<OpenLoopStats> {
  const { intervalMs, warmupMs, measureMs, build } = opts;
  const totalTicks = Math.round((warmupMs + measureMs) / intervalMs);
  const firstMeasured = Math.round(warmupMs / intervalMs);
  const lags = new Float64Array(totalTicks);
  let tick = 0;
  let sends = 0;
  let messages = 0;
  let measuredMessages = 0;
  let late = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let errors = 0;
  let firstError: string | undefined;
  const pending = new Set<Promise<unknown>>();
  const start = performance.now();
  await new Promise<void>((done) => {
    const step = () => {
      const now = performance.now();
      while (tick < totalTicks && start + tick * intervalMs <= now) {
        const due = start + tick * intervalMs;
        const measured = tick >= firstMeasured;
        const sendTime = nowMs();
        const lag = performance.now() - due;
        lags[tick] = lag;
        if (lag > intervalMs) late++;
        const batch = build(tick, sendTime, measured);
        messages += batch.length;
        if (measured) measuredMessages += batch.length;
        inFlight++;
        if (inFlight > maxInFlight) maxInFlight = inFlight;
        sends++;
        const p: Promise<unknown> = producer
          .send({ topic, acks: -1, messages: batch })
          .catch((e: unknown) => {
            errors++;
            firstError ??= (e as Error).message;
          })
          .finally(() => {
            inFlight--;
            pending.delete(p);
          });
        pending.add(p);
        tick++;
      }
      if (tick >= totalTicks) return done();
      setTimeout(step, Math.max(0, start + tick * intervalMs - performance.now()));
    };
    step();
  });
  const measuredSec = (performance.now() - start - warmupMs) / 1000;
  await Promise.allSettled([...pending]);
  const s = Float64Array.from(lags).sort();
  const q = (x: number) => round(s[Math.min(s.length - 1, Math.floor(x * s.length))] ?? NaN, 2);
  return {
    ticks: totalTicks,
    sends,
    messages,
    lateSends: late,
    lagMs: { p50: q(0.5), p99: q(0.99), max: round(s[s.length - 1] ?? NaN, 2) },
    maxInFlight,
    errors,
    ...(firstError ? { firstError } : {}),
    measuredRate: Math.round(measuredMessages / measuredSec),
  };
}

// ---------------------------------------------------------------------------------------------
// bare consumers (the baselines)

/**
 * bareThroughput: a kafkajs consumer in a new group that reads the topic from the beginning and only
 * counts, doing what an at-least-once consumer minimally does per batch: eachBatch, autoCommit
 * off, eachBatchAutoResolve off, resolveOffset(last) + commit. Timed from consumer.run until it has
 * counted `n`.
 *
 * Note: with autoCommit false, kafkajs's `commitOffsetsIfNecessary()` WITHOUT arguments commits
 * nothing (it only checks autoCommitInterval/autoCommitThreshold, both unset); the resolved offsets
 * have to be passed in: `commitOffsetsIfNecessary(uncommittedOffsets())`.
 */
export async function bareThroughput(kafka: KafkaClient, admin: Admin, topic: string, groupId: string, n: number, pollMs: number): Promise<Record<string, unknown>> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let batches = 0;
  let firstBatchAt = 0;
  let doneAt = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const t0 = performance.now();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets }: EachBatchPayload) => {
      if (batches++ === 0) firstBatchAt = performance.now();
      count += batch.messages.length;
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary(uncommittedOffsets());
      if (count >= n && doneAt === 0) {
        doneAt = performance.now();
        finish();
      }
    },
  });
  // the same committed-offset poll that times riskstream, for a like-for-like figure
  const polled = pollCommitted(admin, groupId, topic, pollMs, 120_000);
  const timeout = setTimeout(finish, 120_000);
  await finished;
  clearTimeout(timeout);
  const allCommittedAt = await polled;
  await consumer.disconnect();
  if (doneAt === 0) throw new Error(`bare consumer counted ${count} of ${n} messages within 120 s`);
  if (allCommittedAt === undefined) throw new Error(`bare consumer counted ${n} but its committed offsets did not reach the end`);
  const sec = (doneAt - t0) / 1000;
  const afterFirst = (doneAt - firstBatchAt) / 1000;
  const polledSec = (allCommittedAt - t0) / 1000;
  return {
    events: n,
    counted: count,
    batches,
    sec: round(sec, 3),
    eventsPerSec: Math.round(n / sec),
    joinSec: round((firstBatchAt - t0) / 1000, 3),
    eventsPerSecAfterFirstBatch: Math.round(n / afterFirst),
    polled: { what: `consumer.run → committed = end on every partition, polled every ${pollMs} ms (as riskstream is timed)`, sec: round(polledSec, 2), eventsPerSec: Math.round(n / polledSec) },
  };
}

/** pollCommitted polls groupLag every `pollMs` until it is 0 (resolves to performance.now() then) or `capMs` passes (undefined). */
export async function pollCommitted(admin: Admin, groupId: string, topic: string, pollMs: number, capMs: number): Promise<number | undefined> {
  const end = performance.now() + capMs;
  while (performance.now() < end) {
    await sleep(pollMs);
    if ((await groupLag(admin, groupId, topic)).lag === 0) return performance.now();
  }
  return undefined;
}

/** groupLag: end offset − committed offset summed over the partitions (a partition never committed counts from its start). */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<{ lag: number; committed: number; end: number; partitions: Array<{ partition: number; committed: number; end: number }> }> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const c = new Map<number, number>();
  for (const t of committed) for (const p of t.partitions) c.set(p.partition, Number(p.offset));
  let lag = 0;
  let sumC = 0;
  let sumE = 0;
  const partitions = ends.map((e) => {
    const end = Number(e.high);
    const low = Number(e.low);
    const raw = c.get(e.partition) ?? -1;
    const at = raw < 0 ? low : raw;
    lag += Math.max(0, end - at);
    sumC += at - low;
    sumE += end - low;
    return { partition: e.partition, committed: raw, end };
  });
  return { lag, committed: sumC, end: sumE, partitions };
}

/** LatencyConsumer: a bare consumer recording receipt − send time of every message sent in the measured window. */
export interface LatencyConsumer {
  consumer: Consumer;
  /** latencies (ms) of measured messages */
  samples: number[];
  /** messages received (warm-up included) */
  received(): number;
  stop(): Promise<void>;
}

/**
 * bareLatencyConsumer: eachBatch with minBytes 1 and maxWaitTimeInMs 10. Each value carries
 * `sentAt` (nowMs() at the send call) and `m` (1 when sent in the measured window); receipt time is
 * nowMs() on entering eachBatch. By default offsets are resolved but nothing is committed (receipt
 * is what is measured); `commit: true` adds bareThroughput's commit per batch, awaited in the loop
 * (on this machine the two measured about the same; the run-to-run spread of p99 is larger).
 * Resolves once the consumer has joined its group (and so will see everything produced from now on).
 */
export async function bareLatencyConsumer(kafka: KafkaClient, topic: string, groupId: string, opts: { commit?: boolean } = {}): Promise<LatencyConsumer> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, minBytes: 1, maxWaitTimeInMs: 10 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const samples: number[] = [];
  let received = 0;
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets }: EachBatchPayload) => {
      const at = nowMs();
      for (const m of batch.messages) {
        received++;
        const v = JSON.parse(m.value!.toString()) as { sentAt: number; m: number };
        if (v.m === 1) samples.push(at - v.sentAt);
      }
      // resolving is needed even without commits: with eachBatchAutoResolve off, kafkajs fetches
      // from the last RESOLVED offset, so an unresolved batch is delivered again and again
      resolveOffset(batch.lastOffset());
      if (opts.commit) await commitOffsetsIfNecessary(uncommittedOffsets());
    },
  });
  await Promise.race([joined, sleep(30_000).then(() => Promise.reject(new Error('bare latency consumer did not join its group within 30 s')))]);
  return { consumer, samples, received: () => received, stop: () => consumer.disconnect() };
}

/** percentiles of latencies in ms (nearest rank). */
export function percentiles(xs: readonly number[]): { n: number; p50: number; p99: number; p999: number; max: number; mean: number } {
  const s = Float64Array.from(xs).sort();
  const q = (x: number) => round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(x * s.length) - 1))] ?? NaN, 2);
  let sum = 0;
  for (const x of s) sum += x;
  return { n: s.length, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: round(s[s.length - 1] ?? NaN, 2), mean: round(sum / s.length, 2) };
}

// ---------------------------------------------------------------------------------------------
// a riskstream instance in Kafka mode

/** freePort: a port that was free a moment ago (listen on 0 and close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Instance: a riskstream child process, its log and its settings. */
export interface Instance {
  child: ChildProcess;
  pid: number;
  port: number;
  baseUrl: string;
  secret: string;
  groupId: string;
  clientId: string;
  dataDir: string;
  logFile: string;
  spawnedAt: number;
  /** set when the process has exited: code or signal */
  exited?: { code: number | null; signal: NodeJS.Signals | null; at: number };
  exitedP: Promise<void>;
}

/** instanceGroupId: the consumer group of the instance started for a prefix. */
export const instanceGroupId = (prefix: string) => `${prefix.replace(/\.$/, '')}-riskstream`;

/**
 * startFromEarliest commits the start offset of every partition of `topic` for `groupId` (a group
 * with no members yet). riskstream subscribes with fromBeginning: false, so a NEW group would skip
 * a preloaded backlog; with committed offsets it resumes from them — an instance catching up.
 */
export async function startFromEarliest(admin: Admin, groupId: string, topic: string): Promise<void> {
  const offs = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId, topic, partitions: offs.map((p) => ({ partition: p.partition, offset: p.low })) });
}

/** startInstance spawns `node src/cli/riskstream.mjs start` in Kafka mode; stdout and stderr go to <dataDir>/riskstream.log. */
export async function startInstance(prefix: string): Promise<Instance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'riskstream-kbench-'));
  const logFile = join(dataDir, 'riskstream.log');
  const port = await freePort();
  const secret = randomBytes(24).toString('base64url'); // 32 characters
  const groupId = instanceGroupId(prefix);
  const clientId = groupId;
  const fd = openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RISKSTREAM_MODE: 'kafka',
    RISKSTREAM_KAFKA_BROKERS: BROKERS.join(','),
    RISKSTREAM_KAFKA_TOPIC_PREFIX: prefix,
    RISKSTREAM_KAFKA_GROUP_ID: groupId,
    RISKSTREAM_KAFKA_CLIENT_ID: clientId,
    RISKSTREAM_DATA_DIR: dataDir,
    RISKSTREAM_HTTP_PORT: String(port),
    RISKSTREAM_HTTP_HOST: '127.0.0.1',
    RISKSTREAM_SECRET: secret,
    // src/logger.ts reads RISKSTREAM_LOG_LEVEL (not LOG_LEVEL)
    RISKSTREAM_LOG_LEVEL: process.env.RISKSTREAM_LOG_LEVEL ?? 'warn',
    // the latency run raises 400 distinct alerts at one bench site: above the default cap (200) they
    // would be merged into the site's limit alert and never reach a screen as their own frame
    RISKSTREAM_LIMITS_OPEN_ALERTS_PER_SITE: '100000',
  };
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'src/cli/riskstream.mjs'), 'start'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const inst: Instance = { child, pid: child.pid ?? -1, port, baseUrl: `http://127.0.0.1:${port}`, secret, groupId, clientId, dataDir, logFile, spawnedAt, exitedP: Promise.resolve() };
  inst.exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      inst.exited = { code, signal, at: performance.now() };
      resolve();
    });
    child.once('error', (e) => {
      inst.exited = { code: null, signal: null, at: performance.now() };
      logTailExtra.set(inst, `spawn error: ${e.message}`);
      resolve();
    });
  });
  return inst;
}
const logTailExtra = new WeakMap<Instance, string>();

/** waitReady polls GET /readyz every 100 ms until 200; fails if the process exits first or `ms` passes. Resolves to performance.now() at 200. */
export async function waitReady(inst: Instance, ms = 60_000): Promise<number> {
  const end = performance.now() + ms;
  let last = 'no answer yet';
  while (performance.now() < end) {
    if (inst.exited) throw new InstanceError(`riskstream exited before it was ready (${exitText(inst)})`, inst);
    try {
      const r = await fetch(`${inst.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return performance.now();
      last = `HTTP ${r.status} ${(await r.text()).slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(100);
  }
  throw new InstanceError(`riskstream was not ready within ${ms / 1000} s (last /readyz: ${last})`, inst);
}

export const exitText = (inst: Instance) => (inst.exited ? (inst.exited.signal ? `signal ${inst.exited.signal}` : `exit code ${inst.exited.code}`) : 'running');

/** InstanceError: a failure that concerns the riskstream instance (its log tail is worth printing). */
export class InstanceError extends Error {
  /** how the process had ended when the error was raised; undefined: it was still running (the bench then stops it) */
  readonly exitAtError: string | undefined;
  readonly inst: Instance;
  constructor(
    message: string,
    inst: Instance,
  ) {
    super(message);
    this.inst = inst;
    this.exitAtError = inst.exited ? exitText(inst) : undefined;
  }
}

/** peakRssMB: VmHWM of /proc/PID/status (peak resident set), in MB; undefined when unreadable. */
export function peakRssMB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024, 1) : undefined;
  } catch {
    return undefined;
  }
}

/** stopInstance: SIGTERM, then SIGKILL after 15 s. Returns how it ended and the seconds it took. */
export async function stopInstance(inst: Instance): Promise<{ exit: string; stopSec: number }> {
  const t0 = performance.now();
  if (!inst.exited) {
    inst.child.kill('SIGTERM');
    const killed = await Promise.race([inst.exitedP.then(() => false), sleep(15_000).then(() => true)]);
    if (killed && !inst.exited) {
      inst.child.kill('SIGKILL');
      await inst.exitedP;
      return { exit: `did not stop within 15 s of SIGTERM; SIGKILLed`, stopSec: round((performance.now() - t0) / 1000, 1) };
    }
  }
  return { exit: exitText(inst), stopSec: round((performance.now() - t0) / 1000, 1) };
}

/** logTail: the last `n` lines of the instance's log. */
export function logTail(inst: Instance, n = 40): string[] {
  const extra = logTailExtra.get(inst);
  const lines = existsSync(inst.logFile) ? readFileSync(inst.logFile, 'utf8').split('\n').filter((l) => l.length > 0) : [];
  return [...lines.slice(-n), ...(extra ? [extra] : [])];
}
