import smpp from 'smpp';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import { isAuthFailure, statusError, statusName } from './codec.ts';

/** SmppLinkOptions: where to connect and how to keep the session alive. */
export interface SmppLinkOptions {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  logger: Logger;
  random: () => number;
  /** connect + bind_transceiver must finish within this; default 10 000 ms */
  connectTimeoutMs?: number;
  /** enquire_link period while bound; default 30 000 ms */
  enquireLinkMs?: number;
  /** enquire_link_resp timeout, after which the link is treated as dead; default 10 000 ms */
  enquireTimeoutMs?: number;
  /** reconnect backoff, doubled per failed attempt with jitter; default 1 000 … 60 000 ms */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** called for every deliver_sm (already answered with deliver_sm_resp) */
  onDeliver?: (pdu: smpp.PDU) => void;
}

interface Pending {
  fail(e: AppError): void;
  timer?: NodeJS.Timeout;
}

/** SmppConnection: one TCP connection and its session; `pending` are requests awaiting a response. */
export interface SmppConnection {
  readonly session: smpp.Session;
  bound: boolean;
  closed: boolean;
  pending: Set<Pending>;
  timers: NodeJS.Timeout[];
}

interface Waiter {
  resolve(c: SmppConnection): void;
  reject(e: AppError): void;
  timer: NodeJS.Timeout;
}

const retryable = (message: string): AppError => new AppError('SMS_FAILED', message, { retryable: true });

/**
 * SmppLink keeps one bound transceiver session: connect, bind, enquire_link both ways, answer
 * deliver_sm and unbind, reconnect with jittered backoff after any drop. Wrong credentials
 * (ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL) stop it: retrying them could lock the account.
 */
export class SmppLink {
  private conn?: SmppConnection;
  private stopping = false;
  private fatal?: AppError;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly waiters = new Set<Waiter>();

  private readonly opts: SmppLinkOptions;
  constructor(opts: SmppLinkOptions) {
    this.opts = opts;
  }

  get bound(): boolean {
    return !!this.conn?.bound;
  }

  start(): void {
    this.open();
  }

  /** waitBound resolves with the bound connection, waiting up to `timeoutMs` (then retryable). */
  waitBound(timeoutMs: number): Promise<SmppConnection> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.stopping) return Promise.reject(retryable('SMPP gateway is closed'));
    if (this.conn?.bound) return Promise.resolve(this.conn);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(retryable(`SMPP session not bound within ${timeoutMs} ms (${this.opts.host}:${this.opts.port})`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** request sends a PDU and resolves with its response; a drop or timeout rejects retryable. */
  request(conn: SmppConnection, pdu: smpp.PDU, timeoutMs: number): Promise<smpp.PDU> {
    return new Promise((resolve, reject) => {
      if (conn.closed) return reject(retryable('SMPP connection closed'));
      const p: Pending = {
        fail: (e) => {
          clearTimeout(p.timer);
          conn.pending.delete(p);
          reject(e);
        },
      };
      p.timer = setTimeout(() => p.fail(retryable(`SMPP ${pdu.command} got no response within ${timeoutMs} ms`)), timeoutMs);
      conn.pending.add(p);
      const written = conn.session.send(pdu, (resp) => {
        if (!conn.pending.has(p)) return; // timed out or failed already
        clearTimeout(p.timer);
        conn.pending.delete(p);
        resolve(resp);
      });
      if (!written) p.fail(retryable('SMPP socket not writable'));
    });
  }

  private open(): void {
    if (this.stopping || this.fatal) return;
    const session = smpp.connect({ host: this.opts.host, port: this.opts.port });
    const conn: SmppConnection = { session, bound: false, closed: false, pending: new Set(), timers: [] };
    this.conn = conn;
    const connectTimeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    conn.timers.push(
      setTimeout(() => {
        this.opts.logger.warn({ host: this.opts.host, port: this.opts.port, timeoutMs: connectTimeoutMs }, 'smpp connect/bind timed out');
        session.destroy();
      }, connectTimeoutMs),
    );
    session.on('connect', () => {
      session.socket.setKeepAlive(true, 30_000);
      this.bind(conn);
    });
    session.on('error', (err: NodeJS.ErrnoException) => this.opts.logger.warn({ err: err.message, code: err.code }, 'smpp session error'));
    session.on('close', () => this.onClose(conn));
    session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: smpp.PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm', (pdu: smpp.PDU) => {
      // answer first: an unanswered deliver_sm is redelivered by the SMSC
      session.send(pdu.response());
      try {
        this.opts.onDeliver?.(pdu);
      } catch (err) {
        // a throw here would escape into the smpp package's socket handler and wedge the session
        this.opts.logger.warn({ err }, 'smpp deliver_sm handler failed');
      }
    });
    session.on('unknown', (pdu: smpp.PDU) => session.send(pdu.response()));
  }

  private bind(conn: SmppConnection): void {
    const pdu = new smpp.PDU('bind_transceiver', {
      system_id: this.opts.systemId,
      password: this.opts.password,
      system_type: this.opts.systemType ?? '',
      interface_version: 0x34,
    });
    this.request(conn, pdu, this.opts.connectTimeoutMs ?? 10_000).then(
      (resp) => this.onBindResp(conn, resp),
      () => conn.session.destroy(), // onClose reconnects
    );
  }

  private onBindResp(conn: SmppConnection, resp: smpp.PDU): void {
    if (conn.closed) return;
    const status = resp.command_status;
    if (status !== 0) {
      if (isAuthFailure(status)) {
        this.fatal = statusError('bind_transceiver', status, false);
        this.opts.logger.error({ systemId: this.opts.systemId, status: statusName(status) }, 'smpp bind rejected: check sms.smpp.systemId and password');
        for (const w of this.takeWaiters()) w.reject(this.fatal);
      } else {
        this.opts.logger.warn({ status: statusName(status) }, 'smpp bind failed; will retry');
      }
      conn.session.destroy();
      return;
    }
    for (const t of conn.timers) clearTimeout(t);
    conn.timers = [];
    conn.bound = true;
    this.attempt = 0;
    this.opts.logger.info({ host: this.opts.host, port: this.opts.port }, 'smpp bound (transceiver)');
    const period = this.opts.enquireLinkMs ?? 30_000;
    const enquire = setInterval(() => {
      this.request(conn, new smpp.PDU('enquire_link'), this.opts.enquireTimeoutMs ?? 10_000).catch(() => {
        this.opts.logger.warn({}, 'smpp enquire_link unanswered; reconnecting');
        conn.session.destroy();
      });
    }, period);
    enquire.unref();
    conn.timers.push(enquire);
    for (const w of this.takeWaiters()) w.resolve(conn);
  }

  private takeWaiters(): Waiter[] {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) clearTimeout(w.timer);
    return ws;
  }

  private onClose(conn: SmppConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.bound = false;
    for (const t of conn.timers) clearTimeout(t);
    for (const p of [...conn.pending]) p.fail(retryable('SMPP connection closed before the response'));
    if (this.conn === conn) this.conn = undefined;
    if (this.stopping || this.fatal) return;
    const min = this.opts.reconnectMinMs ?? 1000;
    const d = Math.min(this.opts.reconnectMaxMs ?? 60_000, min * 2 ** this.attempt++);
    const delay = Math.round(d / 2 + (d / 2) * this.opts.random());
    this.opts.logger.info({ delayMs: delay, attempt: this.attempt }, 'smpp connection closed; reconnecting');
    this.reconnectTimer = setTimeout(() => this.open(), delay);
    this.reconnectTimer.unref();
  }

  /** stop unbinds and closes; waiting sends fail retryable (another instance may send them). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    for (const w of this.takeWaiters()) w.reject(retryable('SMPP gateway is closed'));
    const conn = this.conn;
    if (!conn || conn.closed) return;
    if (conn.bound) await this.request(conn, new smpp.PDU('unbind'), 2000).catch(() => undefined);
    if (conn.closed) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => conn.session.destroy(), 2000);
      conn.session.socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      // not bound yet (connecting or binding): nothing to say goodbye to
      if (conn.bound) conn.session.close();
      else conn.session.destroy();
    });
  }
}
