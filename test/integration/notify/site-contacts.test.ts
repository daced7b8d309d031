import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { onDuty } from '../../../src/alerts/roster.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { BUNDLED } from '../../../src/config/paths.ts';

// Closing the loop with companies: an alert at a site texts the site's own contacts (sites.yaml
// `contacts`) what they must do; the company's confirmation (POST /api/v1/alerts/{id}/confirm) is
// recorded on the alert; without it in time the alert is marked 企业未反馈 and the duty officer
// is texted once; a resolution reaches the company too.

const ref = loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
const SITE = 'cm-shm-01';
const contacts = ref.sites.get(SITE)!.contacts!.map((c) => c.phone);
const officer = () => onDuty(ref.roster, 'shanghaimiao', 'mine', Date.now())!.officer.phone;
const CONFIG = { escalation: { red: '1h', orange: '1h', repeat: '1h' }, notify: { groupWait: '100ms', groupInterval: '300ms', siteContacts: { confirmWithin: '1500ms' } } };

const reading = (value: number) => ({ type: 'mine.reading', siteId: SITE, sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: Date.now() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(t: TestApp, method: string, path: string, body?: unknown, token = t.tokens.operator) {
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as any };
}
const post = async (t: TestApp, body: unknown) => expect((await call(t, 'POST', '/api/v1/events/risk.mine.telemetry', body, t.tokens.ingest)).status).toBe(202);
const openAlert = async (t: TestApp) => (await call(t, 'GET', `/api/v1/alerts?siteId=${SITE}`)).body.alerts[0];
const to = (t: TestApp, phones: string[]) => t.sms.sent.filter((m) => phones.includes(m.to));

describe('the company loop', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.destroy().catch(() => undefined);
  });
  const start = async (config: Record<string, unknown> = CONFIG) => {
    const t = await startTestApp({ only: ['threshold'], config });
    apps.push(t);
    return t;
  };

  it('texts the site contacts the action, marks 企业未反馈 and texts the officer once when nobody confirms; the resolution reaches the company', async () => {
    const t = await start();
    await post(t, reading(1.6));
    await expect.poll(() => to(t, contacts).length, { timeout: 4000 }).toBe(contacts.length);
    expect(to(t, [officer()])).toHaveLength(1);
    const text = to(t, contacts)[0]!.text;
    expect(text).toContain('应急指挥中心·红色预警】');
    expect(text).toContain('请立即：');
    expect(text).toContain('致电值班室（');
    expect(text).toContain('本号码不接收短信回复');
    // the company's part of the action, not the officer's call to the company
    expect(text).toContain('请立即：立即切断');
    expect(text).not.toContain('电话联系矿调度室');
    expect(text).not.toContain('指挥中心大屏');
    const id = (await openAlert(t)).id as string;
    expect(text).toContain(`编号${id.slice(0, 8)}`);
    // nobody confirms: marked, and the officer (only) is told once
    await expect.poll(async () => (await openAlert(t)).labels.confirmOverdue, { timeout: 5000 }).toBe('true');
    await expect.poll(() => to(t, [officer()]).length, { timeout: 3000 }).toBe(2);
    expect(to(t, [officer()])[1]!.text).toContain('【企业未反馈】');
    expect(to(t, contacts)).toHaveLength(contacts.length);
    await sleep(1000);
    expect(to(t, [officer()])).toHaveLength(2);
    // the officer records the mine's call: the mark goes, the confirmation stays on the alert
    const c = await call(t, 'POST', `/api/v1/alerts/${id}/confirm`, { note: '已断电撤人，瓦斯检查员复测0.8%', contact: '钱永明' });
    expect(c.status).toBe(200);
    expect(c.body.labels.confirmOverdue).toBeUndefined();
    expect(c.body.labels.confirmedBy).toBe('钱永明（test-operator登记）');
    expect(c.body.labels.confirmNote).toBe('已断电撤人，瓦斯检查员复测0.8%');
    expect(c.body.state).toBe('firing');
    // the reading falls back: everyone told it fired is told it is over, the company too
    await post(t, reading(0.3));
    await expect.poll(() => to(t, contacts).filter((m) => m.text.includes('【解除】')).length, { timeout: 4000 }).toBe(contacts.length);
    // a resolved alert cannot be confirmed
    expect((await call(t, 'POST', `/api/v1/alerts/${id}/confirm`, { note: 'x' })).status).toBe(409);
  });

  it('a confirmation in time means no reminder; a confirmation without a note is refused, naming it', async () => {
    const t = await start();
    await post(t, reading(1.6));
    await expect.poll(() => to(t, contacts).length, { timeout: 4000 }).toBe(contacts.length);
    const id = (await openAlert(t)).id as string;
    const bad = await call(t, 'POST', `/api/v1/alerts/${id}/confirm`, {});
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('note');
    // a bidi override could show the registering operator's name reversed on every screen
    expect((await call(t, 'POST', `/api/v1/alerts/${id}/confirm`, { note: '已撤人', contact: '张伟\u202e' })).status).toBe(400);
    expect((await call(t, 'POST', `/api/v1/alerts/${id}/confirm`, { note: '已撤人' })).status).toBe(200);
    // the same confirmation again is no new event in the alert's history
    const before = (await call(t, 'GET', `/api/v1/alerts/${id}`)).body.history.length;
    for (let i = 0; i < 5; i++) expect((await call(t, 'POST', `/api/v1/alerts/${id}/confirm`, { note: '已撤人' })).status).toBe(200);
    expect((await call(t, 'GET', `/api/v1/alerts/${id}`)).body.history.length).toBe(before);
    await sleep(2500);
    expect(to(t, [officer()])).toHaveLength(1);
    expect((await openAlert(t)).labels.confirmOverdue).toBeUndefined();
  });

  it('below notify.siteContacts.minSeverity, or disabled, the company is not texted and nothing waits for it', async () => {
    const t = await start();
    await post(t, reading(1.1)); // orange … the default minimum is orange: texted
    await expect.poll(() => to(t, contacts).length, { timeout: 4000 }).toBe(contacts.length);
    const off = await start({ ...CONFIG, notify: { ...CONFIG.notify, siteContacts: { enabled: false, confirmWithin: '1500ms' } } });
    await post(off, reading(1.6));
    await expect.poll(() => to(off, [officer()]).length, { timeout: 4000 }).toBe(1);
    await sleep(2500);
    expect(to(off, contacts)).toHaveLength(0);
    expect((await openAlert(off)).labels.confirmOverdue).toBeUndefined();
    const red = await start({ ...CONFIG, notify: { ...CONFIG.notify, siteContacts: { minSeverity: 'red', confirmWithin: '1500ms' } } });
    await post(red, reading(1.1));
    await expect.poll(() => to(red, [officer()]).length, { timeout: 4000 }).toBe(1);
    await sleep(2500);
    expect(to(red, contacts)).toHaveLength(0);
    expect((await openAlert(red)).labels.confirmOverdue).toBeUndefined();
  });

  it('an operator\'s manual resolve is not told to the company as the danger being over', async () => {
    const t = await start();
    await post(t, reading(1.6));
    await expect.poll(() => to(t, contacts).length, { timeout: 4000 }).toBe(contacts.length);
    const id = (await openAlert(t)).id as string;
    expect((await call(t, 'POST', `/api/v1/alerts/${id}/resolve`, { note: '误报，传感器已更换' })).status).toBe(200);
    // the officer who was told it fired is told it was resolved; the company is not told 已解除
    await expect.poll(() => to(t, [officer()]).filter((m) => m.text.includes('【解除】')).length, { timeout: 4000 }).toBe(1);
    await sleep(500);
    expect(to(t, contacts).filter((m) => m.text.includes('解除'))).toEqual([]);
  });
});
