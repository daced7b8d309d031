import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
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
      for (let attempt = 1; ; attempt++) {
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
          return;
        } catch (err) {
          o.stat.sendRetries++;
          if (o.now() >= deadline || o.isStopping()) {
            o.log.fatal({ err: errText(err), attempts: attempt }, 'kafka send failed past its deadline');
            throw err;
          }
          o.log.warn({ err: errText(err), attempt }, 'kafka send failed; retrying with a new producer');
          o.stat.producerRestarts++;
          const old = producer;
          producer = undefined;
          void old?.disconnect().catch(() => undefined);
          await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
        } finally {
          clearTimeout(timer);
        }
      }
    },
    async disconnect() {
      const p = producer;
      producer = undefined;
      await p?.disconnect().catch(() => undefined);
    },
  };
}
