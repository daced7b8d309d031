// A screen (re)connecting in a storm: the snapshot of thousands of open alerts is built a slice at a
// time, so readings keep flowing meanwhile; frames broadcast while it is built come after it, in
// order, and none of them is older than the snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { connectWs } from '../../helpers/ws.ts';

const MINES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01'];
const reading = (i: number) => ({ type: 'mine.reading', siteId: MINES[i % MINES.length], sensorId: `CH4-SNAP-${i}`, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Date.now() });

describe('the snapshot of a storm', () => {
  let t: TestApp;
  const post = (body: unknown) => fetch(`${t.baseUrl}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.ingest}` }, body: JSON.stringify(body) });
  beforeAll(async () => {
    t = await startTestApp({ only: ['threshold'], config: { limits: { openAlertsPerSite: 100_000, openAlertsPerRule: 100_000, subjectsPerSite: 100_000 } } });
    for (let b = 0; b < 5; b++) expect((await post(Array.from({ length: 500 }, (_, k) => reading(b * 500 + k)))).status).toBe(202);
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('holds every open alert, and what fires while it is built arrives after it, newer than it', async () => {
    const ws = await connectWs(t.baseUrl, t.tokens.viewer);
    // fired while the snapshot may still be being built
    const during = post([reading(90_001), reading(90_002)]);
    const snap = await ws.next((f) => f.type === 'snapshot', 10_000);
    expect((await during).status).toBe(202);
    const late = await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-SNAP-90002', 10_000);
    const alerts = snap.alerts as { labels: Record<string, string> }[];
    const inSnap = new Set(alerts.map((a) => a.labels.sensorId));
    for (let i = 0; i < 2500; i++) expect(inSnap.has(`CH4-SNAP-${i}`)).toBe(true);
    // the snapshot is the first frame; every alert frame after it is newer than it
    expect(ws.frames[0]!.type).toBe('snapshot');
    const after = ws.frames.slice(1).filter((f) => f.type === 'alert');
    for (const f of after) expect(f.seq as number).toBeGreaterThan(snap.seq as number);
    // and an alert in the snapshot is not sent again as fired
    for (const f of after) if (f.kind === 'fired') expect(inSnap.has((f.alert as { labels: Record<string, string> }).labels.sensorId!)).toBe(false);
    expect(late.seq as number).toBeGreaterThan(snap.seq as number);
    ws.close();
  });
});
