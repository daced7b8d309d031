// The compiled build runs without any TypeScript tooling — what the Docker image's two stages do:
//   1. a copy of the package (package.json, lock, tsconfigs, scripts/, src/, and the bundled data
//      the image copies) is built with `node scripts/build.mjs` (npm run build) against the
//      project's node_modules (dev dependencies included);
//   2. then src/, scripts/, the tsconfigs and that node_modules are removed, and
//      `npm ci --omit=dev --ignore-scripts` installs the runtime dependencies only (from the npm
//      cache the project's own `npm ci` filled);
//   3. the package's bin (dist/cli/riskstream.js) answers --help, and `start` (embedded, bundled data,
//      from an unrelated working directory) turns /readyz 200 and serves the dashboard's assets,
//      then stops cleanly on SIGTERM.
// No tsx, esbuild or typescript is installed in the copy, and no .ts file exists in it.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config/paths.ts';
import { waitFor } from '../helpers/wait.ts';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const BIN = pkg.bin.riskstream!;
/** what the runtime image holds besides dist/ and node_modules (the runtime stage's COPY lines) */
const RUNTIME_DATA = ['package.json', 'package-lock.json', 'schemas', 'deploy/reference', 'deploy/rules', 'deploy/demo'];
const BUILD_ONLY = ['tsconfig.json', 'tsconfig.build.json', 'scripts', 'src'];

/** env: the outer RISKSTREAM_* variables and NODE_OPTIONS (a loader could hide in it) dropped. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RISKSTREAM_') && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')) e[k] = v;
  return { ...e, ...extra };
}

function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, env: env(extra), encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
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

/** tsFiles lists every .ts/.mts/.cts file under dir (node_modules' type declarations aside). */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.[mc]?ts$/.test(f) && !/\.d\.[mc]?ts$/.test(f) && !f.startsWith('node_modules'));
}

describe('the compiled build (dist/) without dev dependencies', () => {
  let tmp: string;
  let app: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'rs-dist-'));
    app = join(tmp, 'app');
    mkdirSync(app);
    for (const p of [...RUNTIME_DATA, ...BUILD_ONLY]) cpSync(join(PROJECT_ROOT, p), join(app, p), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
    run(process.execPath, ['scripts/build.mjs'], app);
    for (const p of [...BUILD_ONLY, 'node_modules', 'dist/.tsbuildinfo']) rmSync(join(app, p), { recursive: true, force: true });
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], app);
  }, 300_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('has no TypeScript tooling and no TypeScript source to fall back on', () => {
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest', '@esbuild']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(tsFiles(app)).toEqual([]);
    expect(existsSync(join(app, BIN))).toBe(true);
    expect(BIN).toMatch(/^dist\/.*\.js$/);
  });

  it('`riskstream --help` prints the usage', () => {
    const r = run(process.execPath, [join(app, BIN), '--help'], tmp);
    expect(r.stdout).toMatch(/^usage: riskstream \[options\] \[command\]/);
  });

  it('`riskstream start` turns /readyz 200, serves the dashboard assets, and stops on SIGTERM with 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(app, BIN), 'start', '--port', String(port), '--data', join(tmp, 'data')], {
      cwd: tmp,
      env: env({ RISKSTREAM_LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(`/readyz (output so far: ${out})`, async () => { if (child.exitCode !== null) throw new Error(`start exited ${child.exitCode}: ${out}`); return (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200; }, 60_000);
      const js = await fetch(`${base}/assets/app.js`);
      expect(js.status).toBe(200);
      expect(await js.text()).toBe(readFileSync(join(PROJECT_ROOT, 'src/web/app.js'), 'utf8'));
      expect((await fetch(`${base}/assets/vendor/d3.min.js`)).status).toBe(200); // from the runtime node_modules
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
  });
});
