import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Alert, AlertEvent } from '../contracts/alerts.ts';
import { WsClientFrame, type WsFilter } from '../contracts/ws.ts';
import { severityRank } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import { AppError } from '../errors.ts';
import { bearerOf, canSeeTown, hasRole, type Auth, type Principal } from '../auth/auth.ts';
import type { Metrics } from '../metrics.ts';

/** MAX_FRAME_BYTES: frames over 64 KiB close the socket with 1009 (CONTRACT.md §6). */
export const MAX_FRAME_BYTES = 64 * 1024;
const MAX_ERRORS_PER_MINUTE = 20;

interface Client {
  ws: WebSocket;
  principal: Principal;
  filter: WsFilter;
  alive: boolean;
  errors: number;
  errorsSince: number;
  /** subscribe frames in the current one-second window (limits.wsSubscribePerSecond) */
  subscribes: number;
  subscribesSince: number;
  /** the snapshot being built for it (a newer one abandons an older one) */
  snapGen: number;
  /** alert frames broadcast while its snapshot is being built: sent right after it */
  held: string[] | undefined;
}

/** SNAPSHOT_SLICE: open alerts serialised per turn of the event loop when a screen (re)connects */
const SNAPSHOT_SLICE = 1000;

/** WsHubDeps: what the hub needs from the rest of the app. */
export interface WsHubDeps {
  auth: Auth;
  logger: Logger;
  metrics: Metrics;
  allowedOrigins: readonly string[];
  heartbeatMs: number;
  maxBufferedBytes: number;
  replayBuffer: number;
  now: () => number;
  openAlerts: () => Alert[];
  /** one open alert by id (O(1)), for an ack from a screen */
  openAlert: (id: string) => Alert | undefined;
  lastSeq: () => number;
  onAck: (alertId: string, p: Principal, note: string | undefined) => Promise<void>;
  demo: boolean;
  /** subscribe frames a connection may send per second; more close it with 1008 (default 5) */
  subscribePerSecond?: number;
}

/**
 * WsHub pushes alert events to control-room screens: authenticated upgrade, snapshot then live
 * frames in seq order, resume with `since`, heartbeat, backpressure and dead-peer detection.
 */
export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  private readonly ring: { seq: number; event: AlertEvent; frame: string }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly deps: WsHubDeps;

  constructor(deps: WsHubDeps) {
    this.deps = deps;
    this.timer = setInterval(() => this.beat(), deps.heartbeatMs);
    this.timer.unref();
  }

  /** handleUpgrade authenticates an HTTP upgrade on /ws (token and Origin) before accepting it. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') return reject(socket, 404, 'NOT_FOUND', 'no such endpoint');
    const origin = req.headers.origin;
    if (origin && !this.originAllowed(origin, req.headers.host)) return reject(socket, 403, 'FORBIDDEN', `origin ${origin} is not allowed`);
    let principal: Principal;
    try {
      principal = await this.deps.auth.verify(bearerOf(req.headers.authorization, url.searchParams.get('token')));
    } catch (err) {
      return reject(socket, 401, 'UNAUTHORIZED', (err as Error).message);
    }
    if (!hasRole(principal, 'viewer')) return reject(socket, 403, 'FORBIDDEN', `role ${principal.role} may not watch alerts`);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws, principal));
  }

  private originAllowed(origin: string, host: string | undefined): boolean {
    const list = this.deps.allowedOrigins;
    if (list.includes('*') || list.includes(origin)) return true;
    try {
      return new URL(origin).host === host; // same origin: the dashboard served by this instance
    } catch {
      return false;
    }
  }

  private add(ws: WebSocket, principal: Principal): void {
    const c: Client = { ws, principal, filter: {}, alive: true, errors: 0, errorsSince: this.deps.now(), subscribes: 0, subscribesSince: this.deps.now(), snapGen: 0, held: undefined };
    this.clients.add(c);
    this.deps.metrics.wsClients.set(this.clients.size);
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => void this.onMessage(c, data as Buffer, isBinary));
    ws.on('close', () => {
      this.clients.delete(c);
      this.deps.metrics.wsClients.set(this.clients.size);
    });
    ws.on('error', (err) => this.deps.logger.debug({ err: err.message }, 'websocket error'));
    this.sendSnapshot(c);
  }

  /**
   * sendSnapshot sends the open alerts as of now (`seq`), serialised SNAPSHOT_SLICE at a time with a
   * turn of the event loop between (20,000 open alerts in one piece held every other screen and
   * every reading up for ~200 ms). Alert frames broadcast meanwhile are newer than the snapshot:
   * they are held and sent right after it, in order.
   */
  private sendSnapshot(c: Client): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    const gen = ++c.snapGen;
    c.held ??= [];
    const seq = this.deps.lastSeq();
    const all = this.deps.openAlerts();
    const parts: string[] = [];
    const build = async (): Promise<void> => {
      for (let i = 0; i < all.length; i += SNAPSHOT_SLICE) {
        if (i > 0) {
          await new Promise<void>((r) => setImmediate(r));
          if (gen !== c.snapGen || c.ws.readyState !== c.ws.OPEN) return;
        }
        for (let k = i; k < Math.min(all.length, i + SNAPSHOT_SLICE); k++) if (this.visible(c, all[k]!, true)) parts.push(JSON.stringify(all[k]));
      }
      this.send(c, `{"type":"snapshot","seq":${seq},"alerts":[${parts.join(',')}]${this.deps.demo ? ',"demo":true' : ''}}`);
      const held = c.held ?? [];
      c.held = undefined;
      for (const f of held) this.send(c, f);
    };
    build().catch((err: unknown) => this.deps.logger.warn({ err }, 'snapshot not sent'));
  }

  private async onMessage(c: Client, data: Buffer, isBinary: boolean): Promise<void> {
    // frames already read from a socket being closed are not worth a parse, let alone a snapshot
    if (c.ws.readyState !== c.ws.OPEN) return;
    let frame: WsClientFrame;
    try {
      if (isBinary) throw new AppError('BAD_REQUEST', 'binary frames are not accepted');
      const r = WsClientFrame.safeParse(JSON.parse(data.toString('utf8')));
      if (!r.success) {
        const i = r.error.issues[0];
        throw new AppError('BAD_REQUEST', `${i?.path.join('.') || 'frame'}: ${i?.message ?? 'invalid frame'}`);
      }
      frame = r.data;
    } catch (err) {
      return this.clientError(c, err instanceof AppError ? err : new AppError('INVALID_JSON', `invalid JSON frame: ${(err as Error).message}`));
    }
    if (frame.type === 'subscribe') {
      if (this.subscribeFlood(c)) return;
      c.filter = frame.filter ?? {};
      if (frame.since !== undefined) this.resume(c, frame.since);
      else this.sendSnapshot(c);
      return;
    }
    if (!hasRole(c.principal, 'operator')) return this.clientError(c, new AppError('FORBIDDEN', `role ${c.principal.role} may not acknowledge`));
    // Same rule as HTTP: an operator may only acknowledge alerts of the token's towns.
    const target = this.deps.openAlert(frame.alertId);
    if (target && !canSeeTown(c.principal, target.town)) {
      return this.clientError(c, new AppError('FORBIDDEN', `alert ${frame.alertId} belongs to a town this token may not see`));
    }
    try {
      await this.deps.onAck(frame.alertId, c.principal, frame.note);
    } catch (err) {
      this.clientError(c, err instanceof AppError ? err : new AppError('INTERNAL', 'acknowledgement failed'));
    }
  }

  /** subscribeFlood: each subscribe costs a snapshot, so a connection past the rate is closed (1008) before one is built. */
  private subscribeFlood(c: Client): boolean {
    const now = this.deps.now();
    if (now - c.subscribesSince >= 1000) {
      c.subscribes = 0;
      c.subscribesSince = now;
    }
    const max = this.deps.subscribePerSecond ?? 5;
    if (++c.subscribes <= max) return false;
    this.deps.metrics.limitReached.inc({ limit: 'wsSubscribePerSecond' });
    this.deps.metrics.limitOverflow.inc({ limit: 'wsSubscribePerSecond' });
    this.close(c, 1008, `more than ${max} subscribe frames per second`, 'subscribeRate');
    return true;
  }

  private clientError(c: Client, err: AppError): void {
    const now = this.deps.now();
    if (now - c.errorsSince > 60_000) {
      c.errors = 0;
      c.errorsSince = now;
    }
    this.send(c, JSON.stringify({ type: 'error', code: err.code, message: err.message }));
    if (++c.errors > MAX_ERRORS_PER_MINUTE) this.close(c, 1008, 'too many bad frames', 'abuse');
  }

  /** resume replays the events after `since` when they are still held, else sends a fresh snapshot. */
  private resume(c: Client, since: number): void {
    const oldest = this.ring.length > 0 ? this.ring[0]!.seq : this.deps.lastSeq() + 1;
    if (since > this.deps.lastSeq() || since < oldest - 1) return this.sendSnapshot(c);
    // a snapshot still being built is abandoned: the replay below covers what it held back
    c.snapGen++;
    c.held = undefined;
    for (const r of this.ring) if (r.seq > since && this.visible(c, r.event.alert, r.event.kind === 'fired')) this.send(c, r.frame);
  }

  /** broadcast sends alert events (already durable, in seq order) to every client allowed to see them. */
  broadcast(events: readonly AlertEvent[]): void {
    for (const event of events) {
      const frame = JSON.stringify({ type: 'alert', ...event });
      this.ring.push({ seq: event.seq, event, frame });
      // trimmed in batches (amortised O(1) per event; shift() moved the whole buffer every time)
      if (this.ring.length > this.deps.replayBuffer + (this.deps.replayBuffer >> 2)) this.ring.splice(0, this.ring.length - this.deps.replayBuffer);
      const fresh = event.kind === 'fired';
      for (const c of this.clients) {
        if (!this.visible(c, event.alert, fresh)) continue;
        if (c.held) c.held.push(frame);
        else this.send(c, frame);
      }
    }
  }

  /** broadcastFrame sends a non-alert frame (the daily duty report) to every screen. */
  broadcastFrame(frame: Record<string, unknown>): void {
    const text = JSON.stringify(frame);
    for (const c of this.clients) this.send(c, text);
  }

  /** visible: token towns always apply; the severity floor only to new alerts, so a screen sees how shown ones end. */
  private visible(c: Client, a: Alert, applySeverityFloor: boolean): boolean {
    if (!canSeeTown(c.principal, a.town)) return false;
    const f = c.filter;
    if (f.towns && (a.town === undefined || !f.towns.includes(a.town))) return false;
    if (f.domains && !f.domains.includes(a.domain)) return false;
    if (applySeverityFloor && f.minSeverity && severityRank(a.severity) < severityRank(f.minSeverity)) return false;
    return true;
  }

  private send(c: Client, frame: string): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount > this.deps.maxBufferedBytes) return this.close(c, 1013, 'too far behind; reconnect with since', 'slow');
    c.ws.send(frame);
  }

  private close(c: Client, code: number, reason: string, metric: string): void {
    this.deps.metrics.wsClosed.inc({ reason: metric });
    this.clients.delete(c);
    this.deps.metrics.wsClients.set(this.clients.size);
    c.ws.close(code, reason);
    // A peer that does not complete the closing handshake is cut off.
    setTimeout(() => c.ws.terminate(), 5000).unref();
  }

  private beat(): void {
    const frame = JSON.stringify({ type: 'heartbeat', seq: this.deps.lastSeq(), at: formatTs(this.deps.now()) });
    const wall = Date.now(); // token expiry is wall-clock time (as jose checks it)
    for (const c of this.clients) {
      if (c.principal.exp !== undefined && wall >= c.principal.exp) {
        // a socket does not outlive its token: the screen is told why (4401) and can say 登录已过期
        this.close(c, 4401, 'token expired', 'expired');
        continue;
      }
      if (!c.alive) {
        this.deps.metrics.wsClosed.inc({ reason: 'dead' });
        this.clients.delete(c);
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
      this.send(c, frame);
    }
    this.deps.metrics.wsClients.set(this.clients.size);
  }

  /** clientCount is the number of connected screens. */
  clientCount(): number {
    return this.clients.size;
  }

  /** closeAll closes every socket with 1001 (going away) at shutdown. */
  closeAll(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.ws.close(1001, 'server shutting down');
    this.clients.clear();
    this.wss.close();
  }
}

function reject(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message, details: [] } });
  const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.once('finish', () => socket.destroy());
}
