// The TypeScript sources run under Node's own type stripping (Node 22.6+ with
// --experimental-strip-types, on by default from 22.18 and 23.6): only erasable syntax — no enums,
// namespaces or parameter properties (tsconfig's erasableSyntaxOnly keeps it so at type-check
// time). Checked with amaro, the stripper Node bundles, in strip-only mode: every file of src/, then
// the CLI's --help and a `start` until /readyz, loaded through it (test/helpers/strip-types) on
// this machine's Node, which cannot strip types itself.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amaro from 'amaro';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config/paths.ts';
import { cleanEnv } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait.ts';

vi.setConfig({ testTimeout: 120_000 });

const STRIP = ['--import', './test/helpers/strip-types/register.mjs'];
const tmp = mkdtempSync(join(tmpdir(), 'rs-strip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

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

describe("Node's own type stripping", () => {
  it('strips every source file (strip-only: no enums, namespaces, parameter properties)', () => {
    const files = readdirSync(join(PROJECT_ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.m?ts$/.test(f) && !f.endsWith('.d.ts'));
    expect(files.length).toBeGreaterThan(50);
    const refused: string[] = [];
    for (const f of files) {
      try {
        amaro.transformSync(readFileSync(join(PROJECT_ROOT, 'src', f), 'utf8'), { mode: 'strip-only', filename: f });
      } catch (err) {
        refused.push(`src/${f}: ${(err as { message?: string }).message ?? String(err)}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it('refuses a parameter property (the check can fail)', () => {
    expect(() => amaro.transformSync('class A { constructor(private readonly x: number) {} }', { mode: 'strip-only' })).toThrow();
  });

  it('`riskstream --help` runs from the stripped sources', () => {
    const r = spawnSync(process.execPath, [...STRIP, 'src/cli/riskstream.ts', '--help'], { cwd: PROJECT_ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 100_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: riskstream \[options\] \[command\]/);
  });

  it('`riskstream start` from the stripped sources turns /readyz 200 and stops on SIGTERM with 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...STRIP, 'src/cli/riskstream.ts', 'start', '--port', String(port), '--data', join(tmp, 'data')], {
      cwd: PROJECT_ROOT,
      env: cleanEnv({ RISKSTREAM_LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(
        '/readyz',
        async () => {
          if (child.exitCode !== null) throw new Error(`start exited ${child.exitCode}: ${out}`);
          return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
        },
        60_000,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
  });
});
