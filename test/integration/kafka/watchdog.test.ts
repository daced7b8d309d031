// The Kafka adapter's watchdogs against a real broker that stops answering (SIGSTOP via
// deploy/local/kafka.sh pause — the "silent stop" kafkajs cannot see): the consumer that stopped
// fetching is recreated and goes on after the broker resumes; a send is retried until it succeeds;
// a send that cannot succeed within its deadline is refused, so the app stops instead of lying.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaCluster } from '../../../src/adapters/kafka/cluster.ts';
import type { Cluster, ClusterHandlers } from '../../../src/ports/index.ts';
import type { Event } from '../../../src/contracts/events.ts';
import { serviceAvailable } from '../../helpers/services.ts';
import { BROKERS, createTestCluster, kafkaSh, startLocalKafka, waitFor, type TestCluster } from '../../helpers/kafka.ts';

const HAVE_KAFKA = serviceAvailable('kafka watchdog', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set (this suite starts its own broker with deploy/local/kafka.sh, like the shared one)');

const reading = (sensorId: string) => ({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId, sensorType: 'CH4', location: 'coal_face', value: 0.2, unit: '%', ts: Date.now() });

describe.runIf(HAVE_KAFKA)('kafka adapter watchdogs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riskstream-kafka-wd-'));
  let c: TestCluster;
  let cluster: Cluster;
  const seen: string[] = [];
  const fatal: unknown[] = [];
  beforeAll(async () => {
    const brokers = await startLocalKafka(dir, 1);
    c = await createTestCluster({ brokers });
    cluster = createKafkaCluster({
      brokers,
      clientId: 'wd',
      groupId: c.groupId,
      topicPrefix: c.prefix,
      logger: pino({ level: process.env.RISKSTREAM_TEST_LOG ?? 'silent' }),
      warmupMs: 0,
      stallMs: 4000,
      sendDeadlineMs: 60_000,
      onFatal: (e) => fatal.push(e),
    });
    const handlers: ClusterHandlers = {
      gate: (_topic, events) => ({ events: [...events], rejections: [] }),
      async events(_topic, events) {
        for (const e of events as Event[]) seen.push((e as { sensorId: string }).sensorId);
      },
      alertEvent() {},
      alertState() {},
      async command() {},
      async assigned() {},
      warmedUp() {},
    };
    await cluster.start(handlers);
  }, 240_000);
  afterAll(async () => {
    await kafkaSh(dir, 'resume', '1').catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await cluster?.store.close().catch(() => undefined);
    await c?.close().catch(() => undefined);
    await kafkaSh(dir, 'stop').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('a consumer that stops fetching is recreated, and a send waits out the outage', async () => {
    await c.produce('risk.mine.telemetry', [reading('WD-1')]);
    await waitFor('the first event', () => seen.includes('WD-1'), 20_000);
    expect(cluster.stats().consumerRestarts ?? 0).toBe(0);
    await kafkaSh(dir, 'pause', '1');
    // published while the broker is frozen: retried, not lost
    const during = cluster.sink.publish('risk.mine.telemetry', [reading('WD-2') as never]);
    await waitFor('the watchdog recreating the consumer', () => (cluster.stats().consumerRestarts ?? 0) >= 1, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    await kafkaSh(dir, 'resume', '1');
    await during;
    await c.produce('risk.mine.telemetry', [reading('WD-3')]);
    await waitFor('events after the outage', () => seen.includes('WD-2') && seen.includes('WD-3'), 90_000);
    expect(fatal).toEqual([]);
  }, 180_000);

  it('alert events that cannot be written within the deadline are refused (the app then exits rather than show what is not durable)', async () => {
    const short = createKafkaCluster({ brokers: c.brokers, clientId: 'wd-short', groupId: `${c.groupId}-short`, topicPrefix: c.prefix, logger: pino({ level: 'silent' }), warmupMs: 0, sendDeadlineMs: 3000, onFatal: () => undefined });
    await kafkaSh(dir, 'pause', '1');
    try {
      const t0 = Date.now();
      const alert = { id: 'a-wd', fingerprint: 'f-wd', ruleId: 'r', title: 't', severity: 'red', domain: 'mine', state: 'firing', startsAt: new Date().toISOString(), updatedAt: new Date().toISOString(), summary: 's', actions: [], evidence: [], escalation: 0, acks: [], labels: {} };
      await expect(short.store.append([{ subjectKey: 'k', event: { seq: 1, kind: 'fired', at: new Date().toISOString(), alert: alert as never } }])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await kafkaSh(dir, 'resume', '1');
      await short.store.close();
    }
  }, 120_000);
});
