import { describe, expect, it } from 'vitest';
import { retry } from '../../src/retry.ts';
import { AppError } from '../../src/errors.ts';
import { kafkaRetryable } from '../../src/adapters/kafka/producer.ts';

/** a fake clock whose sleep advances it, recording every wait */
function fakeTime() {
  let t = 0;
  const waits: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)), waits };
}
const failing = (errs: unknown[], value = 'ok') => {
  let n = 0;
  return async () => {
    if (n < errs.length) throw errs[n++];
    return value;
  };
};

describe('retry: the one retry primitive of SMS and Kafka sends', () => {
  it('retries retryable failures with jittered exponential backoff, then returns the result', async () => {
    const c = fakeTime();
    const r = await retry(failing([new Error('socket hang up'), new AppError('SMS_FAILED', 'busy', { retryable: true }), new Error('timeout')]), { baseDelayMs: 1000, maxDelayMs: 8000, random: () => 1, ...c });
    expect(r).toBe('ok');
    expect(c.waits).toEqual([1000, 2000, 4000]);
  });
  it('throws a permanent error at once', async () => {
    const c = fakeTime();
    const gaveUp: number[] = [];
    await expect(retry(failing([new AppError('SMS_FAILED', 'number barred', { retryable: false })]), { baseDelayMs: 10, maxDelayMs: 10, onGiveUp: (_e, n) => gaveUp.push(n), ...c })).rejects.toThrow('number barred');
    expect(c.waits).toEqual([]);
    expect(gaveUp).toEqual([1]);
  });
  it('stops at maxAttempts and throws the last error', async () => {
    const c = fakeTime();
    await expect(retry(failing([new Error('a'), new Error('b'), new Error('c'), new Error('d')]), { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10, random: () => 0, ...c })).rejects.toThrow('c');
    expect(c.waits).toHaveLength(2);
  });
  it('starts no attempt past its deadline', async () => {
    const c = fakeTime();
    const errs = Array.from({ length: 100 }, (_, i) => new Error(`e${i}`));
    await expect(retry(failing(errs), { deadlineMs: 5000, baseDelayMs: 1000, maxDelayMs: 1000, random: () => 1, ...c })).rejects.toThrow('e5');
    expect(c.now()).toBeLessThanOrEqual(5000);
  });
  it('stops retrying when told to (shutting down)', async () => {
    const c = fakeTime();
    let stopping = false;
    const p = retry(
      async (n) => {
        if (n === 2) stopping = true;
        throw new Error(`e${n}`);
      },
      { deadlineMs: 60_000, baseDelayMs: 10, maxDelayMs: 10, stopped: () => stopping, ...c },
    );
    await expect(p).rejects.toThrow('e2');
  });
});

describe('kafkaRetryable: which failed Kafka sends a fresh producer can fix', () => {
  it('retries connection trouble and timeouts (even after kafkajs gave up on its own retries)', () => {
    expect(kafkaRetryable(new Error('no acknowledgement within 20000 ms'))).toBe(true);
    expect(kafkaRetryable(Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, originalError: Object.assign(new Error('not leader'), { type: 'NOT_LEADER_FOR_PARTITION' }) }))).toBe(true);
  });
  it('does not retry authorization, size or malformed-record errors, also when wrapped', () => {
    expect(kafkaRetryable(Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' }))).toBe(false);
    expect(kafkaRetryable(Object.assign(new Error('retries exceeded'), { originalError: Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' }) }))).toBe(false);
    expect(kafkaRetryable(Object.assign(new Error('SASL PLAIN authentication failed'), { name: 'KafkaJSSASLAuthenticationError' }))).toBe(false);
  });
});
