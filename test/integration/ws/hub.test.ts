import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, TEST_SECRET, type TestApp } from '../../helpers/app.ts';
import { createAuth } from '../../../src/auth/auth.ts';
import { ch4Face, coalMineSensors, get, gridFrequency, ingest, isErrorBody, mineReading } from '../api/http.ts';
import { openProbe, refusedUpgrade, wsUrl, type Frame, type Probe } from './probe.ts';

// The control-room WebSocket (/ws, CONTRACT.md §6) over real sockets against a real app:
// upgrade auth, frame order, resume, filters, bad frames, acks, heartbeats, backpressure, shutdown.

const MINE = 'risk.mine.telemetry';
const T0 = Date.now() - 3_600_000; // event times: an hour ago, one second apart
const SENSORS = coalMineSensors();
const alerts = (p: Probe) => p.frames.filter((f) => f.type === 'alert');
const isAlert = (f: Frame) => f.type === 'alert';
const isSnapshot = (f: Frame) => f.type === 'snapshot';
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('WebSocket hub', () => {
  const apps: TestApp[] = [];
  const probes: Probe[] = [];
  const start = async (config?: Record<string, unknown>) => {
    const t = await startTestApp(config ? { config, only: ['threshold'] } : { only: ['threshold'] });
    apps.push(t);
    return t;
  };
  const connect = async (t: TestApp, token = t.tokens.operator, opts: Parameters<typeof openProbe>[1] = {}) => {
    const p = await openProbe(wsUrl(t.baseUrl), { ...bearer(token), ...opts });
    probes.push(p);
    await p.next(isSnapshot);
    return p;
  };
  afterEach(async () => {
    for (const p of probes.splice(0)) p.ws.terminate();
    for (const a of apps.splice(0)) await a.destroy().catch(() => undefined);
  });

  describe('upgrade', () => {
    it('refuses a screen without a token (401) or with a bad one, with the error body', async () => {
      // A screen that lost its token cannot watch alerts; the refusal says why in the usual error shape.
      const t = await start();
      const none = await refusedUpgrade(wsUrl(t.baseUrl));
      expect(none.status).toBe(401);
      expect(isErrorBody(none.body, 'UNAUTHORIZED')).toBe(true);
      const forged = await refusedUpgrade(wsUrl(t.baseUrl, `${t.tokens.viewer}x`));
      expect(forged.status).toBe(401);
    });

    it('refuses an ingest-role token with 403', async () => {
      // A producer's token may post events but never read the alert stream.
      const t = await start();
      const r = await refusedUpgrade(wsUrl(t.baseUrl), bearer(t.tokens.ingest));
      expect(r.status).toBe(403);
      expect(isErrorBody(r.body, 'FORBIDDEN')).toBe(true);
    });

    it('accepts the token in ?token= (a browser cannot set headers on a WebSocket)', async () => {
      // The dashboard connects with /ws?token=… and gets its snapshot.
      const t = await start();
      const p = await openProbe(wsUrl(t.baseUrl, t.tokens.viewer));
      probes.push(p);
      expect((await p.next(isSnapshot)).alerts).toEqual([]);
    });

    it('checks the Origin: foreign origins 403, allowed and same origin connect', async () => {
      // Another web site open in the control-room browser cannot read alerts with the operator's token.
      const t = await start({ http: { host: '127.0.0.1', port: 0, allowedOrigins: ['https://screens.example'] } });
      const evil = await refusedUpgrade(wsUrl(t.baseUrl), { ...bearer(t.tokens.viewer), origin: 'https://evil.example' });
      expect(evil.status).toBe(403);
      expect(isErrorBody(evil.body, 'FORBIDDEN')).toBe(true);
      // An Origin is checked before the token, so a foreign page learns nothing about tokens.
      expect((await refusedUpgrade(wsUrl(t.baseUrl), { origin: 'https://evil.example' })).status).toBe(403);
      const allowed = await connect(t, t.tokens.viewer, { origin: 'https://screens.example' });
      expect(allowed.frames[0]!.type).toBe('snapshot');
      const same = await connect(t, t.tokens.viewer, { origin: t.baseUrl });
      expect(same.frames[0]!.type).toBe('snapshot');
    });
  });

  it('sends the snapshot first, then a burst of 50 alerts in strictly increasing seq order', async () => {
    // A screen never sees an alert event before its snapshot, nor events out of order, even when
    // 50 readings arrive on 50 concurrent requests.
    const t = await start();
    const p = await connect(t);
    const burst = SENSORS.slice(0, 50).map((s, i) => mineReading(s, T0 + i * 1000));
    expect(burst).toHaveLength(50);
    const results = await Promise.all(burst.map((e) => ingest(t, MINE, e)));
    expect(results.every((r) => r.status === 202)).toBe(true);
    const got = await p.count(isAlert, 50);
    expect(p.frames[0]!.type).toBe('snapshot');
    expect(p.frames[0]!.seq).toBe(0);
    const seqs = got.map((f) => f.seq as number);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    expect(got.every((f) => f.kind === 'fired')).toBe(true);
    expect(new Set(got.map((f) => f.alert.labels.sensorId + '@' + f.alert.siteId)).size).toBe(50);
    // 3 % CH4 at a coal face is past the 1.5 % power-off level: red.
    const face = got.find((f) => f.alert.labels.location === 'coal_face' && f.alert.labels.sensorType === 'CH4');
    expect(face?.alert.severity).toBe('red');
  });

  describe('resume with since', () => {
    it('replays exactly the events a screen missed while disconnected, in order', async () => {
      // A screen that lost its connection catches up on what it missed, without gaps or repeats.
      const t = await start();
      const a = await connect(t);
      await ingest(t, MINE, SENSORS.slice(0, 3).map((s, i) => mineReading(s, T0 + i)));
      const seen = await a.count(isAlert, 3);
      const n = seen[2]!.seq as number;
      a.close();
      await a.closed;

      const missed = await ingest(t, MINE, SENSORS.slice(3, 7).map((s, i) => mineReading(s, T0 + 10 + i)));
      expect(missed.body.accepted).toBe(4);
      const b = await connect(t);
      b.send({ type: 'subscribe', since: n });
      const replayed = await b.count(isAlert, 4);
      expect(replayed.map((f) => f.seq)).toEqual([n + 1, n + 2, n + 3, n + 4]);
      expect(replayed.map((f) => f.alert.labels.sensorId)).toEqual(SENSORS.slice(3, 7).map((s) => s.id));
      // Barrier: a live alert after the replay; nothing else may have come before it.
      await ingest(t, MINE, mineReading(SENSORS[7]!, T0 + 20));
      await b.count(isAlert, 5);
      expect(alerts(b).map((f) => f.seq)).toEqual([n + 1, n + 2, n + 3, n + 4, n + 5]);
    });

    it('sends a fresh snapshot when the missed events are no longer held (replay buffer 3)', async () => {
      // After a long outage the screen is re-synchronised with the current open alerts instead of a partial replay.
      const t = await start({ ws: { replayBuffer: 3 } });
      const a = await connect(t);
      await ingest(t, MINE, mineReading(SENSORS[0]!, T0));
      const n = (await a.next(isAlert)).seq as number;
      a.close();
      await a.closed;
      await ingest(t, MINE, SENSORS.slice(1, 6).map((s, i) => mineReading(s, T0 + 10 + i)));

      const b = await connect(t);
      b.send({ type: 'subscribe', since: n });
      const [, fresh] = await b.count(isSnapshot, 2);
      expect(fresh!.seq).toBe(n + 5);
      expect((fresh!.alerts as { labels: { sensorId: string } }[]).map((x) => x.labels.sensorId).sort()).toEqual(SENSORS.slice(0, 6).map((s) => s.id).sort());
      await ingest(t, MINE, mineReading(SENSORS[6]!, T0 + 20));
      await b.next(isAlert);
      expect(alerts(b).map((f) => f.seq)).toEqual([n + 6]); // no partial replay before the live event
    });
  });

  describe('subscribe filter', () => {
    it('minSeverity red: a screen never receives a yellow alert firing', async () => {
      // The duty leader's screen shows only the most serious alerts.
      const t = await start();
      const red = await connect(t);
      red.send({ type: 'subscribe', filter: { minSeverity: 'red' } });
      await red.count(isSnapshot, 2);
      const all = await connect(t);
      // yellow first (lower seq), so if it leaked it would arrive before the red one
      await ingest(t, MINE, [ch4Face('cm-shm-01', 'CH4-T1-1201', 0.9, T0), ch4Face('cm-shm-02', 'CH4-T1-2103', 1.6, T0)]);
      await all.count(isAlert, 2);
      const got = await red.next(isAlert);
      expect(got.alert).toMatchObject({ severity: 'red', siteId: 'cm-shm-02' });
      await ingest(t, MINE, ch4Face('cm-alz-01', 'CH4-T1-5101', 2, T0)); // barrier
      await red.count(isAlert, 2);
      expect(alerts(red).filter((f) => f.kind === 'fired' && f.alert.severity !== 'red')).toEqual([]);
    });

    it('domains [grid]: a power-dispatch screen receives grid alerts and no mine alerts', async () => {
      // Filters apply to the snapshot and to live frames alike.
      const t = await start();
      await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0)); // open before subscribing
      const grid = await connect(t);
      grid.send({ type: 'subscribe', filter: { domains: ['grid'] } });
      const [, snap] = await grid.count(isSnapshot, 2);
      expect(snap!.alerts).toEqual([]);
      await ingest(t, MINE, ch4Face('cm-shm-02', 'CH4-T1-2103', 1.6, T0 + 1));
      await ingest(t, 'risk.grid.telemetry', gridFrequency('ss-alz-110kv', 'BUS-1', 50.3, T0 + 2));
      const got = await grid.next(isAlert);
      expect(got.alert).toMatchObject({ domain: 'grid', siteId: 'ss-alz-110kv', severity: 'orange' });
      expect(alerts(grid).filter((f) => f.alert.domain !== 'grid')).toEqual([]);
    });
  });

  describe('bad frames', () => {
    it('closes the socket with 1009 on a frame over 64 KiB', async () => {
      // A misbehaving client cannot make the server buffer huge messages.
      const t = await start();
      const p = await connect(t);
      p.send(JSON.stringify({ type: 'subscribe', pad: 'x'.repeat(64 * 1024) }));
      expect((await p.closed).code).toBe(1009);
    });

    it('answers invalid JSON and unknown frame types with an error frame and keeps the connection', async () => {
      // A screen with a bug gets told what was wrong and keeps receiving alerts.
      const t = await start();
      const p = await connect(t);
      p.send('{not json');
      expect(await p.next((f) => f.type === 'error')).toMatchObject({ type: 'error', code: 'INVALID_JSON' });
      p.send({ type: 'dance' });
      const [, second] = await p.count((f) => f.type === 'error', 2);
      expect(second).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
      expect(typeof second!.message).toBe('string');
      await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0));
      expect((await p.next(isAlert)).kind).toBe('fired');
      expect(p.ws.readyState).toBe(p.ws.OPEN);
    });

    it('closes with 1008 after more than 20 bad frames in a minute', async () => {
      // Abuse is cut off; honest mistakes (up to 20 a minute) are tolerated.
      const t = await start();
      const p = await connect(t);
      for (let i = 0; i < 20; i++) p.send('nope');
      await p.count((f) => f.type === 'error', 20);
      p.send({ type: 'subscribe' });
      await p.count(isSnapshot, 2); // still open after 20
      p.send('nope');
      expect((await p.closed).code).toBe(1008);
    });

    it('closes with 1008 on 2,000 subscribe frames at once, having built at most a few snapshots', async () => {
      // Each subscribe costs a full snapshot: a client looping on subscribe is cut off (more than
      // limits.wsSubscribePerSecond = 5 in a second) before it can make the server build thousands.
      const t = await start();
      await ingest(t, MINE, SENSORS.slice(0, 50).map((s, i) => mineReading(s, T0 + i)));
      const p = await connect(t);
      expect(p.frames[0]!.alerts).toHaveLength(50);
      const frame = JSON.stringify({ type: 'subscribe' });
      for (let i = 0; i < 2000; i++) p.send(frame);
      const closed = await p.closed;
      expect(closed).toMatchObject({ code: 1008, reason: 'more than 5 subscribe frames per second' });
      // the connect snapshot plus at most 5 answered subscribes; not one per frame
      expect(p.frames.filter(isSnapshot).length).toBeLessThanOrEqual(6);
      const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/riskstream_ws_closed_total\{reason="subscribeRate"\} 1/);
      expect(metrics).toMatch(/riskstream_limit_overflow_total\{limit="wsSubscribePerSecond"\} 1/);
    });
  });

  describe('ack over the socket', () => {
    it('an operator ack reaches every screen as an acknowledged event; a viewer ack is FORBIDDEN and changes nothing', async () => {
      // Acknowledging on one screen updates all screens; a read-only screen cannot acknowledge.
      const t = await start();
      const op = await connect(t, t.tokens.operator);
      const viewer = await connect(t, t.tokens.viewer);
      await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0));
      const id = (await op.next(isAlert)).alert.id as string;
      await viewer.next(isAlert);

      viewer.send({ type: 'ack', alertId: id });
      expect(await viewer.next((f) => f.type === 'error')).toMatchObject({ code: 'FORBIDDEN' });
      const unchanged = await get(t, `/api/v1/alerts/${id}`);
      expect(unchanged.body).toMatchObject({ state: 'firing', acks: [] });

      op.send({ type: 'ack', alertId: id, note: '已通知矿调度室' });
      for (const p of [op, viewer]) {
        const ack = await p.next((f) => isAlert(f) && f.kind === 'acknowledged');
        expect(ack.alert).toMatchObject({ id, state: 'acknowledged', acks: [{ by: 'test-operator', note: '已通知矿调度室' }] });
      }
      expect((await get(t, `/api/v1/alerts/${id}`)).body.state).toBe('acknowledged');
    });

    it('an operator limited to one town cannot acknowledge another town’s alert over the socket', async () => {
      // The HTTP rule (403 outside the token's towns) holds on the socket too.
      const t = await start();
      const angsuOp = await connect(t, await t.token('operator', ['angsu']));
      await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0)); // shanghaimiao
      const id = (await get(t, '/api/v1/alerts')).body.alerts[0].id as string;
      angsuOp.send({ type: 'ack', alertId: id });
      expect(await angsuOp.next((f) => f.type === 'error')).toMatchObject({ code: 'FORBIDDEN' });
      expect((await get(t, `/api/v1/alerts/${id}`)).body).toMatchObject({ state: 'firing', acks: [] });
    });
  });

  describe('heartbeat', () => {
    it('sends heartbeat frames carrying the current seq', async () => {
      // An idle screen can tell the link is alive and whether it missed anything.
      const t = await start({ ws: { heartbeat: '200ms' } });
      const p = await connect(t);
      await ingest(t, MINE, ch4Face('cm-shm-01', 'CH4-T1-1201', 1.6, T0));
      const seq = (await p.next(isAlert)).seq as number;
      const beat = await p.next((f) => f.type === 'heartbeat' && f.seq === seq, 1000);
      expect(beat.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    });

    it('closes a screen whose token expired with 4401 (so it can say 登录已过期), and refuses it on reconnect', async () => {
      // A socket must not outlive its token: a lost laptop's session ends when its token does.
      const t = await start({ ws: { heartbeat: '200ms' } });
      const short = await createAuth(TEST_SECRET).sign({ sub: 'wall-1', role: 'screen', towns: '*' }, '2s');
      const p = await connect(t, short);
      expect((await p.next((f) => f.type === 'snapshot')).type).toBe('snapshot');
      const { code, reason } = await p.closed;
      expect(code).toBe(4401);
      expect(reason).toBe('token expired');
      const res = await fetch(`${t.baseUrl}/api/v1/info`, { headers: { authorization: `Bearer ${short}` } });
      expect(res.status).toBe(401);
    });

    it('terminates a peer that does not answer pings, and keeps one that does', async () => {
      // A screen whose network silently died is dropped within a few heartbeats, freeing its slot.
      const t = await start({ ws: { heartbeat: '200ms' } });
      const healthy = await connect(t);
      const started = performance.now();
      const dead = await connect(t, t.tokens.viewer, { autoPong: false });
      const { code } = await dead.closed;
      expect(code).toBe(1006); // terminated, no closing handshake
      expect(performance.now() - started).toBeLessThan(3 * 200 + 300);
      await healthy.count((f) => f.type === 'heartbeat', 4, 2000);
      expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
      expect(t.app.hub.clientCount()).toBe(1);
    });
  });

  it('closes a client that stops reading with 1013 while a reading client keeps receiving', async () => {
    // One frozen screen cannot make the server buffer without bound or hold up the others.
    const t = await start({ ws: { maxBufferedBytes: 1 } });
    const healthy = await connect(t);
    const slow = await connect(t);
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    // Alternate one face sensor between red and yellow: every reading is an `updated` alert event.
    // The kernel's loopback buffers absorb ~2 MB (≈1,400 frames here) before the server's own
    // buffer grows, and that depends on the machine: send batches until the hub drops the client.
    let sent = 0;
    for (let batch = 0; batch < 500 && t.app.hub.clientCount() === 2; batch++) {
      const readings = Array.from({ length: 20 }, (_, i) => ch4Face('cm-shm-01', 'CH4-T1-1201', (sent + i) % 2 === 0 ? 1.6 : 0.9, T0 + sent + i));
      const r = await ingest(t, MINE, readings);
      expect(r.status).toBe(202);
      sent += readings.length;
      await healthy.count(isAlert, sent); // the reading client keeps up after every batch
    }
    expect(t.app.hub.clientCount()).toBe(1);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(1013);
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
    await ingest(t, MINE, ch4Face('cm-shm-02', 'CH4-T1-2103', 1.6, T0));
    expect((await healthy.next((f) => isAlert(f) && f.alert.siteId === 'cm-shm-02')).kind).toBe('fired');
  });

  it('stop() closes open screens with 1001 (going away)', async () => {
    // On shutdown screens learn the server left and reconnect, rather than seeing an abnormal close.
    const t = await start();
    const a = await connect(t);
    const b = await connect(t, t.tokens.viewer);
    await t.stop();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
  });
});
