import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { loadRulePack, longestWindow, warmupByTopic } from '../../../src/rules/pack.ts';

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

describe('warmupByTopic (per topic: only the rules that read it)', () => {
  it('replays telemetry only as far as the telemetry rules look back, enforcement up to the cap', () => {
    const rules = loadRulePack(BUNDLED.rules);
    const day = 86_400_000;
    const w = warmupByTopic(rules, day);
    expect(w['risk.enforcement.events']).toBe(day); // the 30-day counts, capped
    expect(w['risk.mine.telemetry']).toBeLessThan(day);
    expect(w['risk.mine.telemetry']).toBeGreaterThanOrEqual(5 * 60_000);
    // the confined-space gas watch (site.confined.gas-missing) looks back 30 min
    expect(w['risk.site.telemetry']).toBe(30 * 60_000);
    const rise = rules.filter((r) => r.id === 'mine.ch4.rise');
    expect(warmupByTopic(rise, day)).toMatchObject({ 'risk.mine.telemetry': 5 * 60_000, 'risk.grid.telemetry': 0, 'risk.enforcement.events': 0 });
  });
});
