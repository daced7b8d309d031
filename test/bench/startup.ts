// npm run bench:startup — how fast the CLI starts and how much memory it takes, for any entry point:
//   node --import tsx test/bench/startup.ts [--entry FILE] [--runs N] [--cold]
//     --entry  the CLI file node runs (default src/cli/riskstream.mjs: the sources through tsx;
//              dist/cli/riskstream.js after `npm run build`)
//     --runs   runs of each measurement (default 5)
//     --cold   give every run an empty TMPDIR (tsx keeps its transform cache there; the first start
//              of a new container or pod has none)
// Measures, each run a fresh process:
//   help:  `riskstream --help` wall time and peak RSS (`/usr/bin/time -f '%e %M'`);
//   start: `riskstream start --port P --data <empty dir>` (embedded, bundled reference data and
//          rules, no demo): wall time from spawn until GET /readyz answers 200 (polled every 10 ms),
//          and the resident set (VmRSS) 3 s later, idle.
// Prints min / median / max of each. Nothing is asserted: it reports.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../src/config/paths.ts';

const { values } = parseArgs({ options: { entry: { type: 'string' }, runs: { type: 'string' }, cold: { type: 'boolean' } } });
const entryArg = values.entry ?? 'src/cli/riskstream.mjs';
const ENTRY = isAbsolute(entryArg) ? entryArg : join(PROJECT_ROOT, entryArg);
const RUNS = Number(values.runs ?? 5);
const COLD = values.cold === true;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** env: the outer RISKSTREAM_* variables dropped, logs quiet, and an empty TMPDIR with --cold. */
function env(tmp: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RISKSTREAM_') && k !== 'NODE_OPTIONS') e[k] = v;
  return { ...e, RISKSTREAM_LOG_LEVEL: 'warn', ...(COLD ? { TMPDIR: tmp } : {}) };
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

function help(): { s: number; mb: number } {
  const tmp = mkdtempSync(join(tmpdir(), 'rs-startup-'));
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, ENTRY, '--help'], { env: env(tmp), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`--help exited ${r.status}: ${r.stderr}`);
    const [s, kb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    return { s: s!, mb: kb! / 1024 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function start(): Promise<{ s: number; mb: number }> {
  const tmp = mkdtempSync(join(tmpdir(), 'rs-startup-'));
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [ENTRY, 'start', '--port', String(port), '--data', join(tmp, 'data')], { env: env(tmp), stdio: ['ignore', 'ignore', 'pipe'] });
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

const helps = [];
for (let i = 0; i < RUNS; i++) helps.push(help());
const starts = [];
for (let i = 0; i < RUNS; i++) starts.push(await start());
console.log(`entry ${entryArg} (node ${process.version}, ${RUNS} runs${COLD ? ', empty TMPDIR each run' : ''}); min / median / max`);
console.log(`  --help          wall ${stats(helps.map((h) => h.s), 2)} s   peak RSS ${stats(helps.map((h) => h.mb), 0)} MB`);
console.log(`  start → /readyz wall ${stats(starts.map((h) => h.s), 2)} s   idle RSS ${stats(starts.map((h) => h.mb), 0)} MB`);
