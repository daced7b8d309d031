// The SMPP gateway against a real SMPP peer (the `smpp` package's server) on 127.0.0.1, port 0.
// Needs no external service, so it never skips.
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmppGateway, type SmppGateway, type SmppGatewayOptions } from '../../../src/adapters/smpp/smpp-gateway.ts';
import { AppError } from '../../../src/errors.ts';
import { createSmsSender } from '../../../src/notify/sms/sender.ts';
import type { SmsDeliveryReceipt } from '../../../src/ports/index.ts';
import { startSmsc, type Smsc, type SmscOptions } from './smsc.ts';

const noop = () => undefined;
const logger = { warn: noop, info: noop, debug: noop, error: noop, trace: noop, fatal: noop } as unknown as Logger;

const CREDS = { systemId: 'riskstream', password: 's3cret' };
/** 2 parts in UCS-2: 67 + 33 characters */
const LONG =
  '【红色预警】上海庙镇 上海庙示范一号煤矿（虚构）：甲烷超限 上隅角T0，实测1.62%（阈值1.5%）。处置：立即切断作业范围内全部非本质安全型电气设备电源，停止作业、撤出人员。14:05 编号3f9a1c2b';
const SHORT = '【解除】上海庙镇：甲烷超限已解除。14:47';

let smsc: Smsc | undefined;
let gw: SmppGateway | undefined;

afterEach(async () => {
  await gw?.close();
  await smsc?.close();
  gw = undefined;
  smsc = undefined;
});

async function setup(s: Partial<SmscOptions> = {}, g: Partial<SmppGatewayOptions> = {}): Promise<{ smsc: Smsc; gw: SmppGateway }> {
  smsc = await startSmsc({ ...CREDS, ...s });
  gw = createSmppGateway({
    host: '127.0.0.1',
    port: smsc.port,
    ...CREDS,
    sourceAddr: '10690001',
    logger,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    waitForBindMs: 3000,
    responseTimeoutMs: 2000,
    ...g,
  });
  return { smsc, gw };
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SMPP gateway against a real SMPP server', () => {
  it('binds as transceiver and sends a short Chinese text as one UCS-2 submit_sm with a receipt requested', async () => {
    const { smsc, gw } = await setup();
    const res = await gw.send({ id: 'a1/fired/+8613900000001', to: '+8613900000001', text: SHORT });
    expect(res).toEqual({ id: 'a1/fired/+8613900000001', providerIds: ['smsc_000001'], parts: 1 });
    expect(smsc.binds).toEqual([{ systemId: 'riskstream', ok: true }]);
    expect(smsc.submits).toHaveLength(1);
    expect(smsc.submits[0]).toMatchObject({ from: '10690001', to: '8613900000001', esmClass: 0, dataCoding: 8, registeredDelivery: 1, text: SHORT });
  });

  it('splits a long text into concatenated parts (UDH, esm_class 0x40) that reassemble to the original', async () => {
    const { smsc, gw } = await setup();
    const res = await gw.send({ id: 'long-1', to: '+8613900000002', text: LONG });
    expect(res.parts).toBe(2);
    expect(res.providerIds).toEqual(['smsc_000001', 'smsc_000002']);
    const [p1, p2] = smsc.submits;
    expect(p1?.esmClass).toBe(0x40);
    expect(p1?.concat).toMatchObject({ total: 2, seq: 1 });
    expect(p2?.concat).toMatchObject({ ref: p1?.concat?.ref, total: 2, seq: 2 });
    expect(p1?.text).toHaveLength(67);
    expect(smsc.messages()).toEqual([{ to: '8613900000002', text: LONG, parts: 2 }]);
  });

  it('reports deliver_sm receipts via onDeliveryReceipt, matched to the message id (ASCII and GSM-decoded bodies)', async () => {
    const { smsc, gw } = await setup();
    const receipts: SmsDeliveryReceipt[] = [];
    gw.onDeliveryReceipt((r) => receipts.push(r));
    await gw.send({ id: 'rcpt-1', to: '+8613900000003', text: SHORT });
    await gw.send({ id: 'rcpt-2', to: '+8613900000003', text: SHORT });
    // raw ASCII with data_coding 0: the package decodes it as GSM 03.38 ('_' → '§'); the gateway undoes that
    await smsc.sendReceipt('smsc_000001', 'DELIVRD', { raw: true });
    await smsc.sendReceipt('smsc_000002', 'UNDELIV');
    await until(() => receipts.length === 2);
    expect(receipts.map(({ id, providerId, status }) => ({ id, providerId, status }))).toEqual([
      { id: 'rcpt-1', providerId: 'smsc_000001', status: 'DELIVRD' },
      { id: 'rcpt-2', providerId: 'smsc_000002', status: 'UNDELIV' },
    ]);
    expect(typeof receipts[0]?.at).toBe('number');
  });

  it('answers the server enquire_link and sends its own periodically', async () => {
    const { smsc, gw } = await setup({}, { enquireLinkMs: 50 });
    await gw.ready();
    expect(await smsc.enquire()).toBe(0);
    await until(() => smsc.enquireLinks >= 2);
  });

  it('a peer that stops answering enquire_link is dropped and the session rebinds', async () => {
    const { smsc, gw } = await setup({ ignoreEnquireLink: true }, { enquireLinkMs: 50, enquireTimeoutMs: 100 });
    await gw.ready();
    await until(() => smsc.binds.length >= 2);
    expect(smsc.binds.every((b) => b.ok)).toBe(true);
  });

  it('reconnects after the server closes an idle session, and sends again', async () => {
    const { smsc, gw } = await setup();
    await gw.ready();
    for (const s of smsc.sessions()) s.destroy();
    await until(() => smsc.binds.length === 2 && gw.bound);
    const res = await gw.send({ id: 'after', to: '+8613900000010', text: SHORT });
    expect(res.providerIds).toEqual(['smsc_000001']);
  });

  it('a wrong password fails permanently and the gateway stops binding', async () => {
    const { smsc, gw } = await setup({ password: 'other' });
    const err = await gw.send({ id: 'x', to: '+8613900000004', text: SHORT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'SMS_FAILED', retryable: false });
    expect((err as AppError).message).toContain('ESME_RINVPASWD');
    await new Promise((r) => setTimeout(r, 150));
    expect(smsc.binds).toEqual([{ systemId: 'riskstream', ok: false }]);
    expect(smsc.submits).toHaveLength(0);
  });

  it.each<[string, Partial<SmscOptions>, boolean]>([
    // invalid destination: never retry
    ['ESME_RINVDSTADR', { statusFor: { '8613900000005': 0x0b } }, false],
    // throttling: retry later
    ['ESME_RTHROTTLED', { throttleFirst: 1 }, true],
    // message queue full: retry later
    ['ESME_RMSGQFUL', { statusFor: { '8613900000005': 0x14 } }, true],
    // system error: retry later
    ['ESME_RSYSERR', { statusFor: { '8613900000005': 0x08 } }, true],
  ])('submit_sm_resp %s → retryable %s', async (name, s, retryable) => {
    const { gw } = await setup(s);
    const err = await gw.send({ id: 'st', to: '+8613900000005', text: SHORT }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SMS_FAILED', retryable });
    expect((err as AppError).message).toContain(name);
  });

  it('refuses a destination that is not E.164 before talking to the SMSC', async () => {
    const { smsc, gw } = await setup();
    await expect(gw.send({ id: 'bad', to: '13900000001x', text: SHORT })).rejects.toMatchObject({ retryable: false });
    expect(smsc.submits).toHaveLength(0);
  });

  it('a send while no SMSC is reachable waits for the bind, then fails retryable', async () => {
    const first = await setup();
    const port = first.smsc.port;
    await first.smsc.close();
    smsc = undefined;
    await gw?.close();
    gw = createSmppGateway({ host: '127.0.0.1', port, ...CREDS, sourceAddr: '10690001', logger, waitForBindMs: 300, reconnectMinMs: 20, reconnectMaxMs: 50 });
    const t0 = Date.now();
    await expect(gw.send({ id: 'w', to: '+8613900000006', text: SHORT })).rejects.toMatchObject({ code: 'SMS_FAILED', retryable: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('an SMPP server that drops the connection mid-send loses no text', async () => {
    const { smsc, gw } = await setup({ dropOnSubmit: 1 });
    // the caller is the sender with retries (real timers, short backoff)
    const sender = createSmsSender({ gateway: gw, ratePerMinute: 60, now: Date.now, logger, baseDelayMs: 20, maxDelayMs: 100 });
    const res = await sender.send({ id: 'a9/fired/+8613900000007', to: '+8613900000007', text: LONG });
    // the caller saw one success, with an id for each part
    expect(res.parts).toBe(2);
    expect(res.providerIds).toHaveLength(2);
    // the gateway reconnected: two successful binds
    expect(smsc.binds.filter((b) => b.ok)).toHaveLength(2);
    // the server saw part 1 twice (once unacknowledged, on the dropped connection) and part 2 once;
    // both copies of part 1 carry the same reference, so the text reassembles exactly once
    expect(smsc.submits.map((s) => s.concat?.seq)).toEqual([1, 1, 2]);
    expect(new Set(smsc.submits.map((s) => s.concat?.ref)).size).toBe(1);
    expect(smsc.messages()).toEqual([{ to: '8613900000007', text: LONG, parts: 2 }]);
  });

  it('a retry of the same id after a drop between parts resends only the unacknowledged parts', async () => {
    // three parts; the connection drops on part 2 (part 1 was acknowledged), then the caller retries
    const THREE = LONG + LONG.slice(0, 40);
    const { smsc, gw } = await setup({ dropOnSubmit: 2 });
    const first = await gw.send({ id: 'm3', to: '+8613900000008', text: THREE }).catch((e: unknown) => e);
    expect(first).toMatchObject({ retryable: true });
    const res = await gw.send({ id: 'm3', to: '+8613900000008', text: THREE });
    expect(res.parts).toBe(3);
    expect(smsc.submits.map((s) => s.concat?.seq)).toEqual([1, 2, 2, 3]);
    expect(res.providerIds).toEqual(['smsc_000001', 'smsc_000003', 'smsc_000004']);
    expect(smsc.messages()).toEqual([{ to: '8613900000008', text: THREE, parts: 3 }]);
  });

  it('close unbinds, and a send after close fails retryable', async () => {
    const { smsc, gw } = await setup();
    await gw.ready();
    await gw.close();
    await until(() => smsc.sessions().length === 0);
    await expect(gw.send({ id: 'c', to: '+8613900000009', text: SHORT })).rejects.toMatchObject({ retryable: true });
  });
});
