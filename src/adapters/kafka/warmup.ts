/** WarmupPlan: where a newly assigned partition starts reading and where its warm-up ends. */
export interface WarmupPlan {
  /** first offset to read */
  seekTo: number;
  /** offsets below this were processed before the rebalance or crash: replayed to rebuild state, emitting nothing */
  until: number;
  /** a seek is needed (the group's own position is not where reading starts) */
  seeked: boolean;
}

/**
 * warmupPlan decides one partition's start: from its committed offset (−1 for a new group), its
 * low/high watermarks and the offset of the first record within the warm-up window (undefined or
 * −1 when the window reaches past the end). A new group starts at the end as of now (not "latest"
 * whenever the first fetch happens); the replay never starts before the low watermark (retention)
 * nor after the committed offset.
 *
 * @example
 * warmupPlan(120, { low: 0, high: 150 }, 80) // { seekTo: 80, until: 120, seeked: true }
 */
export function warmupPlan(committed: number, hw: { low: number; high: number }, fromTs: number | undefined): WarmupPlan {
  const until = committed >= 0 ? committed : hw.high;
  const seekTo = Math.max(hw.low, Math.min(until, fromTs === undefined || fromTs < 0 ? until : fromTs));
  return { seekTo, until, seeked: seekTo !== committed };
}
