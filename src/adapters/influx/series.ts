import { readFileSync } from 'node:fs';
import { InfluxDB, ResultError, type IPoint, type ISingleHostConfig } from 'influx';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import type { SeriesPoint, SeriesStore } from '../../ports/index.ts';

/** MEASUREMENT: the one measurement readings are written to (tags siteId + metric, field value [+ unit]). */
export const MEASUREMENT = 'reading';

/** InfluxConnection: where the InfluxDB 1.x HTTP API (or 2.x's v1 compatibility API) is and how to log in (config `influx`). */
export interface InfluxConnection {
  host: string;
  port: number;
  database: string;
  /** default http */
  protocol?: 'http' | 'https' | undefined;
  /** with an auth-enabled server; without one nothing is sent that a server could check */
  username?: string | undefined;
  password?: string | undefined;
  /** TLS (protocol https): a CA bundle file (PEM) for a private CA, and certificate checking (default on) */
  ssl?: { ca?: string | undefined; rejectUnauthorized?: boolean | undefined } | undefined;
}

/**
 * influxClientConfig turns the `influx` settings into node-influx's single-host config: protocol,
 * credentials and the TLS options of the https requests. A CA file that cannot be read is a
 * CONFIG_INVALID naming influx.ssl.ca; TLS settings with protocol http are a CONFIG_INVALID too
 * (they would be ignored silently otherwise).
 */
export function influxClientConfig(o: InfluxConnection): ISingleHostConfig {
  const protocol = o.protocol ?? 'http';
  if (o.username === undefined && o.password !== undefined) {
    throw new AppError('CONFIG_INVALID', 'influx.password is set but influx.username is not', { details: [{ path: 'influx.username', message: 'required with influx.password' }] });
  }
  if (protocol === 'http' && (o.ssl?.ca !== undefined || o.ssl?.rejectUnauthorized === false)) {
    throw new AppError('CONFIG_INVALID', 'influx.ssl is set but influx.protocol is http: set influx.protocol: https', { details: [{ path: 'influx.protocol', message: 'https required by influx.ssl' }] });
  }
  let ca: string | undefined;
  if (protocol === 'https' && o.ssl?.ca) {
    try {
      ca = readFileSync(o.ssl.ca, 'utf8');
    } catch (err) {
      throw new AppError('CONFIG_INVALID', `influx.ssl.ca: cannot read ${o.ssl.ca}: ${(err as Error).message}`, { details: [{ path: 'influx.ssl.ca', message: 'not readable' }] });
    }
  }
  return {
    host: o.host,
    port: o.port,
    protocol,
    database: o.database,
    // node-influx sends root/root when none are given; an auth-disabled server ignores them
    ...(o.username !== undefined ? { username: o.username, password: o.password ?? '' } : {}),
    ...(protocol === 'https' ? { options: { rejectUnauthorized: o.ssl?.rejectUnauthorized ?? true, ...(ca ? { ca } : {}) } } : {}),
  };
}

/** InfluxSeriesOptions: the connection (InfluxConnection) and how the write queue behaves. */
export interface InfluxSeriesOptions extends InfluxConnection {
  logger: Logger;
  /** points per writePoints call (default 5,000) */
  batchSize?: number;
  /** how often queued points are flushed (default 1 s); a full batch is flushed at once */
  flushMs?: number;
  /** queued points at most; when full the oldest are dropped and counted (default 100,000) */
  maxQueue?: number;
  /** the most points one query returns: the newest ones (default 100,000) */
  maxQueryPoints?: number;
  /** HTTP request timeout (default 10 s) */
  requestTimeoutMs?: number;
  /** retry backoff after a failed write: from min, doubling, up to max (default 1 s … 30 s) */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** close() gives up flushing after this long (default 10 s); what is left is counted as dropped */
  closeTimeoutMs?: number;
  /** wall clock for the once-a-minute drop warning (backoff and close use a monotonic clock) */
  now?: () => number;
}

/** InfluxSeriesStats: monotonic counters and gauges for metrics and tests. */
export interface InfluxSeriesStats {
  /** points waiting in the queue (gauge) */
  queued: number;
  /** points in the write request under way (gauge) */
  inFlight: number;
  /** points InfluxDB accepted */
  written: number;
  /** points dropped because the queue was full (or close() timed out) */
  dropped: number;
  /** points InfluxDB or the adapter refused as invalid (not retried) */
  rejected: number;
  /** write requests that failed and were retried */
  writeFailures: number;
  /** the last write error, if the last attempt failed */
  lastError?: string;
}

/** InfluxSeriesStore: a SeriesStore plus its counters and an explicit flush. */
export interface InfluxSeriesStore extends SeriesStore {
  stats(): InfluxSeriesStats;
  /** write everything queued now (retrying as usual); resolves when the queue is empty or the store is failing */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const DROP_WARN_EVERY_MS = 60_000;

/**
 * validTag: a tag value that survives the trip: not empty, no newline (the line protocol cannot carry
 * one) and no backslash (InfluxDB 1.x leaves most backslashes alone while node-influx's escaper
 * rewrites some, e.g. `\'` → `\\'`, so the stored value would differ from the one queried).
 */
function validTag(s: string): boolean {
  return s.length > 0 && s.length <= 4096 && !/[\r\n\\]/.test(s);
}

function statusOf(err: unknown): number | undefined {
  const res = (err as { res?: { statusCode?: unknown } } | null)?.res;
  return typeof res?.statusCode === 'number' ? res.statusCode : undefined;
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** AUTH_HINT: what to check when InfluxDB refuses the credentials (HTTP 401) or the user's rights (403). */
const AUTH_HINT: Record<number, string> = {
  401: 'InfluxDB refused the credentials: check influx.username and influx.password (RISKSTREAM_INFLUX_USERNAME, RISKSTREAM_INFLUX_PASSWORD)',
  403: 'InfluxDB refused the request for this user: grant influx.username WRITE and READ on influx.database (or use an admin user)',
};

/** TLS_CODES: Node's certificate errors, explained with the setting to change. */
const TLS_HINT = 'the InfluxDB TLS certificate is not trusted: give its CA as influx.ssl.ca (PEM file), or set influx.ssl.rejectUnauthorized: false for testing only';
const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/** explain: the error text with the setting to look at (credentials, TLS trust, http against https). */
function explain(err: unknown): string {
  const status = statusOf(err);
  const text = errText(err);
  if (status !== undefined && AUTH_HINT[status]) return `${AUTH_HINT[status]} (${text})`;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TLS_CODES.has(code)) return `${TLS_HINT} (${code}: ${text})`;
  if (typeof code === 'string' && (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(text))) {
    return `TLS handshake failed: does influx.protocol match the server (https on an http port, or the other way)? (${text})`;
  }
  if (/HTTP request to an HTTPS server/i.test(text)) return `influx.protocol is http but the server speaks https: set influx.protocol: https (${text})`;
  if (code === 'ECONNRESET' || /socket hang up/i.test(text)) return `${text} (if the server speaks https, set influx.protocol: https)`;
  return text;
}

/**
 * createInfluxSeriesStore: the distributed history (ARCHITECTURE.md: InfluxDB 1.x, batched, bounded queue).
 * `write` only enqueues, so the pipeline never waits on InfluxDB; history is best-effort and no alert
 * depends on it. A timer writes batches of `batchSize` points; a failed batch goes back to the head
 * of the queue and is retried with exponential backoff; when the queue is full the oldest points are
 * dropped, counted in `stats().dropped` and warned about at most once a minute. Points InfluxDB
 * refuses (HTTP 4xx, e.g. a field type conflict) are counted as rejected and not retried.
 * Queries use InfluxQL with bound parameters (never user text spliced into the statement).
 */
export function createInfluxSeriesStore(o: InfluxSeriesOptions): InfluxSeriesStore {
  const batchSize = o.batchSize ?? 5000;
  const flushMs = o.flushMs ?? 1000;
  const maxQueue = Math.max(o.maxQueue ?? 100_000, 1);
  const maxQueryPoints = o.maxQueryPoints ?? 100_000;
  const retryMin = o.retryMinMs ?? 1000;
  const retryMax = o.retryMaxMs ?? 30_000;
  const closeTimeout = o.closeTimeoutMs ?? 10_000;
  const now = o.now ?? Date.now;
  const mono = () => performance.now();
  const log = o.logger.child({ component: 'influx-series', database: o.database });
  const influx = new InfluxDB({
    ...influxClientConfig(o),
    // retries are ours (backoff without blocking); the pool's own retry would only repeat at once
    pool: { maxRetries: 0, requestTimeout: o.requestTimeoutMs ?? 10_000 },
  });
  log.info({ host: o.host, port: o.port, protocol: o.protocol ?? 'http', username: o.username, tlsCa: o.ssl?.ca, rejectUnauthorized: o.ssl?.rejectUnauthorized ?? true }, 'InfluxDB history store');

  // The queue: q[head..] are waiting, oldest first.
  let q: SeriesPoint[] = [];
  let head = 0;
  const queued = () => q.length - head;
  let inFlight = 0;
  let written = 0;
  let dropped = 0;
  let rejected = 0;
  let writeFailures = 0;
  let lastError: string | undefined;
  let droppedSinceWarn = 0;
  let lastDropWarn = -Infinity;
  let backoff = 0; // current retry delay, 0 when healthy
  let retryAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;
  let dbReady: Promise<void> | undefined;

  const ensureDatabase = (): Promise<void> => {
    // CREATE DATABASE is idempotent in InfluxDB 1.x; a failure is retried on the next use
    dbReady ??= influx.createDatabase(o.database).catch((err: unknown) => {
      // The server answered but refused CREATE DATABASE: a user without admin rights (1.x: 403), or a
      // server whose v1 API manages no databases (2.x: buckets and DBRP mappings are made with its own
      // tools). The database is then expected to exist; a write tells if it does not. Wrong
      // credentials (401) are not this: retried, with the setting to check in the warning.
      const status = statusOf(err);
      if ((status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429) || err instanceof ResultError) {
        log.info({ err: errText(err) }, 'cannot create the InfluxDB database (no admin rights or a 2.x server): expecting it to exist');
        return;
      }
      dbReady = undefined;
      throw err;
    });
    return dbReady;
  };
  ensureDatabase().catch((err: unknown) => log.warn({ err: explain(err) }, 'cannot create the InfluxDB database yet; will retry'));

  const compact = () => {
    if (head > 4096 && head * 2 > q.length) {
      q = q.slice(head);
      head = 0;
    }
  };

  const drop = (n: number) => {
    if (n <= 0) return;
    head += n;
    dropped += n;
    droppedSinceWarn += n;
    compact();
    const t = now();
    if (t - lastDropWarn >= DROP_WARN_EVERY_MS) {
      log.warn({ dropped: droppedSinceWarn, droppedTotal: dropped, maxQueue, lastError }, 'InfluxDB write queue full: oldest history points dropped (history is best-effort)');
      lastDropWarn = t;
      droppedSinceWarn = 0;
    }
  };

  const toPoint = (p: SeriesPoint): IPoint => ({
    measurement: MEASUREMENT,
    tags: { siteId: p.siteId, metric: p.metric },
    fields: p.unit ? { value: p.value, unit: p.unit } : { value: p.value },
    timestamp: Math.trunc(p.ts),
  });

  /** one write attempt of up to batchSize points; false when it failed and must wait for backoff */
  const writeOne = async (): Promise<boolean> => {
    const batch = q.slice(head, head + batchSize);
    head += batch.length;
    compact();
    inFlight = batch.length;
    try {
      await ensureDatabase();
      await influx.writePoints(batch.map(toPoint), { precision: 'ms' });
      written += batch.length;
      backoff = 0;
      lastError = undefined;
      return true;
    } catch (err) {
      const status = statusOf(err);
      lastError = explain(err);
      // 401/403 (credentials, rights) and http against an https server are settings to fix, not bad
      // points: retried like an outage, so nothing is lost once they are fixed
      const setting = status === 401 || status === 403 || /HTTP request to an HTTPS server/i.test(lastError);
      if (!setting && status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
        // refused as invalid (partial write, type conflict): InfluxDB kept the valid points; retrying cannot help
        rejected += batch.length;
        log.error({ err: lastError, points: batch.length }, 'InfluxDB refused a history batch; not retried');
        return true;
      }
      writeFailures++;
      backoff = backoff === 0 ? retryMin : Math.min(backoff * 2, retryMax);
      retryAt = mono() + backoff;
      if (writeFailures === 1 || backoff >= retryMax || writeFailures % 10 === 0) {
        log.warn({ err: lastError, queued: queued() + batch.length, retryInMs: backoff }, 'InfluxDB write failed; will retry');
      }
      // back to the head of the queue (oldest first), within the bound
      q = batch.concat(q.slice(head));
      head = 0;
      drop(queued() - maxQueue);
      return false;
    } finally {
      inFlight = 0;
    }
  };

  /** write batches until the queue is empty (or only a partial batch is left and `all` is false) or a write fails */
  const drain = (all: boolean): Promise<void> => {
    if (flushing) return flushing;
    const run = async () => {
      while (queued() > 0 && (all || queued() >= batchSize)) {
        if (!(await writeOne())) break;
      }
    };
    const p = run().finally(() => {
      if (flushing === p) flushing = undefined;
    });
    flushing = p;
    return p;
  };

  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const go = queued() > 0 && (backoff === 0 || mono() >= retryAt);
      (go ? drain(true) : Promise.resolve()).catch((err: unknown) => log.error({ err: errText(err) }, 'history flush failed')).finally(schedule);
    }, flushMs);
    timer.unref();
  };
  schedule();

  return {
    write(points) {
      if (closed) return;
      for (const p of points) {
        if (!Number.isFinite(p.value) || !Number.isFinite(p.ts) || !validTag(p.siteId) || !validTag(p.metric)) {
          rejected++;
          continue;
        }
        q.push(p);
      }
      drop(queued() - maxQueue);
      // a full batch goes at once (unless the server is failing: then the timer retries after backoff)
      if (queued() >= batchSize && backoff === 0 && !flushing) drain(false).catch(() => undefined);
    },

    async query({ siteId, metric, from, to }) {
      try {
        await ensureDatabase();
        const tags = await influx.query<{ key: string; value: string }>(`SHOW TAG VALUES FROM "${MEASUREMENT}" WITH KEY = "metric" WHERE "siteId" = $siteId`, {
          placeholders: { siteId },
        });
        const metrics = tags.map((r) => r.value).sort();
        if (metric === undefined) return { metrics, points: [] };
        // from/to are numbers parsed by the caller; they go in as integer ms literals, never as text
        const range: string[] = [];
        if (from !== undefined && Number.isFinite(from)) range.push(`time >= ${Math.ceil(from)}ms`);
        if (to !== undefined && Number.isFinite(to)) range.push(`time <= ${Math.floor(to)}ms`);
        const where = ['"siteId" = $siteId', '"metric" = $metric', ...range].join(' AND ');
        // newest first with a limit, so a long range returns its most recent points; reversed below
        const rows = await influx.query<{ time: Date; value: number; unit?: string | null }>(
          `SELECT "value", "unit" FROM "${MEASUREMENT}" WHERE ${where} ORDER BY time DESC LIMIT ${Math.max(1, Math.trunc(maxQueryPoints))}`,
          { placeholders: { siteId, metric }, precision: 'ms' },
        );
        const points: SeriesPoint[] = [];
        for (let i = rows.length - 1; i >= 0; i--) {
          const r = rows[i]!;
          points.push({ siteId, metric, ts: r.time.getTime(), value: r.value, ...(typeof r.unit === 'string' && r.unit ? { unit: r.unit } : {}) });
        }
        return { metrics, points };
      } catch (err) {
        throw new AppError('IO_FAILED', `history is unavailable: InfluxDB query failed: ${explain(err)}`, { retryable: true, cause: err });
      }
    },

    /** size: points waiting to be written (the store itself is InfluxDB) */
    size: () => queued(),

    stats: () => ({ queued: queued(), inFlight, written, dropped, rejected, writeFailures, ...(lastError !== undefined ? { lastError } : {}) }),

    async flush() {
      if (flushing) await flushing;
      await drain(true);
    },

    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      const deadline = mono() + closeTimeout;
      try {
        if (flushing) await flushing;
        while (queued() > 0 && mono() < deadline) {
          if (!(await writeOne())) {
            const wait = Math.min(backoff, deadline - mono());
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
        }
      } catch (err) {
        log.error({ err: errText(err) }, 'history flush on close failed');
      }
      const left = queued();
      if (left > 0) {
        dropped += left;
        q = [];
        head = 0;
        log.warn({ dropped: left, lastError }, 'InfluxDB unavailable at shutdown: queued history points dropped');
      }
    },
  };
}
