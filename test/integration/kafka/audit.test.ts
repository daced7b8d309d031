// The audit trail in Kafka mode: every instance process appends its alert events (acks and
// resolves included), silences and texts to risk.audit as a hash chain of its own, and
// `riskstream audit verify --kafka` checks every chain. Kafka has no in-place edit: the tampered
// trails here are copies of the real one (as restored from a doctored backup or rewritten by
// someone with write access) with one byte edited, one record removed, or two records swapped.
import { afterEach, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../../helpers/services.ts';
import { runCli } from '../../helpers/cli.ts';
import { BROKERS, createTestCluster, waitFor, type TestCluster } from '../../helpers/kafka.ts';

const HAVE_KAFKA = serviceAvailable('kafka audit trail', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set (start a broker with `bash deploy/local/kafka.sh start` and export its BOOTSTRAP)');
const MINES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01'];
const ch4 = (siteId: string, i: number) => ({ type: 'mine.reading', siteId, sensorId: `CH4-AUD-${i}`, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Date.now() });

interface Rec {
  key: string | null;
  value: string;
}

describe.runIf(HAVE_KAFKA)('kafka mode: the hash-chained audit trail', () => {
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  /** readTopic: every record of a 1-partition topic, in offset order */
  async function readTopic(topic: string): Promise<Rec[]> {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'audit-test', brokers: c!.brokers, logLevel: logLevel.NOTHING });
    const [p] = await c!.admin.fetchTopicOffsets(topic);
    const high = Number(p!.high);
    const out: Rec[] = [];
    if (high === 0) return out;
    const consumer = kafka.consumer({ groupId: `audit-test-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          out.push({ key: message.key?.toString() ?? null, value: message.value!.toString('utf8') });
          if (Number(message.offset) + 1 >= high) resolve();
        },
      });
    });
    await consumer.disconnect();
    return out;
  }

  async function copyTo(name: string, records: Rec[]): Promise<string> {
    const topic = `${c!.prefix}${name}`;
    await c!.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await c!.producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value })) });
    return topic;
  }

  const verify = (topic?: string, ...more: string[]) => runCli(['audit', 'verify', '--kafka', c!.brokers.join(','), ...(topic ? ['--topic', topic] : []), ...more], { env: { RISKSTREAM_KAFKA_TOPIC_PREFIX: c!.prefix }, timeoutMs: 90_000 });

  it('alert events, an ack, a resolve, a silence and texts of two instances are chained; verify finds an edited byte, a removed record and two swapped ones', async () => {
    c = await createTestCluster();
    const fast = { RISKSTREAM_NOTIFY_GROUP_WAIT: '1s', RISKSTREAM_NOTIFY_GROUP_INTERVAL: '2s' };
    const a = await c.start('a', { env: fast });
    const b = await c.start('b', { env: fast });
    await c.produce('risk.mine.telemetry', MINES.map((s, i) => ch4(s, i)));
    await waitFor('an alert per mine in the alert log', async () => (await c!.alertLog()).filter((e) => e.event.kind === 'fired').length >= MINES.length, 30_000);
    const raised = (await c.alertLog()).filter((e) => e.event.kind === 'fired');
    const token = await c.token('operator');
    const ack = await fetch(`${a.url}/api/v1/alerts/${raised[0]!.event.alert.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: '已通知矿调度' }) });
    expect(ack.status).toBe(200);
    const res = await fetch(`${b.url}/api/v1/alerts/${raised[1]!.event.alert.id}/resolve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: '传感器校准' }) });
    expect(res.status).toBe(200);
    const sil = await fetch(`${b.url}/api/v1/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: { siteId: MINES[4] }, endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: '检修工单 WO-AUD-1' }),
    });
    expect(sil.status).toBeLessThan(300);

    const trail = `${c.prefix}risk.audit`;
    const kinds = (recs: Rec[]) => recs.map((r) => (JSON.parse(r.value) as { kind: string }).kind);
    await waitFor('alert events, the ack, the resolve, the silence and texts in the trail', async () => {
      const recs = await readTopic(trail);
      const k = kinds(recs);
      const alertEvents = recs.filter((r) => (JSON.parse(r.value) as { kind: string }).kind === 'alert').map((r) => (JSON.parse(r.value) as { record: { event: { kind: string } } }).record.event.kind);
      return k.includes('silence') && k.includes('text') && alertEvents.includes('acknowledged') && alertEvents.includes('resolved') && alertEvents.filter((x) => x === 'fired').length >= MINES.length;
    }, 30_000);
    const recs = await readTopic(trail);
    const writers = new Set(recs.map((r) => r.key));
    expect(writers.size).toBe(2);

    // the real trail is whole
    const ok = await verify();
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    // (a record or two may have landed since it was read)
    const okCount = Number(/^ok: (\d+) records of 2 writer\(s\)/.exec(ok.stdout)?.[1]);
    expect(okCount).toBeGreaterThanOrEqual(recs.length);

    // a record in the middle of one writer's chain, and the one after it in the same chain
    const w = recs[0]!.key;
    const own = recs.map((r, i) => ({ r, i })).filter((x) => x.r.key === w);
    expect(own.length).toBeGreaterThanOrEqual(4);
    const mid = own[1]!.i;
    const next = own[2]!.i;

    // one byte edited (a digit of the record, still valid JSON)
    const edited = recs.map((r, i) => (i === mid ? { ...r, value: r.value.replace(/"at":(\d)/, (_m, d: string) => `"at":${(Number(d) + 1) % 10}`) } : r));
    expect(edited[mid]!.value).not.toBe(recs[mid]!.value);
    expect(edited[mid]!.value.length).toBe(recs[mid]!.value.length);
    const e = await verify(await copyTo('audit-edited', edited));
    expect(e.code).toBe(1);
    // the edited record still links to its predecessor; the record after it no longer does
    expect(e.stdout).toContain(`@${next} `);
    expect(e.stdout).toMatch(/prev does not match/);

    // one record removed
    const d = await verify(await copyTo('audit-deleted', recs.filter((_r, i) => i !== mid)));
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/^BROKEN /);

    // two records of one chain swapped
    const swapped = [...recs];
    [swapped[mid], swapped[next]] = [swapped[next]!, swapped[mid]!];
    const s = await verify(await copyTo('audit-swapped', swapped));
    expect(s.code).toBe(1);
    expect(s.stdout).toContain(`@${Math.min(mid, next)} `);

    // the first record of a chain removed: the chain no longer starts at record 1
    const head = await verify(await copyTo('audit-headless', recs.filter((_r, i) => i !== own[0]!.i)));
    expect(head.code).toBe(1);
    expect(head.stdout).toMatch(/must start with record 1/);

    // the head of the topic deleted (kafka deleteRecords; risk.audit never expires anything): a break,
    // unless the operator says a retention was set on purpose
    const cutTopic = await copyTo('audit-cut', recs);
    // (kafkajs needs the topic's leader in its metadata first)
    await c.admin.fetchTopicMetadata({ topics: [cutTopic] });
    await c.admin.deleteTopicRecords({ topic: cutTopic, partitions: [{ partition: 0, offset: '3' }] });
    const cut = await verify(cutTopic);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/first 3 records of the trail are gone/);
    const allowed = await verify(cutTopic, '--allow-cut');
    expect(allowed.stdout).toMatch(/^ok: /);
    expect(allowed.code).toBe(0);
  }, 240_000);
});
