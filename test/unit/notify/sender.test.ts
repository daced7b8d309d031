import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.ts';
import { createSmsSender } from '../../../src/notify/sms/sender.ts';
import { backoffDelay } from '../../../src/retry.ts';
import type { SmsGateway, SmsMessage, SmsResult } from '../../../src/ports/index.ts';

const noop = () => undefined;
const logger = { warn: noop, info: noop, debug: noop, error: noop, trace: noop, fatal: noop } as unknown as Logger;

/** FakeClock: `sleep` advances `now` at once, and records each wait. */
function fakeClock(start = 1_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
  };
}

/** FakeGateway: answers from a script of outcomes (an AppError to throw, or 'ok'), then 'ok'; records send times. */
function fakeGateway(script: ('ok' | AppError | Error)[] = [], now: () => number = () => 0) {
  const sent: { msg: SmsMessage; at: number }[] = [];
  const gateway: SmsGateway = {
    async send(msg): Promise<SmsResult> {
      sent.push({ msg, at: now() });
      const step = script.shift() ?? 'ok';
      if (step !== 'ok') throw step;
      return { id: msg.id, providerIds: [`p${sent.length}`], parts: 1 };
    },
    async close() {},
  };
  return { gateway, sent };
}

const retryable = () => new AppError('SMS_FAILED', 'throttled', { retryable: true });
const permanent = () => new AppError('SMS_FAILED', 'invalid destination', { retryable: false });
const msg = (id: string, to = '+8613900000001'): SmsMessage => ({ id, to, text: '测试' });

describe('rate limit (token bucket per number)', () => {
  it('lets a burst through, then spaces texts to one number at 60/ratePerMinute s; none is dropped', async () => {
    const clock = fakeClock();
    const { gateway, sent } = fakeGateway([], clock.now);
    const sender = createSmsSender({ gateway, ratePerMinute: 30, burst: 2, now: clock.now, sleep: clock.sleep, logger });
    const t0 = clock.now();
    // sequential sends, as a notifier draining a queue would
    for (let i = 0; i < 5; i++) await sender.send(msg(`m${i}`));
    expect(sent.map((s) => s.at - t0)).toEqual([0, 0, 2000, 4000, 6000]);
  });

  it('concurrent sends to one number each reserve the next slot', async () => {
    const clock = fakeClock();
    const { gateway } = fakeGateway([], clock.now);
    // time stands still while they wait: every reservation is made at the same instant
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const sender = createSmsSender({ gateway, ratePerMinute: 60, burst: 1, now: clock.now, sleep, logger });
    await Promise.all([0, 1, 2, 3].map((i) => sender.send(msg(`c${i}`))));
    // waits 0, 1 s, 2 s, 3 s: a queue in call order, not four texts after 1 s
    expect(waits).toEqual([1000, 2000, 3000]);
  });

  it('numbers have separate buckets', async () => {
    const clock = fakeClock();
    const { gateway, sent } = fakeGateway([], clock.now);
    const sender = createSmsSender({ gateway, ratePerMinute: 1, burst: 1, now: clock.now, sleep: clock.sleep, logger });
    await sender.send(msg('a', '+8613900000001'));
    await sender.send(msg('b', '+8613900000002'));
    expect(sent.map((s) => s.at)).toEqual([clock.now(), clock.now()]);
    expect(sender.buckets()).toBe(2);
  });

  it('the bucket refills with time', async () => {
    const clock = fakeClock();
    const { gateway } = fakeGateway([], clock.now);
    const sender = createSmsSender({ gateway, ratePerMinute: 6, burst: 1, now: clock.now, sleep: clock.sleep, logger });
    await sender.send(msg('a'));
    clock.advance(4000);
    await sender.send(msg('b'));
    // 10 s per text, 4 s already passed
    expect(clock.sleeps).toEqual([6000]);
  });

  it('refuses a non-positive rate at construction', () => {
    const { gateway } = fakeGateway();
    expect(() => createSmsSender({ gateway, ratePerMinute: 0, now: () => 0, logger })).toThrow(/ratePerMinute/);
  });
});

describe('retries', () => {
  it('retries retryable errors with jittered exponential backoff, then succeeds', async () => {
    const clock = fakeClock();
    const { gateway, sent } = fakeGateway([retryable(), retryable(), 'ok'], clock.now);
    const sender = createSmsSender({ gateway, ratePerMinute: 60, now: clock.now, sleep: clock.sleep, logger, random: () => 1 });
    const res = await sender.send(msg('r1'));
    expect(res.providerIds).toEqual(['p3']);
    expect(sent).toHaveLength(3);
    // random() = 1 gives the full delay: 1 s, then 2 s
    expect(clock.sleeps).toEqual([1000, 2000]);
    // the same idempotency key on every attempt
    expect(new Set(sent.map((s) => s.msg.id))).toEqual(new Set(['r1']));
  });

  it('a permanent error fails at once, without retry', async () => {
    const clock = fakeClock();
    const { gateway, sent } = fakeGateway([permanent()], clock.now);
    const sender = createSmsSender({ gateway, ratePerMinute: 60, now: clock.now, sleep: clock.sleep, logger });
    await expect(sender.send(msg('p1'))).rejects.toMatchObject({ code: 'SMS_FAILED', retryable: false });
    expect(sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up after maxAttempts and throws the last error', async () => {
    const clock = fakeClock();
    const errors = Array.from({ length: 10 }, (_, i) => new AppError('SMS_FAILED', `down ${i}`, { retryable: true }));
    const { gateway, sent } = fakeGateway([...errors], clock.now);
    const sender = createSmsSender({ gateway, ratePerMinute: 60, now: clock.now, sleep: clock.sleep, logger, maxAttempts: 4, random: () => 0 });
    await expect(sender.send(msg('g1'))).rejects.toBe(errors[3]);
    expect(sent).toHaveLength(4);
    // random() = 0 gives half the delay: 0.5 s, 1 s, 2 s
    expect(clock.sleeps).toEqual([500, 1000, 2000]);
  });

  it('treats a non-AppError as retryable and wraps it when giving up', async () => {
    const clock = fakeClock();
    const { gateway, sent } = fakeGateway([new TypeError('boom'), new TypeError('boom')], clock.now);
    const sender = createSmsSender({ gateway, ratePerMinute: 60, now: clock.now, sleep: clock.sleep, logger, maxAttempts: 2 });
    const err = await sender.send(msg('u1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'SMS_FAILED', retryable: true });
    expect((err as AppError).cause).toBeInstanceOf(TypeError);
    expect(sent).toHaveLength(2);
  });
});

describe('backoffDelay', () => {
  it.each<[number, number, number]>([
    // attempt, random, delay (base 1 s, cap 8 s)
    [1, 1, 1000],
    [1, 0, 500],
    [2, 1, 2000],
    [3, 0.5, 3000],
    [4, 1, 8000],
    // capped
    [10, 1, 8000],
    [10, 0, 4000],
  ])('attempt %i, random %f → %i ms', (attempt, random, delay) => {
    expect(backoffDelay(attempt, 1000, 8000, random)).toBe(delay);
  });
});
