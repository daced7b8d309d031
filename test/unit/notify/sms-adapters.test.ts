import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import smpp from 'smpp';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogSmsGateway } from '../../../src/adapters/log-sms/log-sms.ts';
import { alternateIds, destinationOf, isAuthFailure, parseReceipt, statusError, submitParts, ucs2 } from '../../../src/adapters/smpp/codec.ts';
import type { SmsDeliveryReceipt } from '../../../src/ports/index.ts';

const noop = () => undefined;

const ADDR = { sourceAddr: '10690001', sourceTon: 0, sourceNpi: 0, destination: '8613900000001', destTon: 1, destNpi: 1 };

describe('SMPP codec', () => {
  it.each<[string, number, boolean]>([
    // throttling and full queues clear up
    ['ESME_RTHROTTLED', 0x58, true],
    ['ESME_RMSGQFUL', 0x14, true],
    // SMSC trouble
    ['ESME_RSYSERR', 0x08, true],
    ['ESME_RSUBMITFAIL', 0x45, true],
    // the number is wrong: never
    ['ESME_RINVDSTADR', 0x0b, false],
    // malformed message: never
    ['ESME_RINVMSGLEN', 0x01, false],
    ['ESME_RINVDCS', 0x104, false],
  ])('%s is retryable: %s', (name, status, retryable) => {
    const e = statusError('submit_sm', status);
    expect(e).toMatchObject({ code: 'SMS_FAILED', retryable });
    expect(e.message).toContain(name);
  });

  it('wrong credentials are bind failures that retrying cannot fix', () => {
    expect(isAuthFailure(0x0e)).toBe(true);
    expect(isAuthFailure(0x0f)).toBe(true);
    expect(isAuthFailure(0x0d)).toBe(true);
    expect(isAuthFailure(0x08)).toBe(false);
  });

  it.each<[string, string | undefined]>([
    ['+8613900000001', '8613900000001'],
    ['8613900000001', '8613900000001'],
    ['+86 139-0000-0001', '8613900000001'],
    ['13900000001x', undefined],
    ['+0861390000000', undefined],
    ['', undefined],
  ])('destinationOf(%j) = %j', (to, expected) => {
    if (expected === undefined) expect(() => destinationOf(to)).toThrow(/E\.164/);
    else expect(destinationOf(to)).toBe(expected);
  });

  it('a 70-character text is one UCS-2 part without UDH; 71 characters make two parts with UDH', () => {
    const one = submitParts('甲'.repeat(70), 7, ADDR);
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ esm_class: 0, data_coding: 8, registered_delivery: 1, destination_addr: '8613900000001' });
    expect((one[0]!.short_message as Buffer).length).toBe(140);
    const two = submitParts('甲'.repeat(71), 7, ADDR);
    expect(two).toHaveLength(2);
    const sm = two[1]!.short_message as Buffer;
    expect([...sm.subarray(0, 6)]).toEqual([0x05, 0x00, 0x03, 7, 2, 2]);
    expect(two[0]).toMatchObject({ esm_class: 0x40 });
    expect(sm.subarray(6).equals(ucs2('甲'.repeat(4)))).toBe(true);
  });

  it('ucs2 is big-endian UTF-16', () => {
    expect([...ucs2('甲A')]).toEqual([0x75, 0x32, 0x00, 0x41]);
  });

  it('refuses a text over 255 parts', () => {
    expect(() => submitParts('甲'.repeat(67 * 256), 1, ADDR)).toThrow(/255/);
  });

  /** deliver decodes a deliver_sm the way the session does: through a PDU buffer round trip. */
  const deliver = (opts: Record<string, unknown>) => new smpp.PDU(new smpp.PDU('deliver_sm', opts).toBuffer());

  it.each<[string, Record<string, unknown>, ReturnType<typeof parseReceipt>]>([
    // ASCII bytes, data_coding 0: '_' survives the package's GSM decoding
    [
      'text receipt, raw ASCII',
      { esm_class: 4, data_coding: 0, short_message: Buffer.from('id:ab_12 sub:001 dlvrd:001 submit date:2407161405 done date:2407161406 stat:DELIVRD err:000 text:') },
      { providerId: 'ab_12', status: 'DELIVRD', err: '000' },
    ],
    // TLVs take precedence over the text
    [
      'TLVs',
      { esm_class: 4, receipted_message_id: 'F00D', message_state: 5, short_message: 'id:x stat:DELIVRD' },
      { providerId: 'F00D', status: 'UNDELIV' },
    ],
    // an ordinary mobile-originated message is not a receipt
    ['MO message', { esm_class: 0, short_message: 'hello' }, undefined],
  ])('parseReceipt: %s', (_name, opts, expected) => {
    expect(parseReceipt(deliver(opts))).toEqual(expected);
  });

  it('alternateIds maps decimal and hex forms of a provider id', () => {
    // all digits could be either: decimal 255 = hex ff, or hex 255 = decimal 597
    expect(alternateIds('255')).toEqual(['ff', '597']);
    expect(alternateIds('ff')).toEqual(['255']);
    expect(alternateIds('smsc_1')).toEqual([]);
  });
});

describe('log SMS gateway', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('logs each text, appends NDJSON to the outbox and reports a DELIVRD receipt', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-sms-'));
    const logged: unknown[] = [];
    const logger = { info: (o: unknown) => logged.push(o), warn: noop, debug: noop, error: noop } as unknown as Logger;
    const outboxFile = join(dir, 'nested', 'sms-outbox.ndjson');
    const gw = createLogSmsGateway({ logger, outboxFile, now: () => Date.parse('2024-07-16T14:05:00+08:00') });
    const receipts: SmsDeliveryReceipt[] = [];
    gw.onDeliveryReceipt?.((r) => receipts.push(r));
    const texts = ['短信一', '甲'.repeat(80)];
    const results = await Promise.all(texts.map((text, i) => gw.send({ id: `id${i}`, to: '+8613900000001', text })));
    await gw.close();
    expect(results.map((r) => r.parts)).toEqual([1, 2]);
    const lines = readFileSync(outboxFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.text)).toEqual(texts);
    expect(lines[0]).toMatchObject({ id: 'id0', to: '+8613900000001', at: '2024-07-16T14:05:00.000+08:00' });
    expect(logged).toHaveLength(2);
    await new Promise((r) => setImmediate(r));
    expect(receipts.map((r) => [r.id, r.status])).toEqual([
      ['id0', 'DELIVRD'],
      ['id1', 'DELIVRD'],
    ]);
  });

  it('works without an outbox file', async () => {
    const logger = { info: noop } as unknown as Logger;
    const res = await createLogSmsGateway({ logger }).send({ id: 'x', to: '+8613900000001', text: 'hi' });
    expect(res).toMatchObject({ id: 'x', parts: 1 });
  });
});
