import { describe, expect, it } from 'vitest';
import { raiseSeverity, SEVERITIES, SEVERITY_ZH, severityRank, type Severity } from '../../../src/domain/severity.ts';

describe('severity', () => {
  it('orders blue < yellow < orange < red (level IV..I)', () => {
    expect(SEVERITIES).toEqual(['blue', 'yellow', 'orange', 'red']);
    expect(SEVERITIES.map(severityRank)).toEqual([0, 1, 2, 3]);
  });

  it.each<[Severity, number | undefined, Severity]>([
    // one step by default
    ['blue', undefined, 'yellow'],
    ['yellow', undefined, 'orange'],
    ['orange', undefined, 'red'],
    // red is the ceiling
    ['red', undefined, 'red'],
    // several steps, capped at red
    ['blue', 2, 'orange'],
    ['blue', 3, 'red'],
    ['yellow', 5, 'red'],
    // zero steps changes nothing
    ['orange', 0, 'orange'],
  ])('raiseSeverity(%s, %s) → %s', (s, steps, out) => {
    expect(steps === undefined ? raiseSeverity(s) : raiseSeverity(s, steps)).toBe(out);
  });

  it('has a Chinese colour name for every severity', () => {
    expect(Object.keys(SEVERITY_ZH).sort()).toEqual([...SEVERITIES].sort());
    expect(SEVERITY_ZH.red).toBe('红色');
  });
});
