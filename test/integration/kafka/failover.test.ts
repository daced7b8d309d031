// Broker failures, on private clusters started by deploy/local/kafka.sh (own ports and data dir,
// so the shared broker other suites use is never touched): a single broker restarted with SIGTERM
// and with SIGKILL while an instance runs, and a three-node cluster (replication 3, min.insync 2)
// whose partition leader is killed mid-stream. Needs the machine's JDK and the Maven-fetched jars.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../../helpers/services.ts';
import { BROKERS, createTestCluster, kafkaSh, startLocalKafka, waitFor, type TestCluster } from '../../helpers/kafka.ts';
import { connectWs, type WsProbe } from '../../helpers/ws.ts';

// the private clusters need what the shared broker needs: when CI has a broker, it has the jars and a JDK
const HAVE_KAFKA = serviceAvailable('kafka failover', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set (this suite starts its own clusters with deploy/local/kafka.sh, like the shared one)');

const ch4 = (siteId: string, sensorId: string, value: number, location = 'coal_face') => ({ type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location, value, unit: '%', ts: Date.now() });
const MINES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01', 'cm-ags-01'];
const sensorOf = (f: Record<string, unknown>) => (f.alert as { labels: Record<string, string> } | undefined)?.labels.sensorId;
const fired = (ws: WsProbe, prefix: string) => new Set(ws.frames.filter((f) => f.type === 'alert' && f.kind === 'fired' && String(sensorOf(f) ?? '').startsWith(prefix)).map(sensorOf));

/** produceRetrying: the test's own producer may also hit the outage; retry until the brokers take it. */
async function produceRetrying(c: TestCluster, values: object[]): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await c.produce('risk.mine.telemetry', values);
      return;
    } catch (err) {
      if (i > 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe.runIf(HAVE_KAFKA)('kafka mode: a single broker restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riskstream-kafka-restart-'));
  let brokers: string[] = [];
  let c: TestCluster;
  beforeAll(async () => {
    brokers = await startLocalKafka(dir, 1);
    c = await createTestCluster({ brokers });
  }, 240_000);
  afterAll(async () => {
    await c?.close().catch(() => undefined);
    await kafkaSh(dir, 'stop').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  for (const mode of ['SIGTERM', 'SIGKILL'] as const) {
    it(`the instance survives a broker ${mode} and restart: nothing produced before, during or after is lost`, async () => {
      const a = await c.start(`restart-${mode}`);
      const ws = await connectWs(a.url, await c.token('viewer'));
      await ws.next((f) => f.type === 'snapshot');
      const tag = `CH4-BR-${mode}-`;
      await produceRetrying(c, [ch4('cm-shm-01', `${tag}before`, 1.6)]);
      await waitFor('the alert before the restart', () => fired(ws, tag).has(`${tag}before`), 15_000);
      // produced and acknowledged by the broker, then the broker goes down before the instance may have read it
      await produceRetrying(c, [ch4('cm-shm-02', `${tag}edge`, 1.6)]);
      await kafkaSh(dir, 'kill', '1', ...(mode === 'SIGKILL' ? ['-9'] : []));
      await new Promise((r) => setTimeout(r, 3000));
      await kafkaSh(dir, 'restart', '1');
      await produceRetrying(c, [ch4('cm-edz-01', `${tag}after`, 1.6)]);
      await waitFor('the alerts from around and after the restart on the same screen', () => fired(ws, tag).has(`${tag}edge`) && fired(ws, tag).has(`${tag}after`), 90_000);
      expect(a.proc.exitCode).toBeNull(); // still the same process
      const log = (await c.alertLog()).filter((e) => e.event.kind === 'fired' && String(e.event.alert.labels.sensorId).startsWith(tag));
      expect(log.map((e) => e.event.alert.labels.sensorId).sort()).toEqual([`${tag}after`, `${tag}before`, `${tag}edge`]);
      ws.close();
      expect(await a.stop()).toBe(0);
    }, 240_000);
  }
});

describe.runIf(HAVE_KAFKA)('kafka mode: a three-node cluster loses its partition leader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riskstream-kafka-3n-'));
  let c: TestCluster;
  beforeAll(async () => {
    const brokers = await startLocalKafka(dir, 3);
    c = await createTestCluster({ brokers, replication: 3 });
  }, 300_000);
  afterAll(async () => {
    await c?.close().catch(() => undefined);
    await kafkaSh(dir, 'stop').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('kill -9 of the leader of the alert log and of a telemetry partition mid-stream loses nothing', async () => {
    const a = await c.start('three');
    const ws = await connectWs(a.url, await c.token('viewer'));
    await ws.next((f) => f.type === 'snapshot');
    const md = await c.admin.fetchTopicMetadata({ topics: [`${c.prefix}risk.alerts`] });
    const leader = md.topics[0]!.partitions[0]!.leader;
    expect([1, 2, 3]).toContain(leader);
    // Kafka spreads leadership round-robin: the same node leads telemetry partitions too
    const tele = await c.admin.fetchTopicMetadata({ topics: [`${c.prefix}risk.mine.telemetry`] });
    expect(tele.topics[0]!.partitions.filter((p) => p.leader === leader).length).toBeGreaterThan(0);
    const tag = 'CH4-3N-';
    const sent = new Set<string>();
    for (let r = 0; r < 30; r++) {
      const batch: object[] = [];
      for (const [i, s] of MINES.entries()) batch.push(ch4(s, `BG3-${i}`, 0.2, 'return_airway'));
      const sensor = `${tag}${r}`;
      batch.push(ch4(MINES[r % MINES.length]!, sensor, 1.6));
      await produceRetrying(c, batch);
      sent.add(sensor);
      if (r === 10) await kafkaSh(dir, 'kill', String(leader), '-9');
      await new Promise((res) => setTimeout(res, 200));
    }
    await waitFor('every alert on the screen', () => fired(ws, tag).size === sent.size, 90_000);
    const log = (await c.alertLog()).filter((e) => e.event.kind === 'fired' && String(e.event.alert.labels.sensorId).startsWith(tag));
    // distinct alerts per sensor (a send retried after a timeout may repeat the same event in the log; screens drop it)
    const per = new Map<string, Set<string>>();
    for (const e of log) (per.get(e.event.alert.labels.sensorId!) ?? per.set(e.event.alert.labels.sensorId!, new Set()).get(e.event.alert.labels.sensorId!)!).add(e.event.alert.id);
    expect([...sent].filter((s) => !per.has(s))).toEqual([]);
    expect([...per].filter(([, ids]) => ids.size > 1)).toEqual([]);
    expect(fired(ws, tag).size).toBe(sent.size);
    expect(ws.frames.filter((f) => f.type === 'alert' && f.kind === 'fired' && String(sensorOf(f)).startsWith(tag))).toHaveLength(sent.size);
    // the alert log moved to another leader
    const after = await c.admin.fetchTopicMetadata({ topics: [`${c.prefix}risk.alerts`] });
    expect(after.topics[0]!.partitions[0]!.leader).not.toBe(leader);
    expect(a.proc.exitCode).toBeNull();
    ws.close();
    expect(await a.stop()).toBe(0);
  }, 300_000);
});
