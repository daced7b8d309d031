import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../src/ingest/validate.ts';
import { LOCATION_ZH, METRICS, METRIC_PATTERN } from '../../../src/contracts/catalogue.ts';
import { MineReading } from '../../../src/contracts/events.ts';
import { BUNDLED } from '../../../src/config/paths.ts';

const TOPIC = 'risk.site.telemetry';
const reading = (metric: string, value: number, unit: string): Record<string, unknown> => ({
  type: 'site.reading',
  siteId: 'cp-edz-01',
  metric,
  value,
  unit,
  ts: '2024-07-16T09:30:00+08:00',
});
const problems = (obj: Record<string, unknown>): { path?: string; message: string }[] => {
  const r = validateEvent(obj, TOPIC, 0, JSON.stringify(obj));
  return r.ok ? [] : r.rejection.details.map((d) => ({ path: d.path, message: d.message }));
};

describe('site.reading: the metric catalogue', () => {
  // A known metric in the wrong unit or outside its physical range is refused, naming the field.
  it.each([
    { name: 'a gauge sending centimetres for water_level_m', obj: reading('water_level_m', 180, 'cm'), path: 'unit', text: 'water_level_m is measured in m' },
    { name: 'negative rain', obj: reading('rain_mm', -100, 'mm'), path: 'value', text: 'rain_mm must be ≥ 0' },
    { name: 'a -9999 missing-value marker as rain', obj: reading('rain_mm', -9999, 'mm'), path: 'value', text: 'rain_mm must be ≥ 0' },
    { name: 'combustible gas over 100 %LEL', obj: reading('lel_pct', 150, '%LEL'), path: 'value', text: 'lel_pct must be ≤ 100' },
    { name: 'oxygen in ppm', obj: reading('o2_pct', 20.9, 'ppm'), path: 'unit', text: 'o2_pct is measured in %' },
    { name: 'a fractional visitor count', obj: reading('visitors', 12.5, '人'), path: 'value', text: 'visitors is a whole number' },
    { name: 'negative H2S', obj: reading('h2s_ppm', -1, 'ppm'), path: 'value', text: 'h2s_ppm must be ≥ 0' },
  ])('refuses $name', ({ obj, path, text }) => {
    const p = problems(obj);
    expect(p.map((x) => x.path)).toEqual([path]);
    expect(p[0]!.message).toContain(text);
  });

  // Readings in range and in the catalogue's unit pass; so do metrics the catalogue does not know.
  it.each([
    reading('water_level_m', 1.8, 'm'),
    reading('rain_mm', 0, 'mm'),
    reading('lel_pct', 30, '%LEL'),
    reading('visitors', 4200, '人'),
    reading('slope_disp_mm_d', -3.2, 'mm/d'),
    reading('tank_level_T101', 83, '%'),
    reading('pressure_P201_mpa', 1.2, 'MPa'),
    reading('dust_mg_m3', -5, 'whatever'),
  ])('accepts %o', (obj) => {
    expect(problems(obj)).toEqual([]);
  });

  // A metric name outside the documented pattern is refused.
  it.each(['Water level', '9rain', 'rain-mm', ''])('refuses the metric name %j', (metric) => {
    expect(problems(reading(metric, 1, 'm')).map((x) => x.path)).toEqual(['metric']);
  });

  // Every catalogue entry is well formed.
  it.each(Object.entries(METRICS))('%s has a unit, a Chinese name and a name of the pattern', (name, m) => {
    expect(name).toMatch(METRIC_PATTERN);
    expect(m.units.length).toBeGreaterThan(0);
    expect(m.zh).toMatch(/\p{Script=Han}/u);
    if (m.min !== undefined && m.max !== undefined) expect(m.min).toBeLessThan(m.max);
  });

  // Every metric the bundled rule pack matches on is in the catalogue (so its readings are checked).
  it('knows every metric the bundled rules match on', () => {
    const used = new Set<string>();
    const walk = (node: unknown, key?: string): void => {
      if (key === 'metric') for (const v of [node].flat()) if (typeof v === 'string') used.add(v);
      if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, Array.isArray(node) ? key : k);
    };
    for (const f of readdirSync(BUNDLED.rules).filter((f) => f.endsWith('.yaml'))) walk(parse(readFileSync(join(BUNDLED.rules, f), 'utf8')));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((m) => !Object.hasOwn(METRICS, m))).toEqual([]);
  });
});

describe('mine.reading: location is a closed set', () => {
  const base = { type: 'mine.reading', siteId: 'cm-1', sensorId: 'T1', sensorType: 'CH4', value: 0.3, unit: '%', ts: 1721093400000 };

  it.each(Object.keys(LOCATION_ZH))('accepts %s', (location) => {
    expect(MineReading.safeParse({ ...base, location }).success).toBe(true);
  });

  // A misspelt or free-text location would make a rule that never matches: refused, naming the field.
  it.each(['coal-face', '1201回风巷', 'Coal_Face'])('refuses %s', (location) => {
    const r = MineReading.safeParse({ ...base, location });
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join('.'))).toEqual(['location']);
  });

  // Every location of the bundled reference sensors is one of them (sites.yaml is validated against the same enum).
  it('every location has a Chinese name', () => {
    for (const zh of Object.values(LOCATION_ZH)) expect(zh).toMatch(/\p{Script=Han}/u);
  });
});
