// The flood of issue #9, run against the real CLI (`riskstream start`) as a hostile or careless
// producer would: 50,000 made-up sensor ids, half at 50 made-up sites and half at 5 real coal mines,
// posted in 500-event batches, while /healthz is probed every 100 ms. Shared by the e2e test (which
// checks what must hold) and `npm run bench:flood` (which reports the figures).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { PROJECT_ROOT } from '../../src/config/paths.ts';
import { createAuth } from '../../src/auth/auth.ts';
import { cleanEnv } from './cli.ts';

/** FLOOD_SECRET: the signing secret the flooded instance runs with. */
export const FLOOD_SECRET = 'flood-secret-0123456789abcdef';

/** REAL_MINES: five coal mines of the bundled reference data. */
export const REAL_MINES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01'];

/** Instance: a `riskstream start` child process. */
export interface Instance {
  child: ChildProcess;
  base: string;
  pid: number;
  /** ms from spawn to /readyz 200 */
  readyMs: number;
  output: () => string;
  stop(): Promise<number | null>;
}

/** startInstance runs `riskstream start --data DIR --port 0` and waits until /readyz answers 200. */
export async function startInstance(dataDir: string, env: Record<string, string> = {}, timeoutMs = 120_000, nodeArgs: string[] = []): Promise<Instance> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, 'src/cli/riskstream.mjs', 'start', '--port', '0', '--data', dataDir], {
    cwd: PROJECT_ROOT,
    env: cleanEnv({ RISKSTREAM_SECRET: FLOOD_SECRET, RISKSTREAM_HTTP_HOST: '127.0.0.1', RISKSTREAM_LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let base: string | undefined;
  const end = Date.now() + timeoutMs;
  while (!base) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`riskstream start did not come up:\n${out.slice(-4000)}`);
    base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    await sleep(50);
  }
  for (;;) {
    const r = await fetch(`${base}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > end) throw new Error(`not ready within ${timeoutMs} ms:\n${out.slice(-4000)}`);
    await sleep(50);
  }
  const readyMs = performance.now() - t0;
  return {
    child,
    base,
    pid: child.pid!,
    readyMs,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** rssBytes reads a process's resident set size from /proc. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** Prober: /healthz probed every `everyMs`; a probe that gets no answer within 10 s counts as failed. */
export function startProber(base: string, everyMs = 100): { stop(): Promise<{ latencies: number[]; failed: number }> } {
  const latencies: number[] = [];
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
        await r.arrayBuffer();
        if (r.status === 200) latencies.push(performance.now() - t0);
        else failed++;
      } catch {
        failed++;
      }
      const spent = performance.now() - t0;
      await sleep(Math.max(0, everyMs - spent));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { latencies, failed };
    },
  };
}

/** percentile of a list of numbers (nearest rank). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** FloodResult: what the producer was told. */
export interface FloodResult {
  posted: number;
  accepted: number;
  codes: Record<string, number>;
  http: Record<string, number>;
  ms: number;
}

/**
 * flood posts `sensors` readings, one per made-up sensor id: half at `fakeSites` made-up sites, half
 * spread over the real mines; event time `ageMs` before now (so a silent sensor is due at once).
 */
export async function flood(base: string, opts: { sensors?: number; fakeSites?: number; batch?: number; ageMs?: number; concurrency?: number } = {}): Promise<FloodResult> {
  const sensors = opts.sensors ?? 50_000;
  const fakeSites = opts.fakeSites ?? 50;
  const batch = opts.batch ?? 500;
  const token = await createAuth(FLOOD_SECRET).sign({ sub: 'flood-producer', role: 'ingest', towns: '*' }, '1h');
  const ts = new Date(Date.now() - (opts.ageMs ?? 180_000)).toISOString();
  const events: string[] = [];
  for (let i = 0; i < sensors; i++) {
    const fake = i % 2 === 0;
    const siteId = fake ? `made-up-site-${(i / 2) % fakeSites}` : REAL_MINES[((i - 1) / 2) % REAL_MINES.length]!;
    events.push(JSON.stringify({ type: 'mine.reading', siteId, sensorId: `FAKE-CH4-${i}`, sensorType: 'CH4', location: 'coal_face', value: 0.1, unit: '%', ts }));
  }
  const result: FloodResult = { posted: 0, accepted: 0, codes: {}, http: {}, ms: 0 };
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const slice = events.slice(next, next + batch);
      next += batch;
      const r = await fetch(`${base}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: slice.join('\n') });
      result.http[r.status] = (result.http[r.status] ?? 0) + 1;
      const body = (await r.json()) as { accepted?: number; errors?: { code: string }[] };
      result.posted += slice.length;
      result.accepted += body.accepted ?? 0;
      for (const e of body.errors ?? []) result.codes[e.code] = (result.codes[e.code] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 2 }, worker));
  result.ms = performance.now() - t0;
  return result;
}

/** metricValue sums the samples of one metric in a Prometheus text page whose labels contain `labelPart`. */
export function metricValue(page: string, name: string, labelPart = ''): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelPart && !rest.includes(labelPart)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** outboxTexts counts the texts the log SMS provider wrote, per phone number. */
export function outboxTexts(dataDir: string): Map<string, number> {
  const path = `${dataDir}/sms-outbox.ndjson`;
  const out = new Map<string, number>();
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const to = (JSON.parse(line) as { to?: string }).to ?? '?';
      out.set(to, (out.get(to) ?? 0) + 1);
    } catch {
      // a torn last line
    }
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
