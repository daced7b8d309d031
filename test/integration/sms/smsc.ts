// A small SMSC (message centre) built on the `smpp` package's server: accepts bind_transceiver
// with a password check, records submit_sm (UCS-2 decoded, concatenated parts reassembled by
// reference), answers submit_sm_resp with message ids, and can send deliver_sm receipts.
import type { AddressInfo } from 'node:net';
import smpp from 'smpp';

/** Submit: one submit_sm as the SMSC saw it. */
export interface Submit {
  from: string;
  to: string;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** concatenation header (IEI 0x00), if any */
  concat?: { ref: number; total: number; seq: number };
  text: string;
  messageId: string;
}

/** SmscOptions: behaviour knobs for a test. */
export interface SmscOptions {
  systemId: string;
  password: string;
  /** destroy the socket on the n-th submit_sm (1 = the first), without responding */
  dropOnSubmit?: number;
  /** command_status to answer for a destination (digits, no "+") */
  statusFor?: Record<string, number>;
  /** leave enquire_link unanswered (a hung peer) */
  ignoreEnquireLink?: boolean;
  /** answer the first N submit_sm with ESME_RTHROTTLED */
  throttleFirst?: number;
}

export interface Smsc {
  port: number;
  submits: Submit[];
  binds: { systemId: string; ok: boolean }[];
  enquireLinks: number;
  sessions(): smpp.Session[];
  /** messages reassembled by (to, ref); each complete message once, even if a part came twice */
  messages(): { to: string; text: string; parts: number }[];
  /** sendReceipt delivers a receipt for a message id to the bound session */
  sendReceipt(messageId: string, stat?: string, opts?: { raw?: boolean }): Promise<void>;
  /** enquire sends enquire_link to the client and resolves with its answer's status */
  enquire(): Promise<number>;
  close(): Promise<void>;
}

/** decode reads a received submit_sm's short_message (decoded by the smpp package) into text and UDH. */
function decode(pdu: smpp.PDU): { text: string; concat?: Submit['concat'] } {
  const sm = pdu.short_message as { udh?: Buffer[]; message: string | Buffer };
  const text = typeof sm.message === 'string' ? sm.message : sm.message.toString('latin1');
  const ie = sm.udh?.find((u) => u[0] === 0x00 && u[1] === 0x03);
  return ie ? { text, concat: { ref: ie[2] as number, total: ie[3] as number, seq: ie[4] as number } } : { text };
}

export async function startSmsc(opts: SmscOptions): Promise<Smsc> {
  const submits: Submit[] = [];
  const binds: Smsc['binds'] = [];
  let nextId = 0;
  let throttled = 0;
  let enquireLinks = 0;
  const bound = new Set<smpp.Session>();

  const server = smpp.createServer((session) => {
    session.on('error', () => undefined);
    session.on('close', () => bound.delete(session));
    session.on('bind_transceiver', (pdu: smpp.PDU) => {
      const ok = pdu.system_id === opts.systemId && pdu.password === opts.password;
      binds.push({ systemId: String(pdu.system_id), ok });
      if (!ok) {
        session.send(pdu.response({ command_status: smpp.errors.ESME_RINVPASWD }));
        session.close();
        return;
      }
      bound.add(session);
      session.send(pdu.response({ system_id: 'test-smsc' }));
    });
    session.on('enquire_link', (pdu: smpp.PDU) => {
      enquireLinks++;
      if (!opts.ignoreEnquireLink) session.send(pdu.response());
    });
    session.on('unbind', (pdu: smpp.PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu: smpp.PDU) => {
      const { text, concat } = decode(pdu);
      const messageId = `smsc_${String(++nextId).padStart(6, '0')}`;
      const rec: Submit = {
        from: String(pdu.source_addr),
        to: String(pdu.destination_addr),
        esmClass: pdu.esm_class as number,
        dataCoding: pdu.data_coding as number,
        registeredDelivery: pdu.registered_delivery as number,
        ...(concat ? { concat } : {}),
        text,
        messageId,
      };
      submits.push(rec);
      if (opts.dropOnSubmit === submits.length) {
        rec.messageId = ''; // never acknowledged
        session.destroy();
        return;
      }
      const status = opts.statusFor?.[rec.to] ?? (throttled < (opts.throttleFirst ?? 0) ? smpp.errors.ESME_RTHROTTLED : 0);
      if (status === smpp.errors.ESME_RTHROTTLED) throttled++;
      if (status !== 0) rec.messageId = '';
      session.send(pdu.response(status !== 0 ? { command_status: status } : { message_id: messageId }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  function current(): smpp.Session {
    const s = [...bound].at(-1);
    if (!s) throw new Error('no bound session');
    return s;
  }

  return {
    port,
    submits,
    binds,
    get enquireLinks() {
      return enquireLinks;
    },
    sessions: () => [...bound],
    messages() {
      const out: { to: string; text: string; parts: number }[] = [];
      const groups = new Map<string, Map<number, string>>();
      const totals = new Map<string, number>();
      for (const s of submits) {
        if (!s.concat) {
          out.push({ to: s.to, text: s.text, parts: 1 });
          continue;
        }
        const key = `${s.to}|${s.concat.ref}|${s.concat.total}`;
        const g = groups.get(key) ?? new Map<number, string>();
        g.set(s.concat.seq, s.text); // a duplicate part overwrites itself
        groups.set(key, g);
        totals.set(key, s.concat.total);
      }
      for (const [key, g] of groups) {
        const total = totals.get(key) as number;
        if (g.size !== total) continue;
        const text = Array.from({ length: total }, (_, i) => g.get(i + 1)).join('');
        out.push({ to: key.split('|')[0] as string, text, parts: total });
      }
      return out;
    },
    sendReceipt(messageId, stat = 'DELIVRD', o = {}) {
      const s = submits.find((x) => x.messageId === messageId);
      const body = `id:${messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2407161405 done date:2407161406 stat:${stat} err:000 text:`;
      return new Promise((resolve, reject) => {
        const ok = current().deliver_sm(
          {
            source_addr: s?.to ?? '',
            destination_addr: s?.from ?? '',
            esm_class: 0x04,
            // raw: plain ASCII bytes with data_coding 0, as real SMSCs send them
            ...(o.raw ? { data_coding: 0, short_message: Buffer.from(body, 'latin1') } : { short_message: body }),
          },
          () => resolve(),
        );
        if (!ok) reject(new Error('deliver_sm not written'));
      });
    },
    enquire() {
      return new Promise((resolve) => {
        current().enquire_link({}, (resp) => resolve(resp.command_status));
      });
    },
    close() {
      for (const s of server.sessions) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
