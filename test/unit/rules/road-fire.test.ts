import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event, keyOf } from '../../../src/contracts/events.ts';
import { ConditionRule, ThresholdRule, type Rule } from '../../../src/contracts/rules.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import type { EvalContext } from '../../../src/enrich/eval-context.ts';
import { inLocalWindow } from '../../../src/rules/kinds/condition.ts';
import { ThresholdEvaluator } from '../../../src/rules/kinds/threshold.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';
import { RuleRun, type Raw, type Step } from '../../helpers/rule-run.ts';

// Resolve paths of deploy/rules/road.yaml and fire.yaml (the whole bundled pack through the
// Stepper, as the backtest runs it), and the rule-kind extensions they use: the threshold measures
// excess_pct / share_pct / value of a named field, threshold `resolveWhen`, and the condition
// requirement `local_time`.

const reference = loadReference(BUNDLED);
const rules: Rule[] = loadRulePack(BUNDLED.rules);
const DAY = Date.parse('2024-06-03T10:00:00+08:00');
const T = (min: number, sec = 0): string => formatTs(DAY + min * 60_000 + sec * 1000);
const HOUR = 60;


class Run extends RuleRun {
  constructor() {
    super(reference, rules);
  }
  /** of: the transitions of one rule as "action severity". */
  of(ruleId: string): string[] {
    return this.log.filter((t) => t.ruleId === ruleId).map((t) => `${t.action} ${t.severity}`);
  }
  open(ruleId: string): boolean {
    return this.book.openAlerts().some((a) => a.ruleId === ruleId);
  }
}
const run = (steps: readonly Step[]): Run => new Run().steps(steps);
const tick = (at: string): Step => ({ tick: at });

const veh = (siteId: string, vehicleId: string, vehicleClass: string, event: string, ts: string, extra: Raw = {}): Raw => ({ type: 'vehicle.event', siteId, vehicleId, plate: `蒙K·${vehicleId}`, vehicleClass, event, ts, ...extra });
const speed = (siteId: string, vehicleId: string, vehicleClass: string, speedKmh: number, limitKmh: number, ts: string): Raw => veh(siteId, vehicleId, vehicleClass, 'speeding', ts, { speedKmh, limitKmh });
const cleared = (siteId: string, vehicleId: string, vehicleClass: string, condition: string, ts: string): Raw => veh(siteId, vehicleId, vehicleClass, 'cleared', ts, { condition });
const fire = (siteId: string, controllerId: string, event: string, ts: string, extra: Raw = {}): Raw => ({ type: 'fire.event', siteId, controllerId, event, ts, ...extra });
const status = (siteId: string, controllerId: string, faultDevices: number, disabledDevices: number, totalDevices: number, ts: string): Raw => fire(siteId, controllerId, 'status', ts, { faultDevices, disabledDevices, totalDevices });

describe('road.yaml resolve paths', () => {
  it('steps a speeding truck up and down with the re-sent figures, and resolves on `cleared`', () => {
    const r = run([
      speed('tr-shm-01', 'A1', 'heavy_truck', 75, 60, T(0)), // +25 % orange
      speed('tr-shm-01', 'A1', 'heavy_truck', 93, 60, T(1)), // +55 % red
      speed('tr-shm-01', 'A1', 'heavy_truck', 84, 60, T(2)), // +40 %: at the red restore, stays red
      speed('tr-shm-01', 'A1', 'heavy_truck', 80, 60, T(3)), // +33 %: back to orange
      cleared('tr-shm-01', 'A1', 'heavy_truck', 'speeding', T(4)),
    ]);
    expect(r.of('road.speeding')).toEqual(['fire orange', 'fire red', 'fire orange', 'resolve orange']);
    expect(r.open('road.speeding')).toBe(false);
  });

  it('resolves speeding on a re-sent event under 10 % over, without a `cleared`', () => {
    const r = run([speed('tr-alz-01', 'C1', 'coach', 100, 80, T(0)), speed('tr-alz-01', 'C1', 'coach', 86, 80, T(1))]);
    expect(r.of('road.speeding')).toEqual(['fire orange', 'resolve orange']);
  });

  it('keeps a tanker speeding alert open on the end of another condition or another vehicle, and resolves it on its own `cleared`', () => {
    const r = run([
      speed('tr-edz-01', 'W1', 'dangerous_goods', 100, 80, T(0)), // +25 %: red for dangerous goods
      cleared('tr-edz-01', 'W1', 'dangerous_goods', 'fatigue', T(1)),
      cleared('tr-edz-01', 'W2', 'dangerous_goods', 'speeding', T(2)),
    ]);
    expect(r.of('road.speeding.dangerous-goods')).toEqual(['fire red']);
    expect(r.of('road.speeding')).toEqual([]);
    r.steps([cleared('tr-edz-01', 'W1', 'dangerous_goods', 'speeding', T(4))]);
    expect(r.of('road.speeding.dangerous-goods')).toEqual(['fire red', 'resolve red']);
  });

  it('resolves fatigue when the platform reports the rest, not on the end of speeding', () => {
    const r = run([
      veh('tr-shm-01', 'A2', 'heavy_truck', 'fatigue', T(0), { continuousDrivingMin: 250 }),
      cleared('tr-shm-01', 'A2', 'heavy_truck', 'speeding', T(5)),
    ]);
    expect(r.of('road.fatigue')).toEqual(['fire orange']);
    r.steps([cleared('tr-shm-01', 'A2', 'heavy_truck', 'fatigue', T(25))]);
    expect(r.of('road.fatigue')).toEqual(['fire orange', 'resolve orange']);
  });

  it('raises a coach at night over 2 h only on the night rule, and over 4 h only on the general one', () => {
    const night = T(13 * HOUR + 30); // 23:30
    const r = run([veh('tr-alz-01', 'C3', 'coach', 'fatigue', night, { continuousDrivingMin: 130 })]);
    expect(r.of('road.fatigue.coach-night')).toEqual(['fire orange']);
    expect(r.of('road.fatigue')).toEqual([]);
    r.steps([cleared('tr-alz-01', 'C3', 'coach', 'fatigue', T(13 * HOUR + 50))]);
    expect(r.of('road.fatigue.coach-night')).toEqual(['fire orange', 'resolve orange']);
    const long = run([veh('tr-alz-01', 'C4', 'coach', 'fatigue', night, { continuousDrivingMin: 250 })]);
    expect(long.of('road.fatigue')).toEqual(['fire orange']);
    expect(long.of('road.fatigue.coach-night')).toEqual([]);
  });

  it('resolves route deviation and restricted stopping of a tanker each on its own `cleared`', () => {
    const r = run([
      veh('tr-edz-01', 'W3', 'dangerous_goods', 'route_deviation', T(0)),
      veh('tr-edz-01', 'W3', 'dangerous_goods', 'stop_restricted', T(2)),
      cleared('tr-edz-01', 'W3', 'dangerous_goods', 'route_deviation', T(10)),
    ]);
    expect(r.of('road.dg.route-deviation')).toEqual(['fire orange', 'resolve orange']);
    expect(r.of('road.dg.stop-restricted')).toEqual(['fire orange']);
    r.steps([cleared('tr-edz-01', 'W3', 'dangerous_goods', 'stop_restricted', T(15))]);
    expect(r.of('road.dg.stop-restricted')).toEqual(['fire orange', 'resolve orange']);
  });

  it('keeps a tanker in a red warning open while it reports from inside, and resolves 30 min after the last report there', () => {
    const area = [[38.0, 107.15], [38.0, 107.25], [38.1, 107.25], [38.1, 107.15]];
    const warning = { type: 'weather.warning', id: 'W-RF-1', sender: '鄂托克前旗气象台', sent: T(0), status: 'Actual', msgType: 'Alert', event: '暴雨', level: 'red', onset: T(0), expires: T(6 * HOUR), area: { polygons: [area] } };
    const at = (min: number, lat = 38.05): Raw => veh('tr-edz-01', 'W5', 'dangerous_goods', 'position', T(min), { lat, lon: 107.2 });
    const r = run([warning, at(5), at(20), tick(T(45)), at(30, 38.3), tick(T(49))]);
    expect(r.of('road.dg.in-warning')).toEqual(['fire orange']);
    const fired = r.log.find((t) => t.ruleId === 'road.dg.in-warning')!;
    expect(fired.summary).toContain('暴雨红色预警区域内');
    expect(fired.labels.warningId).toBe('W-RF-1');
    r.steps([tick(T(50, 1))]); // 30 min after the last report inside (T(20))
    expect(r.of('road.dg.in-warning')).toEqual(['fire orange', 'resolve orange']);
  });

  it('refuses a position report without a position', () => {
    expect(Event.safeParse(veh('tr-edz-01', 'W5', 'dangerous_goods', 'position', T(0))).success).toBe(false);
  });

  it('resolves an sos when the platform reports it handled', () => {
    const r = run([veh('tr-shm-01', 'A4', 'heavy_truck', 'sos', T(0)), veh('tr-shm-01', 'A4', 'heavy_truck', 'sos', T(1)), cleared('tr-shm-01', 'A4', 'heavy_truck', 'sos', T(8))]);
    expect(r.of('road.sos')).toEqual(['fire red', 'resolve red']);
  });
});

describe('fire.yaml resolve paths', () => {
  it('keeps the fire alarm red after a false-alarm confirm and resolves it on reset; no escalation', () => {
    const r = run([
      fire('cv-alz-02', 'FAC-1', 'fire', T(0), { deviceId: 'SD-1' }),
      fire('cv-alz-02', 'FAC-1', 'fire', T(0, 40), { deviceId: 'SD-2' }), // a second detector: the same alarm
      fire('cv-alz-02', 'FAC-1', 'confirm', T(2), { confirmed: 'false_alarm' }),
      tick(T(4)),
    ]);
    expect(r.of('fire.alarm')).toEqual(['fire red']);
    r.steps([fire('cv-alz-02', 'FAC-1', 'reset', T(5)), tick(T(10))]);
    expect(r.of('fire.alarm')).toEqual(['fire red', 'resolve red']);
    expect(r.of('fire.alarm.unconfirmed')).toEqual([]);
  });

  it('escalates an alarm unanswered for 3 min and resolves the escalation on the late confirm', () => {
    const r = run([fire('hb-alz-01', 'FAC-A', 'fire', T(0), { deviceId: 'SD-18' }), tick(T(2, 59))]);
    expect(r.of('fire.alarm.unconfirmed')).toEqual([]);
    r.steps([tick(T(3, 1))]);
    expect(r.of('fire.alarm.unconfirmed')).toEqual(['fire red']);
    r.steps([fire('hb-alz-01', 'FAC-A', 'confirm', T(6), { confirmed: 'real' })]);
    expect(r.of('fire.alarm.unconfirmed')).toEqual(['fire red', 'resolve red']);
    // a real fire stays red until the controller is reset
    expect(r.open('fire.alarm')).toBe(true);
  });

  it('raises devices out of service after 24 h at ≥ 10 % and resolves on a status under 10 %', () => {
    const h = (n: number): string => T(n * HOUR);
    const r = run([status('hb-alz-01', 'FAC-A', 21, 14, 312, h(0)), status('hb-alz-01', 'FAC-A', 22, 14, 312, h(12)), status('hb-alz-01', 'FAC-A', 20, 14, 312, h(23))]);
    expect(r.of('fire.devices-out-of-service')).toEqual([]);
    r.steps([status('hb-alz-01', 'FAC-A', 20, 14, 312, h(24))]); // 34 of 312 = 10.9 % for 24 h
    expect(r.of('fire.devices-out-of-service')).toEqual(['fire orange']);
    const t = r.log.find((x) => x.ruleId === 'fire.devices-out-of-service')!;
    expect(t.summary).toContain('10.897%');
    r.steps([status('hb-alz-01', 'FAC-A', 12, 2, 312, h(30))]); // 4.5 %
    expect(r.of('fire.devices-out-of-service')).toEqual(['fire orange', 'resolve orange']);
  });

  it('starts the 24 h again after a status under 10 %', () => {
    const h = (n: number): string => T(n * HOUR);
    const r = run([status('cv-alz-02', 'FAC-1', 8, 4, 100, h(0)), status('cv-alz-02', 'FAC-1', 5, 4, 100, h(12)), status('cv-alz-02', 'FAC-1', 8, 4, 100, h(13)), status('cv-alz-02', 'FAC-1', 8, 4, 100, h(25))]);
    expect(r.of('fire.devices-out-of-service')).toEqual([]);
  });
});

describe('vehicle.event and fire.event contracts', () => {
  it('key by the site, so one instance owns an operator or a building', () => {
    expect(keyOf(Event.parse(veh('tr-edz-01', 'W1', 'dangerous_goods', 'sos', T(0))))).toBe('tr-edz-01');
    expect(keyOf(Event.parse(fire('hb-alz-01', 'FAC-A', 'reset', T(0))))).toBe('hb-alz-01');
  });

  it.each<[string, Raw]>([
    // an unknown condition
    ['event outside the closed set', veh('tr-edz-01', 'W1', 'dangerous_goods', 'harsh_braking', T(0))],
    // an unknown vehicle class
    ['vehicleClass outside the closed set', veh('tr-edz-01', 'W1', 'taxi', 'sos', T(0))],
    // `cleared` naming something that is no condition
    ['cleared condition outside the set', veh('tr-edz-01', 'W1', 'dangerous_goods', 'cleared', T(0), { condition: 'cleared' })],
    // a controller with no devices cannot give a share
    ['totalDevices 0', status('hb-alz-01', 'FAC-A', 0, 0, 0, T(0))],
    ['confirmed outside the set', fire('hb-alz-01', 'FAC-A', 'confirm', T(0), { confirmed: 'maybe' })],
    // what the rules need to judge an alarm is required for that alarm
    ['speeding without the limit', veh('tr-edz-01', 'W1', 'dangerous_goods', 'speeding', T(0), { speedKmh: 140 })],
    ['fatigue without the driving time', veh('tr-edz-01', 'W1', 'dangerous_goods', 'fatigue', T(0))],
    ['cleared without the condition', veh('tr-edz-01', 'W1', 'dangerous_goods', 'cleared', T(0))],
    ['confirm without what was found', fire('hb-alz-01', 'FAC-A', 'confirm', T(0))],
    ['status without totalDevices', fire('hb-alz-01', 'FAC-A', 'status', T(0), { faultDevices: 3, disabledDevices: 0 })],
  ])('refuse %s', (_name, raw) => {
    expect(Event.safeParse(raw).success).toBe(false);
  });
});

describe('rule-kind extensions', () => {
  const ctxOf = (e: Raw): EvalContext => {
    const event = Event.parse(e);
    return { topic: 'risk.site.telemetry', event, time: (event as { ts: number }).ts };
  };
  const base = { title: '测试', domain: 'site', source: '测试', summary: '测试', kind: 'threshold', subject: ['siteId', 'metric'] } as const;
  const reading = (value: number, extra: Raw = {}): Raw => ({ type: 'site.reading', siteId: 'cv-alz-02', metric: 'm', value, unit: 'x', ts: T(0), ...extra });

  it.each<[string, Raw, Raw, number | undefined]>([
    // (110 − 80) / 80 = 37.5 % over
    ['excess_pct over the limit', { kind: 'excess_pct', field: 'a', of: 'b' }, { a: 110, b: 80 }, 37.5],
    // under the limit: negative (the safe side)
    ['excess_pct under the limit', { kind: 'excess_pct', field: 'a', of: 'b' }, { a: 60, b: 80 }, -25],
    // no base: cannot be judged
    ['excess_pct without the base', { kind: 'excess_pct', field: 'a', of: 'b' }, { a: 60 }, undefined],
    ['excess_pct base 0', { kind: 'excess_pct', field: 'a', of: 'b' }, { a: 60, b: 0 }, undefined],
    // (3 + 2) / 40 = 12.5 %
    ['share_pct of a total', { kind: 'share_pct', fields: ['a', 'c'], of: 'b' }, { a: 3, c: 2, b: 40 }, 12.5],
    ['share_pct with a part missing', { kind: 'share_pct', fields: ['a', 'c'], of: 'b' }, { a: 3, b: 40 }, undefined],
    // value of a named field instead of `value`
    ['value of a named field', { kind: 'value', field: 'a' }, { a: 7 }, 7],
  ])('%s', (_name, measure, fields, expected) => {
    const rule = ThresholdRule.parse({ ...base, id: 'site.test', match: { type: 'site.reading' }, measure, levels: [{ severity: 'orange', value: -1000 }] });
    const ev = new ThresholdEvaluator(rule);
    const out: AlertTransition[] = [];
    ev.evaluate(ctxOf(reading(1, fields)), out);
    if (expected === undefined) expect(out).toEqual([]);
    else expect(out[0]?.value).toBeCloseTo(expected, 9);
  });

  it('resolveWhen ends an active level without a number and drops a pending one', () => {
    const rule = ThresholdRule.parse({ ...base, id: 'site.test', match: { type: 'site.reading' }, levels: [{ severity: 'orange', value: 10 }], resolveWhen: { phase: 'end' } });
    const ev = new ThresholdEvaluator(rule);
    const out: AlertTransition[] = [];
    ev.evaluate(ctxOf(reading(12)), out);
    ev.evaluate(ctxOf(reading(12, { phase: 'end' })), out); // the number would keep it firing: resolveWhen wins
    expect(out.map((t) => t.action)).toEqual(['fire', 'resolve']);
    expect(ev.size()).toBe(0);
    const pending = new ThresholdEvaluator(ThresholdRule.parse({ ...base, id: 'site.test2', match: { type: 'site.reading' }, levels: [{ severity: 'orange', value: 10 }], for: '1h', resolveWhen: { phase: 'end' } }));
    pending.evaluate(ctxOf(reading(12)), out);
    expect(pending.size()).toBe(1);
    pending.evaluate(ctxOf(reading(0, { phase: 'end' })), out);
    expect(pending.size()).toBe(0);
  });

  it.each<[string, number, number, number, boolean]>([
    // 22:00–06:00 wraps midnight
    ['23:30 in 22:00–06:00', 23 * 60 + 30, 22 * 60, 6 * 60, true],
    ['22:00 in (from is inside)', 22 * 60, 22 * 60, 6 * 60, true],
    ['05:59 in', 5 * 60 + 59, 22 * 60, 6 * 60, true],
    ['06:00 out (to is outside)', 6 * 60, 22 * 60, 6 * 60, false],
    ['12:00 out', 12 * 60, 22 * 60, 6 * 60, false],
    // a window within one day
    ['09:00 in 08:00–18:00', 9 * 60, 8 * 60, 18 * 60, true],
    ['19:00 out of 08:00–18:00', 19 * 60, 8 * 60, 18 * 60, false],
  ])('local_time window: %s', (_name, minute, from, to, inside) => {
    expect(inLocalWindow(minute, from, to)).toBe(inside);
  });

  it('refuses a local_time requirement that is not HH:MM', () => {
    const rule = { id: 'road.test', title: '测试', domain: 'road', source: '测试', summary: '测试', kind: 'condition', match: { type: 'vehicle.event' }, subject: ['vehicleId'], severity: 'orange' };
    expect(ConditionRule.safeParse({ ...rule, require: [{ kind: 'local_time', from: '22:00', to: '06:00' }] }).success).toBe(true);
    expect(ConditionRule.safeParse({ ...rule, require: [{ kind: 'local_time', from: '24:00', to: '06:00' }] }).success).toBe(false);
  });
});
