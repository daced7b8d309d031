// npm run bench:startup — how fast the CLI starts and how much memory it takes, for one or more
// entry points measured in turn (run i of each before run i+1 of any: a load that comes and goes
// on the machine hits them alike):
//   node --import tsx test/bench/startup.ts [--entry FILE[:cold]]... [--runs N]
//     --entry  the CLI file node runs (default src/cli/riskstream.mjs: the sources through tsx;
//              dist/cli/riskstream.js after `npm run build`); `:cold` gives each of its runs an
//              empty TMPDIR (tsx keeps its transform cache there; a new container or pod has none)
//     --runs   runs of each measurement per entry (default 5)
// Measures, each run a fresh process:
//   help:  `riskstream --help` wall time and peak RSS (`/usr/bin/time -f '%e %M'`);
//   start: `riskstream start --port P --data <empty dir>` (embedded, bundled reference data and
//          rules, no demo): wall time from spawn until GET /readyz answers 200 (polled every 10 ms),
//          and the resident set (VmRSS) 3 s later, idle.
// Prints min / median / max of each, and the load average before and after. Nothing is asserted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../src/config/paths.ts';

const { values } = parseArgs({ options: { entry: { type: 'string', multiple: true }, runs: { type: 'string' } } });
interface Entry {
  name: string;
  file: string;
  cold: boolean;
}
const ENTRIES: Entry[] = (values.entry ?? ['src/cli/riskstream.mjs']).map((name) => {
  const cold = name.endsWith(':cold');
  const f = cold ? name.slice(0, -':cold'.length) : name;
  return { name, file: isAbsolute(f) ? f : join(PROJECT_ROOT, f), cold };
});
const RUNS = Number(values.runs ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** env: the outer RISKSTREAM_* variables dropped, logs quiet, and an empty TMPDIR with --cold. */
function env(tmp: string, cold: boolean): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RISKSTREAM_') && k !== 'NODE_OPTIONS') e[k] = v;
  return { ...e, RISKSTREAM_LOG_LEVEL: 'warn', ...(cold ? { TMPDIR: tmp } : {}) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function help(e: Entry): { s: number; mb: number } {
  const tmp = mkdtempSync(join(tmpdir(), 'rs-startup-'));
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, e.file, '--help'], { env: env(tmp, e.cold), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`--help exited ${r.status}: ${r.stderr}`);
    const [s, kb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    return { s: s!, mb: kb! / 1024 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function start(e: Entry): Promise<{ s: number; mb: number }> {
  const tmp = mkdtempSync(join(tmpdir(), 'rs-startup-'));
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [e.file, 'start', '--port', String(port), '--data', join(tmp, 'data')], { env: env(tmp, e.cold), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`start exited before /readyz: ${stderr}`);
      if (performance.now() - t0 > 60_000) throw new Error('no /readyz within 60 s');
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(10);
    }
    const s = (performance.now() - t0) / 1000;
    await sleep(3000);
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
    return { s, mb: kb / 1024 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
    rmSync(tmp, { recursive: true, force: true });
  }
}

const stats = (xs: number[], digits: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(digits);
  return `${f(s[0]!)} / ${f(s[Math.floor(s.length / 2)]!)} / ${f(s.at(-1)!)}`;
};

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const before = load();
const helps = new Map(ENTRIES.map((e) => [e, [] as { s: number; mb: number }[]]));
const starts = new Map(ENTRIES.map((e) => [e, [] as { s: number; mb: number }[]]));
for (let i = 0; i < RUNS; i++) for (const e of ENTRIES) helps.get(e)!.push(help(e));
for (let i = 0; i < RUNS; i++) for (const e of ENTRIES) starts.get(e)!.push(await start(e));
console.log(`node ${process.version}, ${RUNS} runs each, load average ${before} → ${load()}; min / median / max`);
for (const e of ENTRIES) {
  const h = helps.get(e)!;
  const st = starts.get(e)!;
  console.log(e.name);
  console.log(`  --help          wall ${stats(h.map((x) => x.s), 2)} s   peak RSS ${stats(h.map((x) => x.mb), 0)} MB`);
  console.log(`  start → /readyz wall ${stats(st.map((x) => x.s), 2)} s   idle RSS ${stats(st.map((x) => x.mb), 0)} MB`);
}
