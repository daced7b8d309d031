// `riskstream start` on a data dir with unreadable alert data: exit 2 naming file and line; `--repair`
// moves it to <dataDir>/quarantine/ and starts; the start after that is clean.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config/paths.ts';
import { cleanEnv, runCli, type CliRun } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait.ts';

// Each run spawns node + tsx (about 1 s idle, much more on a loaded CI box): allow for that.
vi.setConfig({ testTimeout: 120_000 });

const RUNNING = 'riskstream is running';

/**
 * startUntilRunning runs `riskstream start ...args` and sends SIGTERM once it prints that it is
 * running and ready (or lets it end by itself when it refuses to start); warnings are logged to stdout.
 */
function startUntilRunning(args: string[]): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli/riskstream.mjs', 'start', '--port', '0', ...args], {
      cwd: PROJECT_ROOT,
      env: cleanEnv({ RISKSTREAM_LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stopping = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const url = /riskstream is running[^]*?(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (stopping || !url) return;
      // once, and only after /readyz answers: the banner is printed just before the SIGTERM handler is set
      stopping = true;
      waitFor('readyz', async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, 60_000).then(
        () => child.kill('SIGTERM'),
        () => child.kill('SIGKILL'),
      );
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** stored builds one journal line (valid unless `kind` is not an AlertEventKind). */
function stored(seq: number, kind = 'fired'): string {
  const at = '2024-07-16T09:00:00+08:00';
  const alert = { id: 'fp-1', fingerprint: 'fp', ruleId: 'mine.ch4.face', title: '甲烷超限', severity: 'yellow', domain: 'mine', state: 'firing', startsAt: at, updatedAt: at, summary: 's', actions: [], evidence: [], escalation: 0, acks: [], labels: {} };
  return JSON.stringify({ subjectKey: 's|1', event: { seq, kind, at, alert } }) + '\n';
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rs-recovery-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('riskstream start on a corrupted data dir', () => {
  it('refuses with exit 2 naming file and line; --repair quarantines and starts; the next start is clean', async () => {
    const data = join(tmp, 'data');
    const journal = join(data, 'alerts.journal.ndjson');
    // start once on an empty dir so it is laid out as riskstream lays it out
    expect((await startUntilRunning(['--data', data])).code).toBe(0);
    writeFileSync(journal, stored(1) + 'garbage\n' + stored(3, 'exploded') + stored(4, 'updated'));

    const refused = await runCli(['start', '--data', data, '--port', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('JOURNAL_CORRUPT');
    expect(refused.stderr).toContain(`${journal}: line 2: not JSON`);
    expect(refused.stderr).toContain(`${journal}: line 3: event.kind:`);
    expect(refused.stderr).toContain('--repair');

    writeFileSync(join(data, 'silences.json'), '[{"id":');
    const refusedSilences = await runCli(['start', '--data', data, '--port', '0']);
    expect(refusedSilences.code).toBe(2);
    expect(refusedSilences.stderr).toContain(`${join(data, 'silences.json')}: whole file: not JSON`);

    const repaired = await startUntilRunning(['--data', data, '--repair']);
    expect(repaired.stdout).toContain(RUNNING);
    expect(repaired.code).toBe(0);
    // each set-aside line is logged with its file and line
    const warnings = repaired.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: journal, line: 2 }),
        expect.objectContaining({ file: journal, line: 3 }),
        expect.objectContaining({ file: join(data, 'silences.json') }),
      ]),
    );
    const quarantine = join(data, 'quarantine');
    expect(readdirSync(quarantine)).toHaveLength(2);
    expect(statSync(quarantine).mode & 0o777).toBe(0o700);

    const clean = await startUntilRunning(['--data', data]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(RUNNING);
    expect(clean.stdout).not.toContain('quarantine');
  });
});
