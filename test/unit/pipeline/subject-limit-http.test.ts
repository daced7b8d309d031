import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';

// The producer is told which events were not evaluated: the 202 answer lists SUBJECT_LIMIT refusals
// by item index, next to the decode stage's rejections.

describe('POST /api/v1/events: SUBJECT_LIMIT in the answer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { limits: { subjectsPerSite: 3 } } });
  });
  afterAll(() => t.destroy());

  it('lists the refused items by their index in the request', async () => {
    const ts = new Date().toISOString();
    const reading = (sensorId: string) => ({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId, sensorType: 'CH4', location: 'coal_face', value: 0.3, unit: '%', ts });
    const body = [reading('FAKE-0'), { type: 'mine.reading' }, reading('FAKE-1'), reading('FAKE-2'), reading('FAKE-3'), reading('CH4-T1-1201'), reading('FAKE-4')];
    const res = await fetch(`${t.baseUrl}/api/v1/events/risk.mine.telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.tokens.ingest}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { accepted: number; rejected: number; errors: { index: number; code: string; path: string }[] };
    // three made-up sensors and the expected one are evaluated; the 4th and 5th made-up ones are not
    expect(answer.accepted).toBe(4);
    expect(answer.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'VALIDATION_FAILED'],
      [4, 'SUBJECT_LIMIT'],
      [6, 'SUBJECT_LIMIT'],
    ]);
    expect(answer.rejected).toBe(3);
    const metrics = await (await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${t.tokens.admin}` } })).text();
    expect(metrics).toContain('riskstream_limit_reached_total{limit="subjectsPerSite"} 1');
  });
});
