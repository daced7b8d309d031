import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { leadersOnDuty, onDuty } from '../../../src/alerts/roster.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { BUNDLED } from '../../../src/config/paths.ts';

// Duty roster texts end to end: a red alert texts the duty officer once, climbs to the leader on
// duty when nobody acknowledges it, stops when acknowledged, survives a restart without losing or
// repeating a text, stays quiet under a silence, and groups a storm of alerts into a few texts.

const ref = loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
const SITE = 'cm-shm-01';
const duty = () => onDuty(ref.roster, 'shanghaimiao', 'mine', Date.now())!;
const FAST = { escalation: { red: '1500ms', orange: '1h', repeat: '1h' }, notify: { groupWait: '100ms', groupInterval: '300ms', siteContacts: { enabled: false } } };
// (the site's own contacts are texted too unless notify.siteContacts is off: test/integration/notify/site-contacts.test.ts)

const reading = (sensorId: string, value: number) => ({ type: 'mine.reading', siteId: SITE, sensorId, sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: Date.now() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(t: TestApp, body: unknown) {
  const res = await fetch(`${t.baseUrl}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.ingest}` }, body: JSON.stringify(body) });
  expect(res.status).toBe(202);
}

async function call(t: TestApp, method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.operator}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as any };
}

const openAlert = async (t: TestApp) => (await call(t, 'GET', `/api/v1/alerts?siteId=${SITE}`)).body.alerts[0];

describe('notifications', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.destroy().catch(() => undefined);
  });
  // thresholds only: each test counts texts exactly
  const start = async (dataDir?: string) => {
    const t = await startTestApp({ only: ['threshold'], config: FAST, ...(dataDir ? { dataDir } : {}) });
    apps.push(t);
    return t;
  };

  it('texts the duty officer once, then the leader when nobody acknowledges in time', async () => {
    const t = await start();
    await post(t, reading('CH4-T1-1201', 1.6));
    await expect.poll(() => t.sms.sent.length, { timeout: 4000 }).toBe(1);
    expect(t.sms.sent[0]!.to).toBe(duty().officer.phone);
    expect(t.sms.sent[0]!.text).toContain('红色');
    // the leader gets the escalation once the red timer passes, and the alert says so
    await expect.poll(() => t.sms.sent.length, { timeout: 6000 }).toBe(2);
    expect(t.sms.sent[1]!.to).toBe(duty().leader.phone);
    const a = await openAlert(t);
    expect(a.escalation).toBe(1);
    const detail = (await call(t, 'GET', `/api/v1/alerts/${a.id}`)).body;
    expect(detail.history.map((h: { kind: string }) => h.kind)).toEqual(['fired', 'escalated']);
    expect(detail.notifications.map((n: { kind: string; role: string }) => `${n.kind}:${n.role}`)).toEqual(['fired:officer', 'escalated:leader']);
    // more readings at the same severity text nobody again
    await post(t, reading('CH4-T1-1201', 1.7));
    await sleep(1200);
    expect(t.sms.sent.filter((m) => m.to === duty().officer.phone)).toHaveLength(1);
  });

  it('an acknowledgement stops the escalation', async () => {
    const t = await start();
    await post(t, reading('CH4-T1-1201', 1.6));
    await expect.poll(() => t.sms.sent.length, { timeout: 4000 }).toBe(1);
    const a = await openAlert(t);
    expect((await call(t, 'POST', `/api/v1/alerts/${a.id}/ack`, { note: '已通知矿调度' })).status).toBe(200);
    await sleep(3000);
    expect(t.sms.sent).toHaveLength(1);
    expect((await openAlert(t)).escalation).toBe(0);
  });

  it('a restart between firing and escalation neither loses the escalation nor repeats a text', async () => {
    const t = await start();
    await post(t, reading('CH4-T1-1201', 1.6));
    await expect.poll(() => t.sms.sent.length, { timeout: 4000 }).toBe(1);
    await t.stop();
    const t2 = await start(t.dataDir);
    await expect.poll(() => t2.sms.sent.length, { timeout: 6000 }).toBe(1);
    expect(t2.sms.sent[0]!.to).toBe(duty().leader.phone); // the escalation, not the officer's text again
    await sleep(1200);
    expect(t2.sms.sent).toHaveLength(1);
  });

  it('a silenced alert is on the screen, marked, but not texted', async () => {
    const t = await start();
    const s = await call(t, 'POST', '/api/v1/silences', { matchers: { siteId: SITE }, endsAt: Date.now() + 3_600_000, comment: '传感器标校作业 工单 JX-0716' });
    expect(s.status).toBe(201);
    await post(t, reading('CH4-T1-1201', 1.6));
    const a = await openAlert(t);
    expect(a).toMatchObject({ severity: 'red', state: 'firing' });
    expect(a.labels).toMatchObject({ silenced: 'true', silenceId: s.body.id });
    await sleep(2500);
    expect(t.sms.sent).toEqual([]);
    expect((await openAlert(t)).escalation).toBe(0);
    // ending the silence unmarks the alert, and the duty officer is told
    expect((await call(t, 'DELETE', `/api/v1/silences/${s.body.id}`)).status).toBe(200);
    await expect.poll(async () => (await openAlert(t)).labels.silenced, { timeout: 3000 }).toBeUndefined();
    await expect.poll(() => t.sms.sent.length, { timeout: 4000 }).toBeGreaterThanOrEqual(1);
    expect(t.sms.sent[0]!.to).toBe(duty().officer.phone);
    // its escalation came due while it was silenced: it goes to the leader now
    await expect.poll(() => t.sms.sent.some((m) => m.to === duty().leader.phone), { timeout: 8000 }).toBe(true);
  });

  it('a silence that runs out by itself unmarks the alert, and the texts and the escalation it held back follow', async () => {
    const t = await start();
    const s = await call(t, 'POST', '/api/v1/silences', { matchers: { siteId: SITE }, endsAt: Date.now() + 2500, comment: '短时标校 工单 JX-0717' });
    expect(s.status).toBe(201);
    await post(t, reading('CH4-T1-1201', 1.6));
    expect((await openAlert(t)).labels).toMatchObject({ silenced: 'true' });
    await sleep(1500);
    expect(t.sms.sent).toEqual([]);
    await expect.poll(async () => (await openAlert(t)).labels.silenced, { timeout: 4000 }).toBeUndefined();
    await expect.poll(() => t.sms.sent.some((m) => m.to === duty().officer.phone), { timeout: 4000 }).toBe(true);
    await expect.poll(() => t.sms.sent.some((m) => m.to === duty().leader.phone), { timeout: 8000 }).toBe(true);
    expect((await openAlert(t)).escalation).toBe(1);
  });

  it('50 alerts at one mine within a second make at most a few grouped texts', async () => {
    const t = await start();
    const readings = Array.from({ length: 50 }, (_, i) => reading(`CH4-STORM-${String(i).padStart(2, '0')}`, 1.6));
    await Promise.all([post(t, readings.slice(0, 25)), post(t, readings.slice(25))]);
    expect((await call(t, 'GET', `/api/v1/alerts?siteId=${SITE}`)).body.alerts).toHaveLength(50);
    await expect.poll(() => t.sms.sent.length, { timeout: 4000 }).toBeGreaterThan(0);
    await sleep(1500);
    expect(t.sms.sent.length).toBeLessThanOrEqual(3);
    expect(t.sms.sent[0]!.text).toMatch(/\d+条/);
    // every alert's text is accounted for in the audit
    const a = await openAlert(t);
    const detail = (await call(t, 'GET', `/api/v1/alerts/${a.id}`)).body;
    expect(detail.notifications.some((n: { kind: string }) => n.kind === 'fired')).toBe(true);
  });
});

describe('daily duty report', () => {
  it('texts every leader on duty once a day and shows the report on the screens', async () => {
    const t = await startTestApp({ only: ['threshold'], config: FAST });
    try {
      const { connectWs } = await import('../../helpers/ws.ts');
      const ws = await connectWs(t.baseUrl, t.tokens.viewer);
      await post(t, reading('CH4-T1-1201', 1.6));
      await t.app.notifications.dutyReport();
      const leaders = new Set(onDutyLeaders());
      const reports = t.sms.sent.filter((m) => m.text.startsWith('【值班日报】'));
      expect(new Set(reports.map((m) => m.to))).toEqual(leaders);
      expect(reports[0]!.text).toContain('红色1');
      const frame = await ws.next((f) => f.type === 'report');
      expect(frame.text).toBe(reports[0]!.text);
      // a second run the same day texts nobody again
      await t.app.notifications.dutyReport();
      expect(t.sms.sent.filter((m) => m.text.startsWith('【值班日报】'))).toHaveLength(reports.length);
      ws.close();
    } finally {
      await t.destroy();
    }
  });
});

function onDutyLeaders(): string[] {
  return leadersOnDuty(ref.roster, Date.now()).map((p) => p.phone);
}
