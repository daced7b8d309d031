// npm run bench:storm — issue #11's alert storm, measured against a Node-RED peer in the same run.
// For each load (2,000 and 20,000 sensors, as many open alerts): a real `riskstream start`
// (embedded: validation, journal with fsync, tokens) and a Node-RED 4 flow doing the methane
// thresholds (test/bench/peers/node-red-flow.json; Node-RED installed by this script into a temp
// dir, not a project dependency). Same client for both:
//   1. open: one red reading per sensor in 500-event POSTs (the open alerts);
//   2. throughput: THROUGHPUT_EVENTS more readings of those sensors in 500-event POSTs;
//   3. latency: single red readings of new sensors, 20/s, POST → the WebSocket frame naming it.
// Prints a table and the ratios; targets are reported, never asserted in tests.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { PROJECT_ROOT } from '../../src/config/paths.ts';
import { createAuth } from '../../src/auth/auth.ts';
import { FLOOD_SECRET, percentile, REAL_MINES, startInstance } from '../helpers/flood.ts';

const LOADS = (process.env.STORM_SENSORS ?? '2000,20000').split(',').map(Number);
const THROUGHPUT_EVENTS = Number(process.env.STORM_EVENTS ?? 200_000);
const SAMPLES = Number(process.env.STORM_SAMPLES ?? 200);
const BATCH = 500;
/** STORM_PROFILE=DIR: riskstream runs with --cpu-prof into DIR (read it with test/bench/profile-top.ts) */
const PROFILE = process.env.STORM_PROFILE;
/** STORM_PEERS=riskstream: measure riskstream alone (e.g. while profiling) */
const PEERS = (process.env.STORM_PEERS ?? 'node-red,riskstream').split(',');
/** STORM_ESCALATE=10s: red alerts escalate after this (default 5 min), so the whole storm escalates while latency is measured */
const ESCALATE = process.env.STORM_ESCALATE;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 100) / 100;

interface Target {
  name: string;
  post(body: unknown): Promise<number>;
  wsUrl: string;
  wsHeaders: Record<string, string>;
  stop(): Promise<void>;
}

const reading = (i: number, value: number, prefix = 'CH4-ST') => ({
  type: 'mine.reading',
  siteId: REAL_MINES[i % REAL_MINES.length],
  sensorId: `${prefix}-${i}`,
  sensorType: 'CH4',
  location: 'coal_face',
  value,
  unit: '%',
  ts: Date.now(),
});

async function postAll(t: Target, n: number, make: (k: number) => unknown): Promise<number> {
  const t0 = performance.now();
  // two requests in flight, as a producer with a little pipelining would
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const from = next;
      next = Math.min(n, next + BATCH);
      const body = Array.from({ length: next - from }, (_, k) => make(from + k));
      const status = await t.post(body);
      if (status >= 300) throw new Error(`${t.name}: POST answered ${status}`);
    }
  };
  await Promise.all([worker(), worker()]);
  return performance.now() - t0;
}

async function latency(t: Target, load: number): Promise<number[]> {
  const ws = new WebSocket(t.wsUrl, { headers: t.wsHeaders });
  const waiting = new Map<string, (at: number) => void>();
  ws.on('message', (data) => {
    const at = performance.now();
    const f = JSON.parse(data.toString()) as { type?: string; kind?: string; alert?: { labels?: Record<string, string> } };
    const s = f.alert?.labels?.sensorId;
    if (f.type === 'alert' && f.kind === 'fired' && s && waiting.has(s)) waiting.get(s)!(at);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await sleep(1000); // past the snapshot of the open alerts
  const out: number[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    const r = reading(load + k, 1.6, 'CH4-LAT');
    const got = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${t.name}: no frame for ${r.sensorId} within 10 s`)), 10_000);
      waiting.set(r.sensorId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
    const t0 = performance.now();
    await t.post(r);
    out.push((await got) - t0);
    waiting.delete(r.sensorId);
    await sleep(50); // 20 per second
  }
  ws.close();
  return out;
}

async function riskstream(): Promise<Target> {
  const data = mkdtempSync(join(tmpdir(), 'riskstream-storm-'));
  const inst = await startInstance(data, {
    RISKSTREAM_LIMITS_OPEN_ALERTS_PER_SITE: '1000000',
    RISKSTREAM_LIMITS_OPEN_ALERTS_PER_RULE: '1000000',
    RISKSTREAM_LIMITS_SUBJECTS_PER_SITE: '1000000',
    RISKSTREAM_LOG_LEVEL: 'error',
    ...(ESCALATE ? { RISKSTREAM_ESCALATION_RED: ESCALATE, RISKSTREAM_ESCALATION_REPEAT: ESCALATE } : {}),
  }, 120_000, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []);
  const auth = createAuth(FLOOD_SECRET);
  const ingest = await auth.sign({ sub: 'storm-ingest', role: 'ingest', towns: '*' }, '1h');
  const viewer = await auth.sign({ sub: 'storm-screen', role: 'viewer', towns: '*' }, '1h');
  return {
    name: 'riskstream',
    async post(body) {
      const r = await fetch(`${inst.base}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}` }, body: JSON.stringify(body) });
      await r.arrayBuffer();
      return r.status;
    },
    wsUrl: `${inst.base.replace('http', 'ws')}/ws`,
    wsHeaders: { authorization: `Bearer ${viewer}` },
    async stop() {
      await inst.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** nodeRed installs Node-RED 4 once into a temp dir (reused across runs) and starts the peer flow. */
async function nodeRed(): Promise<Target> {
  const dir = join(tmpdir(), 'riskstream-bench-node-red');
  const bin = join(dir, 'node_modules', 'node-red', 'red.js');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write('installing node-red@4 into ' + dir + ' …\n');
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', 'node-red@4'], { stdio: 'inherit' });
  }
  const user = mkdtempSync(join(tmpdir(), 'riskstream-node-red-user-'));
  writeFileSync(join(user, 'settings.js'), `module.exports = { uiPort: 0, httpAdminRoot: false, logging: { console: { level: 'warn' } }, apiMaxLength: '20mb' };\n`);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [bin, '--userDir', user, '--settings', join(user, 'settings.js'), '--port', String(port), join(PROJECT_ROOT, 'test/bench/peers/node-red-flow.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }).catch(() => undefined);
    if (r?.status === 202) break;
    if (Date.now() > end || child.exitCode !== null) throw new Error(`node-red did not come up:\n${out.slice(-3000)}`);
    await sleep(200);
  }
  return {
    name: 'node-red',
    async post(body) {
      const r = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await r.arrayBuffer();
      return r.status;
    },
    wsUrl: `${base.replace('http', 'ws')}/ws`,
    wsHeaders: {},
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(user, { recursive: true, force: true });
    },
  };
}

const rows: Record<string, unknown>[] = [];
for (const load of LOADS) {
  const result: Record<string, { openMs: number; eventsPerSec: number; p50: number; p99: number; max: number }> = {};
  for (const make of [nodeRed, riskstream].filter((f) => PEERS.includes(f === nodeRed ? 'node-red' : 'riskstream'))) {
    const t = await make();
    try {
      const openMs = await postAll(t, load, (k) => reading(k, 1.6));
      const ms = await postAll(t, THROUGHPUT_EVENTS, (k) => reading(k % load, 1.6 + (k % 7) / 100));
      const lat = await latency(t, load);
      result[t.name] = { openMs: Math.round(openMs), eventsPerSec: Math.round(THROUGHPUT_EVENTS / (ms / 1000)), p50: round(percentile(lat, 50)), p99: round(percentile(lat, 99)), max: round(Math.max(...lat)) };
    } finally {
      await t.stop();
    }
  }
  const none = { openMs: NaN, eventsPerSec: NaN, p50: NaN, p99: NaN, max: NaN };
  const rs = result.riskstream ?? none;
  const nr = result['node-red'] ?? none;
  rows.push({
    sensors: load,
    openAlerts: load,
    'riskstream ev/s': rs.eventsPerSec,
    'node-red ev/s': nr.eventsPerSec,
    'throughput ratio': round(rs.eventsPerSec / nr.eventsPerSec),
    'riskstream p50/p99/max ms': `${rs.p50}/${rs.p99}/${rs.max}`,
    'node-red p50/p99/max ms': `${nr.p50}/${nr.p99}/${nr.max}`,
    'p99 ratio': round(rs.p99 / nr.p99),
    'open (ms) rs/nr': `${rs.openMs}/${nr.openMs}`,
  });
}
console.table(rows);
console.log(JSON.stringify({ throughputEvents: THROUGHPUT_EVENTS, samples: SAMPLES, batch: BATCH, rows }, null, 1));
for (const r of rows) {
  const p99 = Number(String(r['riskstream p50/p99/max ms']).split('/')[1]);
  console.log(
    `${r.sensors} sensors: p99 ≤ 10 ms ${p99 <= 10 ? 'met' : 'NOT met'} (${p99} ms); p99 ≤ 3× Node-RED ${Number(r['p99 ratio']) <= 3 ? 'met' : 'NOT met'} (${r['p99 ratio']}×); throughput ≥ 0.5× Node-RED ${Number(r['throughput ratio']) >= 0.5 ? 'met' : 'NOT met'} (${r['throughput ratio']}×)`,
  );
}
process.exit(0);
