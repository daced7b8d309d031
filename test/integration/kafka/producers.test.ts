// Kafka mode with a producer we did not write: kcat (librdkafka, as under confluent-kafka-python,
// Go and .NET clients). Its default partitioner is consistent_random (CRC32), not murmur2; records
// may also be unkeyed or keyed by sensorId. Whatever partition a record lands on, every alert must
// reach every screen and risk.alerts exactly once (the first release lost half of them silently).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../../helpers/services.ts';
import { BROKERS, createTestCluster, waitFor, type Instance, type TestCluster } from '../../helpers/kafka.ts';
import { connectWs, type WsProbe } from '../../helpers/ws.ts';

const HAVE_KAFKA = serviceAvailable('kafka producers', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set (start a broker with `bash deploy/local/kafka.sh start` and export its BOOTSTRAP)');
const HAVE_KCAT = serviceAvailable('kafka producers (kcat)', spawnSync('kcat', ['-V']).status === 0, 'kcat is not installed (Debian package kcat; .ci/run installs it)');

const MINES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01'];
/** expected sensors of deploy/reference/sites.yaml: [site, coal-face CH4 sensor, its area] and [site, heading-face CH4 sensor] */
const FACE_SENSORS = [['cm-shm-01', 'CH4-T1-1201', 'ws1201'], ['cm-shm-02', 'CH4-T1-2103', 'ws2103'], ['cm-edz-01', 'CH4-T1-3102', 'ws3102'], ['cm-edz-02', 'CH4-T1-4201', 'ws4201'], ['cm-alz-01', 'CH4-T1-5101', 'ws5101']] as const;
const HEADING_SENSORS = [['cm-shm-01', 'CH4-HF-1302'], ['cm-shm-02', 'CH4-HF-2205'], ['cm-edz-01', 'CH4-HF-3105'], ['cm-edz-02', 'CH4-HF-4303'], ['cm-alz-01', 'CH4-HF-5203']] as const;
type Frame = Record<string, unknown>;
const alertOf = (f: Frame) => f.alert as { ruleId: string; labels: Record<string, string> } | undefined;
const ch4 = (siteId: string, sensorId: string) => ({ type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Date.now() });

/** kcat produces lines with librdkafka; `key` picks each record's key (undefined: unkeyed); extra -X settings. */
function kcat(topic: string, values: readonly Record<string, unknown>[], key: ((v: Record<string, unknown>) => string) | undefined, extra: string[] = []) {
  const lines = values.map((v) => (key ? `${key(v)}\t${JSON.stringify(v)}` : JSON.stringify(v))).join('\n') + '\n';
  const args = ['-P', '-b', BROKERS.join(','), '-t', topic, ...(key ? ['-K', '\t'] : []), '-X', 'acks=all', ...extra];
  const r = spawnSync('kcat', args, { input: lines, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
}

describe.runIf(HAVE_KAFKA && HAVE_KCAT)('kafka mode: a librdkafka producer (kcat), any partitioner, any key', () => {
  let c: TestCluster;
  let a: Instance;
  let b: Instance;
  let wa: WsProbe;
  let wb: WsProbe;
  const forwarded = async () => (await a.metric('riskstream_kafka_forwarded_total')) + (await b.metric('riskstream_kafka_forwarded_total'));
  const fired = (ws: WsProbe, prefix: string) => ws.frames.filter((f) => f.type === 'alert' && f.kind === 'fired' && alertOf(f)?.ruleId === 'mine.ch4.face' && String(alertOf(f)?.labels.sensorId ?? '').startsWith(prefix));

  beforeAll(async () => {
    c = await createTestCluster();
    a = await c.start('a');
    b = await c.start('b');
    await waitFor('both instances own partitions', async () => {
      const [x, y] = [await a.metric('riskstream_kafka_assigned_partitions'), await b.metric('riskstream_kafka_assigned_partitions')];
      return x > 0 && y > 0 && x + y === 6;
    });
    wa = await connectWs(a.url, await c.token('viewer'));
    wb = await connectWs(b.url, await c.token('viewer'));
    await wa.next((f) => f.type === 'snapshot');
    await wb.next((f) => f.type === 'snapshot');
  }, 120_000);
  afterAll(async () => {
    wa?.close();
    wb?.close();
    await c?.close();
  });

  it.each<[string, string, ((v: Record<string, unknown>) => string) | undefined, string[], 'some' | 'none']>([
    // librdkafka's default: CRC32 of the key — another partition than murmur2 for most sites
    ['keyed by siteId, default partitioner (consistent_random)', 'CH4-KDEF-', (v) => String(v.siteId), [], 'some'],
    // Java-compatible murmur2: the records land where riskstream expects them; nothing is forwarded
    ['keyed by siteId, murmur2_random partitioner', 'CH4-KMUR-', (v) => String(v.siteId), ['-X', 'topic.partitioner=murmur2_random'], 'none'],
    // no key at all
    ['unkeyed', 'CH4-KNON-', undefined, [], 'some'],
    // keyed by the sensor, not the site
    ['keyed by sensorId', 'CH4-KSEN-', (v) => String(v.sensorId), [], 'some'],
  ])('%s: every red alert once on both screens and in risk.alerts', async (_name, tag, key, extra, forwarding) => {
    const before = await forwarded();
    kcat(`${c.prefix}risk.mine.telemetry`, MINES.flatMap((s, i) => [ch4(s, `${tag}${i}a`), ch4(s, `${tag}${i}b`)]), key, extra);
    const n = MINES.length * 2;
    await waitFor(`${n} alerts on both screens`, () => fired(wa, tag).length >= n && fired(wb, tag).length >= n, 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // a duplicate would arrive by now
    for (const ws of [wa, wb]) {
      const sensors = fired(ws, tag).map((f) => alertOf(f)!.labels.sensorId).sort();
      expect(sensors).toEqual([...new Set(sensors)]);
      expect(sensors).toHaveLength(n);
    }
    // risk.alerts: one fired event per sensor, no fingerprint twice
    const log = (await c.alertLog()).filter((e) => e.event.kind === 'fired' && (e.event.alert as { ruleId?: string }).ruleId === 'mine.ch4.face' && String(e.event.alert.labels.sensorId ?? '').startsWith(tag));
    expect(log).toHaveLength(n);
    expect(new Set(log.map((e) => e.event.alert.fingerprint)).size).toBe(n);
    // nothing about a mine was computed on an instance that does not own it (and so left unsaid)
    expect((await a.metric('riskstream_transitions_not_owned_total', 'domain="mine"')) + (await b.metric('riskstream_transitions_not_owned_total', 'domain="mine"'))).toBe(0);
    const moved = (await forwarded()) - before;
    if (forwarding === 'none') expect(moved).toBe(0);
    else expect(moved).toBeGreaterThan(0);
  }, 60_000);

  it('site correlations still hold whatever partition each record lands on: 断电失效 (power-off failure) is raised where no power-off came, and not where one did', async () => {
    // per mine: a face sensor over the power-off value followed by that area's power-off feedback
    // (keyed by sensorId and unkeyed: on different partitions), and a heading sensor with none
    const now = Date.now();
    const face = FACE_SENSORS.map(([siteId, sensorId]) => ({ ...ch4(siteId, sensorId), ts: now }));
    const heading = HEADING_SENSORS.map(([siteId, sensorId]) => ({ ...ch4(siteId, sensorId), location: 'heading_face', ts: now }));
    kcat(`${c.prefix}risk.mine.telemetry`, [...face, ...heading], (v) => String(v.sensorId));
    await new Promise((r) => setTimeout(r, 1000));
    kcat(`${c.prefix}risk.mine.telemetry`, FACE_SENSORS.map(([siteId, , areaId]) => ({ type: 'mine.power', siteId, areaId, state: 'off', ts: now + 2000 })), undefined);
    const failures = async () => (await c.alertLog()).filter((e) => e.event.kind === 'fired' && (e.event.alert as { ruleId?: string }).ruleId === 'mine.power-off-failure');
    await waitFor('断电失效 for every heading sensor', async () => (await failures()).length >= HEADING_SENSORS.length, 40_000);
    await new Promise((r) => setTimeout(r, 3000));
    const sensors = (await failures()).map((e) => e.event.alert.labels.sensorId).sort();
    expect(sensors).toEqual(HEADING_SENSORS.map(([, id]) => id).sort());
  }, 60_000);

  it.each<[string, string, ((v: Record<string, unknown>) => string) | undefined, string[]]>([
    ['default partitioner', 'CH4-KILLDEF-', (v) => String(v.siteId), []],
    ['murmur2 partitioner', 'CH4-KILLMUR-', (v) => String(v.siteId), ['-X', 'topic.partitioner=murmur2_random']],
    ['unkeyed', 'CH4-KILLNON-', undefined, []],
    ['keyed by sensorId', 'CH4-KILLSEN-', (v) => String(v.sensorId), []],
  ])('kill -9 of one instance mid-stream (%s): every alert still arrives once, on the survivor’s screen and in risk.alerts', async (_name, tag, key, extra) => {
    if (b.proc.exitCode !== null || b.proc.signalCode !== null) {
      // the previous case killed b: a fresh b joins, and the two share the partitions again
      b = await c.start(`b-${tag}`);
      await waitFor('a and the new b share the partitions', async () => (await a.metric('riskstream_kafka_assigned_partitions')) < 6 && (await b.metric('riskstream_kafka_assigned_partitions')) > 0, 60_000);
    }
    kcat(`${c.prefix}risk.mine.telemetry`, MINES.map((s, i) => ch4(s, `${tag}${i}a`)), key, extra);
    await waitFor('the first half on a', () => fired(wa, tag).length >= MINES.length, 20_000);
    await b.kill();
    kcat(`${c.prefix}risk.mine.telemetry`, MINES.map((s, i) => ch4(s, `${tag}${i}b`)), key, extra);
    await waitFor('every alert on a after the takeover', () => fired(wa, tag).length >= MINES.length * 2, 75_000);
    await new Promise((r) => setTimeout(r, 2000));
    const sensors = fired(wa, tag).map((f) => alertOf(f)!.labels.sensorId).sort();
    expect(sensors).toEqual([...new Set(sensors)]);
    expect(sensors).toHaveLength(MINES.length * 2);
    const log = (await c.alertLog()).filter((e) => e.event.kind === 'fired' && (e.event.alert as { ruleId?: string }).ruleId === 'mine.ch4.face' && String(e.event.alert.labels.sensorId ?? '').startsWith(tag));
    expect(log).toHaveLength(MINES.length * 2);
  }, 150_000);

  // adversarial finding F1: a power-off held up on the dead instance's partition for the session
  // timeout lets the survivor's wall-clock 10 s window run out (a 断电失效 raised, then resolved when
  // the feedback arrives — not avoided, see the issue note); a reading produced after the kill on a
  // partition the dead instance had never committed was skipped as "before the group started" (fixed)
  it('kill -9 of one instance mid-stream: 断电失效 is raised once for every area without a power-off; one with a power-off held up by the dead instance is at most raised and resolved when it arrives (the adversarial review found 38 missed, 43 false of which 32 stayed open)', async () => {
    if (b.proc.exitCode !== null || b.proc.signalCode !== null) {
      b = await c.start('b-corr');
      await waitFor('a and the new b share the partitions', async () => (await a.metric('riskstream_kafka_assigned_partitions')) < 6 && (await b.metric('riskstream_kafka_assigned_partitions')) > 0, 60_000);
    }
    // per mine and round k: a made-up face sensor over the power-off value in area KCOR<k>; for even
    // k that area's power-off feedback 2 s later (readings keyed by sensorId, power-offs by area:
    // different partitions, librdkafka's default partitioner); b dies after the third round
    const ROUNDS = 6;
    const area = (k: number) => `KCOR${k}`;
    for (let k = 0; k < ROUNDS; k++) {
      const ts = Date.now();
      kcat(`${c.prefix}risk.mine.telemetry`, MINES.map((siteId) => ({ ...ch4(siteId, `CH4-KCOR-${siteId}-${k}`), areaId: area(k), ts })), (v) => String(v.sensorId));
      if (k % 2 === 0) setTimeout(() => kcat(`${c.prefix}risk.mine.telemetry`, MINES.map((siteId) => ({ type: 'mine.power', siteId, areaId: area(k), state: 'off', ts: ts + 2000 })), (v) => String(v.areaId)), 2000);
      if (k === 2) await b.kill();
      await new Promise((r) => setTimeout(r, 1000));
    }
    // an operator acknowledges one of the dead instance's alerts before anyone took over: accepted
    // (202, not a 200 that still says "firing"), and applied once the survivor adopts the alert
    const ofB = (await c.alertLog()).find((e) => e.event.kind === 'fired' && String(e.headers['x-instance'] ?? '').includes('-b-') && e.event.alert.state === 'firing');
    expect(ofB, 'an alert raised by b').toBeDefined();
    const ackRes = await fetch(`${a.url}/api/v1/alerts/${ofB!.event.alert.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${await c.token('operator')}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: '主人已宕机时确认' }) });
    expect([200, 202]).toContain(ackRes.status);
    if (ackRes.status === 202) expect(((await ackRes.json()) as { state: string }).state).toBe('firing');
    await waitFor('the ack applied after the takeover', async () => (await c.alertLog()).some((e) => e.event.kind === 'acknowledged' && e.event.alert.id === ofB!.event.alert.id), 60_000);
    const events = async (kind: string) =>
      (await c.alertLog()).filter((e) => e.event.kind === kind && (e.event.alert as { ruleId?: string }).ruleId === 'mine.power-off-failure' && String(e.event.alert.labels.areaId ?? '').startsWith('KCOR')).map((e) => `${e.event.alert.siteId}/${e.event.alert.labels.areaId}`);
    const odd = MINES.flatMap((siteId) => [1, 3, 5].map((k) => `${siteId}/${area(k)}`)).sort();
    await waitFor('断电失效 for every area without a power-off', async () => {
      const fired = new Set(await events('fired'));
      return odd.every((x) => fired.has(x));
    }, 90_000).catch(async (err: unknown) => {
      const fired = new Set(await events('fired'));
      const face = (await c.alertLog()).filter((e) => (e.event.alert as { ruleId?: string }).ruleId === 'mine.ch4.face' && String(e.event.alert.labels.sensorId ?? '').startsWith('CH4-KCOR')).map((e) => `${e.event.kind}:${e.event.alert.labels.sensorId}`);
      const m = (await (await fetch(`${a.url}/metrics`)).text()).split('\n').filter((l) => /not_owned|late|rejected|limit|riskstream_kafka_|unknown/.test(l) && !l.startsWith('#')).join(' | ');
      console.log('METRICS', m);
      throw new Error(`${(err as Error).message}; missing: ${odd.filter((x) => !fired.has(x)).join(', ')}; fired: ${[...fired].sort().join(', ')}; face: ${face.sort().join(', ')}; dlq: ${(await c.dlq()).length}`);
    });
    await new Promise((r) => setTimeout(r, 5000)); // a late power-off has resolved its false alarm by now
    const fired = await events('fired');
    // every area without a power-off: raised, exactly once
    for (const x of odd) expect(fired.filter((y) => y === x), x).toHaveLength(1);
    // an area whose power-off came: never left open (raised only if its feedback was held up on
    // the dead instance's partition past the 10 s window, then resolved when it arrived)
    const resolved = new Set(await events('resolved'));
    const falseAlarms = fired.filter((x) => !odd.includes(x));
    for (const x of falseAlarms) expect(resolved.has(x), `${x} raised without cause and left open`).toBe(true);
    console.log(`[kill -9 correlation] ${odd.length} raised as they should; ${falseAlarms.length} raised while their power-off was held up on the dead instance, all resolved`);
  }, 180_000);
});
