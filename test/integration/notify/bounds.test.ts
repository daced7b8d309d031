import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { onDuty } from '../../../src/alerts/roster.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { BUNDLED } from '../../../src/config/paths.ts';

// Nobody is paged by mistake and nothing grows without bound: an old reading (the README's example)
// is shown but texts nobody; escalation counts from receipt; repeated acks change nothing; a storm
// at one site is merged into a few texts; silences are capped. The clock is driven by the test.

const ref = loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
const SITE = 'cm-shm-01';
const MIN = 60_000;
/** the README's curl example, verbatim */
const README_EXAMPLE = { type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: '2024-07-16T09:04:30+08:00' };
const reading = (sensorId: string, ts: number) => ({ ...README_EXAMPLE, sensorId, ts });

async function call(t: TestApp, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as any, bytes: Buffer.byteLength(text) };
}
const ingest = async (t: TestApp, body: unknown) => expect((await call(t, 'POST', '/api/v1/events/risk.mine.telemetry', t.tokens.ingest, body)).status).toBe(202);

describe('notification bounds', () => {
  let now = Date.now();
  const apps: TestApp[] = [];
  // threshold and correlation rules: the README example's alerts, without absence rules firing for every silent sensor as the clock moves
  const start = async (config: Record<string, unknown> = {}) => {
    now = Date.now();
    const t = await startTestApp({ only: ['threshold', 'correlation'], config, now: () => now });
    apps.push(t);
    return t;
  };
  /** advance moves the test clock and runs the timers the app runs every second */
  const advance = async (t: TestApp, ms: number) => {
    now += ms;
    await t.app.tick();
  };
  const duty = () => onDuty(ref.roster, 'shanghaimiao', 'mine', now)!;
  /** the texts to the duty roster (the mine's own contacts are texted too) */
  const CONTACTS = new Set(ref.sites.get(SITE)!.contacts!.map((c) => c.phone));
  const toRoster = (t: TestApp) => t.sms.sent.filter((m) => !CONTACTS.has(m.to));
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.destroy().catch(() => undefined);
  });

  it("the README example (a 2024 reading) is shown marked 补录 but texts nobody, not even after the escalation delay", async () => {
    const t = await start();
    await ingest(t, README_EXAMPLE);
    const shown = (await call(t, 'GET', `/api/v1/alerts?siteId=${SITE}`, t.tokens.viewer)).body.alerts as any[];
    expect(shown.map((a) => a.ruleId).sort()).toEqual(['mine.ch4.face', 'mine.power-off-failure']);
    for (const a of shown) {
      expect(a).toMatchObject({ severity: 'red', state: 'firing', updatedAt: expect.stringMatching(/^2024-07-16/), labels: { backfill: 'true' } });
      expect(Date.parse(a.receivedAt)).toBe(now);
    }
    await advance(t, 10_000); // past the group wait
    await advance(t, 6 * MIN); // past escalation.red (5 min) after receipt
    expect(t.sms.sent).toEqual([]);
    const after = (await call(t, 'GET', `/api/v1/alerts?siteId=${SITE}`, t.tokens.viewer)).body.alerts as any[];
    expect(after.map((a) => a.escalation)).toEqual([0, 0]);
  });

  it('a red alert from a 10-minute-old reading escalates escalation.red after receipt, not at once', async () => {
    const t = await start();
    await ingest(t, reading('CH4-T1-1201', now - 10 * MIN));
    await advance(t, 10_000);
    expect(toRoster(t).map((m) => m.to)).toEqual([duty().officer.phone]);
    // 4 min 50 s after receipt: the officer still has time
    await advance(t, 4 * MIN + 40_000);
    expect(toRoster(t)).toHaveLength(1);
    await advance(t, 15_000); // 5 min 5 s after receipt
    await advance(t, 10_000); // the escalation text's group wait
    expect(toRoster(t).map((m) => m.to)).toEqual([duty().officer.phone, duty().leader.phone]);
  });

  it('1,000 repeated acks by one operator: one acknowledged event, the alert stays under 20 KB', async () => {
    const t = await start();
    await ingest(t, reading('CH4-T1-1201', now));
    const id = t.app.book.openAlerts().find((a) => a.ruleId === 'mine.ch4.face')!.id;
    const note = '已通知矿调度'.repeat(300); // 1,800 characters, within the API's 2,000
    for (let i = 0; i < 1000; i++) {
      now += 10;
      expect((await call(t, 'POST', `/api/v1/alerts/${id}/ack`, t.tokens.operator, { note })).status).toBe(200);
    }
    const detail = await call(t, 'GET', `/api/v1/alerts/${id}`, t.tokens.viewer);
    expect(detail.bytes).toBeLessThan(20_000);
    expect(detail.body.history.map((h: { kind: string }) => h.kind)).toEqual(['fired', 'acknowledged']);
    expect(detail.body.acks).toHaveLength(1);
  });

  it('250 alerts at one mine with openAlertsPerSite 200: 200 open, one overflow alert, the officer gets at most 2 texts', async () => {
    const t = await start({ limits: { openAlertsPerSite: 200 } });
    const sensors = Array.from({ length: 250 }, (_, i) => `CH4-STORM-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < 250; i += 50) await ingest(t, sensors.slice(i, i + 50).map((s) => reading(s, now)));
    const open = t.app.book.openAlerts().filter((a) => a.siteId === SITE);
    expect(open.filter((a) => a.domain === 'mine')).toHaveLength(200);
    const over = open.filter((a) => a.ruleId === 'system.limit.openAlertsPerSite');
    expect(over).toHaveLength(1);
    // power-off-failure (correlation) fires too for the first readings' sensors: count what was held back, not a fixed number
    expect(over[0]!.value).toBeGreaterThanOrEqual(50);
    for (let i = 0; i < 10; i++) await advance(t, 10_000);
    // the mine officer: one grouped text and one summary; the overflow alert goes to whoever the roster names for system alerts
    expect(t.sms.sent.filter((m) => m.to === duty().officer.phone).length).toBeLessThanOrEqual(2);
    expect(toRoster(t).length).toBeLessThanOrEqual(3);
    // the mine's own contacts: one grouped text each and one summary, not 250
    for (const c of CONTACTS) expect(t.sms.sent.filter((m) => m.to === c).length).toBeLessThanOrEqual(2);
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/riskstream_limit_reached_total\{limit="openAlertsPerSite"\} 1/);
    // the officer's queue was past limits.textsQueuedPerNumber (20): the rest went as one summary, and the system alert says so
    expect(t.sms.sent.some((m) => m.text.includes('未单独发送'))).toBe(true);
    // on the screens only: texting about too many texts would add to them
    // (the officer's 180 folded texts, and the mine contacts' too)
    const folded = t.app.book.all().find((a) => a.ruleId === 'system.limit.textsQueuedPerNumber')!;
    expect(folded.threshold).toBe(20);
    expect(folded.value).toBeGreaterThanOrEqual(180);
    expect(t.sms.sent.filter((m) => m.text.includes('待发短信'))).toEqual([]);
    expect(metrics).toMatch(/riskstream_limit_overflow_total\{limit="textsQueuedPerNumber"\} [1-9]/);
  });

  it('refuses one silence more than limits.silences with 409 and a clear message', async () => {
    const t = await start({ limits: { silences: 2 } });
    const silence = { matchers: { siteId: SITE }, endsAt: now + 3_600_000, comment: '传感器标校作业 工单 JX-0716' };
    for (let i = 0; i < 2; i++) expect((await call(t, 'POST', '/api/v1/silences', t.tokens.operator, silence)).status).toBe(201);
    const r = await call(t, 'POST', '/api/v1/silences', t.tokens.operator, silence);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('silence limit reached (2)') });
  });
});
