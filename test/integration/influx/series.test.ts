// The InfluxDB 1.x SeriesStore adapter (src/adapters/influx/series.ts) against the real server that
// deploy/local/influxdb.sh runs (Debian's influxd 1.6.x), through the `influx` npm client.
//
//   eval "$(bash deploy/local/influxdb.sh start)"     # prints INFLUX=127.0.0.1:PORT
//   RISKSTREAM_INFLUX=$INFLUX npx vitest run --config test/vitest.config.ts test/integration/influx
//
// Without RISKSTREAM_INFLUX the suite is skipped, unless RISKSTREAM_REQUIRE_SERVICES=1 (CI),
// where it fails.
import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createInfluxSeriesStore, type InfluxSeriesStore } from '../../../src/adapters/influx/series.ts';
import { AppError } from '../../../src/errors.ts';
import type { SeriesPoint } from '../../../src/ports/index.ts';
import { startTestApp } from '../../helpers/app.ts';
import { serviceAvailable } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/wait.ts';

const INFLUX = (process.env.RISKSTREAM_INFLUX ?? '').trim();
const HAVE_INFLUX = serviceAvailable('influx series', /^[^\s:]+:\d{1,5}$/.test(INFLUX), `RISKSTREAM_INFLUX is not host:port ("${INFLUX}"; start one with \`bash deploy/local/influxdb.sh start\` and export its INFLUX)`);
const [HOST, PORT] = HAVE_INFLUX ? [INFLUX.split(':')[0]!, Number(INFLUX.split(':')[1])] : ['', 0];

const silent = pino({ level: 'silent' });
/** a logger that keeps its warn+ lines */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

describe.runIf(HAVE_INFLUX)('influx series store (InfluxDB 1.x)', () => {
  const run = randomUUID().replace(/-/g, '').slice(0, 10);
  const databases: string[] = [];
  const stores: InfluxSeriesStore[] = [];
  const dbName = (what: string) => {
    const n = `riskstream_it_${what}_${run}`;
    databases.push(n);
    return n;
  };
  const store = (database: string, over: Partial<Parameters<typeof createInfluxSeriesStore>[0]> = {}) => {
    const s = createInfluxSeriesStore({ host: HOST, port: PORT, database, logger: silent, ...over });
    stores.push(s);
    return s;
  };

  afterAll(async () => {
    for (const s of stores) await s.close();
    const admin = new InfluxDB({ host: HOST, port: PORT });
    for (const d of databases) await admin.dropDatabase(d).catch(() => undefined);
  });

  it('writes 10,000 points in batches and reads them back exactly by site, metric and time range', async () => {
    const s = store(dbName('bulk'));
    const t0 = Date.UTC(2024, 6, 1, 0, 0, 0);
    const series = [
      { siteId: 'cm-shm-01', metric: 'CH4:CH4-T1-1201', unit: '%' },
      { siteId: 'cm-shm-01', metric: 'CO:CO-T1-1202', unit: 'ppm' },
      { siteId: 'pg-ak-01', metric: 'load:T1' },
      { siteId: 'pg-ak-01', metric: 'temp:T1' },
    ];
    const perSeries = 2500;
    const expected = new Map<string, SeriesPoint[]>();
    const all: SeriesPoint[] = [];
    series.forEach((x, k) => {
      const pts: SeriesPoint[] = [];
      for (let i = 0; i < perSeries; i++) {
        // distinct, exactly representable values; 30 s apart, series interleaved in time
        pts.push({ siteId: x.siteId, metric: x.metric, ts: t0 + i * 30_000 + k * 7, value: k * 10_000 + i + 0.25, ...(x.unit ? { unit: x.unit } : {}) });
      }
      expected.set(`${x.siteId}/${x.metric}`, pts);
      all.push(...pts);
    });
    // the pipeline writes in small bursts; write() only enqueues and never throws
    for (let i = 0; i < all.length; i += 250) s.write(all.slice(i, i + 250));
    expect(all).toHaveLength(10_000);
    await s.flush();
    expect(s.stats()).toMatchObject({ queued: 0, inFlight: 0, written: 10_000, dropped: 0, rejected: 0 });

    for (const x of series) {
      const want = expected.get(`${x.siteId}/${x.metric}`)!;
      const r = await s.query({ siteId: x.siteId, metric: x.metric });
      expect(r.points).toHaveLength(perSeries);
      expect(r.points).toEqual(want); // exact values, units, ms timestamps, oldest first
      // an inclusive time range in the middle
      const from = want[100]!.ts;
      const to = want[199]!.ts;
      const ranged = await s.query({ siteId: x.siteId, metric: x.metric, from, to });
      expect(ranged.points).toEqual(want.slice(100, 200));
      // open-ended ranges
      expect((await s.query({ siteId: x.siteId, metric: x.metric, from: want[2490]!.ts })).points).toEqual(want.slice(2490));
      expect((await s.query({ siteId: x.siteId, metric: x.metric, to: want[4]!.ts })).points).toEqual(want.slice(0, 5));
      // one ms past the last point: nothing
      expect((await s.query({ siteId: x.siteId, metric: x.metric, from: want[perSeries - 1]!.ts + 1 })).points).toEqual([]);
    }
    // the metric list of a site, sorted; without metric no points
    expect(await s.query({ siteId: 'cm-shm-01' })).toEqual({ metrics: ['CH4:CH4-T1-1201', 'CO:CO-T1-1202'], points: [] });
    expect((await s.query({ siteId: 'pg-ak-01', metric: 'load:T1' })).metrics).toEqual(['load:T1', 'temp:T1']);
    // unknown site / metric: empty, not an error
    expect(await s.query({ siteId: 'nope', metric: 'CH4:x' })).toEqual({ metrics: [], points: [] });
    expect((await s.query({ siteId: 'cm-shm-01', metric: 'CH4:none' })).points).toEqual([]);
  });

  it('keeps quotes and line-protocol characters in site ids and metrics, and queries cannot be injected', async () => {
    const s = store(dbName('quote'));
    const t0 = Date.UTC(2024, 6, 2);
    const odd = [`o'brien "mine"`, `a'b"c`, `x' OR siteId =~ /.*/ --`, 'with space,comma=eq', '煤矿-01'];
    odd.forEach((siteId, i) => s.write([{ siteId, metric: `m'"${i} ,=`, ts: t0 + i, value: i }]));
    s.write([{ siteId: 'other', metric: 'CH4:x', ts: t0, value: 99 }]);
    await s.flush();
    expect(s.stats()).toMatchObject({ written: odd.length + 1, rejected: 0 });
    for (const [i, siteId] of odd.entries()) {
      const metric = `m'"${i} ,=`;
      expect(await s.query({ siteId })).toEqual({ metrics: [metric], points: [] });
      expect((await s.query({ siteId, metric })).points).toEqual([{ siteId, metric, ts: t0 + i, value: i }]);
    }
    // an injection attempt in the site id matches no site (it is a bound parameter, not InfluxQL)
    expect(await s.query({ siteId: `nothing' OR "siteId" = 'other`, metric: 'CH4:x' })).toEqual({ metrics: [], points: [] });
    expect(await s.query({ siteId: `nothing' OR '1'='1`, metric: `x' OR '1'='1` })).toEqual({ metrics: [], points: [] });
    // what the line protocol cannot carry is refused up front and counted, never thrown
    // (a backslash: node-influx 5.12's escaper rewrites `\'` in tags, so it would not read back the same)
    const bad: SeriesPoint[] = [
      { siteId: 'a\nb', metric: 'm', ts: t0, value: 1 },
      { siteId: 'ok', metric: 'm', ts: t0, value: Number.NaN },
      { siteId: 'ok', metric: 'm', ts: Number.POSITIVE_INFINITY, value: 1 },
      { siteId: '', metric: 'm', ts: t0, value: 1 },
      { siteId: "a\\'b", metric: 'm', ts: t0, value: 1 },
      { siteId: 'ok', metric: 'trailing\\', ts: t0, value: 1 },
    ];
    expect(() => s.write(bad)).not.toThrow();
    expect(s.stats()).toMatchObject({ rejected: bad.length, queued: 0 });
  });

  it('never throws from write() when the server is unreachable, keeps the queue bounded and counts what it drops', async () => {
    const { logger, lines } = capturingLogger();
    let now = 1_000_000;
    const s = createInfluxSeriesStore({
      host: '127.0.0.1',
      port: 1, // nothing listens there
      database: 'riskstream_dead',
      logger,
      batchSize: 100,
      flushMs: 10,
      maxQueue: 1000,
      retryMinMs: 5,
      retryMaxMs: 20,
      closeTimeoutMs: 300,
      now: () => now,
    });
    const pts = (n: number, off = 0): SeriesPoint[] => Array.from({ length: n }, (_, i) => ({ siteId: 's', metric: 'm', ts: 1_700_000_000_000 + off + i, value: i }));
    for (let i = 0; i < 50; i++) expect(() => s.write(pts(100, i * 100))).not.toThrow();
    let st = s.stats();
    expect(st.queued + st.inFlight).toBeLessThanOrEqual(1000 + 100);
    expect(st.queued).toBeLessThanOrEqual(1000);
    expect(st.dropped).toBeGreaterThanOrEqual(5000 - 1000 - 100);
    expect(st.written).toBe(0);
    // the timer keeps retrying (with backoff) and failing
    now += 1000;
    await waitFor('a failed write', () => s.stats().writeFailures > 0, 5000);
    expect(s.stats().lastError).toBeTruthy();
    // one warning per minute about drops, however many are dropped
    const dropWarnings = () => lines.filter((l) => /queue full/.test(l.msg)).length;
    expect(dropWarnings()).toBe(1);
    s.write(pts(2000, 10_000));
    expect(dropWarnings()).toBe(1);
    now += 61_000;
    s.write(pts(2000, 20_000));
    expect(dropWarnings()).toBe(2);
    st = s.stats();
    expect(st.queued).toBeLessThanOrEqual(1000);
    expect(st.dropped + st.queued + st.inFlight).toBe(9000);
    // a query reports the store as unavailable (the API turns IO_FAILED into 503)
    await expect(s.query({ siteId: 's', metric: 'm' })).rejects.toBeInstanceOf(AppError);
    await expect(s.query({ siteId: 's' })).rejects.toMatchObject({ code: 'IO_FAILED', retryable: true });
    // close gives up after closeTimeoutMs and counts what was left as dropped
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.stats()).toMatchObject({ queued: 0, dropped: 9000, written: 0 });
    expect(() => s.write(pts(10))).not.toThrow();
  });

  it('retries a failed batch with backoff and delivers it once the server is reachable', async () => {
    // a TCP forwarder to the real server that refuses connections until it is switched on
    const sockets = new Set<Socket>();
    let up = false;
    const proxy: Server = createServer((c) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
      if (!up) return void c.destroy();
      const u = connect(PORT, HOST);
      sockets.add(u);
      u.on('close', () => sockets.delete(u));
      c.pipe(u).pipe(c);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    try {
      const database = dbName('retry');
      const s = store(database, { port, host: '127.0.0.1', flushMs: 20, retryMinMs: 20, retryMaxMs: 100 });
      const t0 = Date.UTC(2024, 6, 3);
      const pts = Array.from({ length: 300 }, (_, i) => ({ siteId: 'cm-shm-01', metric: 'CH4:r', ts: t0 + i * 1000, value: i }));
      s.write(pts);
      await waitFor('failed writes', () => s.stats().writeFailures >= 2);
      expect(s.stats()).toMatchObject({ written: 0, dropped: 0 });
      up = true;
      await waitFor('the retried batch to be written', () => s.stats().written === 300, 20_000);
      expect(s.stats()).toMatchObject({ queued: 0, dropped: 0, rejected: 0 });
      expect(s.stats().lastError).toBeUndefined();
      expect((await s.query({ siteId: 'cm-shm-01', metric: 'CH4:r' })).points).toEqual(pts);
    } finally {
      for (const x of sockets) x.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('serves GET /api/v1/history from InfluxDB in the running app, and app stop() flushes the queue', async () => {
    const database = dbName('app');
    const series = store(database, { flushMs: 100 });
    const t = await startTestApp({ only: ['threshold'], series });
    const get = async (path: string) => {
      const res = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${t.tokens.viewer}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    const post = async (topic: string, body: unknown) =>
      (await fetch(`${t.baseUrl}/api/v1/events/${topic}`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens.ingest}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
    try {
      const now = Date.now();
      const readings = [0.2, 0.3, 0.4].map((value, i) => ({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: now - 60_000 + i * 1000 }));
      expect(await post('risk.mine.telemetry', readings)).toBe(202);
      const metric = encodeURIComponent('CH4:CH4-T1-1201');
      await waitFor('the readings in InfluxDB', async () => (await get(`/api/v1/history?siteId=cm-shm-01&metric=${metric}`)).body.points?.length === 3);
      const list = await get('/api/v1/history?siteId=cm-shm-01');
      expect(list.status).toBe(200);
      expect(list.body.metrics).toEqual(['CH4:CH4-T1-1201']);
      const h = await get(`/api/v1/history?siteId=cm-shm-01&metric=${metric}&from=${now - 59_500}`);
      expect(h.status).toBe(200);
      expect(h.body.points.map((p: { value: number }) => p.value)).toEqual([0.3, 0.4]);
      expect(h.body.points[0].unit).toBe('%');
      expect(h.body.points[0].ts).toMatch(/\+08:00$/);
      // the store's counters are on /metrics
      const metricsText = await fetch(`${t.baseUrl}/metrics`).then((r) => r.text());
      expect(metricsText).toMatch(/riskstream_history_points\{state="written"\} [3-9]/);

      // readings still queued when the app stops are written by stop()
      const late = [0.5, 0.6].map((value, i) => ({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: now - 30_000 + i * 1000 }));
      expect(await post('risk.mine.telemetry', late)).toBe(202);
      await t.stop();
      expect(series.stats().queued).toBe(0);
      const check = createInfluxSeriesStore({ host: HOST, port: PORT, database, logger: silent });
      stores.push(check);
      const all = await check.query({ siteId: 'cm-shm-01', metric: 'CH4:CH4-T1-1201' });
      expect(all.points.map((p) => p.value)).toEqual([0.2, 0.3, 0.4, 0.5, 0.6]);
    } finally {
      await t.destroy();
    }
  });
});
