import type { Logger } from 'pino';

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Offset: one partition's next offset to commit. */
export interface Offset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * createCommitter: the group consumer's offset commits, run beside processing and coalesced (one
 * request for every partition with news): an awaited commit per partition batch would put a
 * coordinator round trip in front of the next batch and so in every alert's latency. A commit lost
 * in a crash or rebalance means redelivery (at-least-once), which the alert book absorbs.
 */
export function createCommitter(o: { commit: (batch: Offset[]) => Promise<void>; log: Logger; stat: { commits: number } }) {
  const toCommit = new Map<string, Offset>();
  let committing: Promise<void> | undefined;

  async function flush(): Promise<void> {
    try {
      while (toCommit.size > 0) {
        const batch = [...toCommit.values()];
        toCommit.clear();
        try {
          await o.commit(batch);
          o.stat.commits++;
        } catch (err) {
          o.log.warn({ err: errText(err), partitions: batch.length }, 'offset commit failed; those events may be delivered again');
        }
      }
    } finally {
      committing = undefined;
    }
  }

  return {
    /** the partition's effects are durable up to `offset` (exclusive): commit it soon */
    later(topic: string, partition: number, offset: number): void {
      toCommit.set(`${topic}:${partition}`, { topic, partition, offset: String(offset) });
      committing ??= flush();
    },
    /** offsets of partitions given away in a rebalance are no longer ours to commit */
    keepOnly(partitions: ReadonlySet<number>): void {
      for (const [k, v] of toCommit) if (!partitions.has(v.partition)) toCommit.delete(k);
    },
    /** resolves once no commit is in flight */
    idle: async (): Promise<void> => void (await committing),
  };
}
