// Kafka end-to-end benchmark (a script, not a vitest test), against a real broker:
//
//   node --import tsx test/bench/kafka.ts [--events N] [--rate R] [--seconds S] [--only bare]
//
// Brokers: RISKSTREAM_KAFKA_BROKERS (comma-separated), default 127.0.0.1:19092. Topics are never
// auto-created: every measurement creates all of TOPIC_SPECS under a fresh prefix `bench-<hex>.`
// (ensureTopics, replication 1) and deletes them (and its consumer groups) afterwards, best effort.
// The machine is shared and noisy, so riskstream is compared with baselines measured in the same run:
//
// 1. bare throughput (baseline): N background events (default 200,000; mine.reading, key = siteId,
//    6 partitions) are preloaded as fast as possible (sends of 2,000, 8 in flight, acks -1); then a
//    bare kafkajs consumer (new group, fromBeginning, eachBatch, autoCommit off, eachBatchAutoResolve
//    off, resolveOffset + commit per batch, counting only) is timed from consumer.run to N counted.
// 2. riskstream throughput: the same preload under a fresh prefix, then `riskstream start` in Kafka
//    mode (its group, which subscribes with fromBeginning: false, is given committed offsets at the
//    start of every partition first, so it catches up on the backlog like a restarted instance).
//    Spawn → GET /readyz 200 is the startup; the group's committed offsets
//    (admin.fetchOffsets) are polled every 250 ms until they equal the end offsets on every
//    partition. events/s = N / (all committed − ready). Target: ≥ 0.7 × bare.
// 3. bare latency: an open-loop producer (every 10 ms one send of R/100 messages, acks -1, never
//    waiting for earlier sends; a send more than 10 ms behind its schedule counts as late) runs W s
//    of warm-up (default 3, not counted) and then S s (default 20) measured; each value carries its
//    send time, nowMs() = performance.timeOrigin + performance.now() (sub-ms) read just before the
//    send call; a bare consumer (eachBatch, minBytes 1, maxWaitTimeInMs 10, resolveOffset per
//    batch, no commits) records receipt − send time (--bare-commit also measures a variant that
//    awaits a commit per batch, as in 1).
// 4. riskstream alert latency: the same open-loop background load into a riskstream instance plus
//    20 alert-triggering events/s (a 1.6 % methane reading of a new sensor CH4-BENCH-<n> each, one
//    `fired` alert each, in the same sends); latency = receipt of that alert's WebSocket frame − the
//    produce call of its event (nowMs() on both sides, one process). Target: p99 ≤ 2 × bare p99.
//
// Flags: --events N (200000), --rate R (10000 events/s), --seconds S (20), --warmup W (3),
// --only bare|riskstream, --bare-commit, --keep (keep topics, groups and instance data dirs).
//
// Output: one JSON line per measurement and a final summary line on stdout; progress and a short
// human summary on stderr. A measurement that fails prints its error (and the instance's log tail)
// and the run goes on; the exit code is then 1. Peak RSS of the instance is VmHWM of /proc/PID/status.
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { createAuth } from '../../src/auth/auth.ts';
import { BUNDLED } from '../../src/config/paths.ts';
import { Event } from '../../src/contracts/events.ts';
import { loadReference } from '../../src/enrich/reference.ts';
import {
  BG_SENSORS,
  BROKERS,
  COAL_MINES,
  InstanceError,
  alertEvent,
  backgroundEvent,
  bareLatencyConsumer,
  bareThroughput,
  cleanupPrefix,
  createBenchTopics,
  createKafka,
  createProducer,
  endOffsets,
  groupLag,
  kafkaLog,
  logTail,
  newPrefix,
  nowMs,
  openLoop,
  peakRssMB,
  percentiles,
  preload,
  round,
  sleep,
  instanceGroupId,
  startFromEarliest,
  startInstance,
  stopInstance,
  telemetryTopic,
  waitReady,
  type Instance,
  type OpenLoopStats,
} from './kafka-lib.ts';
import { TOPIC } from '../../src/adapters/kafka/topics.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    // bare: only the two baselines; riskstream: only the two riskstream measurements (no ratios)
    only: { type: 'string' },
    // also measure the bare latency with a commit per batch awaited in the loop (a variant, ~25 s more)
    'bare-commit': { type: 'boolean', default: false },
    // keep the bench topics, groups and instance data dirs (for debugging)
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});

function int(name: string, v: string | undefined): number {
  const n = Number(String(v).replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  return n;
}
const N = int('events', args.events);
const RATE = int('rate', args.rate);
const SECONDS = int('seconds', args.seconds);
const WARMUP = Number(args.warmup);
if (!(WARMUP >= 0)) throw new Error(`--warmup: expected seconds ≥ 0, got "${args.warmup}"`);
const ONLY = args.only;
if (ONLY !== undefined && ONLY !== 'bare' && ONLY !== 'riskstream') throw new Error(`--only: expected bare or riskstream, got "${ONLY}"`);
const KEEP = args.keep ?? false;
const BARE_COMMIT = args['bare-commit'] ?? false;

const INTERVAL_MS = 10;
const ALERTS_PER_SEC = 20;
const POLL_MS = 250;
const DRAIN_MS = 5000;
const RUN_BARE = ONLY !== 'riskstream';
const RUN_RS = ONLY !== 'bare';

const say = (s: string) => process.stderr.write(`${s}\n`);
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US'));

/** perTick: how many background messages tick k sends (R/100 per 10 ms, fractions carried). */
const perTick = (rate: number, k: number) => Math.floor(((k + 1) * rate * INTERVAL_MS) / 1000) - Math.floor((k * rate * INTERVAL_MS) / 1000);

// ---------------------------------------------------------------------------------------------
// self-check: the synthetic events validate and name coal mines of the bundled reference

function selfCheck(): void {
  const ref = loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
  for (const id of COAL_MINES) if (ref.sites.get(id)?.kind !== 'coal_mine') throw new Error(`self-check: ${id} is not a coal mine of ${BUNDLED.sites}`);
  const now = Date.now();
  for (let i = 0; i < BG_SENSORS * 2; i += 7) {
    const r = Event.safeParse(JSON.parse(backgroundEvent(i, now).value));
    if (!r.success) throw new Error(`self-check: background event ${i} does not validate: ${r.error.message}`);
  }
  const a = Event.safeParse(JSON.parse(alertEvent(1, now).value));
  if (!a.success) throw new Error(`self-check: the alert event does not validate: ${a.error.message}`);
}

// ---------------------------------------------------------------------------------------------
// bookkeeping for cleanup (also on Ctrl-C)

const live = { instances: new Set<Instance>(), prefixes: new Set<string>() };
let admin: Admin;

async function cleanup(prefix: string): Promise<string | undefined> {
  live.prefixes.delete(prefix);
  if (KEEP) return undefined;
  return cleanupPrefix(admin, prefix);
}

async function finishInstance(inst: Instance, failed: boolean): Promise<{ peakRssMB?: number; exit: string; stopSec: number }> {
  const rss = peakRssMB(inst.pid);
  const stop = await stopInstance(inst);
  live.instances.delete(inst);
  // the data dir (and the log in it) stays when anything went wrong
  if (!failed && !KEEP && stop.exit === 'exit code 0') rmSync(inst.dataDir, { recursive: true, force: true });
  return { ...(rss !== undefined ? { peakRssMB: rss } : {}), ...stop };
}

process.once('SIGINT', () => {
  say('\ninterrupted: stopping instances and deleting bench topics');
  void (async () => {
    for (const inst of live.instances) {
      await stopInstance(inst).catch(() => undefined);
      if (!KEEP) rmSync(inst.dataDir, { recursive: true, force: true });
    }
    for (const p of [...live.prefixes]) await cleanup(p).catch(() => undefined);
    process.exit(130);
  })();
});

/** metricsOf: the input counters of an instance's /metrics, summed over their labels. */
interface InputMetrics {
  eventsIn: number;
  eventsRejected: number;
  deadLetters: number;
  lateEvents: number;
  unknownSite: number;
}

async function metricsOf(inst: Instance): Promise<InputMetrics | undefined> {
  try {
    const text = await (await fetch(`${inst.baseUrl}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const sum = (name: string) => {
      let s = 0;
      for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) s += Number(m[1]);
      return s;
    };
    return {
      eventsIn: sum('riskstream_events_in_total'),
      eventsRejected: sum('riskstream_events_rejected_total'),
      deadLetters: sum('riskstream_dlq_total'),
      lateEvents: sum('riskstream_late_events_total'),
      unknownSite: sum('riskstream_events_unknown_site_total'),
    };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// the measurements

async function preloadTopic(producer: Producer, prefix: string): Promise<Record<string, unknown>> {
  const topicsSec = await createBenchTopics(admin, prefix);
  const topic = telemetryTopic(prefix);
  const pre = await preload(producer, topic, N);
  const ends = await endOffsets(admin, topic);
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  if (total !== N) throw new Error(`preload: ${topic} holds ${total} records, expected ${N}`);
  return { topicsSec: round(topicsSec, 2), preload: { ...pre, avgEventBytes: round(pre.bytes / N, 1), perPartition: [...ends.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v) } };
}

async function measureBareThroughput(kafka: Kafka, producer: Producer): Promise<Record<string, unknown>> {
  const prefix = newPrefix();
  live.prefixes.add(prefix);
  const groupId = `${prefix}bare-throughput`;
  try {
    say(`[1/4] bare consumer throughput: preloading ${fmt(N)} events into ${telemetryTopic(prefix)} ...`);
    const setup = await preloadTopic(producer, prefix);
    say(`      preloaded in ${(setup.preload as { sec: number }).sec} s; consuming ...`);
    const r = await bareThroughput(kafka, admin, telemetryTopic(prefix), groupId, N, POLL_MS);
    return { prefix, ...setup, ...r };
  } finally {
    const note = await cleanup(prefix);
    if (note) say(`      cleanup: ${note}`);
  }
}

async function measureRiskstreamThroughput(producer: Producer): Promise<Record<string, unknown>> {
  const prefix = newPrefix();
  live.prefixes.add(prefix);
  let inst: Instance | undefined;
  let failed = true;
  try {
    say(`[2/4] riskstream throughput: preloading ${fmt(N)} events into ${telemetryTopic(prefix)} ...`);
    const setup = await preloadTopic(producer, prefix);
    const topic = telemetryTopic(prefix);
    say(`      preloaded in ${(setup.preload as { sec: number }).sec} s; starting riskstream ...`);
    // riskstream's group subscribes with fromBeginning: false; commit the start offsets first so it catches up on the backlog
    await startFromEarliest(admin, instanceGroupId(prefix), topic);
    inst = await startInstance(prefix);
    live.instances.add(inst);
    const t0 = inst.spawnedAt;
    let readyAt: number | undefined;
    let readyErr: unknown;
    void waitReady(inst).then(
      (at) => (readyAt = at),
      (e: unknown) => (readyErr = e),
    );
    let firstProgressAt: number | undefined;
    let allAt: number | undefined;
    let lastCommitted = 0;
    let lastProgressAt = performance.now();
    let last: Awaited<ReturnType<typeof groupLag>> | undefined;
    const progress: Array<[number, number]> = [];
    const HARD_CAP_MS = Math.max(120_000, (N / 2000) * 1000);
    while (allAt === undefined) {
      await sleep(POLL_MS);
      if (readyErr) throw readyErr;
      if (inst.exited) throw new InstanceError(`riskstream exited while consuming (${inst.exited.signal ?? `exit code ${inst.exited.code}`}); committed ${lastCommitted} of ${N}`, inst);
      last = await groupLag(admin, inst.groupId, topic);
      const now = performance.now();
      progress.push([round((now - t0) / 1000, 2), last.committed]);
      if (last.committed > lastCommitted) {
        lastCommitted = last.committed;
        lastProgressAt = now;
        firstProgressAt ??= now;
      }
      if (last.lag === 0) allAt = now;
      else if (readyAt !== undefined && now - Math.max(lastProgressAt, readyAt) > 30_000) {
        const m = await metricsOf(inst);
        const hint = last.partitions.every((p) => p.end === 0 || p.committed === p.end - 1)
          ? ' (every partition is committed at end − 1: does it commit the last processed offset instead of the next one to read?)'
          : m === undefined
            ? ' (/metrics did not answer)'
            : m.eventsIn === 0
              ? ' (riskstream_events_in_total is 0: it read nothing of the backlog; the group had committed offsets at the start of every partition)'
              : ` (riskstream_events_in_total is ${m.eventsIn}: it reads but does not commit${lastCommitted === 0 ? '; note that with autoCommit off, kafkajs commitOffsetsIfNecessary() without arguments commits nothing' : ''})`;
        throw new InstanceError(
          `riskstream committed no progress for 30 s: ${last.committed} of ${N} committed${hint}; per partition (committed/end): ${last.partitions.map((p) => `${p.partition}:${p.committed}/${p.end}`).join(' ')}`,
          inst,
        );
      } else if (now - t0 > HARD_CAP_MS) {
        throw new InstanceError(`riskstream had not committed every offset after ${HARD_CAP_MS / 1000} s: ${last.committed} of ${N}${readyAt === undefined ? ', and was never ready' : ''}`, inst);
      }
    }
    // all committed: readiness is still needed for the figure
    const readyDeadline = performance.now() + 30_000;
    while (readyAt === undefined && !readyErr && performance.now() < readyDeadline) await sleep(50);
    if (readyErr) throw readyErr;
    if (readyAt === undefined) throw new InstanceError('riskstream committed every offset but /readyz never answered 200 (30 s)', inst);
    const metrics = await metricsOf(inst);
    const dlqEnds = await endOffsets(admin, prefix + TOPIC.dlq);
    const dlqRecords = [...dlqEnds.values()].reduce((a, b) => a + b, 0);
    const startupSec = (readyAt - t0) / 1000;
    const fromReadySec = (allAt - readyAt) / 1000;
    const fromSpawnSec = (allAt - t0) / 1000;
    const fromFirstSec = firstProgressAt !== undefined && allAt > firstProgressAt ? (allAt - firstProgressAt) / 1000 : undefined;
    const warnings: string[] = [];
    // readiness can only be judged to a poll; when it came after (or just before) the last commit the window is not measurable
    let eventsPerSec: number;
    let basis: string;
    if (fromReadySec >= (2 * POLL_MS) / 1000) {
      eventsPerSec = Math.round(N / fromReadySec);
      basis = 'all committed − ready';
    } else {
      eventsPerSec = Math.round(N / fromSpawnSec);
      basis = 'all committed − spawn (ready came after, or within two polls of, the last commit: startup included)';
      warnings.push(`ready at ${round(startupSec, 2)} s but all committed at ${round(fromSpawnSec, 2)} s: the rate includes startup`);
    }
    if (metrics && metrics.eventsIn !== N) warnings.push(`riskstream_events_in_total = ${metrics.eventsIn}, expected ${N}`);
    if (metrics && (metrics.eventsRejected > 0 || metrics.deadLetters > 0)) warnings.push(`rejected ${metrics.eventsRejected}, dead-lettered ${metrics.deadLetters}`);
    if (dlqRecords > 0) warnings.push(`${dlqRecords} records in ${prefix}${TOPIC.dlq}`);
    const fin = await finishInstance(inst, false);
    failed = false;
    if (fin.exit !== 'exit code 0') warnings.push(`after SIGTERM: ${fin.exit} (expected exit code 0); log: ${inst.logFile}`);
    return {
      prefix,
      ...setup,
      groupId: inst.groupId,
      startupSec: round(startupSec, 2),
      firstCommitSec: firstProgressAt !== undefined ? round((firstProgressAt - t0) / 1000, 2) : undefined,
      allCommittedSec: round(fromSpawnSec, 2),
      sec: round(basis.startsWith('all committed − ready') ? fromReadySec : fromSpawnSec, 2),
      eventsPerSec,
      basis,
      eventsPerSecFromSpawn: Math.round(N / fromSpawnSec),
      eventsPerSecFromFirstCommit: fromFirstSec !== undefined ? Math.round(N / fromFirstSec) : undefined,
      pollMs: POLL_MS,
      // [seconds since spawn, offsets committed] at every poll
      progress,
      metrics,
      dlqRecords,
      ...fin,
      ...(warnings.length ? { warnings } : {}),
    };
  } finally {
    if (inst && live.instances.has(inst)) await finishInstance(inst, failed).catch(() => undefined);
    const note = await cleanup(prefix);
    if (note) say(`      cleanup: ${note}`);
  }
}

/** loadPlan: what tick k sends; background events carry sentAt/m (ignored by riskstream), alert events are the exact shape of the alert. */
function loadBuilder(withAlerts: boolean, onAlert: (sensorId: string, sentAt: number, measured: boolean) => void): (tick: number, sentAt: number, measured: boolean) => Message[] {
  let bg = 0;
  let alertN = 0;
  return (tick, sentAt, measured) => {
    const out: Message[] = [];
    const ts = Date.now();
    const m = measured ? 1 : 0;
    for (let j = perTick(RATE, tick); j > 0; j--) {
      const e = backgroundEvent(bg++, ts);
      // "sentAt" and "m" are extra fields: the schemas are loose, riskstream keeps and ignores them
      out.push({ key: e.key, value: `${e.value.slice(0, -1)},"sentAt":${sentAt},"m":${m}}` });
    }
    if (withAlerts && perTick(ALERTS_PER_SEC, tick) > 0) {
      const a = alertEvent(++alertN, ts);
      onAlert(a.sensorId, sentAt, measured);
      out.push({ key: a.key, value: a.value });
    }
    return out;
  };
}

async function measureBareLatency(kafka: Kafka, producer: Producer, commit = false): Promise<Record<string, unknown>> {
  const prefix = newPrefix();
  live.prefixes.add(prefix);
  const groupId = `${prefix}bare-latency`;
  let c: Awaited<ReturnType<typeof bareLatencyConsumer>> | undefined;
  try {
    say(`[3/4] bare produce→consume latency${commit ? ' (variant: commit per batch)' : ''}: ${fmt(RATE)} events/s open loop, ${WARMUP} s warm-up + ${SECONDS} s measured ...`);
    const topicsSec = await createBenchTopics(admin, prefix);
    const topic = telemetryTopic(prefix);
    c = await bareLatencyConsumer(kafka, topic, groupId, { commit });
    let measuredSent = 0;
    const build = loadBuilder(false, () => undefined);
    const load = await openLoop(producer, topic, {
      intervalMs: INTERVAL_MS,
      warmupMs: WARMUP * 1000,
      measureMs: SECONDS * 1000,
      build: (tick, sentAt, measured) => {
        const msgs = build(tick, sentAt, measured);
        if (measured) measuredSent += msgs.length;
        return msgs;
      },
    });
    const drainEnd = performance.now() + DRAIN_MS;
    while (c.samples.length < measuredSent && performance.now() < drainEnd) await sleep(50);
    const received = c.samples.length;
    await c.stop();
    if (received === 0) throw new Error(`the bare consumer received none of the ${measuredSent} measured messages (${load.errors} of ${load.sends} sends failed${load.firstError ? `: ${load.firstError}` : ''})`);
    const lat = percentiles(c.samples);
    c = undefined;
    const warnings: string[] = [];
    if (load.errors > 0) warnings.push(`${load.errors} of ${load.sends} sends failed: ${load.firstError}`);
    const lateW = lateWarning(load);
    if (lateW) warnings.push(lateW);
    if (received < measuredSent) warnings.push(`${measuredSent - received} of ${measuredSent} measured messages not received within ${DRAIN_MS / 1000} s after the load`);
    return {
      prefix,
      topicsSec: round(topicsSec, 2),
      rate: RATE,
      warmupSec: WARMUP,
      seconds: SECONDS,
      clock: 'performance.timeOrigin + performance.now() (sub-ms) at the send call and on entering eachBatch, one process',
      consumer: commit ? 'eachBatch, minBytes 1, maxWaitTimeInMs 10, resolveOffset + commit awaited per batch' : 'eachBatch, minBytes 1, maxWaitTimeInMs 10, resolveOffset per batch, no commits',
      load,
      measuredSent,
      measuredReceived: received,
      missing: measuredSent - received,
      ...validity(load, measuredSent, measuredSent - received),
      latencyMs: lat,
      ...(warnings.length ? { warnings } : {}),
    };
  } finally {
    if (c) await c.stop().catch(() => undefined);
    const note = await cleanup(prefix);
    if (note) say(`      cleanup: ${note}`);
  }
}

/**
 * validity: a latency run whose load generator fell behind (over 10 % of the sends late) or whose
 * messages mostly did not arrive (over 1 % missing) did not measure the asked-for load; its
 * figures are reported but not used for the ratio.
 */
function validity(load: OpenLoopStats, sent: number, missing: number): { valid: boolean; invalidBecause?: string } {
  const why: string[] = [];
  if (load.lateSends > load.sends * 0.1) why.push(`${load.lateSends} of ${load.sends} sends late`);
  if (missing > sent * 0.01) why.push(`${missing} of ${sent} measured messages missing`);
  if (load.errors > 0) why.push(`${load.errors} sends failed`);
  return why.length === 0 ? { valid: true } : { valid: false, invalidBecause: why.join('; ') };
}

/** lateWarning: when more than 2 % of the sends were over 10 ms behind schedule, the load was not the one asked for. */
function lateWarning(load: OpenLoopStats): string | undefined {
  if (load.lateSends <= load.sends * 0.02) return undefined;
  return `${load.lateSends} of ${load.sends} sends were more than ${INTERVAL_MS} ms behind schedule (lag p99 ${load.lagMs.p99} ms): the bench process was short of CPU (load average ${round(loadavg()[0] ?? 0, 2)}), so receipt times may be late too`;
}

interface WsWatch {
  ws: WebSocket;
  /** receipt (nowMs) of the first fired frame per CH4-BENCH sensor */
  firedAt: Map<string, number>;
  frames: { alert: number; other: number; byRule: Record<string, number> };
  closed?: string;
}

async function watchAlerts(inst: Instance): Promise<WsWatch> {
  const token = await createAuth(inst.secret).sign({ sub: 'bench', role: 'operator', towns: '*' }, '1h');
  const ws = new WebSocket(`ws://127.0.0.1:${inst.port}/ws?token=${encodeURIComponent(token)}`);
  const w: WsWatch = { ws, firedAt: new Map(), frames: { alert: 0, other: 0, byRule: {} } };
  let snapshot!: () => void;
  const gotSnapshot = new Promise<void>((r) => (snapshot = r));
  ws.on('message', (data) => {
    const at = nowMs();
    const f = JSON.parse(data.toString()) as { type: string; kind?: string; alert?: { ruleId?: string; labels?: Record<string, string> } };
    if (f.type === 'snapshot') return snapshot();
    if (f.type !== 'alert') return void w.frames.other++;
    w.frames.alert++;
    const sensorId = f.alert?.labels?.sensorId;
    if (sensorId?.startsWith('CH4-BENCH-')) {
      if (f.kind === 'fired' && !w.firedAt.has(sensorId)) w.firedAt.set(sensorId, at);
    } else {
      const key = `${f.alert?.ruleId ?? '?'}:${f.kind ?? '?'}`;
      w.frames.byRule[key] = (w.frames.byRule[key] ?? 0) + 1;
    }
  });
  ws.on('close', (code, reason) => (w.closed = `${code} ${reason.toString()}`));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new InstanceError(`WebSocket upgrade refused: HTTP ${res.statusCode}`, inst)));
  });
  await Promise.race([gotSnapshot, sleep(10_000).then(() => Promise.reject(new InstanceError('no snapshot frame within 10 s of the WebSocket opening', inst)))]);
  return w;
}

async function measureRiskstreamLatency(producer: Producer): Promise<Record<string, unknown>> {
  const prefix = newPrefix();
  live.prefixes.add(prefix);
  let inst: Instance | undefined;
  let w: WsWatch | undefined;
  let failed = true;
  try {
    say(`[4/4] riskstream alert latency: ${fmt(RATE)} background + ${ALERTS_PER_SEC} alerting events/s, ${WARMUP} s warm-up + ${SECONDS} s measured ...`);
    const topicsSec = await createBenchTopics(admin, prefix);
    const topic = telemetryTopic(prefix);
    inst = await startInstance(prefix);
    live.instances.add(inst);
    const readyAt = await waitReady(inst);
    const startupSec = (readyAt - inst.spawnedAt) / 1000;
    w = await watchAlerts(inst);
    const sent = new Map<string, { at: number; measured: boolean }>();
    const load = await openLoop(producer, topic, {
      intervalMs: INTERVAL_MS,
      warmupMs: WARMUP * 1000,
      measureMs: SECONDS * 1000,
      build: loadBuilder(true, (sensorId, at, measured) => sent.set(sensorId, { at, measured })),
    });
    const measured = [...sent.entries()].filter(([, s]) => s.measured);
    const drainEnd = performance.now() + DRAIN_MS;
    while (measured.some(([id]) => !w!.firedAt.has(id)) && performance.now() < drainEnd && !inst.exited) await sleep(50);
    if (inst.exited) throw new InstanceError(`riskstream exited during the latency run (${inst.exited.signal ?? `exit code ${inst.exited.code}`})`, inst);
    const lat: number[] = [];
    const missing: string[] = [];
    for (const [id, s] of measured) {
      const at = w.firedAt.get(id);
      if (at === undefined) missing.push(id);
      else lat.push(at - s.at);
    }
    const warmupAlerts = sent.size - measured.length;
    const warmupReceived = [...sent.entries()].filter(([id, s]) => !s.measured && w!.firedAt.has(id)).length;
    const lag = await groupLag(admin, inst.groupId, topic);
    const metrics = await metricsOf(inst);
    const warnings: string[] = [];
    if (lat.length === 0) throw new InstanceError(`no alert frame for any of the ${measured.length} measured alerting events (warm-up: ${warmupReceived} of ${warmupAlerts}); group lag ${lag.lag}; other frames ${JSON.stringify(w.frames)}`, inst);
    if (missing.length > 0) warnings.push(`${missing.length} of ${measured.length} measured alerts had no fired frame within ${DRAIN_MS / 1000} s after the load (first: ${missing.slice(0, 5).join(', ')})`);
    if (load.errors > 0) warnings.push(`${load.errors} of ${load.sends} sends failed: ${load.firstError}`);
    const lateW = lateWarning(load);
    if (lateW) warnings.push(lateW);
    if (w.closed) warnings.push(`WebSocket closed by the server: ${w.closed}`);
    if (Object.keys(w.frames.byRule).length > 0) warnings.push(`alert frames other than the bench alerts: ${JSON.stringify(w.frames.byRule)}`);
    w.ws.close();
    const fin = await finishInstance(inst, false);
    failed = false;
    if (fin.exit !== 'exit code 0') warnings.push(`after SIGTERM: ${fin.exit} (expected exit code 0); log: ${inst.logFile}`);
    return {
      prefix,
      topicsSec: round(topicsSec, 2),
      groupId: inst.groupId,
      startupSec: round(startupSec, 2),
      rate: RATE,
      alertsPerSec: ALERTS_PER_SEC,
      warmupSec: WARMUP,
      seconds: SECONDS,
      clock: 'performance.timeOrigin + performance.now() (sub-ms) at the send call and at frame receipt, one process',
      load,
      alertsSent: measured.length,
      alertsReceived: lat.length,
      missing: missing.length,
      ...(missing.length ? { missingIds: missing.slice(0, 20) } : {}),
      ...validity(load, measured.length, missing.length),
      warmup: { alertsSent: warmupAlerts, alertsReceived: warmupReceived },
      latencyMs: percentiles(lat),
      groupLagAfter: lag.lag,
      metrics,
      ...fin,
      ...(warnings.length ? { warnings } : {}),
    };
  } finally {
    if (w) w.ws.terminate();
    if (inst && live.instances.has(inst)) await finishInstance(inst, failed).catch(() => undefined);
    const note = await cleanup(prefix);
    if (note) say(`      cleanup: ${note}`);
  }
}

// ---------------------------------------------------------------------------------------------
// run

type Outcome = { ok: true; r: Record<string, unknown> } | { ok: false; error: string };

async function measure(name: string, fn: () => Promise<Record<string, unknown>>): Promise<Outcome> {
  const t0 = performance.now();
  const load0 = round(loadavg()[0] ?? 0, 2);
  try {
    const r = { ...(await fn()), loadavg1m: [load0, round(loadavg()[0] ?? 0, 2)] };
    emit({ bench: `kafka.${name}`, ...r, elapsedSec: round((performance.now() - t0) / 1000, 1) });
    return { ok: true, r };
  } catch (e) {
    const error = (e as Error).message ?? String(e);
    const out: Record<string, unknown> = { bench: `kafka.${name}`, error, elapsedSec: round((performance.now() - t0) / 1000, 1) };
    say(`      FAILED (${name}): ${error}`);
    if (e instanceof InstanceError) {
      const tail = logTail(e.inst, 30);
      Object.assign(out, { log: e.inst.logFile, exit: e.exitAtError ?? 'was running (then stopped by the bench)', logTail: tail });
      say(`      riskstream log: ${e.inst.logFile} — last ${tail.length} lines:`);
      for (const l of tail) say(`        | ${l}`);
    } else if (kafkaLog.length > 0) {
      say(`      kafkajs log (last 10):`);
      for (const l of kafkaLog.slice(-10)) say(`        | ${l}`);
    }
    emit(out);
    return { ok: false, error };
  }
}

selfCheck();
const started = performance.now();
const run = newPrefix().slice(6, -1);
const kafka = createKafka(`riskstream-bench-${run}`);
admin = kafka.admin();
let cluster: { brokerCount: number; controller: number | null };
try {
  await admin.connect();
  const c = await admin.describeCluster();
  cluster = { brokerCount: c.brokers.length, controller: c.controller };
  await (await createProducer(kafka)).disconnect();
} catch (e) {
  say(`kafka bench: cannot reach the broker at ${BROKERS.join(',')} (${(e as Error).message}); set RISKSTREAM_KAFKA_BROKERS`);
  for (const l of kafkaLog.slice(-5)) say(`  | ${l}`);
  process.exit(1);
}
const env = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadavg1mAtStart: round(loadavg()[0] ?? 0, 2),
  brokers: BROKERS,
  ...cluster,
  kafkajs: '2.2.4',
};
say(`kafka bench: ${BROKERS.join(',')} (${cluster.brokerCount} broker${cluster.brokerCount === 1 ? '' : 's'}), ${fmt(N)} events, ${fmt(RATE)}/s for ${SECONDS} s, node ${process.version}, ${env.cores} cores`);

/**
 * withProducer: a fresh producer per measurement. kafkajs refreshes the metadata of every topic a
 * client has used, and fails the whole refresh (UNKNOWN_TOPIC_OR_PARTITION) once one of them is
 * deleted, so a producer must not outlive the topics of an earlier measurement.
 */
async function withProducer<T>(fn: (p: Producer) => Promise<T>): Promise<T> {
  const p = await createProducer(kafka);
  try {
    return await fn(p);
  } finally {
    await p.disconnect().catch(() => undefined);
  }
}

const out: Record<string, Outcome | undefined> = {};
if (RUN_BARE) out.bareThroughput = await measure('bare-throughput', () => withProducer((p) => measureBareThroughput(kafka, p)));
if (RUN_RS) out.riskstreamThroughput = await measure('riskstream-throughput', () => withProducer((p) => measureRiskstreamThroughput(p)));
if (RUN_BARE) out.bareLatency = await measure('bare-latency', () => withProducer((p) => measureBareLatency(kafka, p)));
if (RUN_BARE && BARE_COMMIT) out.bareLatencyCommit = await measure('bare-latency-commit', () => withProducer((p) => measureBareLatency(kafka, p, true)));
if (RUN_RS) out.riskstreamLatency = await measure('riskstream-latency', () => withProducer((p) => measureRiskstreamLatency(p)));

await admin.disconnect().catch(() => undefined);

// ---------------------------------------------------------------------------------------------
// summary

const ok = (o: Outcome | undefined) => (o?.ok ? o.r : undefined);
const bT = ok(out.bareThroughput);
const rT = ok(out.riskstreamThroughput);
const bL = ok(out.bareLatency);
const rL = ok(out.riskstreamLatency);
const p99 = (r: Record<string, unknown> | undefined) => (r?.latencyMs as { p99: number } | undefined)?.p99;
const throughputRatio = bT && rT ? round((rT.eventsPerSec as number) / (bT.eventsPerSec as number), 3) : undefined;
// like for like without the group join: riskstream from its first commit, the bare consumer from its first batch
const throughputRatioAfterJoin = bT && rT && rT.eventsPerSecFromFirstCommit !== undefined ? round((rT.eventsPerSecFromFirstCommit as number) / (bT.eventsPerSecAfterFirstBatch as number), 3) : undefined;
const validL = (r: Record<string, unknown> | undefined) => r !== undefined && r.valid === true;
// the ratio is always given when both ran; it is judged against the target only when both runs were valid
const latencyRatio = bL && rL ? round(p99(rL)! / p99(bL)!, 2) : undefined;
const latencyNotJudged =
  latencyRatio !== undefined && !(validL(bL) && validL(rL))
    ? `not judged: ${[bL!, rL!]
        .filter((r) => !validL(r))
        .map((r) => `${r === bL ? 'bare' : 'riskstream'} run: ${r.invalidBecause}`)
        .join('; ')}`
    : undefined;
const bLC = ok(out.bareLatencyCommit);
const failedNames = Object.entries(out)
  .filter(([, o]) => o && !o.ok)
  .map(([k]) => k);
emit({
  bench: 'kafka',
  ...env,
  events: N,
  rate: RATE,
  seconds: SECONDS,
  warmupSec: WARMUP,
  bareEventsPerSec: bT?.eventsPerSec,
  riskstreamEventsPerSec: rT?.eventsPerSec,
  throughputRatio,
  throughputTarget: 0.7,
  meetsThroughputTarget: throughputRatio === undefined ? undefined : throughputRatio >= 0.7,
  throughputRatioAfterJoin,
  bareP99Ms: p99(bL),
  ...(bLC ? { bareCommitPerBatchP99Ms: p99(bLC), latencyRatioVsCommitPerBatch: rL ? round(p99(rL)! / p99(bLC)!, 2) : undefined } : {}),
  riskstreamAlertP99Ms: p99(rL),
  latencyRatio,
  latencyTarget: 2,
  meetsLatencyTarget: latencyRatio === undefined || latencyNotJudged ? undefined : latencyRatio <= 2,
  ...(latencyNotJudged ? { latencyVerdict: latencyNotJudged } : {}),
  riskstreamPeakRssMB: rT?.peakRssMB !== undefined || rL?.peakRssMB !== undefined ? Math.max((rT?.peakRssMB as number) ?? 0, (rL?.peakRssMB as number) ?? 0) : undefined,
  failed: failedNames,
  loadavg1mAtEnd: round(loadavg()[0] ?? 0, 2),
  elapsedSec: round((performance.now() - started) / 1000, 1),
});

const line = (label: string, o: Outcome | undefined, text: (r: Record<string, unknown>) => string) => {
  if (!o) return;
  say(`  ${label.padEnd(27)} ${o.ok ? text(o.r) : `FAILED: ${o.error}`}`);
};
const lat = (r: Record<string, unknown>) => {
  const l = r.latencyMs as { p50: number; p99: number; p999: number; max: number };
  return `${r.valid === false ? `[NOT VALID: ${r.invalidBecause}] ` : ''}p50 ${l.p50} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms`;
};
say('');
say(`Kafka end-to-end (${BROKERS.join(',')}, node ${process.version}, ${env.cores} cores, load ${env.loadavg1mAtStart})`);
line('bare consumer throughput', out.bareThroughput, (r) => `${fmt(r.eventsPerSec as number)} events/s (${fmt(N)} in ${r.sec} s from consumer.run, group join ${r.joinSec} s; ${fmt(r.eventsPerSecAfterFirstBatch as number)}/s after the first batch; ${fmt((r.polled as { eventsPerSec: number }).eventsPerSec)}/s timed like riskstream)`);
line('riskstream throughput', out.riskstreamThroughput, (r) => `${fmt(r.eventsPerSec as number)} events/s (${r.basis}: ${r.sec} s, polled every ${POLL_MS} ms; startup ${r.startupSec} s; ${fmt(r.eventsPerSecFromFirstCommit as number | undefined)}/s from the first commit; peak RSS ${r.peakRssMB ?? '?'} MB)`);
line(`bare latency @${fmt(RATE)}/s`, out.bareLatency, (r) => {
  const load = r.load as { measuredRate: number; lateSends: number; sends: number };
  return `${lat(r)} (achieved ${fmt(load.measuredRate)}/s, ${load.lateSends} of ${load.sends} sends late, ${r.missing} missing)`;
});
line(`bare latency, commit/batch`, out.bareLatencyCommit, (r) => {
  const load = r.load as { measuredRate: number; lateSends: number; sends: number };
  return `${lat(r)} (achieved ${fmt(load.measuredRate)}/s, ${load.lateSends} of ${load.sends} sends late, ${r.missing} missing)`;
});
line(`riskstream alert latency`, out.riskstreamLatency, (r) => {
  const load = r.load as { measuredRate: number; lateSends: number; sends: number };
  return `${lat(r)} (${r.alertsReceived} of ${r.alertsSent} alerts, ${r.missing} missing; achieved ${fmt(load.measuredRate)}/s, ${load.lateSends} of ${load.sends} sends late; peak RSS ${r.peakRssMB ?? '?'} MB)`;
});
if (throughputRatio !== undefined) say(`  throughput riskstream/bare = ${throughputRatio} (target ≥ 0.7): ${throughputRatio >= 0.7 ? 'met' : 'NOT MET'}; without the group join on either side: ${throughputRatioAfterJoin ?? '—'}`);
if (latencyRatio !== undefined) {
  const verdict = latencyNotJudged ? `${latencyNotJudged} — rerun on a quieter machine` : latencyRatio <= 2 ? 'met' : 'NOT MET';
  say(`  alert p99 riskstream/bare p99 = ${latencyRatio} (target ≤ 2): ${verdict}`);
}
for (const [k, r] of [['bare latency', bL], ['bare latency, commit/batch', bLC], ['riskstream throughput', rT], ['riskstream latency', rL]] as const) {
  for (const w of (r?.warnings as string[] | undefined) ?? []) say(`  warning (${k}): ${w}`);
}
const busiest = Math.max(env.loadavg1mAtStart, ...Object.values(out).flatMap((o) => ((o?.ok ? o.r.loadavg1m : undefined) as number[] | undefined) ?? []));
if (busiest > env.cores) say(`  note: the 1-minute load average reached ${busiest} on ${env.cores} cores during the run (other work on the machine); ratios measured under such load are noisy`);
if (failedNames.length > 0) say(`  failed: ${failedNames.join(', ')}`);
process.exit(failedNames.length > 0 ? 1 : 0);
