import { AppError } from './errors.ts';

// One retry primitive for everything riskstream sends out: texts to the SMS provider and records
// to Kafka. Jittered exponential backoff, a bound on attempts and/or a deadline, and errors
// classified retryable or permanent (a permanent one fails at once). Sleep, clock and randomness
// are injected so the timing is testable; maintained libraries (p-retry) take none of them.

/**
 * backoffDelay: exponential with equal jitter — attempt 1 waits base/2..base, attempt 2
 * base..2·base, …, capped at `max` — so retries from many senders do not synchronise.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const d = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(d / 2 + (d / 2) * random);
}

/** RetryPolicy: how often and how long to try, and how to tell a permanent error. */
export interface RetryPolicy {
  /** attempts including the first (default: unbounded; then `deadlineMs` must be set) */
  maxAttempts?: number;
  /** no attempt starts after this many ms from the first */
  deadlineMs?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** a permanent error is thrown at once (default: `isRetryable`) */
  retryable?: (err: unknown) => boolean;
  /** stop retrying (shutting down) */
  stopped?: () => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void | Promise<void>;
  onGiveUp?: (err: unknown, attempt: number) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) source for jitter */
  random?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** isRetryable: an AppError says so itself; anything else (a socket error, a timeout) is worth another try. */
export function isRetryable(err: unknown): boolean {
  return err instanceof AppError ? err.retryable : true;
}

/** retry runs `attempt` until it resolves, a permanent error, the attempt bound, the deadline or a stop; the last error is thrown. */
export async function retry<T>(attempt: (n: number) => Promise<T>, p: RetryPolicy): Promise<T> {
  const now = p.now ?? Date.now;
  const sleep = p.sleep ?? realSleep;
  const random = p.random ?? Math.random;
  const retryable = p.retryable ?? isRetryable;
  const deadline = p.deadlineMs === undefined ? Infinity : now() + p.deadlineMs;
  const maxAttempts = p.maxAttempts ?? Infinity;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const delay = backoffDelay(n, p.baseDelayMs, p.maxDelayMs, random());
      if (!retryable(err) || n >= maxAttempts || now() + delay > deadline || p.stopped?.()) {
        p.onGiveUp?.(err, n);
        throw err;
      }
      await p.onRetry?.(err, n, delay);
      await sleep(delay);
    }
  }
}
