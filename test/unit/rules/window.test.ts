import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { loadRulePack, longestWindow } from '../../../src/rules/pack.ts';

describe('longestWindow (how far a Kafka warm-up replays)', () => {
  it('is the longest window/for/period/duration of any rule', () => {
    const rules = loadRulePack(BUNDLED.rules);
    const rise = rules.filter((r) => r.id === 'mine.ch4.rise');
    expect(longestWindow(rise)).toBe(5 * 60_000);
    // the bundled pack counts accidents over 30 days
    expect(longestWindow(rules)).toBe(30 * 86_400_000);
    expect(longestWindow([])).toBe(0);
  });
});
