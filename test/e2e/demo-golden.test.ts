// Golden test of the SIMULATED demo day: `riskstream demo generate` writes the day (deploy/demo/day.yaml)
// as NDJSON, `riskstream backtest` evaluates the bundled pack over it with event time as the clock, and
// the alert events must match the reviewed deploy/demo/expected-alerts.ndjson byte for byte, run after
// run. The day must exercise every rule kind and every rule id of the pack, except the ids listed in
// NOT_EXERCISED (with the reason).
//
// After an intended change to the day, the rules or the engine, regenerate and REVIEW the expectation:
//   RISKSTREAM_UPDATE_GOLDEN=1 npx vitest run --config test/vitest.config.ts test/e2e/demo-golden.test.ts
// (or by hand: node src/cli/riskstream.mjs demo generate --out /tmp/day.ndjson &&
//  node src/cli/riskstream.mjs backtest --events /tmp/day.ndjson --until 2024-07-17T00:00:00+08:00 > deploy/demo/expected-alerts.ndjson)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUNDLED } from '../../src/config/paths.ts';
import { AlertEvent } from '../../src/contracts/alerts.ts';
import { loadRulePack } from '../../src/rules/pack.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXPECTED = join(ROOT, 'deploy/demo/expected-alerts.ndjson');
const UNTIL = '2024-07-17T00:00:00+08:00';
const UPDATE = process.env.RISKSTREAM_UPDATE_GOLDEN === '1';

/** Rule ids the day deliberately does not exercise, and why. */
const NOT_EXERCISED: Record<string, string> = {
  'mine.ch4.bunker-belt': 'no sensor above a coal bunker or belt drum in deploy/reference/sites.yaml',
  'mine.o2.intake': 'no O2 sensor in an intake in deploy/reference/sites.yaml',
  'enforcement.permit.hot-work-validity-2': 'the day has no grade-2 hot-work permit over 72 h (the grade-1 case is exercised at 18:00)',
  'site.confined.combustible': 'the confined-space entry of the day shows oxygen falling, not combustible gas (both are checked in test/unit/rules/pack.test.ts)',
  'site.confined.o2-high': 'the confined-space entry of the day shows oxygen falling, not oxygen enrichment',
  'site.confined.toxic': 'the confined-space entry of the day shows oxygen falling, not toxic gas',
  'enforcement.accident.follow-up-missing': 'the casualty change of the day is a fire (the 7-day rule, exercised at 09:00); the 30-day rule is checked in test/unit/rules/reporting.test.ts',
  'fire.devices-out-of-service': 'it needs 24 h of controller status summaries, longer than the day (checked in test/unit/rules/pack.test.ts and road-fire.test.ts)',
  'road.dg.in-warning': 'the day has no red 大风/沙尘暴/暴雨 warning with a polygon over a dangerous-goods route (checked in test/unit/rules/domain-pack.test.ts)',
  'mine.wind.high': 'the day has no roadway over 4 m/s (the low side is exercised at the 4303 heading)',
  'site.limit.low': 'the day has no item with low settings falling (the methanol plant pressure stays normal)',
  'mine.co2.intake': 'no CO2 sensor in deploy/reference/sites.yaml (the day only uses reference sensors)',
  'mine.co2.face-return': 'no CO2 sensor in deploy/reference/sites.yaml',
  'mine.co2.total-return': 'no CO2 sensor in deploy/reference/sites.yaml',
  'mine.h2s': 'no H2S sensor in deploy/reference/sites.yaml',
};

// generating 100k events and back-testing them takes a few seconds each; allow for a loaded CI box
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const cli = (args: string[]) => runCli(args, { timeoutMs: 280_000 });

let tmp: string;
let dayA: string;
let dayB: string;
let runs: CliRun[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rs-demo-golden-'));
  dayA = join(tmp, 'day-a.ndjson');
  dayB = join(tmp, 'day-b.ndjson');
  const gens = await Promise.all([cli(['demo', 'generate', '--out', dayA]), cli(['demo', 'generate', '--out', dayB])]);
  for (const g of gens) expect(g.code, g.stderr).toBe(0);
  runs = await Promise.all([cli(['backtest', '--events', dayA, '--until', UNTIL]), cli(['backtest', '--events', dayB, '--until', UNTIL])]);
  if (UPDATE && runs[0]!.code === 0) writeFileSync(EXPECTED, runs[0]!.stdout);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('demo day golden (deploy/demo/day.yaml → backtest)', () => {
  it('generates the day deterministically: byte-identical files', () => {
    const a = readFileSync(dayA);
    expect(a.length).toBeGreaterThan(1_000_000);
    expect(a.equals(readFileSync(dayB))).toBe(true);
  });

  it('back-tests every line without rejections or late events, twice with identical output', () => {
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^backtest: (\d+) lines, \1 events, 0 rejected, 0 late, \d+ alert events, \d+ open at end\n$/);
    }
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
    expect(runs[1]!.stderr).toBe(runs[0]!.stderr);
  });

  it('matches the reviewed deploy/demo/expected-alerts.ndjson byte for byte', () => {
    const expected = readFileSync(EXPECTED, 'utf8');
    if (runs[0]!.stdout !== expected) {
      // name the first differing line before the (long) full comparison
      const got = runs[0]!.stdout.split('\n');
      const want = expected.split('\n');
      const i = got.findIndex((l, n) => l !== want[n]);
      expect(got[i], `first difference at line ${i + 1} (RISKSTREAM_UPDATE_GOLDEN=1 regenerates; review before committing)`).toBe(want[i]);
    }
    expect(runs[0]!.stdout).toBe(expected);
  });

  const events = () => readFileSync(EXPECTED, 'utf8').split('\n').filter((l) => l !== '').map((l) => AlertEvent.parse(JSON.parse(l)));

  it('holds valid alert events with strictly increasing seq, in Chinese, all inside the simulated day', () => {
    const list = events();
    expect(list.length).toBeGreaterThan(100);
    list.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.alert.title).toMatch(/[\u4e00-\u9fff]/);
      expect(e.alert.summary).toMatch(/[\u4e00-\u9fff]/);
      // every template placeholder resolved (a missing field renders as "—"; one site name has a dash of its own)
      expect((e.alert.title + e.alert.summary).replaceAll('上海庙—开发区', '')).not.toContain('—');
      expect(e.at.startsWith('2024-07-16T')).toBe(true);
    });
  });

  it('fires every rule kind and every rule id of the bundled pack, except the listed ones', () => {
    const rules = loadRulePack(BUNDLED.rules);
    const fired = new Set(events().filter((e) => e.kind === 'fired').map((e) => e.alert.ruleId));
    const kindOf = new Map(rules.map((r) => [r.id, r.kind]));
    expect([...new Set([...fired].map((id) => kindOf.get(id)))].sort()).toEqual([...new Set(rules.map((r) => r.kind))].sort());
    expect(new Set(rules.map((r) => r.kind)).size).toBe(11);
    const missing = rules.map((r) => r.id).filter((id) => !fired.has(id));
    expect(missing.sort()).toEqual(Object.keys(NOT_EXERCISED).sort());
    for (const id of fired) expect(kindOf.has(id), `${id} is not a rule of the pack`).toBe(true);
  });

  it('shows the intended story: severities, special-period escalation, drills and resolves', () => {
    const list = events();
    const firstFire = (ruleId: string, siteId?: string) => list.find((e) => e.kind === 'fired' && e.alert.ruleId === ruleId && (siteId === undefined || e.alert.siteId === siteId))!.alert;
    const resolved = (ruleId: string) => list.filter((e) => e.kind === 'resolved' && e.alert.ruleId === ruleId);
    // power-off failure at cm-shm-01 09:04, resolved by the manual power-off at 09:30:30; cm-edz-01's in-time feedback raises nothing
    const pof = list.filter((e) => e.alert.ruleId === 'mine.power-off-failure');
    expect(pof.map((e) => [e.kind, e.alert.siteId, e.alert.severity, e.at.slice(11, 19)])).toEqual([
      ['fired', 'cm-shm-01', 'red', '09:04:34'],
      ['resolved', 'cm-shm-01', 'red', '09:30:30'],
    ]);
    // the 雷雨大风 orange warning: 14 exposed sites (5 in 上海庙镇, 9 in the development zone), escalated to red by the special period; 4 leave on the Update, the rest end on the Cancel
    const storm = list.filter((e) => e.alert.ruleId === 'weather.impact.convective' && e.alert.labels.warningId === '15062341600000_20240716132000_1');
    expect(storm.filter((e) => e.kind === 'fired')).toHaveLength(14);
    for (const e of storm) {
      expect(e.alert.severity).toBe('red');
      expect(e.alert.labels.specialPeriod).toBe('二十届三中全会期间');
      // the warning's own colour, and the response raised for the special period, in one title
      expect(e.alert.title).toContain('雷雨大风·气象橙色预警·特殊时期按红色响应');
    }
    expect(storm.filter((e) => e.kind === 'resolved' && e.at.includes('T14:30:00')).length).toBe(4);
    expect(storm.filter((e) => e.kind === 'resolved' && e.at.includes('T17:40:00')).length).toBe(10);
    // the Exercise warning is marked 演练
    const drill = list.filter((e) => e.alert.labels.drill !== undefined);
    expect(drill.length).toBeGreaterThan(0);
    for (const e of drill) expect(e.alert.labels.drill).toBe('演练');
    // 暴雨 yellow resolves at its expiry
    for (const e of resolved('weather.impact.rainstorm')) expect(e.at.slice(11, 19)).toBe('20:10:00');
    // nowcast: the first cell weakens (update), the second stops (30 min ttl)
    expect(resolved('weather.nowcast.convective').map((e) => [e.alert.labels.cellId, e.at.slice(11, 19)])).toEqual([
      ['NC-0716-01', '15:54:00'],
      ['NC-0716-02', '16:56:00'],
    ]);
    // enforcement
    expect(firstFire('enforcement.hazard.major-overdue').severity).toBe('red');
    expect(list.find((e) => e.alert.ruleId === 'enforcement.hazard.major-overdue')!.at.slice(11, 19)).toBe('16:00:00');
    // the gypsum mine's report at 14:36 (110 min after the accident, after the 120 dispatch raised 疑似瞒报), the road works' at 16:05
    expect(list.filter((e) => e.kind === 'fired' && e.alert.ruleId === 'enforcement.accident.late-report').map((e) => e.alert.labels.accidentId)).toEqual(['SG-20240716-004', 'SG-20240716-002']);
    expect(firstFire('enforcement.accident.suspected-concealment').siteId).toBe('nm-ccn-01');
    expect(list.some((e) => e.alert.labels.accidentId === 'SG-20240716-001')).toBe(false); // reported in time
    expect(list.some((e) => e.alert.labels.hazardId === 'HZ-20240714-022')).toBe(false); // closed in time
    expect(firstFire('enforcement.permit.special-period', 'cp-edz-02').severity).toBe('red'); // hot work, no escalated approval
    expect(firstFire('enforcement.permit.special-period', 'cp-edz-01').severity).toBe('orange'); // maintenance, escalated approval
    // the confined-space entry at the coking plant (13:25) and the work at height at the road works (13:35), both under a red weather alert
    expect(firstFire('enforcement.permit.site-red-alert').siteId).toBe('cp-edz-02');
    expect(firstFire('enforcement.permit.site-red-alert', 'cs-edz-01').labels.permitId).toBe('GC-20240716-012');
    // grid
    expect(firstFire('grid.trip.weather').labels.warningEvent).toBe('雷雨大风');
    expect(firstFire('grid.trip.repeat').severity).toBe('red');
    expect(list.filter((e) => e.kind === 'fired' && e.alert.ruleId === 'grid.frequency').map((e) => e.alert.severity)).toEqual(['orange', 'orange', 'orange', 'orange']);
    // monitoring: only the scripted outages are silent
    const silent = new Set(list.filter((e) => e.kind === 'fired' && e.alert.ruleId === 'mine.monitoring.sensor-silent').map((e) => `${e.alert.siteId}/${e.alert.labels.sensorId}`));
    expect(silent.size).toBe(11);
    expect([...silent].filter((k) => !k.startsWith('cm-alz-01/')).sort()).toEqual(['cm-ags-01/O2-6201', 'cm-shm-02/CO-2205']);
    // what stays open at midnight: the overdue and open hazards, the two late reports, the repeat offender
    const open = new Map<string, string>();
    for (const e of list) {
      if (e.kind === 'resolved') open.delete(e.alert.fingerprint);
      else open.set(e.alert.fingerprint, e.alert.ruleId);
    }
    expect([...open.values()].sort()).toEqual([
      'enforcement.accident.late-report',
      'enforcement.accident.late-report',
      'enforcement.hazard.general-overdue',
      'enforcement.hazard.major-open',
      'enforcement.hazard.major-overdue',
      'enforcement.repeat-offender',
    ]);
  });
});
