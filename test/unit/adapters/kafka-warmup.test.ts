import { describe, expect, it } from 'vitest';
import { warmupPlan } from '../../../src/adapters/kafka/warmup.ts';

// Where a newly assigned partition starts (Kafka mode): the warm-up replays the rules' longest
// window before the committed offset, emitting nothing, so windows (rates, counts, absence) are
// whole when live processing resumes at the committed offset.
describe('warmupPlan', () => {
  it.each<[string, number, { low: number; high: number }, number | undefined, { seekTo: number; until: number; seeked: boolean }]>([
    // committed at 120, the window starts at offset 80: replay 80..119, live from 120
    ['replays the window before the committed offset', 120, { low: 0, high: 150 }, 80, { seekTo: 80, until: 120, seeked: true }],
    // retention already removed offsets below 100: start at the low watermark
    ['never before the low watermark', 120, { low: 100, high: 150 }, 80, { seekTo: 100, until: 120, seeked: true }],
    // the window starts after the committed offset (nothing older is in it): no replay, no seek
    ['no replay when the window starts later', 120, { low: 0, high: 150 }, 130, { seekTo: 120, until: 120, seeked: false }],
    // no warm-up configured for the topic
    ['no window', 120, { low: 0, high: 150 }, undefined, { seekTo: 120, until: 120, seeked: false }],
    // the window reaches past the end (-1 from fetchTopicOffsetsByTimestamp): no replay
    ['window past the end', 120, { low: 0, high: 150 }, -1, { seekTo: 120, until: 120, seeked: false }],
    // a new group: starts at the end as of now, after replaying the window before it
    ['a new group starts at the end as of now', -1, { low: 0, high: 150 }, 140, { seekTo: 140, until: 150, seeked: true }],
    // a new group on an empty partition
    ['a new group on an empty partition', -1, { low: 0, high: 0 }, undefined, { seekTo: 0, until: 0, seeked: true }],
  ])('%s', (_name, committed, hw, fromTs, plan) => {
    expect(warmupPlan(committed, hw, fromTs)).toEqual(plan);
  });
});
