// Kafka-mode test helpers: fresh topics per test (a random prefix), riskstream instances as real
// child processes (`riskstream start` with mode kafka, so kill -9 is a real crash), a producer and
// a DLQ reader. The broker comes from RISKSTREAM_KAFKA_BROKERS (deploy/local/kafka.sh).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type IHeaders, type Producer } from 'kafkajs';
import { ensureTopics, TOPIC_SPECS } from '../../src/adapters/kafka/topics.ts';
import { createAuth } from '../../src/auth/auth.ts';
import { PROJECT_ROOT } from '../../src/config/paths.ts';
import { waitFor } from './wait.ts';

export { waitFor };

export const BROKERS = (process.env.RISKSTREAM_KAFKA_BROKERS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

export const KAFKA_SECRET = 'kafka-it-secret-0123456789abcdef';
const quiet = { info() {}, warn() {} };

/** freePort: a port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** TestCluster: one topic prefix on a broker, with an admin, a producer and instances. */
export interface TestCluster {
  prefix: string;
  groupId: string;
  brokers: string[];
  admin: Admin;
  producer: Producer;
  /** produce events (JSON) keyed by their siteId (or id) onto `<prefix><topic>` */
  produce(topic: string, values: readonly (object | string)[], key?: (v: object | string) => string | undefined): Promise<void>;
  /** every message on `<prefix>risk.dlq` so far */
  dlq(): Promise<{ key: string | null; value: string; headers: Record<string, string> }[]>;
  /** every alert event on `<prefix>risk.alerts` so far, with offset */
  alertLog(): Promise<{ offset: number; headers: Record<string, string>; event: { seq: number; kind: string; alert: { id: string; fingerprint: string; state: string; siteId?: string; labels: Record<string, string> } } }[]>;
  /** committed offsets of the riskstream group equal the end offsets on every keyed partition */
  caughtUp(): Promise<boolean>;
  start(name: string, opts?: { env?: Record<string, string>; dataDir?: string }): Promise<Instance>;
  token(role: 'viewer' | 'operator' | 'admin' | 'ingest'): Promise<string>;
  close(): Promise<void>;
}

/** Instance: one `riskstream start` child process in mode kafka. */
export interface Instance {
  name: string;
  proc: ChildProcess;
  port: number;
  url: string;
  logFile: string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) */
  kill(): Promise<void>;
  metric(name: string, labels?: string): Promise<number>;
  tail(n?: number): string;
}

const keyOfValue = (v: object | string): string | undefined => {
  if (typeof v === 'string') return undefined;
  const o = v as Record<string, unknown>;
  return (o.siteId ?? o.id ?? o.cellId) as string | undefined;
};

const headersOf = (h: IHeaders | undefined): Record<string, string> => Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));

/** createTestCluster creates the topics of a fresh prefix (`partitions` for the keyed ones). */
export async function createTestCluster(opts: { partitions?: number; brokers?: string[]; replication?: number } = {}): Promise<TestCluster> {
  const brokers = opts.brokers ?? BROKERS;
  const run = randomUUID().slice(0, 8);
  const prefix = `it-${run}.`;
  const groupId = `riskstream-it-${run}`;
  const kafka = new Kafka({ clientId: `it-${run}`, brokers, logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 3000 } });
  const admin = kafka.admin();
  await admin.connect();
  const reports = await ensureTopics(admin, TOPIC_SPECS(prefix, { partitions: opts.partitions ?? 6, replication: opts.replication ?? 1 }), quiet);
  const bad = reports.filter((r) => r.status !== 'created' && r.status !== 'ok');
  if (bad.length > 0) throw new Error(`topics not created: ${bad.map((r) => `${r.spec.topic}: ${r.problems.join('; ')}`).join(', ')}`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 12 } });
  await producer.connect();
  const instances: Instance[] = [];
  const auth = createAuth(KAFKA_SECRET);

  async function readAll(topic: string) {
    const offs = await admin.fetchTopicOffsets(topic);
    const total = offs.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    const out: { partition: number; offset: number; key: string | null; value: string; headers: Record<string, string> }[] = [];
    if (total === 0) return out;
    const c = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers: headersOf(message.headers) });
      },
    });
    await waitFor(`reading ${total} messages of ${topic}`, () => out.length >= total, 30_000);
    await c.disconnect();
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  return {
    prefix,
    groupId,
    brokers,
    admin,
    producer,
    async produce(topic, values, key = keyOfValue) {
      await producer.send({ topic: prefix + topic, acks: -1, messages: values.map((v) => ({ key: key(v) ?? null, value: typeof v === 'string' ? v : JSON.stringify(v) })) });
    },
    async dlq() {
      return (await readAll(`${prefix}risk.dlq`)).map(({ key, value, headers }) => ({ key, value, headers }));
    },
    async alertLog() {
      return (await readAll(`${prefix}risk.alerts`)).map((m) => ({ offset: m.offset, headers: m.headers, event: JSON.parse(m.value) }));
    },
    async caughtUp() {
      for (const t of ['risk.mine.telemetry', 'risk.grid.telemetry', 'risk.site.telemetry', 'risk.enforcement.events', 'risk.signals.casualty', 'risk.road.events', 'risk.fire.events']) {
        const topic = prefix + t;
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const p of committed!.partitions) {
          const end = ends.get(p.partition) ?? 0;
          if (end > 0 && Number(p.offset) < end) return false;
        }
      }
      return true;
    },
    token: (role) => auth.sign({ sub: `it-${role}`, role, towns: '*' }, '1h'),
    async start(name, o = {}) {
      const port = await freePort();
      const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), `riskstream-kafka-${name}-`));
      const logFile = join(dataDir, `${name}.log`);
      const log = createWriteStream(logFile, { flags: 'a' });
      const proc = spawn(process.execPath, [join(PROJECT_ROOT, 'src/cli/riskstream.mjs'), 'start'], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          RISKSTREAM_MODE: 'kafka',
          RISKSTREAM_KAFKA_BROKERS: brokers.join(','),
          RISKSTREAM_KAFKA_TOPIC_PREFIX: prefix,
          RISKSTREAM_KAFKA_GROUP_ID: groupId,
          RISKSTREAM_KAFKA_CLIENT_ID: `${groupId}-${name}`,
          RISKSTREAM_DATA_DIR: dataDir,
          RISKSTREAM_HTTP_HOST: '127.0.0.1',
          RISKSTREAM_HTTP_PORT: String(port),
          RISKSTREAM_SECRET: KAFKA_SECRET,
          RISKSTREAM_LOG_LEVEL: process.env.RISKSTREAM_TEST_LOG ?? 'info',
          ...o.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc.stdout!.pipe(log);
      proc.stderr!.pipe(log);
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      const url = `http://127.0.0.1:${port}`;
      const tail = (n = 40) => {
        try {
          return readFileSync(logFile, 'utf8').split('\n').slice(-n).join('\n');
        } catch {
          return '';
        }
      };
      let dead = false;
      void exited.then(() => (dead = true));
      try {
        await waitFor(`instance ${name} ready`, async () => {
          if (dead) throw new Error(`instance ${name} exited before it was ready:\n${tail()}`);
          return fetch(`${url}/readyz`).then(
            (r) => r.status === 200,
            () => false,
          );
        }, 60_000);
      } catch (err) {
        proc.kill('SIGKILL');
        throw new Error(`${(err as Error).message}\n--- ${name} log ---\n${tail()}`);
      }
      const inst: Instance = {
        name,
        proc,
        port,
        url,
        logFile,
        exited,
        tail,
        async stop() {
          if (!dead) proc.kill('SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
          const code = await exited;
          clearTimeout(t);
          return code;
        },
        async kill() {
          if (!dead) proc.kill('SIGKILL');
          await exited;
        },
        async metric(name, labels = '') {
          const text = await (await fetch(`${url}/metrics`)).text();
          let sum = 0;
          for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labels) && !line.startsWith('#')) sum += Number(line.split(' ').at(-1));
          return sum;
        },
      };
      instances.push(inst);
      return inst;
    },
    async close() {
      for (const i of instances) await i.kill().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      // RISKSTREAM_TEST_KEEP_TOPICS=1 keeps a failed run's topics for inspection (kcat -C -t <prefix>…)
      const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(prefix));
      if (!process.env.RISKSTREAM_TEST_KEEP_TOPICS) await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
}

/** kafkaSh runs deploy/local/kafka.sh with a state dir of its own; resolves to its stdout. */
export async function kafkaSh(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [join(PROJECT_ROOT, 'deploy/local/kafka.sh'), ...args, '--dir', dir], { maxBuffer: 1 << 20, timeout: 240_000 });
  return stdout;
}

/** startLocalKafka starts a private cluster of `nodes` (own ports and dir) and returns its bootstrap servers. */
export async function startLocalKafka(dir: string, nodes = 1): Promise<string[]> {
  const out = await kafkaSh(dir, 'start', '--nodes', String(nodes));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('BOOTSTRAP=')) throw new Error(`kafka.sh start printed no BOOTSTRAP line: ${out}`);
  return line.slice('BOOTSTRAP='.length).split(',');
}
