import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';

// Kafka mode's full readers (a topic read from the beginning by one instance alone, never
// committing: the alert log, the commands, the weather tables) and the watchdog every consumer
// gets (kafkajs#659, #1431: silent stops; a consumer stuck on a dead leader).

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** READER_STALL_MS: a full reader with lag that made no progress for this long is recreated */
const READER_STALL_MS = 10_000;
/**
 * CONSUMER_RETRY: give up on a broker within ~6 s. kafkajs keeps retrying a dead leader's address
 * instead of refreshing metadata; after the retries it crashes and restarts the consumer, which
 * fetches fresh metadata and finds the new leader.
 */
export const CONSUMER_RETRY = { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 };

/** FullReader: a topic read in full by this instance (own group, never committed), with catch-up tracking. */
export interface FullReader {
  /** stop reading (and watching) */
  close(): Promise<void>;
  /** resolves once every partition reached the high watermark sampled at start */
  caughtUp: Promise<void>;
  /** resolves once the reader passed offset `hw` (exclusive) of partition 0 of `topic` */
  reach(topic: string, hw: number): Promise<void>;
  position(topic: string): number;
}

/** ReadersOptions: the client, the clock, when a consumer counts as stalled, and the counters. */
export interface ReadersOptions {
  kafka: Kafka;
  admin: Admin;
  log: Logger;
  now: () => number;
  /** a consumer with partitions and no fetch for this long is recreated */
  stallMs: number;
  groupId: string;
  /** this instance's id: each full reader is a group of its own */
  instance: string;
  isStopping: () => boolean;
  stat: { consumerRestarts: number };
}

/** createReaders: full readers, the watchdog and the restart loop shared with the group consumer. */
export function createReaders(o: ReadersOptions) {
  /** lagging: does any partition in `pos` (topic:partition → next offset) end past it (asked within 5 s; false when unknown)? */
  async function lagging(topics: readonly string[], pos: ReadonlyMap<string, number>): Promise<boolean> {
    try {
      return await Promise.race([
        (async () => {
          for (const topic of topics) {
            for (const [p, w] of await highWatermarks(topic)) {
              const at = pos.get(`${topic}:${p}`);
              if (at !== undefined && w.high > at) return true;
            }
          }
          return false;
        })(),
        sleep(5000).then(() => false),
      ]);
    } catch {
      return false;
    }
  }

  /**
   * watchProgress is the watchdog of one consumer (kafkajs#659, #1431: silent stops; a consumer
   * stuck on a dead leader): it calls `restart` when the consumer has not fetched for `o.stallMs`,
   * or when its positions have not moved for `progressMs` while a partition in them has lag.
   */
  function watchProgress(w: {
    topics: readonly string[];
    positions: () => ReadonlyMap<string, number>;
    lastFetch: () => number;
    /** processing, restarting, or nothing to watch */
    idle: () => boolean;
    progressMs: number;
    restart: (why: string) => void;
  }): NodeJS.Timeout {
    let lastSum = -1;
    let lastProgress = o.now();
    let checking = false;
    const timer = setInterval(() => {
      if (o.isStopping() || checking || w.idle()) return;
      if (o.now() - w.lastFetch() > o.stallMs) {
        w.restart(`no fetch for ${Math.round((o.now() - w.lastFetch()) / 1000)} s`);
        return;
      }
      const positions = w.positions();
      let sum = 0;
      for (const v of positions.values()) sum += v;
      if (sum !== lastSum) {
        lastSum = sum;
        lastProgress = o.now();
        return;
      }
      if (o.now() - lastProgress < w.progressMs) return;
      checking = true;
      void lagging(w.topics, positions)
        .then((lag) => {
          if (lag) w.restart(`no progress for ${Math.round((o.now() - lastProgress) / 1000)} s with lag`);
          lastProgress = o.now();
        })
        .finally(() => (checking = false));
    }, 2000);
    timer.unref();
    return timer;
  }

  /** restartWith stops a consumer (waiting at most 5 s: a stuck one may never answer) and starts another until one starts. */
  async function restartWith(what: object, stopOld: () => Promise<void>, start: () => Promise<void>): Promise<void> {
    o.stat.consumerRestarts++;
    await Promise.race([stopOld().catch(() => undefined), sleep(5000)]);
    for (let attempt = 1; !o.isStopping(); attempt++) {
      try {
        await start();
        return;
      } catch (err) {
        o.log.warn({ ...what, err: errText(err), attempt }, 'consumer could not start; retrying');
        await sleep(Math.min(5000, 500 * attempt));
      }
    }
  }

  async function highWatermarks(topic: string): Promise<Map<number, { low: number; high: number }>> {
    const offs = await o.admin.fetchTopicOffsets(topic);
    return new Map(offs.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
  }

  /**
   * readFull reads `topics` from the beginning with a group of this instance alone, calling
   * `onMessages` per batch in order; never commits.
   */
  async function readFull(name: string, topics: string[], onMessages: (topic: string, partition: number, msgs: KafkaMessage[]) => Promise<void> | void): Promise<FullReader> {
    const pos = new Map<string, number>();
    const target = new Map<string, number>();
    for (const topic of topics) {
      for (const [p, w] of await highWatermarks(topic)) {
        pos.set(`${topic}:${p}`, w.low);
        target.set(`${topic}:${p}`, w.high);
      }
    }
    const waiters: { topic: string; hw: number; resolve: () => void }[] = [];
    let done!: () => void;
    const caughtUp = new Promise<void>((r) => (done = r));
    const check = () => {
      if ([...target].every(([k, hw]) => (pos.get(k) ?? 0) >= hw)) done();
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if ((pos.get(`${w.topic}:0`) ?? 0) >= w.hw) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
    };
    let generationOfReader = 0;
    let lastFetch = o.now();
    let busy = false;
    let consumer!: Consumer;
    const open = async (): Promise<void> => {
      generationOfReader++;
      const c = o.kafka.consumer({ groupId: `${o.groupId}.${name}.${o.instance}.${generationOfReader}`, maxWaitTimeInMs: 50, minBytes: 1, sessionTimeout: 30_000, retry: CONSUMER_RETRY });
      consumer = c;
      await c.connect();
      await c.subscribe({ topics, fromBeginning: true });
      c.on(c.events.FETCH, () => (lastFetch = o.now()));
      c.on(c.events.CRASH, (e) => {
        if (e.payload.restart || o.isStopping() || c !== consumer) return;
        o.log.error({ reader: name, err: errText(e.payload.error) }, 'reader crashed and will not restart by itself; recreating it');
        void reopen('crash');
      });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          const k = `${batch.topic}:${batch.partition}`;
          // a recreated reader reads from the beginning again: what was handled is skipped
          const from = pos.get(k) ?? 0;
          const fresh = batch.messages.filter((m) => Number(m.offset) >= from);
          busy = true;
          try {
            if (fresh.length > 0) await onMessages(batch.topic, batch.partition, fresh);
          } finally {
            busy = false;
            lastFetch = o.now();
          }
          const last = fresh.at(-1);
          if (last) pos.set(k, Math.max(from, Number(last.offset) + 1));
          check();
        },
      });
    };
    let reopening = false;
    const reopen = async (why: string): Promise<void> => {
      if (reopening || o.isStopping()) return;
      reopening = true;
      o.log.warn({ reader: name, why }, 'recreating a reader');
      try {
        const old = consumer;
        await restartWith({ reader: name }, () => old.disconnect(), open);
      } finally {
        lastFetch = o.now();
        reopening = false;
      }
    };
    await open();
    const watch = watchProgress({
      topics,
      positions: () => pos,
      lastFetch: () => lastFetch,
      idle: () => busy || reopening,
      progressMs: READER_STALL_MS,
      restart: (why) => void reopen(why),
    });
    check();
    return {
      async close() {
        clearInterval(watch);
        await consumer.disconnect().catch(() => undefined);
      },
      caughtUp,
      position: (topic) => pos.get(`${topic}:0`) ?? 0,
      reach(topic, hw) {
        if ((pos.get(`${topic}:0`) ?? 0) >= hw) return Promise.resolve();
        return new Promise((resolve) => waiters.push({ topic, hw, resolve }));
      },
    };
  }

  return { watchProgress, restartWith, highWatermarks, readFull };
}
