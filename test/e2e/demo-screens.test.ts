// The demo as a duty officer and a wall see it: `riskstream start --demo` in real headless Chromium,
// screenshots at 1920×1080 and 3840×2160 (list, wall, map) and the briefing, written to
// test-results/screenshots/ (or RISKSTREAM_SCREENSHOTS) for people to look at.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config/paths.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.RISKSTREAM_REQUIRE_SERVICES === '1';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && !REQUIRE) console.warn(`[e2e demo screens] skipped: ${CHROMIUM} not found`);
const OUT = process.env.RISKSTREAM_SCREENSHOTS ?? join(PROJECT_ROOT, 'test-results', 'screenshots');

describe.skipIf(!HAVE_CHROMIUM && !REQUIRE)('the demo on screens (screenshots)', () => {
  it('shows the simulated day as incidents, on the wall, on the map and in the briefing, at 1920×1080 and 3840×2160', async () => {
    mkdirSync(OUT, { recursive: true });
    const data = mkdtempSync(join(tmpdir(), 'riskstream-screens-'));
    const child = spawn(process.execPath, ['src/cli/riskstream.mjs', 'start', '--demo', '--port', '0', '--data', data], { cwd: PROJECT_ROOT, env: { ...process.env, RISKSTREAM_LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const shots: string[] = [];
    try {
      await expect.poll(() => /dashboard:\s+(\S+)/.exec(out)?.[1], { timeout: 30_000 }).toBeDefined();
      const dashboard = new URL(/dashboard:\s+(\S+)/.exec(out)![1]!);
      const token = dashboard.searchParams.get('token')!;
      const base = dashboard.origin;
      // the simulated day starts at 05:55 and runs 72× (a day in 20 min): its first alerts come within a minute
      await expect
        .poll(async () => ((await fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as { alerts: unknown[] }).alerts.length, { timeout: 60_000, interval: 1000 })
        .toBeGreaterThanOrEqual(2);
      for (const [width, height] of [[1920, 1080], [3840, 2160]] as const) {
        const page = await browser.newPage({ viewport: { width, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        for (const [name, query] of [['list', ''], ['wall', '&wall=1'], ['map', '&view=map']] as const) {
          await page.goto(`${base}/?token=${encodeURIComponent(token)}${query}`);
          await page.waitForSelector('#alerts[data-seq]', { state: 'attached', timeout: 15_000 });
          if (name === 'map') await page.waitForSelector('#map svg .site-dot', { timeout: 15_000 });
          else await page.waitForSelector('#alerts > .alert', { timeout: 15_000 });
          // the page says it is a demo
          expect(await page.isVisible('#demo-banner')).toBe(true);
          if (name === 'wall') expect(await page.evaluate('document.scrollingElement.scrollHeight <= window.innerHeight')).toBe(true);
          const file = join(OUT, `demo-${name}-${width}x${height}.png`);
          await page.screenshot({ path: file });
          shots.push(file);
        }
        expect(errors).toEqual([]);
        await page.close();
      }
      const brief = await browser.newPage({ viewport: { width: 1240, height: 1754 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      expect((await brief.goto(`${base}/briefing?town=shanghaimiao&token=${encodeURIComponent(token)}`))?.status()).toBe(200);
      const file = join(OUT, 'demo-briefing-shanghaimiao.png');
      await brief.screenshot({ path: file, fullPage: true });
      shots.push(file);
      console.log(`[e2e demo screens] ${shots.length} screenshots in ${OUT}:\n  ${shots.join('\n  ')}`);
    } finally {
      await browser.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);
});
