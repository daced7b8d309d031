import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { retry } from '../../retry.ts';

/**
 * PERMANENT: Kafka error types no retry can fix (kafkajs' own `retriable` flag is false after its
 * internal retries too, so it cannot tell these apart): not allowed, too large, malformed.
 */
const PERMANENT = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'SASL_AUTHENTICATION_FAILED', 'MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/** kafkaRetryable: whether a failed send is worth another try with a fresh producer (anything but a PERMANENT type, in the error or its causes). */
export function kafkaRetryable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const x = e as { type?: unknown; originalError?: unknown; cause?: unknown; name?: unknown };
    if (typeof x.type === 'string' && PERMANENT.has(x.type)) return false;
    if (x.name === 'KafkaJSSASLAuthenticationError') return false;
    e = x.originalError ?? x.cause;
  }
  return true;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** BoundedSenderOptions: the client, the clock, how long a send may take in all and per attempt. */
export interface BoundedSenderOptions {
  kafka: Kafka;
  log: Logger;
  now: () => number;
  /** a send failing for this long is thrown (fatal for alert events) */
  sendDeadlineMs: number;
  /** one attempt; longer means a stuck producer */
  attemptMs: number;
  /** shutting down: a failed attempt is not retried */
  isStopping: () => boolean;
  /** counters shown in riskstream_kafka{stat} */
  stat: { sendRetries: number; producerRestarts: number };
}

/** BoundedSender: one idempotent producer (acks=all) behind a send that is bounded and retried. */
export interface BoundedSender {
  connect(): Promise<void>;
  send(topicMessages: { topic: string; messages: Message[] }[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * createBoundedSender: `send` writes to several topics with acks=all. One attempt is bounded: a
 * kafkajs producer can hang on a dead leader's stale metadata (kafkajs#979, #919), so a slow or
 * failed attempt gets a fresh producer (new connections, fresh metadata) and is tried again, until
 * `sendDeadlineMs`, then the error is thrown. An abandoned attempt may still land: readers of the
 * alert log drop such repeats (the view skips an identical event).
 */
export function createBoundedSender(o: BoundedSenderOptions): BoundedSender {
  let producer: Producer | undefined;

  async function newProducer(): Promise<Producer> {
    const p = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 } });
    await p.connect();
    return p;
  }

  return {
    async connect() {
      producer ??= await newProducer();
    },
    async send(topicMessages) {
      const deadline = o.now() + o.sendDeadlineMs;
      await retry(
        async () => {
          const attemptMs = Math.max(0, Math.min(o.attemptMs, deadline - o.now()));
          const attemptPromise = (async () => {
            producer ??= await newProducer();
            await producer.sendBatch({ topicMessages, acks: -1 });
          })();
          attemptPromise.catch(() => undefined);
          let timer: NodeJS.Timeout | undefined;
          const slow = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no acknowledgement within ${attemptMs} ms`)), attemptMs);
          });
          try {
            await Promise.race([attemptPromise, slow]);
          } catch (err) {
            o.stat.sendRetries++;
            throw err;
          } finally {
            clearTimeout(timer);
          }
        },
        {
          deadlineMs: o.sendDeadlineMs,
          baseDelayMs: 200,
          maxDelayMs: 2000,
          now: o.now,
          retryable: kafkaRetryable,
          stopped: o.isStopping,
          onRetry(err, attempt) {
            o.log.warn({ err: errText(err), attempt }, 'kafka send failed; retrying with a new producer');
            o.stat.producerRestarts++;
            const old = producer;
            producer = undefined;
            void old?.disconnect().catch(() => undefined);
          },
          onGiveUp: (err, attempts) => o.log.fatal({ err: errText(err), attempts, permanent: !kafkaRetryable(err) }, 'kafka send failed past its deadline or permanently'),
        },
      );
    },
    async disconnect() {
      const p = producer;
      producer = undefined;
      await p?.disconnect().catch(() => undefined);
    },
  };
}
