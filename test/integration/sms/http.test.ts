// The HTTP SMS gateway against a real HTTP sink (node:http) on 127.0.0.1, port 0. Never skips.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpSmsGateway } from '../../../src/adapters/http-sms/http-sms.ts';
import { AppError } from '../../../src/errors.ts';
import { createSmsSender } from '../../../src/notify/sms/sender.ts';

const noop = () => undefined;
const logger = { warn: noop, info: noop, debug: noop, error: noop, trace: noop, fatal: noop } as unknown as Logger;

interface Recorded {
  method: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Sink: records every request and answers from a script of [status, body] (then 200). */
interface Sink {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

type Answer = [number, string] | 'hang';

async function startSink(script: Answer[] = []): Promise<Sink> {
  const requests: Recorded[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : undefined });
      const answer = script.shift() ?? [200, JSON.stringify({ messageId: `prov-${requests.length}` })];
      if (answer === 'hang') {
        open.add(res); // never answered; closed at teardown
        return;
      }
      res.writeHead(answer[0], { 'content-type': 'application/json' }).end(answer[1]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms/send`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const r of open) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

const MSG = { id: 'a1b2/fired/1/+8613900000001', to: '+8613900000001', text: '【红色预警】上海庙镇 上海庙示范一号煤矿（虚构）：甲烷超限。14:05 编号a1b2c3d4' };

describe('HTTP SMS gateway against a real HTTP sink', () => {
  it('2xx = sent: POSTs {"id","to","text"} as JSON with an Idempotency-Key header', async () => {
    sink = await startSink();
    const gw = createHttpSmsGateway({ url: sink.url, logger });
    const res = await gw.send(MSG);
    expect(res).toEqual({ id: MSG.id, providerIds: ['prov-1'], parts: 1 });
    expect(sink.requests).toHaveLength(1);
    const req = sink.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers['idempotency-key']).toBe(MSG.id);
    expect(req.body).toEqual({ id: MSG.id, to: MSG.to, text: MSG.text });
  });

  it('a 2xx without a JSON body is still sent', async () => {
    sink = await startSink([[204, '']]);
    const res = await createHttpSmsGateway({ url: sink.url }).send(MSG);
    expect(res.providerIds).toEqual([]);
  });

  it.each<[number, boolean]>([
    // server errors: retry
    [500, true],
    [503, true],
    // throttling and request timeout: retry
    [429, true],
    [408, true],
    // client errors: never retry
    [400, false],
    [401, false],
    [404, false],
    [422, false],
  ])('HTTP %i → retryable %s', async (status, retryable) => {
    sink = await startSink([[status, '{"error":"x"}']]);
    const err = await createHttpSmsGateway({ url: sink.url }).send(MSG).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'SMS_FAILED', retryable });
    expect((err as AppError).details[0]?.code).toBe(String(status));
  });

  it('a provider that does not answer in time → retryable timeout', async () => {
    sink = await startSink(['hang']);
    const err = await createHttpSmsGateway({ url: sink.url, timeoutMs: 200 }).send(MSG).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SMS_FAILED', retryable: true });
    expect((err as AppError).message).toContain('200 ms');
  });

  it('nothing listening → retryable network error', async () => {
    const s = await startSink();
    const url = s.url;
    await s.close();
    await expect(createHttpSmsGateway({ url }).send(MSG)).rejects.toMatchObject({ code: 'SMS_FAILED', retryable: true });
  });

  it('with the sender: a 500 then 200 is delivered, both attempts carrying the same Idempotency-Key', async () => {
    sink = await startSink([[500, 'oops']]);
    const gw = createHttpSmsGateway({ url: sink.url });
    const sender = createSmsSender({ gateway: gw, ratePerMinute: 30, now: Date.now, logger, baseDelayMs: 10 });
    const res = await sender.send(MSG);
    expect(res.providerIds).toEqual(['prov-2']);
    expect(sink.requests.map((r) => r.headers['idempotency-key'])).toEqual([MSG.id, MSG.id]);
  });

  it('with the sender: a 400 is not retried', async () => {
    sink = await startSink([[400, 'bad number']]);
    const sender = createSmsSender({ gateway: createHttpSmsGateway({ url: sink.url }), ratePerMinute: 30, now: Date.now, logger, baseDelayMs: 10 });
    await expect(sender.send(MSG)).rejects.toMatchObject({ retryable: false });
    expect(sink.requests).toHaveLength(1);
  });

  it('refuses a URL that is not http(s) at construction', () => {
    expect(() => createHttpSmsGateway({ url: 'ftp://example.org/x' })).toThrow(/http/);
    expect(() => createHttpSmsGateway({ url: 'not a url' })).toThrow(/not a URL/);
  });
});
