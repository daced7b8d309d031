// Kafka mode against the real broker (deploy/local/kafka.sh): riskstream instances run as child
// processes (`riskstream start`, mode kafka) on a fresh topic prefix per suite.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config/paths.ts';
import { serviceAvailable } from '../../helpers/services.ts';
import { BROKERS, createTestCluster, waitFor, type Instance, type TestCluster } from '../../helpers/kafka.ts';
import { connectWs } from '../../helpers/ws.ts';

const HAVE_KAFKA = serviceAvailable('kafka mode', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set (start a broker with `bash deploy/local/kafka.sh start` and export its BOOTSTRAP)');

const ch4 = (sensorId: string, value: number, siteId = 'cm-shm-01') => ({ type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: Date.now() });

describe.runIf(HAVE_KAFKA)('kafka mode: one instance', () => {
  let c: TestCluster;
  let a: Instance;
  beforeAll(async () => {
    c = await createTestCluster();
    a = await c.start('a');
  }, 120_000);
  afterAll(async () => {
    await c?.close();
  });

  it('a reading produced to risk.mine.telemetry reaches a WebSocket as a red alert; an ack through the API comes back through the alert log', async () => {
    const ws = await connectWs(a.url, await c.token('operator'));
    const snap = await ws.next((f) => f.type === 'snapshot');
    const t0 = Date.now();
    await c.produce('risk.mine.telemetry', [ch4('CH4-IT-1', 1.6)]);
    const fired = await ws.next((f) => f.type === 'alert' && f.kind === 'fired' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-IT-1', 10_000);
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(5000);
    const alert = fired.alert as { id: string; severity: string; state: string };
    expect(alert.severity).toBe('red');
    expect(fired.seq).toBeGreaterThan(snap.seq as number);
    // seq = offset + 1 of the alert log
    const log = await c.alertLog();
    const entry = log.find((e) => e.event.alert.id === alert.id && e.event.kind === 'fired')!;
    expect(fired.seq).toBe(entry.offset + 1);

    const res = await fetch(`${a.url}/api/v1/alerts/${alert.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${await c.token('operator')}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: '已通知撤人' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { state: string }).state).toBe('acknowledged');
    const acked = await ws.next((f) => f.type === 'alert' && f.kind === 'acknowledged', 10_000);
    expect((acked.alert as { id: string }).id).toBe(alert.id);
    expect(acked.seq).toBeGreaterThan(fired.seq as number);
    ws.close();
  }, 60_000);

  it('a poison message goes to risk.dlq with its headers and original bytes, and the next message is processed', async () => {
    const ws = await connectWs(a.url, await c.token('operator'));
    await ws.next((f) => f.type === 'snapshot');
    const poison = '{"type":"mine.reading","siteId":"cm-shm-01","sensorId":"CH4-POISON","sensorType":"CH4","location":"coal_face","unit":"%","ts":1721100000000}';
    await c.producer.send({ topic: `${c.prefix}risk.mine.telemetry`, acks: -1, messages: [{ key: 'cm-shm-01', value: poison }, { key: 'cm-shm-01', value: JSON.stringify(ch4('CH4-IT-AFTER', 1.7)) }] });
    await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-IT-AFTER', 10_000);
    let dlq: Awaited<ReturnType<TestCluster['dlq']>> = [];
    await waitFor('the poison message on risk.dlq', async () => (dlq = await c.dlq()).length > 0, 15_000);
    expect(dlq).toHaveLength(1);
    const m = dlq[0]!;
    expect(m.key).toBe('cm-shm-01');
    expect(m.value).toBe(poison);
    expect(m.headers['x-source-topic']).toBe(`${c.prefix}risk.mine.telemetry`);
    expect(Number(m.headers['x-source-partition'])).toBeGreaterThanOrEqual(0);
    expect(Number(m.headers['x-source-offset'])).toBeGreaterThanOrEqual(0);
    expect(m.headers['x-error-code']).toBe('VALIDATION_FAILED');
    expect(m.headers['x-error-message']).toMatch(/value/);
    expect(Date.parse(m.headers['x-failed-at']!)).toBeGreaterThan(Date.now() - 60_000);
    // counted where the README says refusals are counted, as for HTTP
    await waitFor('the refusal counted', async () => (await a.metric('riskstream_events_rejected_total', 'code="VALIDATION_FAILED"')) === 1);
    expect(await a.metric('riskstream_dlq_total', 'source="kafka"')).toBe(1);
    // the poison message was committed past: the group's offset is at the end of that partition
    const partition = Number(m.headers['x-source-partition']);
    await waitFor('offsets committed past the poison message', async () => {
      const [t] = await c.admin.fetchOffsets({ groupId: c.groupId, topics: [`${c.prefix}risk.mine.telemetry`] });
      return Number(t!.partitions.find((p) => p.partition === partition)!.offset) > Number(m.headers['x-source-offset']) + 1;
    });
    ws.close();
  }, 60_000);

  it('the ingest gate applies to Kafka input too: an unknown site and a 9e15 deadline go to risk.dlq with their codes, no alert', async () => {
    const ws = await connectWs(a.url, await c.token('operator'));
    await ws.next((f) => f.type === 'snapshot');
    const before = (await c.dlq()).length;
    const hazard = { type: 'enforcement.hazard', hazardId: 'h-kafka-gate', siteId: 'cm-shm-01', level: 'major', status: 'open', foundAt: Date.now() - 60_000, deadline: 9e15, ts: Date.now() };
    await c.produce('risk.mine.telemetry', [ch4('CH4-NOPE', 3, 'nope-site')]);
    await c.produce('risk.enforcement.events', [hazard]);
    await c.produce('risk.mine.telemetry', [ch4('CH4-GATE-AFTER', 1.7)]);
    await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-GATE-AFTER', 10_000);
    let dlq: Awaited<ReturnType<TestCluster['dlq']>> = [];
    await waitFor('both refusals on risk.dlq', async () => (dlq = await c.dlq()).length >= before + 2, 15_000);
    // risk.dlq has several partitions: find the two by their codes, each with its message's coordinates
    const gated = dlq.filter((m) => ['TIMESTAMP_OUT_OF_RANGE', 'UNKNOWN_SITE'].includes(m.headers['x-error-code']!));
    expect(gated.map((m) => m.headers['x-error-code']).sort()).toEqual(['TIMESTAMP_OUT_OF_RANGE', 'UNKNOWN_SITE']);
    const unknown = gated.find((m) => m.headers['x-error-code'] === 'UNKNOWN_SITE')!;
    expect(unknown.key).toBe('nope-site');
    expect(unknown.headers['x-source-topic']).toBe(`${c.prefix}risk.mine.telemetry`);
    expect(Number(unknown.headers['x-source-offset'])).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(unknown.value)).toMatchObject({ siteId: 'nope-site', sensorId: 'CH4-NOPE' });
    const alerts = (await (await fetch(`${a.url}/api/v1/alerts?siteId=nope-site`, { headers: { authorization: `Bearer ${await c.token('viewer')}` } })).json()) as { alerts: unknown[] };
    expect(alerts.alerts).toEqual([]);
    ws.close();
  }, 60_000);

  it('HTTP ingest in Kafka mode puts accepted events onto their topic (the owner raises the alert) and dead-letters the rest to risk.dlq', async () => {
    const ws = await connectWs(a.url, await c.token('viewer'));
    await ws.next((f) => f.type === 'snapshot');
    const before = (await c.dlq()).length;
    const post = async (body: string) => fetch(`${a.url}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { authorization: `Bearer ${await c.token('ingest')}`, 'content-type': 'application/json' }, body });
    expect((await post(JSON.stringify(ch4('CH4-HTTP-1', 1.6)))).status).toBe(202);
    await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-HTTP-1', 10_000);
    const bad = await post('{"type":"mine.reading","siteId":"cm-shm-01"}');
    expect(bad.status).toBe(400);
    let dlq: Awaited<ReturnType<TestCluster['dlq']>> = [];
    await waitFor('the refused item on risk.dlq', async () => (dlq = await c.dlq()).length > before, 15_000);
    const fromHttp = dlq.filter((m) => m.headers['x-source-topic'] === 'http:risk.mine.telemetry');
    expect(fromHttp).toHaveLength(1);
    expect(fromHttp[0]!.headers['x-error-code']).toBe('VALIDATION_FAILED');
    ws.close();
  }, 60_000);

  it('`riskstream replay FILE --kafka BROKERS` produces a recorded file onto the topics, keyed by site', async () => {
    const ws = await connectWs(a.url, await c.token('viewer'));
    await ws.next((f) => f.type === 'snapshot');
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, [ch4('CH4-REPLAY-0', 0.3), ch4('CH4-REPLAY-1', 1.6)].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'src/cli/riskstream.mjs'), 'replay', file, '--speed', '1000', '--kafka', BROKERS.join(',')], {
      env: { ...process.env, RISKSTREAM_KAFKA_TOPIC_PREFIX: c.prefix },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toContain('replay: 2 sent, 0 failed');
    expect(r.status).toBe(0);
    await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-REPLAY-1', 10_000);
    rmSync(dir, { recursive: true, force: true });
    ws.close();
  }, 60_000);

  it('SIGTERM: screens are closed with 1001, the offsets are committed and the process exits 0', async () => {
    const ws = await connectWs(a.url, await c.token('viewer'));
    await ws.next((f) => f.type === 'snapshot');
    await c.produce('risk.mine.telemetry', [ch4('CH4-IT-LAST', 1.6)]);
    await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === 'CH4-IT-LAST', 10_000);
    const code = a.stop();
    expect((await ws.closed).code).toBe(1001);
    expect(await code).toBe(0);
    expect(await c.caughtUp()).toBe(true);
  }, 60_000);
});
