import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { BUNDLED } from '../../../src/config/paths.ts';

// Joint-consultation views: the weather warnings in force with the sites inside each, and a
// per-town briefing; warnings survive a restart; a changed rule file is picked up by itself.

const now = Date.now();
const warning = (over: Record<string, unknown> = {}) => ({
  type: 'weather.warning',
  id: `15062341600000_${now}_1`,
  sender: '鄂托克前旗气象台',
  sent: now,
  status: 'Actual',
  msgType: 'Alert',
  event: '雷雨大风',
  level: 'orange',
  onset: now,
  expires: now + 6 * 3_600_000,
  area: { towns: ['shanghaimiao'] },
  headline: '鄂托克前旗气象台发布雷雨大风橙色预警信号',
  ...over,
});

async function get(t: TestApp, path: string, token = t.tokens.viewer) {
  const res = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}

async function post(t: TestApp, topic: string, body: unknown) {
  return fetch(`${t.baseUrl}/api/v1/events/${topic}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.ingest}` }, body: JSON.stringify(body) });
}

describe('warnings and briefing', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.destroy().catch(() => undefined);
  });

  it('lists an active warning with the sites inside it, per town, and keeps it across a restart', async () => {
    const t = await startTestApp();
    apps.push(t);
    expect((await post(t, 'risk.weather.warnings', warning())).status).toBe(202);
    const w = await get(t, '/api/v1/warnings');
    expect(w.status).toBe(200);
    expect(w.body.warnings).toHaveLength(1);
    expect(w.body.warnings[0]).toMatchObject({ event: '雷雨大风', level: 'orange', status: 'Actual' });
    expect(w.body.warnings[0].sites.length).toBeGreaterThan(0);
    expect(w.body.warnings[0].sites.every((s: { town: string }) => s.town === 'shanghaimiao')).toBe(true);

    // a viewer of another town does not see it
    const angsu = await get(t, '/api/v1/warnings', await t.token('viewer', ['angsu']));
    expect(angsu.body.warnings).toEqual([]);

    const b = await get(t, '/api/v1/briefing?town=shanghaimiao');
    expect(b.status).toBe(200);
    expect(b.body.towns[0].warnings[0].event).toBe('雷雨大风');
    expect(b.body.towns[0].exposedSites.length).toBeGreaterThan(0);
    expect((await get(t, '/api/v1/briefing?town=shanghaimiao', await t.token('viewer', ['angsu']))).status).toBe(403);

    // restart on the same data dir: the warning is still in force, and its Cancel still ends it
    await t.stop();
    const t2 = await startTestApp({ dataDir: t.dataDir });
    apps.push(t2);
    expect((await get(t2, '/api/v1/warnings')).body.warnings).toHaveLength(1);
    expect((await post(t2, 'risk.weather.warnings', warning({ id: `15062341600000_${now}_2`, msgType: 'Cancel', references: [warning().id] }))).status).toBe(202);
    expect((await get(t2, '/api/v1/warnings')).body.warnings).toEqual([]);
  });

  it('reloads the rule pack when a rule file changes, and keeps the old rules when the change is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riskstream-rules-'));
    cpSync(BUNDLED.rules, dir, { recursive: true });
    const t = await startTestApp({ rulesDir: dir });
    apps.push(t);
    const before = (await get(t, '/api/v1/rules')).body.rules.length;
    const file = join(dir, 'mine-gas.yaml');
    const text = readFileSync(file, 'utf8');
    // disable one rule by editing its file: the running engine follows within a second or so
    writeFileSync(file, text.replace('- id: mine.ch4.face\n', '- id: mine.ch4.face\n    enabled: false\n'));
    await expect.poll(async () => (await get(t, '/api/v1/rules')).body.rules.length, { timeout: 5000 }).toBe(before - 1);
    // an invalid edit is refused; the rules in force stay
    writeFileSync(file, text.replace('severity: red, value: 1.5', 'severity: red, value: "x"'));
    await new Promise((r) => setTimeout(r, 1500));
    expect((await get(t, '/api/v1/rules')).body.rules.length).toBe(before - 1);
  });
});

describe('history', () => {
  it('keeps the readings of each series and answers by site, metric and time range', async () => {
    const t = await startTestApp({ only: ['threshold'] });
    try {
      const now = Date.now();
      const readings = [0.2, 0.3, 0.4].map((value, i) => ({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: now - 60_000 + i * 1000 }));
      expect((await post(t, 'risk.mine.telemetry', readings)).status).toBe(202);
      const list = await get(t, '/api/v1/history?siteId=cm-shm-01');
      expect(list.body.metrics).toEqual(['CH4:CH4-T1-1201']);
      const h = await get(t, `/api/v1/history?siteId=cm-shm-01&metric=${encodeURIComponent('CH4:CH4-T1-1201')}&from=${now - 59_500}`);
      expect(h.status).toBe(200);
      expect(h.body.points.map((p: { value: number }) => p.value)).toEqual([0.3, 0.4]);
      expect(h.body.points[0].ts).toMatch(/\+08:00$/);
      expect((await get(t, '/api/v1/history?siteId=cm-shm-01', await t.token('viewer', ['angsu']))).status).toBe(403);
      expect((await get(t, '/api/v1/history')).status).toBe(400);
    } finally {
      await t.destroy();
    }
  });
});
