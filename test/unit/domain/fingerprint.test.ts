import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alertIdOf, fingerprintOf } from '../../../src/domain/fingerprint.ts';

describe('fingerprintOf', () => {
  it.each<[string]>([
    // a typical rule + subject key
    ['mine.ch4.face|cm-shm-01|CH4-T1-1201'],
    // non-ASCII subject
    ['weather.warning|雷雨大风|shanghaimiao'],
    // empty key is still hashed
    [''],
  ])('is 16 hex digits, stable across calls, and the sha256 prefix: %j', (key) => {
    const fp = fingerprintOf(key);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintOf(key)).toBe(fp);
    expect(fp).toBe(createHash('sha256').update(key).digest('hex').slice(0, 16));
  });

  it('is pinned: fingerprints are stored in journals and Kafka keys and must not change between versions', () => {
    expect(fingerprintOf('mine.ch4.face|cm-shm-01|CH4-T1-1201')).toBe(createHash('sha256').update('mine.ch4.face|cm-shm-01|CH4-T1-1201').digest('hex').slice(0, 16));
    expect(fingerprintOf('abc')).toBe('ba7816bf8f01cfea');
  });

  it('different subjects get different fingerprints', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `rule|site|sensor-${i}`);
    expect(new Set(keys.map(fingerprintOf)).size).toBe(keys.length);
  });
});

describe('alertIdOf', () => {
  it.each<[string, number, string]>([
    // base-36 of the opening instant after the fingerprint
    ['ba7816bf8f01cfea', 0, 'ba7816bf8f01cfea-0'],
    ['ba7816bf8f01cfea', 35, 'ba7816bf8f01cfea-z'],
    ['ba7816bf8f01cfea', 1_721_091_600_000, `ba7816bf8f01cfea-${(1_721_091_600_000).toString(36)}`],
  ])('%s at %i → %s', (fp, at, id) => {
    expect(alertIdOf(fp, at)).toBe(id);
  });

  it('is deterministic (backtest output is byte-identical across runs)', () => {
    expect(alertIdOf('x', 123456)).toBe(alertIdOf('x', 123456));
    expect(alertIdOf('x', 123456)).not.toBe(alertIdOf('x', 123457));
  });
});
