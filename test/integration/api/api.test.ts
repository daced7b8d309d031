import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { ch4Face, get, gridFrequency, ingest, isErrorBody, post, type Res } from './http.ts';

// The HTTP API (CONTRACT.md §2) over real sockets against a real app with a temp data dir:
// alert queries and lifecycle, ingest formats and limits, dead letters, sites, rules and reload.

const MINE = 'risk.mine.telemetry';
const T0 = Date.now() - 3_600_000; // event times: an hour ago
const ISO_CST = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/;
const ids = (r: Res) => (r.body.alerts as { id: string }[]).map((a) => a.id);

/** A valid CAP 1.2 thunderstorm-gale warning for 上海庙镇, as a CMA station publishes it. */
const CAP = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>15062341600000_it_0001</identifier>
  <sender>鄂托克前旗气象台</sender>
  <sent>2024-07-16T09:30:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Met</category>
    <event>雷雨大风</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <onset>2024-07-16T09:35:00+08:00</onset>
    <expires>2024-07-16T21:30:00+08:00</expires>
    <headline>鄂托克前旗气象台发布雷雨大风橙色预警信号</headline>
    <area>
      <areaDesc>上海庙镇</areaDesc>
      <polygon>38.10,106.80 38.45,106.80 38.45,107.30 38.10,107.30 38.10,106.80</polygon>
      <geocode><valueName>TOWN</valueName><value>shanghaimiao</value></geocode>
    </area>
  </info>
</alert>`;

describe('alerts API', () => {
  let t: TestApp;
  // One app holding a known set of alerts (severity, town, domain, state all differ).
  const open: Record<string, string> = {};
  let resolvedId = '';
  beforeAll(async () => {
    t = await startTestApp({ only: ['threshold'] });
    const cases: [string, string, unknown][] = [
      ['redOld', MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0)], // red, shanghaimiao
      ['redNew', MINE, ch4Face('cm-edz-02', 'CH4-T1-4201', 2.0, T0 + 1000)], // red, shanghaimiao-edz
      ['orangeMine', MINE, { type: 'mine.reading', siteId: 'cm-edz-01', sensorId: 'CO-3102', sensorType: 'CO', location: 'coal_face_return', value: 30, unit: 'ppm', ts: T0 + 2000 }],
      ['yellow', MINE, ch4Face('cm-alz-01', 'CH4-T1-5101', 0.9, T0 + 3000)], // yellow, aolezhaoqi
      ['orangeGrid', 'risk.grid.telemetry', gridFrequency('ss-alz-110kv', 'BUS-1', 50.3, T0 + 4000)], // orange, aolezhaoqi, grid
    ];
    for (const [name, topic, event] of cases) {
      const r = await ingest(t, topic, event);
      expect(r.status).toBe(202);
      open[name] = ids(await get(t, `/api/v1/alerts?siteId=${(event as { siteId: string }).siteId}`))[0]!;
    }
    await ingest(t, MINE, ch4Face('cm-shm-02', 'CH4-T1-2103', 1.6, T0));
    await ingest(t, MINE, ch4Face('cm-shm-02', 'CH4-T1-2103', 0.5, T0 + 5000)); // clears: resolved
    resolvedId = ids(await get(t, '/api/v1/alerts?state=resolved'))[0]!;
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('lists firing and acknowledged alerts by default, most severe first, newest first within a severity', async () => {
    // The control room's list puts what needs action on top; resolved alerts stay out of the way.
    const r = await get(t, '/api/v1/alerts');
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual([open.redNew, open.redOld, open.orangeGrid, open.orangeMine, open.yellow]);
    expect(ids(r)).not.toContain(resolvedId);
  });

  it.each([
    // each filter narrows the list and keeps the order
    ['state=resolved', () => [resolvedId]],
    ['state=', () => [open.redNew, open.redOld, open.orangeGrid, open.orangeMine, open.yellow]], // empty = default
    ['state=firing,resolved&siteId=cm-shm-02', () => [resolvedId]],
    ['minSeverity=orange', () => [open.redNew, open.redOld, open.orangeGrid, open.orangeMine]],
    ['minSeverity=red', () => [open.redNew, open.redOld]],
    ['town=aolezhaoqi', () => [open.orangeGrid, open.yellow]],
    ['domain=grid', () => [open.orangeGrid]],
    ['siteId=cm-edz-01', () => [open.orangeMine]],
    ['town=shanghaimiao&minSeverity=red&domain=mine', () => [open.redOld]],
  ])('GET /api/v1/alerts?%s filters', async (query, expected) => {
    const r = await get(t, `/api/v1/alerts?${query}`);
    expect(r.status).toBe(200);
    expect(ids(r)).toEqual(expected());
  });

  it('refuses a town outside the token with 403 and never lists another town’s alerts', async () => {
    // A town's viewer sees only its own town, whether it asks for another town or not.
    const angsu = await t.token('viewer', ['angsu']);
    const other = await get(t, '/api/v1/alerts?town=shanghaimiao', angsu);
    expect(other.status).toBe(403);
    expect(isErrorBody(other.body, 'FORBIDDEN')).toBe(true);
    expect((await get(t, '/api/v1/alerts', angsu)).body.alerts).toEqual([]);
    const alz = await t.token('viewer', ['aolezhaoqi']);
    expect(ids(await get(t, '/api/v1/alerts', alz))).toEqual([open.orangeGrid, open.yellow]);
    expect((await get(t, `/api/v1/alerts/${open.redOld}`, alz)).status).toBe(403);
  });

  it('rejects an unknown state, minSeverity or domain with 400', async () => {
    // A typo in a saved dashboard URL is reported, not silently answered with an empty or unfiltered list.
    for (const q of ['state=open', 'state=firing,closed', 'minSeverity=purple', 'domain=space']) {
      const r = await get(t, `/api/v1/alerts?${q}`);
      expect(r.status).toBe(400);
      expect(isErrorBody(r.body, 'BAD_REQUEST')).toBe(true);
    }
  });

  it('GET /api/v1/alerts/{id} returns the alert with its history of alert events', async () => {
    // An operator reviewing an alert sees how it developed: yellow, then raised to red.
    await ingest(t, MINE, ch4Face('cm-ags-01', 'CH4-T1-6102', 0.9, T0));
    await ingest(t, MINE, ch4Face('cm-ags-01', 'CH4-T1-6102', 1.7, T0 + 1000));
    const id = ids(await get(t, '/api/v1/alerts?siteId=cm-ags-01'))[0]!;
    const r = await get(t, `/api/v1/alerts/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, severity: 'red', state: 'firing', siteId: 'cm-ags-01', town: 'angsu' });
    const history = r.body.history as { seq: number; kind: string; alert: { severity: string } }[];
    expect(history.map((h) => [h.kind, h.alert.severity])).toEqual([['fired', 'yellow'], ['updated', 'red']]);
    expect(history[1]!.seq).toBeGreaterThan(history[0]!.seq);
  });

  it('POST ack → 200, acknowledged, with who, when and the note', async () => {
    // An operator takes ownership of an alert; every reader of the API sees who and when.
    const r = await post(t, `/api/v1/alerts/${open.yellow}/ack`, t.tokens.operator, { note: '瓦斯检查员已复核' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: open.yellow, state: 'acknowledged', acks: [{ by: 'test-operator', note: '瓦斯检查员已复核' }] });
    expect(r.body.acks[0].at).toMatch(ISO_CST);
    const again = await get(t, `/api/v1/alerts/${open.yellow}`);
    expect(again.body.state).toBe('acknowledged');
    expect(again.body.history.at(-1).kind).toBe('acknowledged');
    // acknowledged alerts stay in the default list
    expect(ids(await get(t, '/api/v1/alerts'))).toContain(open.yellow);
    // an ack without a body works too (the note is optional)
    const bare = await post(t, `/api/v1/alerts/${open.orangeMine}/ack`, t.tokens.operator);
    expect(bare.status).toBe(200);
    expect(bare.body.acks).toEqual([{ by: 'test-operator', at: expect.stringMatching(ISO_CST) }]);
  });

  it('POST ack on a resolved alert → 409', async () => {
    // Acknowledging something already over is a conflict the screen must show, not a silent no-op.
    const r = await post(t, `/api/v1/alerts/${resolvedId}/ack`, t.tokens.operator, {});
    expect(r.status).toBe(409);
    expect(isErrorBody(r.body, 'CONFLICT')).toBe(true);
  });

  it('POST resolve closes the alert, and a later over-threshold reading raises a new alert', async () => {
    // A manual resolve is final for that alert; if gas is still high, a fresh alert (new id) fires.
    const r = await post(t, `/api/v1/alerts/${open.redOld}/resolve`, t.tokens.operator, { note: '传感器已校准' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: open.redOld, state: 'resolved', endsAt: expect.stringMatching(ISO_CST) });
    expect((await post(t, `/api/v1/alerts/${open.redOld}/resolve`, t.tokens.operator, {})).status).toBe(409);
    expect((await post(t, `/api/v1/alerts/${open.redOld}/ack`, t.tokens.operator, {})).status).toBe(409);
    await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0 + 60_000));
    const now = ids(await get(t, '/api/v1/alerts?siteId=cm-shm-01'));
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(open.redOld);
    const fresh = await get(t, `/api/v1/alerts/${now[0]}`);
    expect(fresh.body).toMatchObject({ state: 'firing', severity: 'red', ruleId: 'mine.ch4.face' });
    expect(fresh.body.history.map((h: { kind: string }) => h.kind)).toEqual(['fired']);
  });

  it('refuses a viewer ack (403), an unknown id (404) and no token (401)', async () => {
    // Read-only screens cannot change state; mistakes are reported precisely.
    const viewer = await post(t, `/api/v1/alerts/${open.redNew}/ack`, t.tokens.viewer, {});
    expect(viewer.status).toBe(403);
    expect(isErrorBody(viewer.body, 'FORBIDDEN')).toBe(true);
    expect((await get(t, `/api/v1/alerts/${open.redNew}`)).body).toMatchObject({ state: 'firing', acks: [] });
    for (const r of [await post(t, '/api/v1/alerts/nope-123/ack', t.tokens.operator, {}), await get(t, '/api/v1/alerts/nope-123')]) {
      expect(r.status).toBe(404);
      expect(isErrorBody(r.body, 'NOT_FOUND')).toBe(true);
    }
    const anon = await get(t, '/api/v1/alerts', null);
    expect(anon.status).toBe(401);
    expect(isErrorBody(anon.body, 'UNAUTHORIZED')).toBe(true);
  });
});

describe('ingest API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ only: ['threshold'], config: { http: { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096 } } });
  });
  afterAll(async () => {
    await t.destroy();
  });
  const deadLetters = () =>
    readFileSync(join(t.dataDir, 'dead-letter.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { code: string; path: string; original: string; index: number; message: string });

  it('NDJSON with one bad line → 202, the good lines accepted, the bad one reported by index', async () => {
    // A gateway streaming readings does not lose a batch because one line is broken.
    const lines = [
      JSON.stringify(ch4Face('cm-shm-01', 'CH4-T0-1201', 0.3, T0)),
      JSON.stringify(ch4Face('cm-shm-01', 'CH4-T1-1201', 0.3, T0)),
      '',
      JSON.stringify({ ...ch4Face('cm-shm-01', 'CH4-SH-1201', 0.3, T0), value: 'high' }),
      JSON.stringify(ch4Face('cm-shm-02', 'CH4-T1-2103', 1.6, T0)),
    ].join('\n');
    const r = await ingest(t, MINE, lines, 'application/x-ndjson');
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 3, rejected: 1 });
    expect(r.body.errors).toEqual([{ index: 2, code: 'VALIDATION_FAILED', path: 'value', message: expect.any(String), details: [{ path: 'value', code: 'invalid_type', message: expect.any(String) }] }]);
    // the accepted over-threshold line did raise its alert
    expect(ids(await get(t, '/api/v1/alerts?siteId=cm-shm-02'))).toHaveLength(1);
  });

  it('an item with three wrong fields → 400 listing all three, each with its field path; the first stays in code/path/message', async () => {
    const bad = { ...ch4Face('cm-shm-01', 'CH4-T0-1201', 0.3, T0), value: 'high', sensorType: 'METHANE', unit: '' };
    const r = await ingest(t, MINE, [ch4Face('cm-shm-01', 'CH4-T1-1201', 0.3, T0), bad]);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 1, rejected: 1 });
    const [e] = r.body.errors;
    expect(e).toMatchObject({ index: 1, code: 'VALIDATION_FAILED' });
    expect(e.details.map((d: { path: string }) => d.path).sort()).toEqual(['sensorType', 'unit', 'value']);
    for (const d of e.details) expect(d.message).toEqual(expect.any(String));
    // clients that read the first problem still find it where they did
    expect(e.path).toBe(e.details[0].path);
    expect(e.message).toBe(`${e.details[0].path}: ${e.details[0].message}`);
    // one bad item alone: 400, the same list
    const alone = await ingest(t, MINE, bad);
    expect(alone.status).toBe(400);
    expect(alone.body.errors[0].details).toHaveLength(3);
  });

  it('an item with more than 20 problems lists 20 and says how many more', async () => {
    // a warning whose polygon has 30 points of bad numbers: 60 problems
    const polygon = Array.from({ length: 30 }, () => ['x', 'y']);
    const warning = { type: 'weather.warning', id: 'w-many', sender: 's', sent: T0, status: 'Actual', msgType: 'Alert', event: '暴雨', level: 'red', onset: T0, expires: T0 + 3_600_000, area: { polygons: [polygon] } };
    const r = await ingest(t, 'risk.weather.warnings', warning);
    expect(r.status).toBe(400);
    const details = r.body.errors[0].details as { path: string; code: string; message: string }[];
    expect(details).toHaveLength(21);
    expect(details.slice(0, 20).every((d) => d.path.startsWith('area.polygons.0.'))).toBe(true);
    expect(details[20]).toEqual({ path: '', code: 'too_many_problems', message: '40 more problem(s) not listed (60 in all)' });
  });

  it('a rejection that is not a schema problem (unknown site) lists itself as its one problem', async () => {
    const r = await ingest(t, MINE, ch4Face('no-such-site', 'CH4-T1-1201', 0.3, T0));
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ code: 'UNKNOWN_SITE', path: 'siteId' });
    expect(r.body.errors[0].details).toEqual([{ path: 'siteId', code: 'UNKNOWN_SITE', message: r.body.errors[0].message }]);
  });

  it('a body over http.bodyLimitBytes → 413 PAYLOAD_TOO_LARGE; a body under it is accepted', async () => {
    // A runaway producer cannot exhaust memory; the limit is the configured one.
    const many = Array.from({ length: 40 }, (_, i) => ch4Face('cm-shm-01', 'CH4-T0-1201', 0.3, T0 + i));
    expect(JSON.stringify(many).length).toBeGreaterThan(4096);
    const big = await ingest(t, MINE, many);
    expect(big.status).toBe(413);
    expect(isErrorBody(big.body, 'PAYLOAD_TOO_LARGE')).toBe(true);
    // the refused body is kept in the dead-letter journal with its first bytes, not silently dropped
    const dlq = readFileSync(join(t.dataDir, 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(dlq.some((d: { code: string; original: string }) => d.code === 'PAYLOAD_TOO_LARGE' && d.original.startsWith('[{'))).toBe(true);
    const small = await ingest(t, MINE, many.slice(0, 10));
    expect(small.status).toBe(202);
    expect(small.body.accepted).toBe(10);
  });

  it('an unknown topic → 404', async () => {
    // A producer configured with a wrong topic finds out at once.
    const r = await ingest(t, 'risk.mine.telemetryy', ch4Face('cm-shm-01', 'CH4-T0-1201', 0.3, T0));
    expect(r.status).toBe(404);
    expect(isErrorBody(r.body, 'NOT_FOUND')).toBe(true);
    expect(r.body.error.message).toContain('risk.mine.telemetry');
  });

  it('a CAP 1.2 XML warning (application/cap+xml) on risk.weather.warnings → 202', async () => {
    // The meteorological bureau's CAP feed can post its documents as they are.
    const r = await ingest(t, 'risk.weather.warnings', CAP, 'application/cap+xml');
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: 1, rejected: 0, errors: [] });
    // the same XML on a telemetry topic is refused (400: nothing accepted)
    const wrong = await ingest(t, MINE, CAP, 'application/cap+xml');
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('every rejected item lands in <dataDir>/dead-letter.ndjson with its code, path and original text', async () => {
    // Nothing a producer sent is silently dropped: rejected input can be inspected and replayed.
    const before = deadLetters().length;
    const badLine = '{"type":"mine.reading","siteId":';
    const wrongType = JSON.stringify({ ...ch4Face('cm-shm-01', 'CH4-T0-1201', 0.3, T0), sensorType: 'XX' });
    const r = await ingest(t, MINE, [JSON.stringify(ch4Face('cm-shm-01', 'CH4-T0-1201', 0.3, T0)), badLine, wrongType].join('\n'), 'application/x-ndjson');
    expect(r.body).toMatchObject({ accepted: 1, rejected: 2 });
    const doctype = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>';
    expect((await ingest(t, 'risk.weather.warnings', doctype, 'application/cap+xml')).status).toBe(400);
    const added = deadLetters().slice(before);
    expect(added).toMatchObject([
      { index: 1, code: 'INVALID_JSON', path: '', original: badLine },
      { index: 2, code: 'VALIDATION_FAILED', path: 'sensorType', original: wrongType },
      { index: 0, code: 'XML_DOCTYPE_FORBIDDEN', original: doctype },
    ]);
    for (const d of added) expect(d.message.length).toBeGreaterThan(0);
    // earlier tests' rejections are there too (the NDJSON line with value "high")
    expect(deadLetters().some((d) => d.code === 'VALIDATION_FAILED' && d.path === 'value' && d.original.includes('"high"'))).toBe(true);
  });
});

describe('sites and rules API', () => {
  let t: TestApp;
  let rulesDir: string;
  beforeAll(async () => {
    rulesDir = mkdtempSync(join(tmpdir(), 'riskstream-rules-'));
    // the threshold files of the bundled pack: alerts here are counted exactly
    for (const f of ['mine-gas.yaml', 'mine-air.yaml', 'grid.yaml']) cpSync(join(BUNDLED.rules, f), join(rulesDir, f));
    t = await startTestApp({ rulesDir });
  });
  afterAll(async () => {
    await t.destroy();
    rmSync(rulesDir, { recursive: true, force: true });
  });

  it('GET /api/v1/sites lists only the token’s towns', async () => {
    // A town's viewer sees its own enterprises, not the whole banner's.
    const all = await get(t, '/api/v1/sites');
    expect(all.status).toBe(200);
    const towns = new Set((all.body.sites as { town: string }[]).map((s) => s.town));
    expect(towns.size).toBeGreaterThan(1);
    const angsu = await get(t, '/api/v1/sites', await t.token('viewer', ['angsu']));
    const sites = angsu.body.sites as { id: string; town: string }[];
    expect(sites.length).toBeGreaterThan(0);
    expect(sites.every((s) => s.town === 'angsu')).toBe(true);
    expect(sites.map((s) => s.id)).toContain('cm-ags-01');
  });

  it('GET /api/v1/rules lists the active rules', async () => {
    // Operators can check which thresholds are in force.
    const r = await get(t, '/api/v1/rules');
    expect(r.status).toBe(200);
    const ruleIds = (r.body.rules as { id: string }[]).map((x) => x.id);
    expect(ruleIds).toEqual(expect.arrayContaining(['mine.ch4.face', 'mine.co', 'grid.frequency']));
  });

  it('POST /api/v1/rules/reload: admin → 200, operator → 403', async () => {
    // Only an administrator changes the rules in force.
    const count = (await get(t, '/api/v1/rules')).body.rules.length as number;
    const ok = await post(t, '/api/v1/rules/reload', t.tokens.admin);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ reloaded: true, rules: count });
    const op = await post(t, '/api/v1/rules/reload', t.tokens.operator);
    expect(op.status).toBe(403);
    expect(isErrorBody(op.body, 'FORBIDDEN')).toBe(true);
  });

  it('reloading an invalid pack → 400 naming file and path, and the old rules still fire', async () => {
    // A bad edit to the rule files cannot switch off methane alarms.
    const file = join(rulesDir, 'mine-gas.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ severity: red, value: 1.5, restore: 1.0 }', '{ severity: red, value: "high", restore: 1.0 }'));
    const r = await post(t, '/api/v1/rules/reload', t.tokens.admin);
    expect(r.status).toBe(400);
    expect(isErrorBody(r.body, 'RULES_INVALID')).toBe(true);
    expect(r.body.error.details).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/mine-gas\.yaml$/), path: 'rules.0.levels.2.value' }));
    await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0));
    const fired = (await get(t, '/api/v1/alerts?siteId=cm-shm-01')).body.alerts;
    expect(fired).toMatchObject([{ ruleId: 'mine.ch4.face', severity: 'red', threshold: 1.5 }]);
  });
});

describe('error bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ only: ['threshold'], config: { http: { host: '127.0.0.1', port: 0, bodyLimitBytes: 1024 } } });
    await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0));
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('every error response is {"error": {code, message, details}}', async () => {
    // Clients handle all failures with one code path, keyed by a stable code.
    const id = ids(await get(t, '/api/v1/alerts'))[0]!;
    const raw = async (path: string, init: RequestInit) => {
      const res = await fetch(`${t.baseUrl}${path}`, init);
      return { status: res.status, body: await res.json() } as Res;
    };
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const cases: [string, () => Promise<Res>, number, string][] = [
      ['no token', () => get(t, '/api/v1/alerts', null), 401, 'UNAUTHORIZED'],
      ['bad token', () => get(t, '/api/v1/alerts', 'garbage'), 401, 'UNAUTHORIZED'],
      ['wrong role', () => post(t, '/api/v1/rules/reload', t.tokens.viewer), 403, 'FORBIDDEN'],
      ['ingest token reading alerts', () => get(t, '/api/v1/alerts', t.tokens.ingest), 403, 'FORBIDDEN'],
      ['no route', () => get(t, '/api/v1/nothing'), 404, 'NOT_FOUND'],
      ['unknown alert', () => get(t, '/api/v1/alerts/none'), 404, 'NOT_FOUND'],
      ['unknown topic', () => ingest(t, 'risk.nope', {}), 404, 'NOT_FOUND'],
      ['bad query', () => get(t, '/api/v1/alerts?minSeverity=x'), 400, 'BAD_REQUEST'],
      ['note too long', () => post(t, `/api/v1/alerts/${id}/ack`, t.tokens.operator, { note: 'x'.repeat(2001) }), 400, 'BAD_REQUEST'],
      ['malformed JSON body', () => raw(`/api/v1/alerts/${id}/ack`, { method: 'POST', headers: { ...auth(t.tokens.operator), 'content-type': 'application/json' }, body: '{"note":' }), 400, 'INVALID_JSON'],
      ['unsupported media type', () => raw(`/api/v1/alerts/${id}/ack`, { method: 'POST', headers: { ...auth(t.tokens.operator), 'content-type': 'text/csv' }, body: 'a,b' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['too large', () => ingest(t, MINE, 'x'.repeat(2048)), 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [name, request, status, code] of cases) {
      const r = await request();
      expect({ name, status: r.status, shape: isErrorBody(r.body, code) }).toEqual({ name, status, shape: true });
    }
    // 409 needs a resolved alert
    await post(t, `/api/v1/alerts/${id}/resolve`, t.tokens.operator, {});
    const conflict = await post(t, `/api/v1/alerts/${id}/resolve`, t.tokens.operator, {});
    expect(conflict.status).toBe(409);
    expect(isErrorBody(conflict.body, 'CONFLICT')).toBe(true);
  });
});

describe('clock skew', () => {
  it('an event from the future is refused with its index and path, the others are kept', async () => {
    // A producer clock far ahead must not drag the watermark and make every later event late.
    const t = await startTestApp({ only: ['threshold'] });
    try {
      const now = Date.now();
      const body = [ch4Face('cm-shm-01', 'CH4-T1-1201', 0.3, now), ch4Face('cm-shm-01', 'CH4-T0-1201', 0.3, now + 3_600_000)];
      const r = await ingest(t, MINE, body);
      expect(r.status).toBe(202);
      expect(r.body).toMatchObject({ accepted: 1, rejected: 1 });
      expect(r.body.errors).toEqual([{ index: 1, code: 'TIMESTAMP_IN_FUTURE', path: 'ts', message: expect.stringContaining('ahead'), details: [expect.objectContaining({ path: 'ts', code: 'TIMESTAMP_IN_FUTURE' })] }]);
    } finally {
      await t.destroy();
    }
  });
});
