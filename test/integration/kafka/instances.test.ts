// Several riskstream instances in one consumer group on the real broker: they share the keyed
// partitions, every screen sees every alert in one order (seq = offset + 1 on every instance),
// a kill -9 mid-stream loses no alert and opens no duplicate, and a restarted partition's window
// state is rebuilt by the warm-up replay.
import { afterEach, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../../helpers/services.ts';
import { BROKERS, createTestCluster, waitFor, type Instance, type TestCluster } from '../../helpers/kafka.ts';
import { connectWs, type WsProbe } from '../../helpers/ws.ts';

const HAVE_KAFKA = serviceAvailable('kafka instances', BROKERS.length > 0, 'RISKSTREAM_KAFKA_BROKERS is not set (start a broker with `bash deploy/local/kafka.sh start` and export its BOOTSTRAP)');

const MINES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01', 'cm-ags-01'];
const ch4 = (siteId: string, sensorId: string, value: number, location = 'coal_face') => ({ type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location, value, unit: '%', ts: Date.now() });
type Frame = Record<string, unknown>;
const sensorOf = (f: Frame) => (f.alert as { labels: Record<string, string> } | undefined)?.labels.sensorId;
const firedFor = (ws: WsProbe, prefix: string) => ws.frames.filter((f) => f.type === 'alert' && f.kind === 'fired' && String(sensorOf(f) ?? '').startsWith(prefix));

async function assigned(i: Instance): Promise<number> {
  return i.metric('riskstream_kafka_assigned_partitions');
}

describe.runIf(HAVE_KAFKA)('kafka mode: instances in one group', () => {
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('two instances share the partitions, and a screen on either sees every alert with the same seq', async () => {
    c = await createTestCluster();
    const a = await c.start('a');
    const b = await c.start('b');
    await waitFor('both instances own partitions', async () => (await assigned(a)) > 0 && (await assigned(b)) > 0 && (await assigned(a)) + (await assigned(b)) === 6);
    const wa = await connectWs(a.url, await c.token('viewer'));
    const wb = await connectWs(b.url, await c.token('viewer'));
    await wa.next((f) => f.type === 'snapshot');
    await wb.next((f) => f.type === 'snapshot');
    await c.produce('risk.mine.telemetry', MINES.map((s, i) => ch4(s, `CH4-TWO-${i}`, 1.6)));
    await waitFor('every alert on both screens', () => firedFor(wa, 'CH4-TWO-').length === MINES.length && firedFor(wb, 'CH4-TWO-').length === MINES.length, 20_000);
    const seqs = (ws: WsProbe) => firedFor(ws, 'CH4-TWO-').map((f) => `${sensorOf(f)}@${f.seq}`).sort();
    expect(seqs(wa)).toEqual(seqs(wb));
    // a screen that followed a resumes on b after a failover: `since` replays what it missed, same seqs
    const seenOnA = firedFor(wa, 'CH4-TWO-').map((f) => f.seq as number).sort((x, y) => x - y);
    const resumed = await connectWs(b.url, await c.token('viewer'));
    resumed.ws.send(JSON.stringify({ type: 'subscribe', since: seenOnA[0]! - 1 }));
    await waitFor('the replay after `since`', () => seenOnA.every((q) => resumed.frames.some((f) => f.type === 'alert' && f.seq === q)), 10_000);
    resumed.close();
    // both instances raised alerts: the work was shared
    const log = (await c.alertLog()).filter((e) => String(e.event.alert.labels.sensorId ?? '').startsWith('CH4-TWO-') && e.event.kind === 'fired');
    expect(log).toHaveLength(MINES.length);
    expect(new Set(log.map((e) => e.headers['x-instance']?.split('-').slice(0, -1).join('-'))).size).toBe(2);
    // an operator on b acknowledges an alert that a owns (and the other way round): both screens see it
    const token = await c.token('operator');
    for (const e of log) {
      const via = e.headers['x-instance']!.includes('-a-') ? b : a;
      const r = await fetch(`${via.url}/api/v1/alerts/${e.event.alert.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { state: string }).state).toBe('acknowledged');
    }
    await waitFor('acks on both screens', () => [wa, wb].every((ws) => ws.frames.filter((f) => f.kind === 'acknowledged' && String(sensorOf(f)).startsWith('CH4-TWO-')).length === MINES.length), 15_000);
    // a manual resolve through the instance that does not own the alert
    const first = log[0]!;
    const other = first.headers['x-instance']!.includes('-a-') ? b : a;
    const rr = await fetch(`${other.url}/api/v1/alerts/${first.event.alert.id}/resolve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: '现场复核正常' }) });
    expect(rr.status).toBe(200);
    expect(((await rr.json()) as { state: string }).state).toBe('resolved');
    await waitFor('the resolve on both screens', () => [wa, wb].every((ws) => ws.frames.some((f) => f.kind === 'resolved' && (f.alert as { id: string }).id === first.event.alert.id)), 15_000);
    // a silence made on one instance covers an alert the other instance owns: it is marked silenced there
    const owner = first.headers['x-instance']!.includes('-a-') ? a : b;
    const site = first.event.alert.siteId!;
    const sr = await fetch(`${other.url}/api/v1/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: { siteId: site }, endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: '检修工单 WO-IT-1' }),
    });
    expect(sr.status).toBeLessThan(300);
    const silenceId = ((await sr.json()) as { id: string }).id;
    await waitFor('the silence known to the owner', async () => {
      const list = (await (await fetch(`${owner.url}/api/v1/silences`, { headers: { authorization: `Bearer ${token}` } })).json()) as { silences?: { id: string }[] } | { id: string }[];
      const items = Array.isArray(list) ? list : (list.silences ?? []);
      return items.some((x) => x.id === silenceId);
    }, 10_000);
    await c.produce('risk.mine.telemetry', [ch4(site, 'CH4-TWO-SILENCED', 1.6)]);
    const silenced = await wa.next((f) => f.type === 'alert' && f.kind === 'fired' && sensorOf(f) === 'CH4-TWO-SILENCED', 15_000);
    expect((silenced.alert as { labels: Record<string, string> }).labels).toMatchObject({ silenced: 'true', silenceId });
    wa.close();
    wb.close();
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 120_000);

  it('kill -9 of one instance mid-stream loses no alert and opens no duplicate', async () => {
    c = await createTestCluster();
    const a = await c.start('a');
    const b = await c.start('b');
    await waitFor('both instances own partitions', async () => (await assigned(a)) + (await assigned(b)) === 6 && (await assigned(a)) > 0);
    const wb = await connectWs(b.url, await c.token('viewer'));
    await wb.next((f) => f.type === 'snapshot');
    // 40 rounds of 100 ms: background readings at every mine, and 2 alerting sensors per round; each
    // alerting sensor reports 1.6 % three times (rounds r, r+5, r+10), so redelivered events meet open alerts
    const rounds = 40;
    const alerting = new Set<string>();
    let killedAt = -1;
    for (let r = 0; r < rounds; r++) {
      const batch: object[] = [];
      for (const [i, s] of MINES.entries()) for (let k = 0; k < 20; k++) batch.push(ch4(s, `BG-${i}-${k}`, 0.2, 'return_airway'));
      for (const back of [0, 5, 10]) {
        const rr = r - back;
        if (rr < 0 || rr >= rounds - 10) continue;
        for (let j = 0; j < 2; j++) {
          const site = MINES[(rr * 2 + j) % MINES.length]!;
          const sensor = `CH4-K9-${rr}-${j}`;
          alerting.add(sensor);
          batch.push(ch4(site, sensor, 1.6));
        }
      }
      await c.produce('risk.mine.telemetry', batch);
      if (r === 15) {
        await a.kill();
        killedAt = r;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(killedAt).toBe(15);
    await waitFor('b owns every partition', async () => (await assigned(b)) === 6, 60_000);
    await waitFor('every event processed and committed', () => c!.caughtUp(), 60_000);
    await waitFor('an alert for every alerting sensor on the surviving screen', () => new Set(firedFor(wb, 'CH4-K9-').map(sensorOf)).size === alerting.size, 30_000);
    const fired = (await c.alertLog()).filter((e) => e.event.kind === 'fired' && String(e.event.alert.labels.sensorId ?? '').startsWith('CH4-K9-'));
    // distinct alerts per sensor (a send retried after a timeout may repeat the same event in the log; screens drop it)
    const perSensor = new Map<string, Set<string>>();
    for (const e of fired) (perSensor.get(e.event.alert.labels.sensorId!) ?? perSensor.set(e.event.alert.labels.sensorId!, new Set()).get(e.event.alert.labels.sensorId!)!).add(e.event.alert.id);
    expect([...alerting].filter((s) => !perSensor.has(s))).toEqual([]); // none lost
    expect([...perSensor].filter(([, ids]) => ids.size > 1)).toEqual([]); // none opened twice
    // the screen saw each once, and the view agrees: every one is open
    expect(firedFor(wb, 'CH4-K9-')).toHaveLength(alerting.size);
    const open = (await (await fetch(`${b.url}/api/v1/alerts`, { headers: { authorization: `Bearer ${await c.token('viewer')}` } })).json()) as { alerts: { labels: Record<string, string> }[] };
    expect(open.alerts.filter((x) => String(x.labels.sensorId).startsWith('CH4-K9-'))).toHaveLength(alerting.size);
    wb.close();
    expect(await b.stop()).toBe(0);
  }, 180_000);

  it('a new owner rebuilds window state from the warm-up replay and emits nothing twice', async () => {
    c = await createTestCluster();
    const a = await c.start('a');
    const site = 'cm-shm-01';
    // a rise rule needs the earlier reading: 0.2 % now, 0.6 % after the restart is a rise of 0.4 % in 5 min
    const wa = await connectWs(a.url, await c.token('viewer'));
    await wa.next((f) => f.type === 'snapshot');
    await c.produce('risk.mine.telemetry', [ch4(site, 'CH4-WARM', 0.2), ch4(site, 'CH4-WARM-RED', 1.6)]);
    await wa.next((f) => f.type === 'alert' && sensorOf(f) === 'CH4-WARM-RED', 10_000);
    await waitFor('offsets committed', () => c!.caughtUp());
    wa.close();
    expect(await a.stop()).toBe(0);
    const b = await c.start('b');
    const wb = await connectWs(b.url, await c.token('viewer'));
    const snap = await wb.next((f) => f.type === 'snapshot');
    // the red alert raised by a is open on b's screen, not raised again
    expect((snap.alerts as { labels: Record<string, string> }[]).some((x) => x.labels.sensorId === 'CH4-WARM-RED')).toBe(true);
    await waitFor('b owns every partition', async () => (await assigned(b)) === 6);
    await waitFor('b warmed up', async () => (await b.metric('riskstream_kafka_warmup_events_total')) >= 2);
    await c.produce('risk.mine.telemetry', [ch4(site, 'CH4-WARM', 0.6)]);
    const rise = await wb.next((f) => f.type === 'alert' && f.kind === 'fired' && sensorOf(f) === 'CH4-WARM', 10_000);
    expect((rise.alert as { ruleId: string }).ruleId).toBe('mine.ch4.rise');
    await waitFor('caught up', () => c!.caughtUp());
    const log = await c.alertLog();
    expect(log.filter((e) => e.event.kind === 'fired' && e.event.alert.labels.sensorId === 'CH4-WARM-RED')).toHaveLength(1);
    wb.close();
    expect(await b.stop()).toBe(0);
  }, 120_000);

  it('an ack made while no instance holds the alert live is applied when an owner adopts it (and only once)', async () => {
    c = await createTestCluster();
    const a = await c.start('a');
    const wa = await connectWs(a.url, await c.token('viewer'));
    await wa.next((f) => f.type === 'snapshot');
    await c.produce('risk.mine.telemetry', [ch4('cm-shm-01', 'CH4-ORPHAN-ACK', 1.6)]);
    const fired = await wa.next((f) => f.type === 'alert' && f.kind === 'fired' && sensorOf(f) === 'CH4-ORPHAN-ACK', 15_000);
    const id = (fired.alert as { id: string }).id;
    wa.close();
    expect(await a.stop()).toBe(0);
    // the instance that took the ack wrote it to the commands topic, then every instance went away before an owner applied it
    const at = new Date().toISOString();
    await c.producer.send({ topic: `${c.prefix}risk.alerts.commands`, acks: -1, messages: [{ key: id, value: JSON.stringify({ type: 'ack', alertId: id, by: '值班员张伟', at, note: '已通知撤人' }) }] });
    const b = await c.start('b');
    const acked = () => c!.alertLog().then((log) => log.filter((e) => e.event.kind === 'acknowledged' && e.event.alert.id === id));
    await waitFor('the ack applied by the new owner', async () => (await acked()).length > 0, 30_000);
    expect((await acked())[0]!.event.alert).toMatchObject({ state: 'acknowledged' });
    // a restart of that owner reads the same command again and does not apply it twice
    expect(await b.stop()).toBe(0);
    const b2 = await c.start('b2');
    await waitFor('b2 owns the partitions', async () => (await b2.metric('riskstream_kafka_assigned_partitions')) === 6);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await acked()).toHaveLength(1);
  }, 120_000);
});
