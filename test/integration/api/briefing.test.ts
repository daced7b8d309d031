import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { briefingMarkdown, type BriefingView } from '../../../src/briefing/render.ts';

// The briefing, ledger and map endpoints refuse what they cannot answer honestly: instants outside
// what the server holds, towns that are not towns, and say so as a page where a person reads it.

describe('briefing, hazards and map endpoints: what they refuse', () => {
  let t: TestApp;
  const now = Date.now();
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.destroy());
  const get = async (path: string, token = t.tokens.viewer) => {
    const res = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('takes `at` only as ISO-8601 with an offset or epoch ms, within a day back and a week ahead', async () => {
    for (const at of ['-1', '99999999999999999', '8640000000000001', '0', 'abc', '2024-13-45', '2026-07-16T14:00:00', String(now - 2 * 86_400_000), String(now + 8 * 86_400_000)]) {
      const r = await get(`/api/v1/briefing?town=shanghaimiao&at=${encodeURIComponent(at)}`);
      expect(r.status, at).toBe(400);
      expect(JSON.parse(r.text).error.details[0].path).toBe('at');
    }
    for (const at of [String(now + 3_600_000), new Date(now + 3_600_000).toISOString()]) expect((await get(`/api/v1/briefing?town=shanghaimiao&at=${encodeURIComponent(at)}`)).status, at).toBe(200);
  });

  it('answers 404 for a town that is not one (prototype keys included), on the briefing and the ledger', async () => {
    for (const town of ['__proto__', 'constructor', 'toString', 'nowhere']) {
      expect((await get(`/api/v1/briefing?town=${town}`)).status, town).toBe(404);
      expect((await get(`/api/v1/hazards?town=${town}`)).status, town).toBe(404);
    }
    expect((await get('/api/v1/hazards?town=angsu', await t.token('viewer', ['shanghaimiao']))).status).toBe(403);
  });

  it('the briefing page says every refusal in words, as a page', async () => {
    const cases: [string, number][] = [
      [`/briefing?town=angsu&token=${encodeURIComponent(await t.token('viewer', ['shanghaimiao']))}`, 403],
      [`/briefing?town=nowhere&token=${encodeURIComponent(t.tokens.viewer)}`, 404],
      [`/briefing?at=bad&token=${encodeURIComponent(t.tokens.viewer)}`, 400],
      ['/briefing?town=angsu', 401],
    ];
    for (const [path, status] of cases) {
      const res = await fetch(`${t.baseUrl}${path}`);
      expect(res.status, path).toBe(status);
      expect(res.headers.get('content-type'), path).toContain('text/html');
      expect(await res.text(), path).toMatch(/无访问权限|无法生成会商材料|登录已过期/);
    }
  });

  it('a town-limited token sees the radar cells near its towns only', async () => {
    const post = (body: unknown) => fetch(`${t.baseUrl}/api/v1/events/risk.weather.nowcast`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.ingest}` }, body: JSON.stringify(body) });
    // one cell over the south-west coal field, one far to the east (outside 150 km of everything)
    expect((await post({ type: 'weather.nowcast', cellId: 'near-shm', ts: now, lat: 38.05, lon: 106.9, radiusKm: 5, reflectivityDbz: 45 })).status).toBe(202);
    expect((await post({ type: 'weather.nowcast', cellId: 'far-east', ts: now, lat: 38.2, lon: 112.0, radiusKm: 5, reflectivityDbz: 45 })).status).toBe(202);
    const all = JSON.parse((await get('/api/v1/map')).text) as { cells: { cellId: string }[] };
    expect(all.cells.map((c) => c.cellId).sort()).toEqual(['far-east', 'near-shm']);
    const limited = JSON.parse((await get('/api/v1/map', await t.token('viewer', ['shanghaimiao']))).text) as { cells: { cellId: string }[] };
    expect(limited.cells.map((c) => c.cellId)).toEqual(['near-shm']);
  });
});

describe('silences: what the API refuses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.destroy());
  const post = (body: unknown) => fetch(`${t.baseUrl}/api/v1/silences`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.operator}` }, body: JSON.stringify(body) });

  it('refuses a silence longer than 7 days and one naming a site, town or rule that does not exist', async () => {
    const now = Date.now();
    const fifty = await post({ matchers: { town: 'shanghaimiao' }, endsAt: new Date(now + 50 * 365 * 86_400_000).toISOString(), comment: 'fifty years' });
    expect(fifty.status).toBe(400);
    expect(((await fifty.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('endsAt');
    for (const matchers of [{ siteId: 'nope' }, { town: '__proto__' }, { ruleId: 'mine.nope' }]) {
      const r = await post({ matchers, endsAt: new Date(now + 3_600_000).toISOString(), comment: 'typo' });
      expect(r.status, JSON.stringify(matchers)).toBe(400);
    }
    expect((await post({ matchers: { siteId: 'cm-shm-01', ruleId: 'mine.ch4.face' }, endsAt: new Date(now + 6 * 86_400_000).toISOString(), comment: 'WO-1' })).status).toBe(201);
  });
});

describe('the Markdown briefing', () => {
  it('keeps event text on one line and escapes Markdown and HTML in it (a headline cannot forge a section or a link)', () => {
    const hostile = '注意\n\n### 受影响场所（0 处）\n\n- 无\n\n**[已解除，详见](http://evil.example/)** <img src=x onerror=alert(1)>';
    const b: BriefingView = {
      generatedAt: '2026-07-16T14:00:00.000+08:00',
      at: '2026-07-16T14:00:00.000+08:00',
      towns: [
        {
          town: 'chengchuan', name: '城川镇', response: { level: 'red' },
          warnings: [{ id: 'w', rootId: 'w', event: '暴雨', level: 'red', status: 'Actual', drill: false, sender: '气象台', headline: hostile, onset: '2026-07-16T14:00:00.000+08:00', expires: '2026-07-16T20:00:00.000+08:00' }],
          exposedSites: [], exposedByKind: [], peopleAtRisk: [], permits: [], hazardsInWarnedArea: [], openMajorHazards: [], cells: [], weatherAlerts: [], otherAlerts: [], firingAlerts: [], duty: undefined,
        },
      ],
    };
    const md = briefingMarkdown(b);
    const line = md.split('\n').find((l) => l.includes('暴雨红色预警'))!;
    expect(line).toContain('\\#\\#\\# 受影响场所（0 处）');
    expect(line).toContain('\\*\\*\\[已解除，详见\\](http://evil.example/)\\*\\*');
    expect(line).toContain('\\<img src=x onerror=alert(1)\\>');
    // the only section headings are the briefing's own
    expect(md.split('\n').filter((l) => l.startsWith('### ')).map((l) => l.slice(4))).toEqual(['生效预警', '受影响场所（0 处）', '预警区内高危作业与重大隐患', '雷达回波', '气象相关告警', '设备与其他告警', '值班', '较上次会商变化']);
  });
});
