// The CLI imports a command's module only when that command runs: `--help` and `token` load neither
// Fastify nor the app nor kafkajs. Each run logs every module it resolves (test/helpers/load-log).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config/paths.ts';
import { cleanEnv } from '../../helpers/cli.ts';

// Each run spawns node + tsx (about 1 s idle, much more on a loaded CI box): allow for that.
vi.setConfig({ testTimeout: 120_000 });

const tmp = mkdtempSync(join(tmpdir(), 'rs-lazy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** loaded runs `riskstream ...args` from the sources and returns the exit code and the modules it resolved. */
function loaded(args: string[]): { code: number | null; urls: string[] } {
  const log = join(tmp, `load-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', './test/helpers/load-log/register.mjs', 'src/cli/riskstream.mjs', ...args], {
    cwd: PROJECT_ROOT,
    env: cleanEnv({ RISKSTREAM_LOAD_LOG: log }),
    encoding: 'utf8',
    timeout: 100_000,
  });
  return { code: r.status, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const HEAVY = [/\/node_modules\/fastify\//, /\/node_modules\/kafkajs\//, /\/src\/app\.ts$/, /\/src\/main\.ts$/, /\/node_modules\/playwright-core\//];
const heavy = (urls: string[]) => urls.filter((u) => HEAVY.some((h) => h.test(u)));

describe('CLI commands load lazily', () => {
  it('`riskstream --help` loads no command module', () => {
    const { code, urls } = loaded(['--help']);
    expect(code).toBe(0);
    expect(urls.some((u) => u.endsWith('/src/cli/index.ts'))).toBe(true);
    expect(heavy(urls)).toEqual([]);
    expect(urls.filter((u) => /\/src\/cli\/(start|backtest|replay|token|topics|briefing|demo|audit|schemas)\.ts$/.test(u))).toEqual([]);
  });

  it('`riskstream token` loads neither Fastify nor the app nor kafkajs', () => {
    const { code, urls } = loaded(['token', '--role', 'screen', '--data', join(tmp, 'data')]);
    expect(code).toBe(0);
    expect(urls.some((u) => u.endsWith('/src/cli/token.ts'))).toBe(true);
    expect(heavy(urls)).toEqual([]);
  });

  it('`riskstream start` does load them (the log sees what a command imports)', () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'mode: neither\n');
    const { code, urls } = loaded(['start', '--config', bad, '--data', join(tmp, 'data')]);
    expect(code).toBe(2); // CONFIG_INVALID, after the command's modules were imported
    expect(urls.some((u) => /\/node_modules\/fastify\//.test(u))).toBe(true);
    expect(urls.some((u) => u.endsWith('/src/app.ts'))).toBe(true);
  });
});
