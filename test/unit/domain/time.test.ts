import { describe, expect, it } from 'vitest';
import { formatTs, localMinuteOfDay, parseDuration, parseTs } from '../../../src/domain/time.ts';

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    // the units of §7
    ['90s', 90_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    // fractions round to whole milliseconds
    ['1.5h', 5_400_000],
    ['0.5s', 500],
    ['0.0004s', 0],
    // zero is a duration
    ['0s', 0],
    // surrounding whitespace is tolerated
    [' 2m ', 120_000],
    // a bare number has no unit: refused
    ['90', undefined],
    // unknown or upper-case units
    ['5M', undefined],
    ['5w', undefined],
    ['5min', undefined],
    // space between number and unit
    ['5 m', undefined],
    // negatives and compound forms are not supported
    ['-5m', undefined],
    ['1h30m', undefined],
    ['.5s', undefined],
    // empty
    ['', undefined],
    ['soon', undefined],
  ])('%j → %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('formatTs', () => {
  it.each<[string, number, string]>([
    // a UTC instant shown in China Standard Time
    ['UTC midnight', Date.parse('2024-07-16T00:00:00Z'), '2024-07-16T08:00:00.000+08:00'],
    // crossing local midnight moves the date
    ['late UTC evening', Date.parse('2024-07-16T17:30:00.123Z'), '2024-07-17T01:30:00.123+08:00'],
    // already in +08:00
    ['local input', Date.parse('2024-07-16T09:00:00+08:00'), '2024-07-16T09:00:00.000+08:00'],
    // epoch
    ['epoch', 0, '1970-01-01T08:00:00.000+08:00'],
    // year end in UTC is the next year locally
    ['new year', Date.parse('2024-12-31T16:00:00Z'), '2025-01-01T00:00:00.000+08:00'],
  ])('%s', (_name, ms, text) => {
    expect(formatTs(ms)).toBe(text);
  });

  it.each([0, 1, 999, 1_721_091_600_000, 1_721_091_600_123, Date.parse('2038-01-19T03:14:08Z'), Date.parse('2099-12-31T23:59:59.999Z')])(
    'always ends with +08:00 and round-trips through Date.parse: %i',
    (ms) => {
      const text = formatTs(ms);
      expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);
      expect(Date.parse(text)).toBe(ms);
      expect(parseTs(text)).toBe(ms);
    },
  );
});

describe('parseTs', () => {
  it.each<[string, string | number, number]>([
    // epoch milliseconds pass through
    ['number', 1_721_091_600_000, 1_721_091_600_000],
    // ISO with offset
    ['+08:00', '2024-07-16T09:00:00+08:00', Date.parse('2024-07-16T01:00:00Z')],
    ['Z', '2024-07-16T01:00:00Z', 1_721_091_600_000],
  ])('%s', (_name, v, ms) => {
    expect(parseTs(v)).toBe(ms);
  });

  it('returns NaN for garbage', () => {
    expect(parseTs('yesterday')).toBeNaN();
  });
});

describe('localMinuteOfDay', () => {
  it.each<[string, number]>([
    // local midnight
    ['2024-07-16T00:00:00+08:00', 0],
    // 08:00 local is 00:00 UTC
    ['2024-07-16T00:00:00Z', 480],
    // a shift boundary
    ['2024-07-16T20:00:00+08:00', 1200],
    ['2024-07-16T23:59:59+08:00', 1439],
  ])('%s → %i', (iso, minute) => {
    expect(localMinuteOfDay(Date.parse(iso))).toBe(minute);
  });
});
