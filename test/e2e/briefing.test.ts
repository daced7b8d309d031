// End-to-end: the joint-consultation briefing (会商材料) — the page in real headless Chromium and
// `riskstream briefing` as Markdown and as an A4 PDF printed by Chromium, from a running app.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp } from '../helpers/app.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.RISKSTREAM_REQUIRE_SERVICES === '1';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && !REQUIRE) console.warn(`[e2e briefing] skipped: ${CHROMIUM} not found (install Debian chromium; set RISKSTREAM_REQUIRE_SERVICES=1 to make this a failure)`);
const CLI = fileURLToPath(new URL('../../src/cli/riskstream.mjs', import.meta.url));
const run = promisify(execFile);

describe.skipIf(!HAVE_CHROMIUM && !REQUIRE)('joint-consultation briefing (page, Markdown, PDF)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
  let browser: Browser | undefined;
  let now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const post = (topic: string, body: unknown) =>
    fetch(`${app!.baseUrl}/api/v1/events/${topic}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${app!.tokens.ingest}` }, body: JSON.stringify(body) });

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} not found and RISKSTREAM_REQUIRE_SERVICES=1`);
    app = await startTestApp({ now: () => now });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.destroy();
  });

  it('says the response level apart from the warning colour, exposed sites by kind with actions, people, permits, cells with arrival, weather alerts apart, the duty roster, and what changed', async () => {
    // the first briefing of 敖勒召其镇, issued (record=true): nothing in force yet
    const first = (await (await fetch(`${app!.baseUrl}/api/v1/briefing?town=aolezhaoqi&record=true`, { headers: { authorization: `Bearer ${app!.tokens.viewer}` } })).json()) as { towns: { warnings: unknown[]; changes?: unknown }[] };
    expect(first.towns[0]!.warnings).toEqual([]);
    expect(first.towns[0]!.changes).toBeUndefined();
    // someone looking at the briefing meanwhile changes no baseline
    now += 60_000;
    await fetch(`${app!.baseUrl}/api/v1/briefing?town=aolezhaoqi`, { headers: { authorization: `Bearer ${app!.tokens.viewer}` } });

    now += 5 * 60_000;
    expect((await post('risk.weather.warnings', { type: 'weather.warning', id: 'brf-1', sender: '鄂托克前旗气象台', sent: iso(now), status: 'Actual', msgType: 'Alert', event: '雷雨大风', level: 'orange', onset: iso(now), expires: iso(now + 6 * 3_600_000), area: { towns: ['aolezhaoqi'] } })).status).toBe(202);
    // 2,100 visitors at the scenic area, a hot-work permit at the construction site, a major hazard
    expect((await post('risk.site.telemetry', { type: 'site.reading', siteId: 'sa-alz-01', metric: 'visitors', value: 2100, unit: '人', ts: now })).status).toBe(202);
    expect((await post('risk.enforcement.events', { type: 'enforcement.permit', permitId: 'DH-BRF-1', siteId: 'cs-alz-01', work: 'hot_work', grade: '1', validFrom: now - 3_600_000, validTo: now + 4 * 3_600_000, escalatedApproval: false, ts: now })).status).toBe(202);
    expect((await post('risk.enforcement.events', { type: 'enforcement.hazard', hazardId: 'HZ-BRF-1', siteId: 'cs-alz-01', level: 'major', status: 'open', foundAt: now - 86_400_000, deadline: now + 3 * 86_400_000, ts: now })).status).toBe(202);
    // a radar cell 30 km west of the banner seat, moving east at 60 km/h
    expect((await post('risk.weather.nowcast', { type: 'weather.nowcast', cellId: 'brf-cell', ts: now - 600_000, lat: 38.2, lon: 107.0, radiusKm: 5, reflectivityDbz: 50 })).status).toBe(202);
    expect((await post('risk.weather.nowcast', { type: 'weather.nowcast', cellId: 'brf-cell', ts: now, lat: 38.2, lon: 107.1146, radiusKm: 5, reflectivityDbz: 52 })).status).toBe(202);
    // an equipment fault in the same town: kept apart from the weather
    expect((await post('risk.grid.telemetry', { type: 'grid.reading', siteId: 'ss-alz-110kv', equipmentId: 'T1', quantity: 'load', value: 135, unit: '%', ts: now })).status).toBe(202);
    now += 2 * 60_000;

    const page = await browser!.newPage({ viewport: { width: 1240, height: 1754 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${app!.baseUrl}/briefing?town=aolezhaoqi&token=${encodeURIComponent(app!.tokens.viewer)}`);
    expect(res?.status()).toBe(200);
    const town = page.locator('section.town[data-town=aolezhaoqi]');
    // orange warning; no special period today: the response is 县级Ⅱ级 (橙色), said apart from the warning's colour
    expect(await town.locator('.response').textContent()).toContain('县级Ⅱ级响应（橙色）');
    expect(await town.locator('.response').getAttribute('data-level')).toBe('orange');
    const text = (await town.textContent())!;
    expect(text).toContain('雷雨大风');
    expect(text).toMatch(/有效期 \d\d-\d\d \d\d:\d\d 至 \d\d-\d\d \d\d:\d\d/);
    expect(await town.locator('.kind[data-kind=scenic_area] h4').textContent()).toMatch(/^景区 \d+$/);
    expect(await town.locator('.kind[data-kind=scenic_area] .actions li').count()).toBeGreaterThan(0);
    expect(text).toContain('2100 人');
    expect(text).toContain('作业票 DH-BRF-1 动火');
    expect(text).toContain('重大隐患 HZ-BRF-1');
    expect(text).toMatch(/brf-cell 52 dBZ · 距.+ km · \d+(\.\d)? km\/h 向 9\d° · 约 \d+ 分钟后到达/);
    expect(text).toMatch(/值班员 .+ 带班领导 /);
    // weather alerts and the equipment fault are listed apart
    const cols = town.locator('.cols > div');
    expect(await cols.nth(0).textContent()).toContain('雷雨大风');
    expect(await cols.nth(1).textContent()).not.toContain('雷雨大风');
    expect(await cols.nth(1).textContent()).toContain('设备负载过高');
    // what changed since the first briefing
    expect(await town.locator('.changes').textContent()).toContain('新增预警：雷雨大风橙色预警');
    const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), 'briefing.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`[e2e briefing] screenshot: ${shot}`);
    expect(errors).toEqual([]);
    await page.close();

    // a screen without a token is told so in words, not JSON
    const anon = await fetch(`${app!.baseUrl}/briefing?town=aolezhaoqi`);
    expect(anon.status).toBe(401);
    expect(await anon.text()).toContain('登录已过期或缺少令牌');
  }, 90_000);

  it('riskstream briefing writes Markdown and an A4 PDF printed by Chromium', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riskstream-brf-'));
    const env = { ...process.env, RISKSTREAM_TOKEN: app!.tokens.viewer };
    const md = await run(process.execPath, [CLI, 'briefing', '--url', app!.baseUrl, '--town', 'aolezhaoqi', '--format', 'md'], { env });
    expect(md.stdout).toContain('## 敖勒召其镇');
    expect(md.stdout).toContain('**响应级别：县级Ⅱ级响应（橙色）**');
    expect(md.stdout).toContain('### 雷达回波');
    const pdf = join(dir, 'briefing.pdf');
    await run(process.execPath, [CLI, 'briefing', '--url', app!.baseUrl, '--town', 'aolezhaoqi', '--format', 'pdf', '--out', pdf, '--chromium', CHROMIUM], { env });
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(statSync(pdf).size).toBeGreaterThan(10_000);
    // A4: 595 × 842 points
    expect(bytes.toString('latin1')).toMatch(/\/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]/);
    console.log(`[e2e briefing] pdf: ${pdf}`);
    // an output folder that does not exist is refused before any request, in one line
    const noDir = run(process.execPath, [CLI, 'briefing', '--url', app!.baseUrl, '--format', 'pdf', '--out', '/proc/nope/b.pdf'], { env });
    await expect(noDir).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('does not exist') });
    // a wrong format or a missing token is refused before any request
    await expect(run(process.execPath, [CLI, 'briefing', '--format', 'docx'], { env })).rejects.toMatchObject({ code: 2 });
    await expect(run(process.execPath, [CLI, 'briefing', '--url', app!.baseUrl], { env: { ...process.env, RISKSTREAM_TOKEN: '' } })).rejects.toMatchObject({ code: 2 });
  }, 90_000);
});
