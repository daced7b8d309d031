// End-to-end: the control-room dashboard in real headless Chromium against the real app.
// A methane reading over the power-off value at a coal face must show up as a red row, an
// operator can acknowledge it from the page, a viewer sees no acknowledge button.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse } from 'yaml';
import { startTestApp, TEST_SECRET } from '../helpers/app.ts';
import { createAuth } from '../../src/auth/auth.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.RISKSTREAM_REQUIRE_SERVICES === '1';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && !REQUIRE) {
  console.warn(`[e2e dashboard] skipped: ${CHROMIUM} not found (install Debian chromium; set RISKSTREAM_REQUIRE_SERVICES=1 to make this a failure)`);
}

const SITES_FILE = fileURLToPath(new URL('../../deploy/reference/sites.yaml', import.meta.url));

/** coalFaceMethaneSensor picks a coal mine and its coal-face CH4 sensor from the bundled reference data (`nth`: another mine's). */
function coalFaceMethaneSensor(nth = 0): { siteId: string; sensorId: string; town: string } {
  type Site = { id: string; kind: string; town: string; sensors?: { id: string; sensorType: string; location: string }[] };
  const doc = parse(readFileSync(SITES_FILE, 'utf8')) as Site[] | { sites: Site[] };
  const sites = Array.isArray(doc) ? doc : doc.sites;
  const candidates = sites
    .filter((s) => s.kind === 'coal_mine')
    .sort((a, b) => Number(b.id === 'cm-shm-01') - Number(a.id === 'cm-shm-01'));
  let n = nth;
  for (const s of candidates) {
    const sensor = s.sensors?.find((x) => x.sensorType === 'CH4' && x.location === 'coal_face');
    if (sensor && n-- === 0) return { siteId: s.id, sensorId: sensor.id, town: s.town };
  }
  throw new Error(`${SITES_FILE}: no coal_mine site with a CH4 sensor at location coal_face`);
}

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!HAVE_CHROMIUM && !REQUIRE)('control-room dashboard (headless Chromium)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} not found and RISKSTREAM_REQUIRE_SERVICES=1`);
    app = await startTestApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.destroy();
  });

  /** postEvent: a producer posting one event (or a list) with the ingest token. */
  const postEvent = (topic: string, body: unknown) =>
    fetch(`${app!.baseUrl}/api/v1/events/${topic}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${app!.tokens.ingest}` }, body: JSON.stringify(body) });

  async function openDashboard(token: string): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(app!.baseUrl) && !url.startsWith(app!.baseUrl.replace(/^http/, 'ws')) && !url.startsWith('data:')) foreignRequests.push(url);
    });
    await page.goto(`${app!.baseUrl}/?token=${encodeURIComponent(token)}`);
    await page.waitForSelector('#conn[data-state=open]', { timeout: 15_000 });
    await page.waitForSelector('body[data-role]', { timeout: 15_000 }); // /api/v1/info answered
    return page;
  }

  it('shows a red methane alert live, lets an operator acknowledge it, and gives a viewer no button', async () => {
    const { siteId, sensorId, town } = coalFaceMethaneSensor();
    const operator = await openDashboard(app!.tokens.operator);
    const viewer = await openDashboard(app!.tokens.viewer);

    // a control-room screen survives a reload (the page needs its token again); no demo banner on real data
    const reloaded = await operator.reload();
    expect(reloaded?.status()).toBe(200);
    await operator.waitForSelector('#conn[data-state=open]');
    expect(await operator.isHidden('#demo-banner')).toBe(true);

    const res = await postEvent('risk.mine.telemetry', { type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Date.now() });
    expect(res.status, await res.clone().text()).toBe(202);

    const redRow = `#alerts [data-severity=red][data-site-id="${siteId}"]`;
    const row = operator.locator(redRow).first();
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('data-state')).toBe('firing');
    expect(await row.getAttribute('data-alert-id')).toBeTruthy();
    expect(await row.locator('.sev-badge').textContent()).toContain('红色');
    expect(await operator.locator('#counts-severity [data-severity=red] .n').textContent()).not.toBe('0');
    expect(await operator.locator('#counts-domain [data-domain=mine] .n').textContent()).not.toBe('0');

    // the viewer (if its token covers the town) sees the same alert, without any acknowledge button
    const viewerInfo = (await (await fetch(`${app!.baseUrl}/api/v1/info`, { headers: { authorization: `Bearer ${app!.tokens.viewer}` } })).json()) as { towns: string[] | '*'; townNames: Record<string, string> };
    const viewerInfoTownNames = viewerInfo.townNames;
    const viewerSeesTown = viewerInfo.towns === '*' || viewerInfo.towns.includes(town);
    if (viewerSeesTown) await viewer.locator(redRow).first().waitFor({ timeout: 15_000 });
    expect(await viewer.getAttribute('body', 'data-role')).toBe('viewer');
    expect(await viewer.locator('.ack-btn').count()).toBe(0);

    // the operator acknowledges from the page, with a note
    const alertId = (await row.getAttribute('data-alert-id'))!;
    await row.locator('.ack-btn').click();
    await operator.waitForSelector('#action-dialog[open][data-kind=ack]');
    await operator.fill('#action-note', '已电话通知矿调度，确认断电撤人');
    await operator.click('#action-submit');
    const acked = operator.locator(`#alerts [data-alert-id="${alertId}"][data-state=acknowledged]`);
    await acked.waitFor({ timeout: 10_000 });
    expect(await operator.isHidden('#action-dialog')).toBe(true);
    expect(await acked.locator('.state').textContent()).toContain('已确认');
    expect(await acked.locator('.ack-btn').count()).toBe(0);
    // the note and who wrote it (the token's sub) are in the alert's detail
    await acked.locator('.title').click();
    const ackEntry = operator.locator('#detail-dialog[open] #detail-history li[data-kind=acknowledged]');
    await ackEntry.waitFor({ timeout: 10_000 });
    expect(await ackEntry.textContent()).toContain('已电话通知矿调度，确认断电撤人');
    expect(await ackEntry.textContent()).toContain('test-operator');
    expect(await operator.locator('#detail-history li[data-kind=fired]').count()).toBe(1);
    await operator.click('#detail-close');

    // the mine calls back: the officer records the company's confirmation (企业反馈) from the row
    await acked.locator('.confirm-btn').click();
    await operator.waitForSelector('#action-dialog[open][data-kind=confirm]');
    await operator.click('#action-submit'); // empty: refused on the page
    expect(await operator.locator('#action-error').textContent()).toContain('请填写原因');
    await operator.fill('#action-note', '矿调度钱永明：已断电撤人，复测0.6%');
    await operator.click('#action-submit');
    await acked.locator('.confirmed').waitFor({ timeout: 10_000 });
    expect(await acked.locator('.confirmed').textContent()).toContain('企业已反馈');
    const confirmed = (await (await fetch(`${app!.baseUrl}/api/v1/alerts/${encodeURIComponent(alertId)}`, { headers: { authorization: `Bearer ${app!.tokens.viewer}` } })).json()) as { labels: Record<string, string> };
    expect(confirmed.labels).toMatchObject({ confirmedBy: 'test-operator', confirmNote: '矿调度钱永明：已断电撤人，复测0.6%' });
    // ...and the acknowledgement reaches the viewer's screen over the WebSocket
    if (viewerSeesTown) await viewer.locator(`#alerts [data-alert-id="${alertId}"][data-state=acknowledged]`).waitFor({ timeout: 10_000 });

    const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), 'dashboard.png');
    await operator.screenshot({ path: shot });
    console.log(`[e2e dashboard] screenshot: ${shot}`);

    // a viewer limited to another town never sees this alert
    const otherTown = Object.keys(viewerInfoTownNames).find((t) => t !== town)!;
    const outsider = await openDashboard(await app!.token('viewer', [otherTown]));
    await outsider.waitForSelector('#alerts[data-seq]', { state: 'attached', timeout: 15_000 });
    expect(await outsider.locator(`#alerts [data-site-id="${siteId}"]`).count()).toBe(0);
    const townItems = await outsider.locator('#counts-town li').all();
    expect(await Promise.all(townItems.map((li) => li.getAttribute('data-town')))).toEqual([otherTown]);

    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 90_000);

  it('resolves with a reason and silences a site for a maintenance window from the page; an empty reason is refused', async () => {
    const { siteId, sensorId } = coalFaceMethaneSensor(1);
    const operator = await openDashboard(app!.tokens.operator);
    const post = (value: number) =>
      postEvent('risk.mine.telemetry', { type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: Date.now() });
    // 1.2 % (over the alarm value, under power-off): one alert at the site, a row of its own
    expect((await post(1.2)).status).toBe(202);
    const row = operator.locator(`#alerts [data-state=firing][data-site-id="${siteId}"]`).first();
    await row.waitFor({ timeout: 15_000 });
    const alertId = (await row.getAttribute('data-alert-id'))!;

    // silence: the site and rule are prefilled; a comment is required
    await row.locator('.silence-btn').click();
    await operator.waitForSelector('#action-dialog[open][data-kind=silence]');
    expect(await operator.locator('#silence-site-id').textContent()).toBe(siteId);
    expect(await operator.isChecked('#silence-site')).toBe(true);
    await operator.click('#action-submit');
    expect(await operator.locator('#action-error').textContent()).toContain('请填写原因');
    await operator.fill('#action-note', '检修工单 WO-2026-1205');
    await operator.selectOption('#silence-hours', '4');
    await operator.click('#action-submit');
    await operator.waitForSelector('#action-dialog', { state: 'hidden' });
    const silences = (await (await fetch(`${app!.baseUrl}/api/v1/silences`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { silences: { matchers: { siteId?: string; ruleId?: string }; comment: string; createdBy: string; endsAt: string }[] };
    const s = silences.silences.find((x) => x.comment === '检修工单 WO-2026-1205')!;
    expect(s.matchers.siteId).toBe(siteId);
    expect(s.matchers.ruleId).toBeTruthy();
    expect(s.createdBy).toBe('test-operator');
    const hours = (Date.parse(s.endsAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(3.9);
    expect(hours).toBeLessThanOrEqual(4);
    await operator.locator(`#alerts [data-alert-id="${alertId}"].silenced`).waitFor({ timeout: 10_000 });

    // resolve with a reason: it leaves the live list and the reason is in its history
    await operator.locator(`#alerts [data-alert-id="${alertId}"] .resolve-btn`).click();
    await operator.waitForSelector('#action-dialog[open][data-kind=resolve]');
    await operator.fill('#action-note', '传感器标校后复测正常');
    await operator.click('#action-submit');
    await operator.locator(`#resolved [data-alert-id="${alertId}"]`).waitFor({ timeout: 20_000 });
    const detail = (await (await fetch(`${app!.baseUrl}/api/v1/alerts/${encodeURIComponent(alertId)}`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { state: string; labels: Record<string, string> };
    expect(detail.state).toBe('resolved');
    expect(detail.labels.resolveNote).toBe('传感器标校后复测正常');
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('shows one weather warning over many sites as one incident card (count, site kinds), expands it, and acknowledges the whole group', async () => {
    const page = await openDashboard(app!.tokens.operator);
    const info = (await (await fetch(`${app!.baseUrl}/api/v1/info`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { townNames: Record<string, string> };
    const now = Date.now();
    const id = `act-${now}`;
    const iso = (ms: number) => new Date(ms).toISOString();
    const res = await postEvent('risk.weather.warnings', { type: 'weather.warning', id, sender: '鄂托克前旗气象台', sent: iso(now), status: 'Actual', msgType: 'Alert', event: '雷雨大风', level: 'orange', onset: iso(now), expires: iso(now + 6 * 3_600_000), area: { towns: Object.keys(info.townNames) } });
    expect(res.status, await res.clone().text()).toBe(202);
    const card = page.locator(`#alerts > .incident[data-incident="w:${id}"]`);
    await card.waitFor({ timeout: 15_000 });
    const all = (await (await fetch(`${app!.baseUrl}/api/v1/alerts?domain=weather`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { alerts: { id: string; siteId: string; state: string; labels: Record<string, string>; acks: { by: string; note?: string }[] }[] };
    const mine = all.alerts.filter((a) => a.labels.warningRoot === id);
    expect(mine.length).toBeGreaterThanOrEqual(5);
    await expect.poll(() => card.getAttribute('data-count')).toBe(String(mine.length));
    const title = (await card.locator('.inc-title').textContent())!;
    expect(title).toContain('雷雨大风橙色预警');
    expect(title).toContain(`影响 ${new Set(mine.map((a) => a.siteId)).size} 处：`);
    expect(title).toMatch(/(煤矿|露天矿|变电站|景区|建筑工地) \d+/);
    // folded: none of its alerts is a row of its own in the live list
    for (const a of mine.slice(0, 5)) expect(await page.locator(`#alerts > [data-alert-id="${a.id}"]`).count()).toBe(0);
    const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), 'dashboard-incident.png');
    await page.screenshot({ path: shot });
    console.log(`[e2e dashboard] screenshot: ${shot}`);
    // expanded: one row per exposed site
    await card.locator('.expand-btn').click();
    await expect.poll(() => card.locator('.members > .alert').count()).toBe(mine.length);
    // acknowledge the whole group with one note
    await card.locator('.ack-all-btn').click();
    await page.waitForSelector(`#action-dialog[open][data-group="${mine.length}"]`);
    await page.fill('#action-note', '已通知各企业落实防风措施');
    await page.click('#action-submit');
    await page.locator(`#alerts > .incident[data-incident="w:${id}"][data-state=acknowledged]`).waitFor({ timeout: 20_000 });
    const after = (await (await fetch(`${app!.baseUrl}/api/v1/alerts?domain=weather`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as typeof all;
    const acked = after.alerts.filter((a) => a.labels.warningRoot === id);
    expect(acked.every((a) => a.state === 'acknowledged' && a.acks.at(-1)?.note === '已通知各企业落实防风措施' && a.acks.at(-1)?.by === 'test-operator')).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('shows a rising methane sensor\'s last hour with its thresholds and the lead time to the power-off value', async () => {
    const { siteId, sensorId } = coalFaceMethaneSensor(3);
    const page = await openDashboard(app!.tokens.operator);
    const now = Date.now();
    // 0.1 % a minute for five minutes: 1.3 % now, so about 2 minutes to 1.5 %
    for (const [k, value] of [[5, 0.8], [4, 0.9], [3, 1.0], [2, 1.1], [1, 1.2], [0, 1.3]] as const) {
      const res = await postEvent('risk.mine.telemetry', { type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: now - k * 60_000 });
      expect(res.status, await res.clone().text()).toBe(202);
    }
    const row = page.locator(`#alerts [data-site-id="${siteId}"][data-domain=mine]`).first();
    await row.waitFor({ timeout: 15_000 });
    await row.locator('.title').click();
    await page.waitForSelector('#detail-dialog[open] #detail-trend:not([hidden])', { timeout: 10_000 });
    expect(await page.locator('#detail-metric').textContent()).toBe(`CH4:${sensorId}`);
    expect(await page.locator('#detail-spark polyline.line').count()).toBe(1);
    // the rule's levels are drawn: 0.8 / 1.0 / 1.5
    const thresholds = await page.locator('#detail-spark line.thr').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-value')));
    expect(thresholds.sort()).toEqual(['0.8', '1', '1.5']);
    expect(await page.locator('#detail-lead').textContent()).toBe('按当前速率约 2 分钟达到断电值 1.5%');
    const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), 'dashboard-detail.png');
    await page.screenshot({ path: shot });
    console.log(`[e2e dashboard] screenshot: ${shot}`);
    await page.click('#detail-close');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('sounds a new red alert once the operator turned sound on, until muted or acknowledged; the state is shown', async () => {
    const { siteId, sensorId } = coalFaceMethaneSensor(2);
    const page = await openDashboard(app!.tokens.operator);
    const btn = page.locator('#sound-btn');
    expect(await btn.getAttribute('data-sound')).toBe('off');
    await btn.click();
    // turned on, it sounds at once for red alerts already waiting for acknowledgement (earlier tests left some)
    const waiting = ((await (await fetch(`${app!.baseUrl}/api/v1/alerts?state=firing&minSeverity=red`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { alerts: { labels: Record<string, string> }[] }).alerts.filter((a) => a.labels.drill === undefined && a.labels.silenced !== 'true');
    expect(await btn.getAttribute('data-sound')).toBe(waiting.length > 0 ? 'alarm' : 'on');
    if (waiting.length > 0) await btn.click(); // muted: quiet until a new red alert
    expect(await btn.getAttribute('data-sound')).toBe('on');
    const res = await postEvent('risk.mine.telemetry', { type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Date.now() });
    expect(res.status).toBe(202);
    await page.waitForSelector('#sound-btn[data-sound=alarm]', { timeout: 15_000 });
    // it repeats
    await expect.poll(async () => Number(await btn.getAttribute('data-beeps')), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await btn.textContent()).toContain('报警中');
    // muted by the operator: quiet, sound stays on for the next red alert
    await btn.click();
    expect(await btn.getAttribute('data-sound')).toBe('on');
    const beeps = Number(await btn.getAttribute('data-beeps'));
    await page.waitForTimeout(2_500);
    // the 断电失效 alert may arrive meanwhile (no power-off feedback after 10 s) and sound again: that is a new red alert
    const alerts = (await (await fetch(`${app!.baseUrl}/api/v1/alerts?siteId=${siteId}`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { alerts: { id: string; severity: string; state: string; ruleId: string }[] };
    if (alerts.alerts.filter((a) => a.severity === 'red').length === 1) expect(Number(await btn.getAttribute('data-beeps'))).toBe(beeps);
    // a new red alert sounds again, and acknowledging it ends the alarm
    await page.waitForSelector('#sound-btn[data-sound=alarm]', { timeout: 20_000 });
    const red = (await (await fetch(`${app!.baseUrl}/api/v1/alerts?siteId=${siteId}`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as typeof alerts;
    for (const a of red.alerts.filter((x) => x.state === 'firing')) await fetch(`${app!.baseUrl}/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${app!.tokens.operator}` }, body: '{}' });
    await page.waitForSelector('#sound-btn[data-sound=on]', { timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('keeps Exercise/Test alerts in their own lane, out of the live tiles and counts', async () => {
    const page = await openDashboard(app!.tokens.operator);
    const info = (await (await fetch(`${app!.baseUrl}/api/v1/info`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { townNames: Record<string, string> };
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const res = await postEvent('risk.weather.warnings', { type: 'weather.warning', id: `ex-${now}`, sender: '鄂托克前旗气象台', sent: iso(now), status: 'Exercise', msgType: 'Alert', event: '雷雨大风', level: 'orange', onset: iso(now), expires: iso(now + 6 * 3_600_000), area: { towns: Object.keys(info.townNames) } });
    expect(res.status, await res.clone().text()).toBe(202);
    // simulated data replayed into this live (not demo) server is refused: it never raises, resolves or pages anything real
    const sim = coalFaceMethaneSensor(4);
    const simRes = await postEvent('risk.mine.telemetry', { type: 'mine.reading', siteId: sim.siteId, sensorId: sim.sensorId, sensorType: 'CH4', location: 'coal_face', value: 1.2, unit: '%', ts: now, simulated: true });
    expect(simRes.status).toBe(400);
    expect(await simRes.text()).toContain('SIMULATED_ON_LIVE');
    await page.locator('#drills .alert').first().waitFor({ timeout: 15_000 });
    const drills = await page.locator('#drills .alert').count();
    expect(drills).toBeGreaterThan(0);
    expect(await page.locator('#count-drills').textContent()).toBe(String(drills));
    expect(await page.locator('#alerts .alert.drill').count()).toBe(0);
    // every live tile counts only the live alerts (the API's open alerts without a drill label)
    const api = (await (await fetch(`${app!.baseUrl}/api/v1/alerts`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { alerts: { severity: string; domain: string; state: string; labels: Record<string, string> }[] };
    const live = api.alerts.filter((a) => a.state !== 'resolved' && a.labels.drill === undefined && a.labels.simulated !== 'true');
    expect(api.alerts.filter((a) => a.state !== 'resolved' && (a.labels.drill !== undefined || a.labels.simulated === 'true'))).toHaveLength(drills);
    for (const sev of ['red', 'orange', 'yellow', 'blue']) {
      await expect.poll(() => page.locator(`#counts-severity [data-severity=${sev}] .n`).textContent(), { timeout: 5_000, message: sev }).toBe(String(live.filter((a) => a.severity === sev).length));
    }
    expect(await page.locator('#counts-domain [data-domain=weather] .n').textContent()).toBe(String(live.filter((a) => a.domain === 'weather').length));
    const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), 'dashboard-drills.png');
    await page.screenshot({ path: shot });
    console.log(`[e2e dashboard] screenshot: ${shot}`);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('wall mode at 1920×1080 and 3840×2160: the 10 most severe incidents fit without scrolling, and pages turn when there are more', async () => {
    // a major hazard found open at 12 sites: 12 incidents besides what earlier tests left
    const sites = ['cp-edz-01', 'cp-edz-02', 'cp-edz-03', 'cp-edz-04', 'cs-edz-01', 'lp-edz-01', 'nm-alz-01', 'cs-alz-01', 'sa-alz-01', 'cv-alz-01', 'cv-alz-02', 'lp-alz-01'];
    const now = Date.now();
    for (const [i, siteId] of sites.entries()) {
      const res = await postEvent('risk.enforcement.events', { type: 'enforcement.hazard', hazardId: `HZ-WALL-${i}`, siteId, level: 'major', status: 'open', foundAt: now, deadline: now + 10 * 86_400_000, ts: now });
      expect(res.status, await res.clone().text()).toBe(202);
    }
    const screen = await createAuth(TEST_SECRET).sign({ sub: 'wall-e2e', role: 'screen', towns: '*' }, '3h');
    for (const [width, height] of [[1920, 1080], [3840, 2160]] as const) {
      const page = await browser!.newPage({ viewport: { width, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${app!.baseUrl}/?token=${encodeURIComponent(screen)}`);
      await page.waitForSelector('body.wall[data-role=screen]', { timeout: 15_000 });
      await page.waitForSelector('#wall-page:not([hidden])', { timeout: 15_000 });
      expect(Number(await page.getAttribute('#wall-page', 'data-pages'))).toBeGreaterThanOrEqual(2);
      expect(await page.getAttribute('#wall-page', 'data-page')).toBe('1');
      const cards = page.locator('#alerts > .alert');
      expect(await cards.count()).toBe(10);
      // every card inside the viewport, nothing to scroll
      const boxes = await cards.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().bottom));
      for (const b of boxes) expect(b).toBeLessThanOrEqual(height);
      // (runs in the page: the DOM globals are the browser's)
      const fits = await page.evaluate('document.scrollingElement.scrollHeight <= window.innerHeight && document.getElementById("alerts").scrollHeight <= document.getElementById("alerts").clientHeight + 1');
      expect(fits).toBe(true);
      // large type: the titles scale with the screen
      const titlePx = Number(await page.evaluate('parseFloat(getComputedStyle(document.querySelector("#alerts > .alert .title")).fontSize)'));
      expect(titlePx).toBeGreaterThanOrEqual(height / 50);
      const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), `wall-${width}x${height}.png`);
      await page.screenshot({ path: shot });
      console.log(`[e2e dashboard] screenshot: ${shot}`);
      if (width === 1920) {
        // the page turns by itself
        await page.waitForSelector('#wall-page[data-page="2"]', { timeout: 20_000 });
        expect(await cards.count()).toBeGreaterThan(0);
      }
      await page.close();
    }
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('shows the hazard ledger per town: open with days to the deadline, overdue (视同事故), closed', async () => {
    const page = await openDashboard(app!.tokens.operator);
    const now = Date.now();
    const DAY = 86_400_000;
    const hazard = (hazardId: string, level: 'major' | 'general', status: 'open' | 'closed', foundAt: number, deadline: number) =>
      postEvent('risk.enforcement.events', { type: 'enforcement.hazard', hazardId, siteId: 'op-shm-01', level, status, foundAt, deadline, ts: Date.now(), description: `${hazardId} 台账测试` });
    expect((await hazard('HZ-L-OPEN', 'major', 'open', now - DAY, now + 5 * DAY + 3_600_000)).status).toBe(202);
    expect((await hazard('HZ-L-LATE', 'general', 'open', now - 20 * DAY, now - 2 * DAY - 3_600_000)).status).toBe(202);
    expect((await hazard('HZ-L-DONE', 'general', 'open', now - 3 * DAY, now + DAY)).status).toBe(202);
    expect((await hazard('HZ-L-DONE', 'general', 'closed', now - 3 * DAY, now + DAY)).status).toBe(202);
    await page.click('#ledger-btn');
    const town = page.locator('#ledger-lists .ledger-town[data-town=shanghaimiao]');
    await town.waitFor({ timeout: 10_000 });
    expect(await town.locator('[data-hazard-id=HZ-L-OPEN] .hz-days').textContent()).toBe('剩余 5 天');
    expect(await town.locator('.hz-list-overdue [data-hazard-id=HZ-L-LATE] .hz-days').textContent()).toBe('逾期 2 天（视同事故）');
    expect(await town.locator('.hz-list-closed [data-hazard-id=HZ-L-DONE]').textContent()).toContain('销号');
    const row = page.locator('#ledger-table tr[data-town=shanghaimiao]');
    expect(Number(await row.locator('.n-open').textContent())).toBeGreaterThanOrEqual(1);
    expect(Number(await row.locator('.n-overdue').textContent())).toBeGreaterThanOrEqual(1);
    expect(Number(await row.locator('.n-closed').textContent())).toBeGreaterThanOrEqual(1);
    const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), 'dashboard-ledger.png');
    await page.screenshot({ path: shot });
    console.log(`[e2e dashboard] screenshot: ${shot}`);
    await page.click('#ledger-close');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('draws the map: outlines marked schematic, sites coloured by their worst alert, a warning polygon, a radar cell with its motion; a click lists the site\'s alerts', async () => {
    const page = await openDashboard(app!.tokens.operator);
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const post = postEvent;
    const wid = `map-${now}`;
    // a rainstorm warning over the south-west coal field (CAP polygon: [lat, lon] pairs)
    expect((await post('risk.weather.warnings', { type: 'weather.warning', id: wid, sender: '鄂托克前旗气象台', sent: iso(now), status: 'Actual', msgType: 'Alert', event: '暴雨', level: 'yellow', onset: iso(now), expires: iso(now + 3 * 3_600_000), area: { polygons: [[[37.9, 106.7], [37.9, 107.1], [38.2, 107.1], [38.2, 106.7], [37.9, 106.7]]] } })).status).toBe(202);
    // one radar cell seen twice, ten minutes apart, moving east
    expect((await post('risk.weather.nowcast', { type: 'weather.nowcast', cellId: 'cell-map', ts: now - 600_000, lat: 38.3, lon: 107.3, radiusKm: 6, reflectivityDbz: 42 })).status).toBe(202);
    expect((await post('risk.weather.nowcast', { type: 'weather.nowcast', cellId: 'cell-map', ts: now, lat: 38.3, lon: 107.4, radiusKm: 8, reflectivityDbz: 48, hail: true })).status).toBe(202);
    // a red alert at the first coal mine
    const { siteId, sensorId } = coalFaceMethaneSensor(0);
    expect((await post('risk.mine.telemetry', { type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value: 1.8, unit: '%', ts: now })).status).toBe(202);
    await page.locator(`#alerts [data-site-id="${siteId}"][data-severity=red], #alerts .incident[data-incident="s:${siteId}"][data-severity=red]`).first().waitFor({ timeout: 15_000 });

    await page.click('#map-btn');
    await page.waitForSelector('#map svg .banner-shape', { timeout: 10_000 });
    expect(await page.locator('#map svg .town-shape').count()).toBe(5);
    expect(await page.locator('#map-legend .schematic').textContent()).toContain('示意');
    expect(await page.isHidden('#alerts')).toBe(true);
    await page.waitForSelector(`#map circle.site-dot[data-site-id="${siteId}"][data-severity=red]`, { timeout: 10_000 });
    // every reference site is on the map, coloured by its worst live alert (grey without one)
    const sites = (await (await fetch(`${app!.baseUrl}/api/v1/sites`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { sites: { id: string }[] };
    expect(await page.locator('#map circle.site-dot').count()).toBe(sites.sites.length);
    const live = (await (await fetch(`${app!.baseUrl}/api/v1/alerts`, { headers: { authorization: `Bearer ${app!.tokens.operator}` } })).json()) as { alerts: { siteId?: string; severity: string; labels: Record<string, string> }[] };
    const rank = ['blue', 'yellow', 'orange', 'red'];
    for (const s of sites.sites) {
      const mine = live.alerts.filter((a) => a.siteId === s.id && a.labels.drill === undefined && a.labels.simulated !== 'true').map((a) => a.severity);
      const worst = mine.sort((a, b) => rank.indexOf(b) - rank.indexOf(a))[0] ?? 'none';
      expect(await page.getAttribute(`#map circle.site-dot[data-site-id="${s.id}"]`, 'data-severity'), s.id).toBe(worst);
    }
    expect(await page.locator(`#map path.warning-shape[data-warning-id="${wid}"][data-level=yellow]`).count()).toBe(1);
    const cell = page.locator('#map g.cell[data-cell-id="cell-map"]');
    expect(await cell.count()).toBe(1);
    expect(await cell.getAttribute('class')).toContain('hail');
    // moved 0.1° east in 10 minutes: about 52 km/h, heading east
    const bearing = Number(await cell.locator('line.cell-motion').getAttribute('data-bearing'));
    expect(bearing).toBeGreaterThan(80);
    expect(bearing).toBeLessThan(100);
    expect(await cell.locator('text').textContent()).toMatch(/48 dBZ 冰雹 · 5\d(\.\d)? km\/h/);
    await page.locator(`#map circle.site-dot[data-site-id="${siteId}"]`).click();
    await page.waitForSelector(`#map-site[data-site-id="${siteId}"]:not([hidden])`);
    expect(await page.locator('#map-site .map-site-alert[data-severity=red]').count()).toBeGreaterThan(0);
    const shot = join(mkdtempSync(join(tmpdir(), 'riskstream-e2e-')), 'dashboard-map.png');
    await page.screenshot({ path: shot });
    console.log(`[e2e dashboard] screenshot: ${shot}`);
    // back to the list
    await page.click('#map-btn');
    expect(await page.isHidden('#map-pane')).toBe(true);
    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 60_000);

  it('a wall screen warns before its token expires, then says 登录已过期 and stops reconnecting (not "已断开 · N 秒后重连" all night)', async () => {
    const short = await createAuth(TEST_SECRET).sign({ sub: 'wall-test', role: 'screen', towns: '*' }, '6s');
    const page = await openDashboard(short);
    expect(await page.getAttribute('body', 'data-role')).toBe('screen');
    expect(await page.locator('.ack-btn').count()).toBe(0);
    // within the last hour: a visible warning with the time
    await page.waitForSelector('#expiry-banner:not([hidden])', { timeout: 5_000 });
    expect(await page.locator('#expiry-banner').textContent()).toMatch(/令牌将于 \d\d:\d\d 过期/);
    // expired: a plain statement, and it stays that way
    await page.waitForSelector('body[data-expired=true]', { timeout: 15_000 });
    expect(await page.locator('#error-banner').textContent()).toContain('登录已过期');
    expect(await page.locator('#conn .txt').textContent()).toBe('登录已过期');
    await page.waitForTimeout(4_000);
    expect(await page.locator('#conn .txt').textContent()).toBe('登录已过期');
    expect(await page.isHidden('#expiry-banner')).toBe(true);

    // a page opened with a token that already expired says the same at once
    const late = await browser!.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await late.goto(`${app!.baseUrl}/?token=${encodeURIComponent(short)}`);
    await late.waitForSelector('body[data-expired=true]', { timeout: 15_000 });
    expect(await late.locator('#error-banner').textContent()).toContain('登录已过期');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
