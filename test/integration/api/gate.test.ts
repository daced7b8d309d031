import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { get, ingest, isErrorBody } from './http.ts';

// The ingest gate, tried as a careless or hostile producer would: sites missing from the reference
// data, timestamps outside any sane range, numbers past double precision, nesting 100,000 deep.
// Each is a 400 with a code and the field path, goes to the dead-letter sink, and no read endpoint
// answers 500 afterwards. Good items in the same batch are kept.

const now = Date.now();
const reading = (over: Record<string, unknown> = {}) => ({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value: 0.3, unit: '%', ts: now, ...over });
const hazard = (over: Record<string, unknown> = {}) => ({ type: 'enforcement.hazard', hazardId: 'h-gate-1', siteId: 'cm-shm-01', level: 'general', status: 'open', foundAt: now - 86_400_000, deadline: now + 7 * 86_400_000, ts: now, ...over });
const warning = (over: Record<string, unknown> = {}) => ({
  type: 'weather.warning', id: `gate_${now}`, sender: '鄂托克前旗气象台', sent: now, status: 'Actual', msgType: 'Alert', event: '暴雨', level: 'blue',
  onset: now, expires: now + 3_600_000, area: { towns: ['shanghaimiao'] }, ...over,
});
const deadLetters = (t: TestApp): any[] => {
  try {
    return readFileSync(join(t.dataDir, 'dead-letter.ndjson'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};
const metric = async (t: TestApp, name: string, label: string): Promise<number> => {
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(label));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('ingest gate (refuse unknown sites, the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ only: ['threshold'] });
  });
  afterAll(async () => t?.destroy());

  it('a reading for a site missing from the reference data → 400 UNKNOWN_SITE naming the site, dead-lettered, no alert', async () => {
    const r = await ingest(t, 'risk.mine.telemetry', reading({ siteId: 'nope', value: 3 }));
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([expect.objectContaining({ index: 0, code: 'UNKNOWN_SITE', path: 'siteId', message: expect.stringContaining('"nope"') })]);
    expect(deadLetters(t).some((d) => d.code === 'UNKNOWN_SITE' && String(d.source).includes('risk.mine.telemetry'))).toBe(true);
    expect(await metric(t, 'riskstream_events_rejected_total', 'code="UNKNOWN_SITE"')).toBeGreaterThanOrEqual(1);
    expect((await get(t, '/api/v1/alerts?siteId=nope')).body.alerts).toEqual([]);
  });

  it('a batch mixing known and unknown sites: the known ones are kept (202), the rest named by index', async () => {
    const r = await ingest(t, 'risk.mine.telemetry', [reading(), reading({ siteId: 'made-up-1' }), reading({ sensorId: 'CH4-T1-1202' }), reading({ siteId: 'made-up-2' })]);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 2, rejected: 2 });
    expect(r.body.errors.map((e: any) => [e.index, e.code])).toEqual([[1, 'UNKNOWN_SITE'], [3, 'UNKNOWN_SITE']]);
  });

  it.each([
    ['a hazard deadline of 9e15', 'risk.enforcement.events', () => hazard({ deadline: 9e15 }), 'deadline'],
    ['a warning expiry of 9e15', 'risk.weather.warnings', () => warning({ expires: 9e15 }), 'expires'],
    ['a hazard deadline 50 years ahead', 'risk.enforcement.events', () => hazard({ deadline: now + 50 * 365 * 86_400_000 }), 'deadline'],
    ['a reading at ts 8.64e15', 'risk.mine.telemetry', () => reading({ ts: 8.64e15 }), 'ts'],
    ['a reading from 1970', 'risk.mine.telemetry', () => reading({ ts: 1000 }), 'ts'],
    ['a reading at ts "2301-01-01T00:00:00Z"', 'risk.mine.telemetry', () => reading({ ts: '2301-01-01T00:00:00Z' }), 'ts'],
  ])('%s → 400 TIMESTAMP_OUT_OF_RANGE at that field', async (_name, topic, make, path) => {
    const r = await ingest(t, topic, make());
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([expect.objectContaining({ code: 'TIMESTAMP_OUT_OF_RANGE', path })]);
  });

  it('a reading an hour ahead of the server clock → 400 TIMESTAMP_IN_FUTURE', async () => {
    const r = await ingest(t, 'risk.mine.telemetry', reading({ ts: now + 3_600_000 }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ code: 'TIMESTAMP_IN_FUTURE', path: 'ts' });
  });

  it.each([['1e308', 1e308], ['-1e300', -1e300], ['1e13', 1e13]])('value %s → 400 naming value; no alert with a null value', async (_n, value) => {
    const r = await ingest(t, 'risk.mine.telemetry', reading({ sensorId: 'CH4-T1-1203', value }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ path: 'value' });
    const alerts = (await get(t, '/api/v1/alerts?siteId=cm-shm-01')).body.alerts as any[];
    expect(alerts.filter((a) => a.value === null)).toEqual([]);
  });

  it('value 1e308 as a JSON literal that overflows (1e400 parses to Infinity) → 400, never 500', async () => {
    const text = JSON.stringify(reading({ sensorId: 'CH4-T1-1203' })).replace('"value":0.3', '"value":1e400');
    const r = await ingest(t, 'risk.mine.telemetry', text);
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ path: 'value' });
  });

  it('an item nested 100,000 deep among good items: the good ones 202, that one TOO_DEEP, dead-lettered, no 500', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const body = `[${JSON.stringify(reading({ sensorId: 'CH4-T1-1204' }))},${deep},${JSON.stringify(reading({ sensorId: 'CH4-T1-1205' }))}]`;
    const r = await ingest(t, 'risk.mine.telemetry', body);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(r.body.errors).toEqual([expect.objectContaining({ index: 1, code: 'TOO_DEEP' })]);
    expect(deadLetters(t).some((d) => d.code === 'TOO_DEEP')).toBe(true);
    // the same alone, as an object property, and as NDJSON
    for (const [text, type] of [[deep, 'application/json'], [`{"type":"mine.reading","x":${deep}}`, 'application/json'], [`${JSON.stringify(reading())}\n${deep}\n`, 'application/x-ndjson']] as const) {
      const one = await ingest(t, 'risk.mine.telemetry', text, type);
      expect(one.status, text.slice(0, 40)).not.toBe(500);
      expect([...(one.body.errors ?? []), ...(one.body.error?.details ?? [])].some((e: any) => e.code === 'TOO_DEEP'), text.slice(0, 40)).toBe(true);
    }
  });

  it('after all of the above, every read endpoint answers 200', async () => {
    for (const path of ['/api/v1/alerts', '/api/v1/briefing?town=shanghaimiao', '/api/v1/briefing', '/api/v1/warnings', '/api/v1/sites', '/healthz']) {
      const r = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${t.tokens.viewer}` } });
      expect(r.status, path).not.toBe(500);
      if (r.status !== 404) expect(r.status, path).toBe(200);
    }
  });

  it('a path parameter of 500 characters or a broken %-escape: the contract error shape, not the router’s', async () => {
    const long = await get(t, `/api/v1/alerts/${'x'.repeat(500)}`);
    expect(long.status).toBe(414);
    expect(isErrorBody(long.body, 'BAD_REQUEST')).toBe(true);
    const bad = await get(t, '/api/v1/alerts/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(isErrorBody(bad.body, 'BAD_REQUEST')).toBe(true);
  });

  it('a warning polygon of 200,000 points → 400 naming the field (each site is tested against every point)', async () => {
    const points = Array.from({ length: 200_000 }, (_, i) => [38 + (i % 100) / 1000, 107 + i / 1e6]);
    const r = await ingest(t, 'risk.weather.warnings', warning({ id: `big_${now}`, area: { polygons: [points] } }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe('area.polygons.0');
  });

  it('errors keep the contract shape', async () => {
    const r = await ingest(t, 'risk.mine.telemetry', '['.repeat(200) + ']'.repeat(200));
    expect(r.status).toBe(400);
    expect(isErrorBody(r.body)).toBe(false); // a batch answer, not an error envelope
    expect(r.body.errors[0].code).toBe('TOO_DEEP');
  });
});

describe('ingest gate with ingest.unknownSites: accept', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ only: ['threshold'], config: { ingest: { unknownSites: 'accept' } } });
  });
  afterAll(async () => t?.destroy());

  it('a reading for a site missing from the reference data is accepted and evaluated', async () => {
    const r = await ingest(t, 'risk.mine.telemetry', reading({ siteId: 'pilot-site', value: 3 }));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('the time gate still applies', async () => {
    expect((await ingest(t, 'risk.enforcement.events', hazard({ deadline: 9e15 }))).status).toBe(400);
  });
});
