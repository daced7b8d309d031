import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectWs } from '../helpers/ws.ts';

// The end-to-end path: an event over HTTP → a red alert on a control-room socket,
// surviving a restart on the same data dir, then resolving with a higher seq.

const SITE = 'cm-shm-01'; // coal mine in 上海庙镇 (shanghaimiao)
const SENSOR = 'CH4-T1-1201'; // CH4 at the coal face
const reading = (value: number, ts = Date.now()) => ({ type: 'mine.reading', siteId: SITE, sensorId: SENSOR, sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts });

async function post(t: TestApp, topic: string, body: unknown, token = t.tokens.ingest, contentType = 'application/json') {
  const res = await fetch(`${t.baseUrl}/api/v1/events/${topic}`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('embedded end to end', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.destroy().catch(() => undefined);
  });

  it('CH4 1.6 % at a coal face fires red on a socket within 1 s, survives restart, resolves with a higher seq', async () => {
    const first = await startTestApp();
    apps.push(first);
    const ws = await connectWs(first.baseUrl, first.tokens.operator);
    const snap = await ws.next((f) => f.type === 'snapshot');
    expect(snap.alerts).toEqual([]);

    const sentAt = performance.now();
    const r = await post(first, 'risk.mine.telemetry', reading(1.6));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 1, rejected: 0 });
    const fired = await ws.next((f) => f.type === 'alert' && f.kind === 'fired', 1000);
    expect(performance.now() - sentAt).toBeLessThan(1000);
    const alert = fired.alert as Record<string, any>;
    expect(alert).toMatchObject({ severity: 'red', state: 'firing', siteId: SITE, town: 'shanghaimiao', domain: 'mine' });
    expect(alert.labels.sensorId).toBe(SENSOR);
    const firedSeq = fired.seq as number;
    ws.close();

    // Restart on the same data dir: the alert is still open, and the seq counter continues.
    await first.stop();
    const second = await startTestApp({ dataDir: first.dataDir });
    apps.push(second);
    const list = await fetch(`${second.baseUrl}/api/v1/alerts`, { headers: { authorization: `Bearer ${second.tokens.viewer}` } }).then((x) => x.json() as Promise<any>);
    expect(list.alerts.map((a: { id: string }) => a.id)).toContain(alert.id);
    const ws2 = await connectWs(second.baseUrl, second.tokens.operator);
    const snap2 = await ws2.next((f) => f.type === 'snapshot');
    expect((snap2.alerts as { id: string }[]).map((a) => a.id)).toContain(alert.id);
    expect(snap2.seq).toBe(firedSeq);

    expect((await post(second, 'risk.mine.telemetry', reading(0.5))).status).toBe(202);
    const resolved = await ws2.next((f) => f.type === 'alert' && f.kind === 'resolved', 1000);
    expect((resolved.alert as { id: string }).id).toBe(alert.id);
    expect(resolved.seq as number).toBeGreaterThan(firedSeq);
    const detail = await fetch(`${second.baseUrl}/api/v1/alerts/${alert.id}`, { headers: { authorization: `Bearer ${second.tokens.viewer}` } }).then((x) => x.json() as Promise<any>);
    expect(detail.state).toBe('resolved');
    expect(detail.history.map((h: { kind: string }) => h.kind)).toEqual(['fired', 'resolved']);
    ws2.close();
  });

  it('a viewer limited to one town never receives another town’s alert', async () => {
    const t = await startTestApp();
    apps.push(t);
    const angsuViewer = await t.token('viewer', ['angsu']);
    const ws = await connectWs(t.baseUrl, angsuViewer);
    await ws.next((f) => f.type === 'snapshot');
    const all = await connectWs(t.baseUrl, t.tokens.viewer);
    await all.next((f) => f.type === 'snapshot');
    await post(t, 'risk.mine.telemetry', reading(1.6)); // shanghaimiao
    await all.next((f) => f.type === 'alert', 1000);
    // The unrestricted screen has the alert; give the restricted one time to (wrongly) receive it.
    await new Promise((r) => setTimeout(r, 300));
    expect(ws.frames.filter((f) => f.type === 'alert')).toEqual([]);
    const res = await fetch(`${t.baseUrl}/api/v1/alerts`, { headers: { authorization: `Bearer ${angsuViewer}` } }).then((x) => x.json() as Promise<any>);
    expect(res.alerts).toEqual([]);
    const other = await fetch(`${t.baseUrl}/api/v1/alerts?town=shanghaimiao`, { headers: { authorization: `Bearer ${angsuViewer}` } });
    expect(other.status).toBe(403);
    ws.close();
    all.close();
  });

  it('rejects bad requests with the right status and stays healthy', async () => {
    const t = await startTestApp();
    apps.push(t);
    const noToken = await fetch(`${t.baseUrl}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reading(0.3)) });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as any).error.code).toBe('UNAUTHORIZED');

    const viewerPost = await post(t, 'risk.mine.telemetry', reading(0.3), t.tokens.viewer);
    expect(viewerPost.status).toBe(403);

    const { value: _omit, ...noValue } = reading(0.3);
    const missing = await post(t, 'risk.mine.telemetry', noValue);
    expect(missing.status).toBe(400);
    const errors = missing.body.errors as { path: string; code: string; message: string }[];
    expect(errors[0]).toMatchObject({ path: 'value', code: 'VALIDATION_FAILED' });
    expect(errors[0]!.message).toContain('value');

    const malformed = await post(t, 'risk.mine.telemetry', '{"type": "mine.reading", ');
    expect(malformed.status).toBe(400);
    expect((malformed.body.errors as { code: string }[])[0]!.code).toBe('INVALID_JSON');

    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
      `<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>` +
      `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>`;
    const started = performance.now();
    const cap = await post(t, 'risk.weather.warnings', laughs, t.tokens.ingest, 'application/cap+xml');
    expect(performance.now() - started).toBeLessThan(500);
    expect(cap.status).toBe(400);
    expect((cap.body.errors as { code: string }[])[0]!.code).toBe('XML_DOCTYPE_FORBIDDEN');

    // one good and one bad item: 202, the good one is kept, the bad one is reported by index
    const mixed = await post(t, 'risk.mine.telemetry', [reading(0.3), { ...reading(0.3), sensorType: 'XX' }]);
    expect(mixed.status).toBe(202);
    expect(mixed.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect((mixed.body.errors as { index: number; path: string }[])[0]).toMatchObject({ index: 1, path: 'sensorType' });

    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${t.baseUrl}/metrics`).then((x) => x.text());
    expect(metrics).toMatch(/riskstream_events_rejected_total\{topic="risk.mine.telemetry",code="VALIDATION_FAILED"\} [2-9]/);
    expect(metrics).toMatch(/riskstream_dlq_total\{source="http"\} [4-9]/);
  });
});
