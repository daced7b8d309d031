import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, rmSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { runCli } from '../../helpers/cli.ts';
import { verifyAudit } from '../../../src/adapters/journal/audit-log.ts';

// Tamper evidence (the letter forbids 瞒报/谎报 and falsified data): every alert event, silence and
// text record is one line of <dataDir>/audit.ndjson chained by SHA-256. A real app writes the
// trail; then one edited byte, one deleted line and two swapped lines are each found by
// `riskstream audit verify`, which names the file and line and exits 1.

const MIN = 60_000;
let now = Date.now();
let t: TestApp;
let trail: string[];

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as any };
}

/** tampered copies the data dir and applies `edit` to the trail's lines */
function tampered(edit: (lines: string[]) => string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'rs-audit-'));
  cpSync(t.dataDir, dir, { recursive: true });
  writeFileSync(join(dir, 'audit.ndjson'), edit([...trail]).join('\n') + '\n');
  return dir;
}

describe('the audit trail', () => {
  beforeAll(async () => {
    now = Date.now();
    t = await startTestApp({ only: ['threshold'], now: () => now });
    const reading = { type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: now };
    expect((await call('POST', '/api/v1/events/risk.mine.telemetry', t.tokens.ingest, reading)).status).toBe(202);
    now += 10_000;
    await t.app.tick(); // the officer is texted
    const id = (await call('GET', '/api/v1/alerts?siteId=cm-shm-01', t.tokens.viewer)).body.alerts[0].id as string;
    expect((await call('POST', `/api/v1/alerts/${id}/ack`, t.tokens.operator, { note: '已通知撤人' })).status).toBe(200);
    expect((await call('POST', '/api/v1/silences', t.tokens.operator, { matchers: { siteId: 'cm-shm-02' }, endsAt: now + 60 * MIN, comment: '标校 工单 JX-1' })).status).toBe(201);
    await t.stop();
    trail = readFileSync(join(t.dataDir, 'audit.ndjson'), 'utf8').trim().split('\n');
  });
  afterAll(async () => t?.destroy());

  it('records alert events (raised, acknowledged), the text sent and the silence, each chained to the one before', () => {
    const kinds = trail.map((l) => JSON.parse(l) as { kind: string; record: any });
    expect(kinds.filter((k) => k.kind === 'alert').map((k) => k.record.event.kind)).toEqual(expect.arrayContaining(['fired', 'acknowledged']));
    expect(kinds.some((k) => k.kind === 'text' && k.record.status === 'sent')).toBe(true);
    expect(kinds.some((k) => k.kind === 'silence' && k.record.comment === '标校 工单 JX-1')).toBe(true);
    expect(verifyAudit(t.dataDir)).toMatchObject({ ok: true, records: trail.length, from: 1 });
  });

  it('`riskstream audit verify` says ok and exits 0 on the untouched trail', async () => {
    const r = await runCli(['audit', 'verify', '--data', t.dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok: ${trail.length} records`));
  });

  it.each<[string, (lines: string[]) => string[], number]>([
    // a value changed by one character (1.6 → 1.5) in the first alert event
    ['one edited byte', (l) => [l[0]!.replace('"value":1.6', '"value":1.5'), ...l.slice(1)], 2],
    // the acknowledgement removed
    ['one deleted line', (l) => l.filter((x) => !x.includes('"kind":"acknowledged"')), -1],
    // two records in the other order
    ['two swapped lines', (l) => [l[1]!, l[0]!, ...l.slice(2)], 1],
  ])('%s → exit 1 naming the file and line where the chain breaks', async (_name, edit, line) => {
    const dir = tampered(edit);
    const v = verifyAudit(dir);
    expect(v.ok).toBe(false);
    if (line > 0) expect(v).toMatchObject({ line });
    const r = await runCli(['audit', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BROKEN .*audit\.ndjson:\d+: /);
  });

  it('the whole trail removed from a data dir that holds alerts → exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-audit-'));
    cpSync(t.dataDir, dir, { recursive: true });
    rmSync(join(dir, 'audit.ndjson'));
    const r = await runCli(['audit', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no audit trail, but the data dir holds alerts/);
  });

  it('a restart goes on with the same chain', async () => {
    const t2 = await startTestApp({ dataDir: t.dataDir, only: ['threshold'] });
    expect((await call2(t2, { type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-HF-1302', sensorType: 'CH4', location: 'heading_face', value: 1.6, unit: '%', ts: Date.now() })).status).toBe(202);
    await t2.stop();
    const v = verifyAudit(t.dataDir);
    expect(v).toMatchObject({ ok: true });
    expect((v as { records: number }).records).toBeGreaterThan(trail.length);
  });
});

async function call2(app: TestApp, reading: unknown) {
  const res = await fetch(`${app.baseUrl}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${app.tokens.ingest}` }, body: JSON.stringify(reading) });
  return { status: res.status };
}
