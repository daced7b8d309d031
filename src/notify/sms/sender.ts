import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import { retry } from '../../retry.ts';
import type { SmsGateway, SmsMessage, SmsResult } from '../../ports/index.ts';

/** SmsSenderDeps: the gateway, the limits and the injected timing. */
export interface SmsSenderDeps {
  gateway: SmsGateway;
  /** texts per minute to one phone number (config `sms.ratePerMinute`) */
  ratePerMinute: number;
  /** texts one number may receive back to back before spacing starts; default min(5, ratePerMinute) */
  burst?: number;
  now: () => number;
  /** default: a real timer */
  sleep?: (ms: number) => Promise<void>;
  logger: Logger;
  /** attempts per message including the first; default 6 */
  maxAttempts?: number;
  /** first retry delay; doubles each attempt; default 1000 ms */
  baseDelayMs?: number;
  /** retry delay cap; default 30 000 ms */
  maxDelayMs?: number;
  /** [0, 1) source for jitter; default Math.random */
  random?: () => number;
  /** idle buckets are swept once more numbers than this are tracked; default 10 000 */
  maxBuckets?: number;
}

/** SmsSender: rate-limited, retrying sends through one gateway. */
export interface SmsSender {
  /** send waits for the number's rate limit (never drops), retries retryable errors, and throws the last error */
  send(msg: SmsMessage): Promise<SmsResult>;
  /** buckets is how many phone numbers are currently tracked by the rate limiter (a gauge) */
  buckets(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * createSmsSender wraps a gateway with a per-number token bucket (`ratePerMinute`, burst) and
 * retries: retryable AppErrors (and unknown errors) are retried with jittered exponential backoff
 * up to `maxAttempts`; permanent ones fail at once. Excess texts wait for a token, in call order.
 *
 * @example const sms = createSmsSender({ gateway, ratePerMinute: 30, now: Date.now, logger })
 */
export function createSmsSender(deps: SmsSenderDeps): SmsSender {
  if (!(deps.ratePerMinute > 0)) {
    throw new AppError('CONFIG_INVALID', `sms.ratePerMinute (${deps.ratePerMinute}) must be a positive number`);
  }
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const maxAttempts = Math.max(1, deps.maxAttempts ?? 6);
  const baseDelayMs = deps.baseDelayMs ?? 1000;
  const maxDelayMs = deps.maxDelayMs ?? 30_000;
  const maxBuckets = deps.maxBuckets ?? 10_000;
  const capacity = Math.max(1, deps.burst ?? Math.min(5, deps.ratePerMinute));
  const perMs = deps.ratePerMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  /** reserve takes a token now, going into debt when empty; the debt is the wait. */
  function reserve(to: string, now: number): number {
    const b = buckets.get(to) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perMs) - 1;
    b.at = now;
    buckets.set(to, b);
    if (buckets.size > maxBuckets) sweep(now);
    return b.tokens >= 0 ? 0 : Math.ceil(-b.tokens / perMs);
  }

  /** sweep drops buckets that have refilled completely: they hold no state worth keeping. */
  function sweep(now: number): void {
    for (const [k, b] of buckets) {
      if (b.tokens + (now - b.at) * perMs >= capacity) buckets.delete(k);
    }
  }

  /** attemptLoop: the shared retry primitive; a gateway's unexpected error counts as retryable SMS_FAILED */
  function attemptLoop(msg: SmsMessage): Promise<SmsResult> {
    return retry(
      async () => {
        try {
          return await deps.gateway.send(msg);
        } catch (err) {
          throw err instanceof AppError ? err : new AppError('SMS_FAILED', 'SMS gateway failed unexpectedly', { retryable: true, cause: err });
        }
      },
      {
        maxAttempts,
        baseDelayMs,
        maxDelayMs,
        sleep,
        random,
        onRetry: (err, attempt, delayMs) => deps.logger.info({ smsId: msg.id, code: (err as AppError).code, attempt, delayMs, err: (err as AppError).message }, 'sms send retry'),
        onGiveUp: (err, attempts) => {
          const e = err as AppError;
          deps.logger.warn({ smsId: msg.id, code: e.code, attempts, retryable: e.retryable, err: e.message }, 'sms send failed');
        },
      },
    );
  }

  return {
    async send(msg) {
      const wait = reserve(msg.to, deps.now());
      if (wait > 0) {
        deps.logger.debug({ smsId: msg.id, waitMs: wait }, 'sms rate limited');
        await sleep(wait);
      }
      return attemptLoop(msg);
    },
    buckets: () => buckets.size,
  };
}
