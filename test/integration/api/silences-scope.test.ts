import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';

// Town scope on silences, tried as a town-limited operator who wants to see or undo another
// town's maintenance silence, or sign it with someone else's name.

async function call(t: TestApp, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

describe('silences are limited to the token’s towns', () => {
  let t: TestApp;
  let shm = ''; // 上海庙镇 operator
  let aole = ''; // 敖勒召其镇 operator
  let aoleSilence = '';
  let countySilence = '';
  const endsAt = Date.now() + 3_600_000;
  beforeAll(async () => {
    t = await startTestApp({ only: ['threshold'] });
    shm = await t.token('operator', ['shanghaimiao']);
    aole = await t.token('operator', ['aolezhaoqi']);
    const a = await call(t, 'POST', '/api/v1/silences', aole, { matchers: { town: 'aolezhaoqi', siteId: 'cm-alz-01' }, endsAt, comment: '主扇检修 工单 ALZ-0901（内部联系人 13900000000）' });
    expect(a.status).toBe(201);
    aoleSilence = a.body.id;
    const c = await call(t, 'POST', '/api/v1/silences', t.tokens.operator, { matchers: { ruleId: 'grid.frequency' }, endsAt, comment: '全旗电网联调' });
    expect(c.status).toBe(201);
    countySilence = c.body.id;
  });
  afterAll(async () => t?.destroy());

  it('GET lists only the silences inside the token’s towns (another town’s comment is not shown)', async () => {
    const mine = await call(t, 'GET', '/api/v1/silences', shm);
    expect(mine.status).toBe(200);
    expect(mine.body.silences.map((s: any) => s.id)).not.toContain(aoleSilence);
    expect(mine.body.silences.map((s: any) => s.id)).not.toContain(countySilence); // no town matcher: reaches every town
    expect(JSON.stringify(mine.body)).not.toContain('ALZ-0901');
    const theirs = await call(t, 'GET', '/api/v1/silences', aole);
    expect(theirs.body.silences.map((s: any) => s.id)).toEqual([aoleSilence]);
    const all = await call(t, 'GET', '/api/v1/silences', t.tokens.operator);
    expect(all.body.silences.map((s: any) => s.id).sort()).toEqual([aoleSilence, countySilence].sort());
  });

  it('DELETE of another town’s silence → 403 and the silence stays in force; a county-wide one too', async () => {
    const r = await call(t, 'DELETE', `/api/v1/silences/${aoleSilence}`, shm);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('FORBIDDEN');
    expect((await call(t, 'DELETE', `/api/v1/silences/${countySilence}`, shm)).status).toBe(403);
    const still = (await call(t, 'GET', '/api/v1/silences', t.tokens.operator)).body.silences as any[];
    for (const s of still) expect(Date.parse(s.endsAt)).toBeGreaterThan(Date.now());
    // its own town's operator may end it, and the record says who
    const ended = await call(t, 'DELETE', `/api/v1/silences/${aoleSilence}`, aole);
    expect(ended.status).toBe(200);
    expect(ended.body.expiredBy).toBe('test-operator-aolezhaoqi');
  });

  it('POST naming another town, or no town at all, → 403', async () => {
    expect((await call(t, 'POST', '/api/v1/silences', shm, { matchers: { town: 'aolezhaoqi' }, endsAt, comment: 'x' })).status).toBe(403);
    expect((await call(t, 'POST', '/api/v1/silences', shm, { matchers: { town: ['shanghaimiao', 'aolezhaoqi'] }, endsAt, comment: 'x' })).status).toBe(403);
    expect((await call(t, 'POST', '/api/v1/silences', shm, { matchers: { siteId: 'cm-alz-01' }, endsAt, comment: 'x' })).status).toBe(403);
  });

  it('a spoofed createdBy in the body is ignored: the author is the token’s sub', async () => {
    const r = await call(t, 'POST', '/api/v1/silences', shm, { matchers: { town: 'shanghaimiao', siteId: 'cm-shm-01' }, endsAt, comment: '标校', createdBy: '旗长' });
    expect(r.status).toBe(201);
    expect(r.body.createdBy).not.toBe('旗长');
    expect(r.body.createdBy).toBe('test-operator-shanghaimiao');
  });

  it('a silence ending at 9e15 or in 2300 → 400 naming endsAt, and the list still answers 200', async () => {
    for (const end of [9e15, '2300-01-01T00:00:00Z']) {
      const r = await call(t, 'POST', '/api/v1/silences', t.tokens.operator, { matchers: { siteId: 'cm-shm-01' }, endsAt: end, comment: 'x' });
      expect(r.status, String(end)).toBe(400);
      expect(JSON.stringify(r.body.error)).toContain('endsAt');
    }
    expect((await call(t, 'GET', '/api/v1/silences', t.tokens.operator)).status).toBe(200);
  });
});
