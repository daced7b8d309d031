import { describe, expect, it } from 'vitest';
import { Event } from '../../../src/contracts/events.ts';

// A reading in another unit than the one the thresholds are written in would be judged as if it
// were in that unit: CO 0.01 % (100 ppm, over the red level) read as 0.01 ppm raised nothing, and a
// frequency in mHz raised a false red. Mine and grid readings name their unit, and a wrong one is refused.

const mine = (sensorType: string, value: number, unit: string) => ({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'S-1', sensorType, location: 'coal_face', value, unit, ts: 1_721_000_000_000 });
const grid = (quantity: string, value: number, unit: string) => ({ type: 'grid.reading', siteId: 'ss-shm-220kv', equipmentId: 'B1', quantity, value, unit, ts: 1_721_000_000_000 });
const problems = (e: unknown) => {
  const r = Event.safeParse(e);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('units of mine and grid readings', () => {
  it.each([
    ['CO in %', mine('CO', 0.01, '%'), 'unit: CO is sent in ppm'],
    ['CH4 in ppm', mine('CH4', 5000, 'ppm'), 'unit: CH4 is sent in %'],
    ['CH4 over 100 %', mine('CH4', 150, '%'), 'value: CH4 in % must be within 0–100'],
    ['frequency in mHz', grid('frequency', 50_300, 'mHz'), 'unit: frequency is sent in Hz'],
    ['load in kV', grid('load', 30, 'kV'), 'unit: load is sent in %'],
  ])('refuses %s, naming the field', (_name, e, problem) => {
    expect(problems(e).join('\n')).toContain(problem);
  });

  it.each([
    ['CO in ppm', mine('CO', 24, 'ppm')],
    ['CH4 in %', mine('CH4', 0.42, '%')],
    ['wind in m/s', mine('WIND', 1.2, 'm/s')],
    ['voltage in kV', grid('voltage', 10.2, 'kV')],
    ['voltage in % of nominal', grid('voltage', 101.5, '%')],
    ['frequency in Hz', grid('frequency', 50.01, 'Hz')],
  ])('accepts %s', (_name, e) => {
    expect(problems(e)).toEqual([]);
  });
});
