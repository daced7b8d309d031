import smpp from 'smpp';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import type { SmsDeliveryReceipt, SmsGateway, SmsMessage, SmsResult } from '../../ports/index.ts';
import { alternateIds, destinationOf, parseReceipt, statusError, statusName, submitParts, type SubmitAddressing } from './codec.ts';
import { SmppLink, type SmppLinkOptions } from './link.ts';

/** SmppGatewayOptions: config `sms.smpp` plus timing with defaults. */
export interface SmppGatewayOptions extends Omit<SmppLinkOptions, 'logger' | 'random'> {
  sourceAddr: string;
  logger: Logger;
  /** how long a send waits for a (re)bound session before failing retryable; default 30 000 ms */
  waitForBindMs?: number;
  /** submit_sm_resp timeout; default 10 000 ms */
  responseTimeoutMs?: number;
  /** source TON/NPI; default 5/0 for an alphanumeric sender, else 0/0 */
  sourceTon?: number;
  sourceNpi?: number;
  /** destination TON/NPI; default 1/1 (international, ISDN), the number sent without "+" */
  destTon?: number;
  destNpi?: number;
  /** messages whose receipts can still be matched to their SmsMessage id; default 10 000 */
  maxTracked?: number;
  random?: () => number;
  now?: () => number;
}

/** Progress: which parts of a message the SMSC has acknowledged, kept so a retry sends only the rest. */
interface Progress {
  to: string;
  text: string;
  ref: number;
  ids: (string | undefined)[];
}

const MAX_PROGRESS = 1000;

/** remember inserts into a Map used as a FIFO of bounded size. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
}

/**
 * SmppGateway sends texts over one SMPP transceiver session (`smpp` package): UCS-2, concatenated
 * parts with a UDH, delivery receipts requested and reported through onDeliveryReceipt. The
 * session reconnects with jittered backoff; a send waits for it up to `waitForBindMs`. A send cut
 * off by a dropped connection fails retryable; a retry with the same id resends only the parts
 * the SMSC has not acknowledged, with the same concatenation reference (at-least-once per part).
 */
export class SmppGateway implements SmsGateway {
  private readonly link: SmppLink;
  private readonly addressing: Omit<SubmitAddressing, 'destination'>;
  private readonly progress = new Map<string, Progress>();
  private readonly inflight = new Map<string, Promise<SmsResult>>();
  /** provider message id (lower case) → SmsMessage id, for receipts */
  private readonly byProviderId = new Map<string, string>();
  private readonly listeners: ((r: SmsDeliveryReceipt) => void)[] = [];
  private readonly now: () => number;
  private nextRef: number;

  private readonly opts: SmppGatewayOptions;
  constructor(opts: SmppGatewayOptions) {
    this.opts = opts;
    const random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.nextRef = Math.floor(random() * 256);
    const alpha = /[^0-9+]/.test(opts.sourceAddr);
    this.addressing = {
      sourceAddr: opts.sourceAddr,
      sourceTon: opts.sourceTon ?? (alpha ? 5 : 0),
      sourceNpi: opts.sourceNpi ?? 0,
      destTon: opts.destTon ?? 1,
      destNpi: opts.destNpi ?? 1,
    };
    this.link = new SmppLink({ ...opts, random, onDeliver: (pdu) => this.onDeliver(pdu) });
    this.link.start();
  }

  /** bound: whether the session is bound right now. */
  get bound(): boolean {
    return this.link.bound;
  }

  /** ready resolves once bound (rejects with the bind error, or retryable after `timeoutMs`). */
  ready(timeoutMs = this.opts.waitForBindMs ?? 30_000): Promise<void> {
    return this.link.waitBound(timeoutMs).then(() => undefined);
  }

  send(msg: SmsMessage): Promise<SmsResult> {
    // a concurrent send of the same id joins the one in flight instead of texting twice
    const running = this.inflight.get(msg.id);
    if (running) return running;
    const p = this.sendOnce(msg).finally(() => this.inflight.delete(msg.id));
    this.inflight.set(msg.id, p);
    return p;
  }

  private async sendOnce(msg: SmsMessage): Promise<SmsResult> {
    const destination = destinationOf(msg.to);
    if (msg.text.length === 0) throw new AppError('SMS_FAILED', 'empty SMS text');
    let prog = this.progress.get(msg.id);
    if (!prog || prog.to !== msg.to || prog.text !== msg.text) {
      prog = { to: msg.to, text: msg.text, ref: this.nextRef, ids: [] };
      this.nextRef = (this.nextRef + 1) & 0xff;
    }
    const parts = submitParts(msg.text, prog.ref, { ...this.addressing, destination });
    remember(this.progress, msg.id, prog, MAX_PROGRESS);
    try {
      await this.submitMissing(parts, prog, msg.id);
    } catch (err) {
      // progress is kept only for a retry; a permanent failure will not be retried
      if (!(err instanceof AppError && err.retryable)) this.progress.delete(msg.id);
      throw err;
    }
    this.progress.delete(msg.id);
    this.opts.logger.debug({ smsId: msg.id, parts: parts.length }, 'sms submitted (smpp)');
    return { id: msg.id, providerIds: prog.ids.filter((x): x is string => !!x), parts: parts.length };
  }

  /** submitMissing sends, one after the other, the parts the SMSC has not acknowledged yet. */
  private async submitMissing(parts: Record<string, unknown>[], prog: Progress, smsId: string): Promise<void> {
    for (let i = 0; i < parts.length; i++) {
      if (prog.ids[i] !== undefined) continue;
      const conn = await this.link.waitBound(this.opts.waitForBindMs ?? 30_000);
      const resp = await this.link.request(conn, new smpp.PDU('submit_sm', parts[i]), this.opts.responseTimeoutMs ?? 10_000);
      if (resp.command_status !== 0) {
        // the SMSC no longer considers us bound: rebind before the retry
        if (statusName(resp.command_status) === 'ESME_RINVBNDSTS') conn.session.destroy();
        throw statusError('submit_sm', resp.command_status);
      }
      const providerId = String(resp.message_id ?? '');
      prog.ids[i] = providerId;
      if (providerId) remember(this.byProviderId, providerId.toLowerCase(), smsId, this.opts.maxTracked ?? 10_000);
    }
  }

  onDeliveryReceipt(cb: (r: SmsDeliveryReceipt) => void): void {
    this.listeners.push(cb);
  }

  private onDeliver(pdu: smpp.PDU): void {
    const r = parseReceipt(pdu);
    if (!r) {
      this.opts.logger.debug({ esmClass: pdu.esm_class }, 'smpp deliver_sm ignored (not a receipt)');
      return;
    }
    let id = this.byProviderId.get(r.providerId.toLowerCase());
    for (const alt of id === undefined ? alternateIds(r.providerId) : []) {
      id = this.byProviderId.get(alt.toLowerCase());
      if (id !== undefined) break;
    }
    const receipt: SmsDeliveryReceipt = { ...(id !== undefined ? { id } : {}), providerId: r.providerId, status: r.status, at: this.now() };
    for (const cb of this.listeners) {
      try {
        cb(receipt);
      } catch (err) {
        this.opts.logger.warn({ err }, 'sms receipt listener failed');
      }
    }
  }

  /** close stops reconnecting, unbinds and closes the socket; sends still waiting fail retryable. */
  close(): Promise<void> {
    return this.link.stop();
  }
}

/**
 * createSmppGateway starts connecting at once (bind_transceiver) and returns the gateway.
 *
 * @example createSmppGateway({ host, port, systemId, password, sourceAddr: '10690001', logger })
 */
export function createSmppGateway(opts: SmppGatewayOptions): SmppGateway {
  return new SmppGateway(opts);
}
