// InfluxDB auth and TLS (src/adapters/influx/series.ts, config `influx.username/password/protocol/ssl`)
// against real influxd 1.x servers this suite starts itself with deploy/local/influxdb.sh: one with
// auth-enabled (users created through the HTTP API), one serving HTTPS with the self-signed test
// certificate in ./tls. Needs /usr/bin/influxd (or INFLUXD); skipped without it, unless
// RISKSTREAM_REQUIRE_SERVICES=1 (CI), where that is a failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxSeriesStore, influxClientConfig, type InfluxSeriesOptions, type InfluxSeriesStore } from '../../../src/adapters/influx/series.ts';
import { createLogger } from '../../../src/logger.ts';
import { AppError } from '../../../src/errors.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { serviceAvailable } from '../../helpers/services.ts';

const SCRIPT = new URL('../../../deploy/local/influxdb.sh', import.meta.url).pathname;
const INFLUXD = process.env.INFLUXD ?? '/usr/bin/influxd';
const HAVE = serviceAvailable('influx auth/tls', existsSync(INFLUXD), `needs influxd (${INFLUXD}; Debian: apt-get install influxdb)`);

function start(dir: string, args: string[]): string {
  const out = execFileSync('bash', [SCRIPT, 'start', '--dir', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = out.trim().split('\n').at(-1)?.match(/^INFLUX=(.+:\d+)$/);
  if (!m) throw new Error(`influxdb.sh start printed ${out}`);
  return m[1]!;
}

function capture() {
  const raw: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      raw.push(String(c));
      cb();
    },
  });
  return { logger: createLogger('debug', stream), text: () => raw.join('') };
}

const t0 = Date.UTC(2025, 0, 1);
const points = (n: number) => Array.from({ length: n }, (_, i) => ({ siteId: 'cm-shm-01', metric: 'CH4:T1', ts: t0 + i * 1000, value: i + 0.5, unit: '%' }));

describe.runIf(HAVE)('influx auth (auth-enabled influxd 1.x)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riskstream-influx-auth-'));
  let host = '';
  let port = 0;
  const stores: InfluxSeriesStore[] = [];
  const store = (o: Partial<InfluxSeriesOptions>) => {
    const s = createInfluxSeriesStore({ host, port, database: 'rs_auth', logger: createLogger('silent'), flushMs: 50, retryMinMs: 50, retryMaxMs: 200, closeTimeoutMs: 300, ...o });
    stores.push(s);
    return s;
  };
  const q = async (query: string, auth = 'u=admin&p=admin-pw-123') => {
    const res = await fetch(`http://${host}:${port}/query?${auth}`, { method: 'POST', body: new URLSearchParams({ q: query }) });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    [host, port] = ((s) => [s.split(':')[0]!, Number(s.split(':')[1])] as const)(start(dir, ['--auth']));
    // the first user of an auth-enabled server may be created without credentials (and must be an admin)
    expect((await q(`CREATE USER admin WITH PASSWORD 'admin-pw-123' WITH ALL PRIVILEGES`, '')).status).toBe(200);
    expect((await q('SHOW DATABASES', '')).status).toBe(401);
    await q('CREATE DATABASE rs_writer_db');
    await q(`CREATE USER writer WITH PASSWORD 'writer-pw-456'`);
    await q('GRANT ALL ON rs_writer_db TO writer');
  }, 90_000);

  afterAll(async () => {
    for (const s of stores) await s.close();
    execFileSync('bash', [SCRIPT, 'clean', '--dir', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('writes and reads back with the right credentials (admin: the database is created)', async () => {
    const s = store({ username: 'admin', password: 'admin-pw-123' });
    s.write(points(20));
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 20, writeFailures: 0, queued: 0 });
    const r = await s.query({ siteId: 'cm-shm-01', metric: 'CH4:T1' });
    expect(r.points).toHaveLength(20);
    expect(r.points[3]).toEqual({ siteId: 'cm-shm-01', metric: 'CH4:T1', ts: t0 + 3000, value: 3.5, unit: '%' });
  });

  it('a user without admin rights writes to a database made for it (CREATE DATABASE refused is not an error)', async () => {
    const s = store({ username: 'writer', password: 'writer-pw-456', database: 'rs_writer_db' });
    s.write(points(5));
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 5, writeFailures: 0 });
    expect((await s.query({ siteId: 'cm-shm-01', metric: 'CH4:T1' })).points).toHaveLength(5);
  });

  it('a wrong password fails with an error naming influx.username and influx.password; points are kept, the password is not logged', async () => {
    const c = capture();
    const s = store({ username: 'admin', password: 'not-the-pw-789', logger: c.logger });
    s.write(points(3));
    await s.flush();
    const st = s.stats();
    expect(st.written).toBe(0);
    expect(st.writeFailures).toBeGreaterThanOrEqual(1);
    expect(st.rejected).toBe(0);
    expect(st.queued).toBe(3); // kept for when the credentials are fixed
    expect(st.lastError).toMatch(/InfluxDB refused the credentials: check influx\.username and influx\.password/);
    expect(st.lastError).toMatch(/401/);
    const err = await s.query({ siteId: 'cm-shm-01', metric: 'CH4:T1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/influx\.username and influx\.password \(RISKSTREAM_INFLUX_USERNAME, RISKSTREAM_INFLUX_PASSWORD\)/);
    expect(c.text()).toMatch(/influx\.password/);
    expect(c.text()).not.toContain('not-the-pw-789');
  });

  it('no credentials at all against an auth-enabled server: the same clear error', async () => {
    const s = store({});
    s.write(points(1));
    await s.flush();
    expect(s.stats().written).toBe(0);
    expect(s.stats().lastError).toMatch(/influx\.username and influx\.password/);
  });
});

describe.runIf(HAVE)('influx TLS (influxd 1.x serving https)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riskstream-influx-tls-'));
  const cert = new URL('./tls/cert.pem', import.meta.url).pathname;
  const key = new URL('./tls/key.pem', import.meta.url).pathname;
  let host = '';
  let port = 0;
  const stores: InfluxSeriesStore[] = [];
  const store = (o: Partial<InfluxSeriesOptions>) => {
    const s = createInfluxSeriesStore({ host, port, database: 'rs_tls', logger: createLogger('silent'), flushMs: 50, retryMinMs: 50, retryMaxMs: 200, closeTimeoutMs: 300, requestTimeoutMs: 3000, ...o });
    stores.push(s);
    return s;
  };

  beforeAll(() => {
    [host, port] = ((s) => [s.split(':')[0]!, Number(s.split(':')[1])] as const)(start(dir, ['--tls-cert', cert, '--tls-key', key]));
  }, 90_000);

  afterAll(async () => {
    for (const s of stores) await s.close();
    execFileSync('bash', [SCRIPT, 'clean', '--dir', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('protocol https with the CA file: writes and reads back', async () => {
    const s = store({ protocol: 'https', ssl: { ca: cert } });
    s.write(points(7));
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 7, writeFailures: 0 });
    expect((await s.query({ siteId: 'cm-shm-01', metric: 'CH4:T1' })).points).toHaveLength(7);
  });

  it('protocol https without the CA: the untrusted certificate is refused, naming influx.ssl.ca', async () => {
    const s = store({ protocol: 'https' });
    s.write(points(2));
    await s.flush();
    expect(s.stats().written).toBe(0);
    expect(s.stats().lastError).toMatch(/not trusted: give its CA as influx\.ssl\.ca/);
  });

  it('rejectUnauthorized: false connects without checking (testing only)', async () => {
    const s = store({ protocol: 'https', ssl: { rejectUnauthorized: false } });
    s.write(points(2));
    await s.flush();
    expect(s.stats().written).toBe(2);
  });

  it('protocol http against the https server: an error naming influx.protocol, points kept', async () => {
    const s = store({});
    s.write(points(2));
    await s.flush();
    expect(s.stats()).toMatchObject({ written: 0, rejected: 0, queued: 2 });
    expect(s.stats().lastError).toMatch(/influx\.protocol/);
  });
});

describe('influxClientConfig', () => {
  const base = { host: 'influx.example', port: 8086, database: 'riskstream' };
  it('http without credentials: node-influx defaults, no TLS options', () => {
    expect(influxClientConfig(base)).toEqual({ ...base, protocol: 'http' });
  });
  it('https with credentials and a CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'riskstream-influx-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    try {
      expect(influxClientConfig({ ...base, protocol: 'https', username: 'rs', password: 'pw', ssl: { ca } })).toEqual({ ...base, protocol: 'https', username: 'rs', password: 'pw', options: { rejectUnauthorized: true, ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' } });
      expect(influxClientConfig({ ...base, protocol: 'https', ssl: { rejectUnauthorized: false } }).options).toEqual({ rejectUnauthorized: false });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  it('settings that cannot work are CONFIG_INVALID naming the setting', () => {
    const fails = (o: Parameters<typeof influxClientConfig>[0], path: string) => {
      try {
        influxClientConfig(o);
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        expect((e as AppError).code).toBe('CONFIG_INVALID');
        expect((e as AppError).message).toContain(path);
        return;
      }
      throw new Error(`no error for ${path}`);
    };
    fails({ ...base, protocol: 'https', ssl: { ca: '/nonexistent/ca.pem' } }, 'influx.ssl.ca');
    fails({ ...base, ssl: { ca: '/etc/hosts' } }, 'influx.protocol');
    fails({ ...base, password: 'pw' }, 'influx.username');
  });

  it('the credentials and TLS settings come from the environment (RISKSTREAM_INFLUX_PASSWORD as a secret)', () => {
    const { config } = loadConfig({ env: { RISKSTREAM_INFLUX_HOST: 'influx.example', RISKSTREAM_INFLUX_USERNAME: 'rs', RISKSTREAM_INFLUX_PASSWORD: 's3cret', RISKSTREAM_INFLUX_PROTOCOL: 'https', RISKSTREAM_INFLUX_SSL_CA: '/etc/riskstream/influx-ca.pem', RISKSTREAM_INFLUX_SSL_REJECT_UNAUTHORIZED: 'false' } });
    expect(config.influx).toEqual({ host: 'influx.example', port: 8086, database: 'riskstream', protocol: 'https', username: 'rs', password: 's3cret', ssl: { ca: '/etc/riskstream/influx-ca.pem', rejectUnauthorized: false } });
    expect(() => loadConfig({ env: { RISKSTREAM_INFLUX_PROTOCOL: 'tls' } })).toThrow(/influx\.protocol/);
  });
});
