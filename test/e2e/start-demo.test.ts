import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config/paths.ts';

// What a newcomer does: `npm start` (riskstream start --demo). Within seconds the SIMULATED demo
// shows alerts; the page says DEMO; SIGTERM shuts down cleanly with exit code 0.

describe('riskstream start --demo', () => {
  it('prints the dashboard URL, raises demo alerts within seconds and exits 0 on SIGTERM', async () => {
    const data = mkdtempSync(join(tmpdir(), 'riskstream-start-'));
    const child = spawn(process.execPath, ['src/cli/riskstream.mjs', 'start', '--demo', '--port', '0', '--data', data], { cwd: PROJECT_ROOT, env: { ...process.env, RISKSTREAM_LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => /dashboard:\s+(\S+)/.exec(out)?.[1], { timeout: 30_000 }).toBeDefined();
      const dashboard = new URL(/dashboard:\s+(\S+)/.exec(out)![1]!);
      const token = dashboard.searchParams.get('token')!;
      const base = dashboard.origin;
      const info = (await fetch(`${base}/api/v1/info`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as { demo: boolean; role: string };
      expect(info).toMatchObject({ demo: true, role: 'operator' });
      const page = await fetch(dashboard);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('DEMO');
      // alerts within seconds, all labelled as demo data
      await expect
        .poll(async () => ((await fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as { alerts: unknown[] }).alerts.length, { timeout: 20_000, interval: 500 })
        .toBeGreaterThan(0);
      const { alerts } = (await fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as { alerts: { labels: Record<string, string> }[] };
      expect(alerts.every((a) => a.labels.demo === 'true')).toBe(true);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});
