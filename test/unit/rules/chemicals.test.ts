import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event } from '../../../src/contracts/events.ts';
import { CalendarFile, sameEffect } from '../../../src/contracts/reference.ts';
import { ContextState } from '../../../src/enrich/context.ts';
import { Rule } from '../../../src/contracts/rules.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference, type ReferenceData } from '../../../src/enrich/reference.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';
import { RuleRun, type Raw, type Step } from '../../helpers/rule-run.ts';

// The chemical and special-work rules (deploy/rules/chemicals.yaml, the permit rules of
// enforcement.yaml) and the kind extensions they use: deadline `first` / `plusRef`, absence
// `during`, the condition requirement `span_over`, the effect forbid_high_risk_work and its old name.
const reference = loadReference(BUNDLED);
const pack: Rule[] = loadRulePack(BUNDLED.rules);
const DAY = Date.parse('2024-06-03T10:00:00+08:00');
const PLENARY = Date.parse('2024-07-16T10:00:00+08:00');
const T = (min: number): string => formatTs(DAY + min * 60_000);
const P = (min: number): string => formatTs(PLENARY + min * 60_000);
const HOUR = 60;
const DAY_MIN = 24 * HOUR;


/** run drives events and ticks through a Stepper with an alert book and returns every transition. */
function run(steps: readonly Step[], rules: readonly Rule[] = pack, ref: ReferenceData = reference): AlertTransition[] {
  return new RuleRun(ref, rules).steps(steps).log;
}
const of = (log: AlertTransition[], ruleId: string): [string, string, string][] => log.filter((t) => t.ruleId === ruleId).map((t) => [t.action, t.severity, formatTs(t.at)]);
const tick = (at: string): Step => ({ tick: at });
const gas = (siteId: string, metric: string, value: number, ts: string, extra: Raw = {}): Raw => ({ type: 'site.reading', siteId, metric, value, unit: metric === 'lel_pct' ? '%LEL' : metric === 'o2_pct' ? '%' : 'ppm', ts, ...extra });
function permit(permitId: string, siteId: string, work: string, validFrom: string, validTo: string, ts: string, extra: Raw = {}): Raw {
  return { type: 'enforcement.permit', permitId, siteId, work, grade: '1', validFrom, validTo, escalatedApproval: false, ts, ...extra };
}

describe('gas detectors', () => {
  it.each([
    // first level at 25 % LEL, second at 50 %, back under 25 resolves (fixed levels, no hysteresis band)
    ['combustible steps up and resolves', 'site.gas.combustible', 'cp-edz-04', 'lel_pct', [10, 30, 55, 30, 4], [['fire', 'orange'], ['fire', 'red'], ['fire', 'orange'], ['resolve', 'orange']]],
    // H2S at cp-edz-02: OEL 7 ppm → orange, 14 ppm → red
    ['toxic steps up and resolves', 'site.gas.toxic', 'cp-edz-02', 'h2s_ppm', [7, 14, 3], [['fire', 'orange'], ['fire', 'red'], ['resolve', 'red']]],
  ])('%s', (_name, ruleId, siteId, metric, values, expected) => {
    const log = run(values.map((v, i) => gas(siteId, metric, v, T(i * 5), { itemId: 'GT-1' })));
    expect(of(log, ruleId).map(([a, s]) => [a, s])).toEqual(expected);
  });

  it('keeps two detectors of one plant apart', () => {
    const log = run([gas('cp-edz-04', 'lel_pct', 30, T(0), { itemId: 'GT-1' }), gas('cp-edz-04', 'lel_pct', 30, T(1), { itemId: 'GT-2' }), gas('cp-edz-04', 'lel_pct', 2, T(2), { itemId: 'GT-1' })]);
    const t = log.filter((x) => x.ruleId === 'site.gas.combustible');
    expect(t.map((x) => [x.action, x.labels.itemId])).toEqual([['fire', 'GT-1'], ['fire', 'GT-2'], ['resolve', 'GT-1']]);
  });
});

describe('detector bypass (deadline `first` and `plusRef`)', () => {
  const bypassed = (siteId: string, at: string, bypass = true): Raw => gas(siteId, 'lel_pct', 1, at, { itemId: 'GT-9', bypass });

  it('counts from the first bypassed reading: re-reads do not move the clock', () => {
    // cp-edz-01 allows 4 h; readings every hour would push a per-event clock forever
    const steps: Step[] = [];
    for (let h = 0; h <= 6; h++) steps.push(bypassed('cp-edz-01', T(h * HOUR)), tick(T(h * HOUR + 1)));
    expect(of(run(steps), 'site.detector.bypass')).toEqual([['fire', 'orange', T(4 * HOUR)]]);
  });

  it('uses 8 h where the site has no allowance, and starts over after the detector is put back', () => {
    const log = run([bypassed('cp-edz-04', T(0)), tick(T(7 * HOUR)), bypassed('cp-edz-04', T(7 * HOUR), false), bypassed('cp-edz-04', T(7 * HOUR + 30)), tick(T(15 * HOUR)), tick(T(15 * HOUR + 31))]);
    expect(of(log, 'site.detector.bypass')).toEqual([['fire', 'orange', T(15 * HOUR + 30)]]);
  });

  it('names the deadline in the text', () => {
    const t = run([bypassed('cp-edz-01', T(0)), tick(T(4 * HOUR))]).find((x) => x.ruleId === 'site.detector.bypass')!;
    expect(t.summary).toBe('开发区示范煤制甲醇厂（虚构） 可燃气体检测报警/联锁 GT-9 处于旁路状态，超过允许的旁路时限（应于 06-03 14:00:00 前恢复投用）');
  });
});

describe('confined space', () => {
  it('judges only readings of a permit, at the confined-space levels', () => {
    const log = run([gas('cp-edz-02', 'o2_pct', 19.4, T(0), { permitId: 'YK-1' }), gas('cp-edz-02', 'o2_pct', 19.4, T(1)), gas('cp-edz-02', 'o2_pct', 20.6, T(10), { permitId: 'YK-1' })]);
    expect(of(log, 'site.confined.o2-low')).toEqual([['fire', 'red', T(0)], ['resolve', 'red', T(10)]]);
  });

  it('watches gas readings only while the permit is open (absence `during`)', () => {
    // silent from 10:00 but the permit ends at 10:20: nothing to report
    expect(of(run([permit('YK-2', 'cp-edz-02', 'confined_space', T(0), T(20), T(0)), tick(T(20)), tick(T(HOUR))]), 'site.confined.gas-missing')).toEqual([]);
    // a re-sent permit extends the watch, and a reading feeds it
    const log = run([permit('YK-3', 'cp-edz-02', 'confined_space', T(0), T(20), T(0)), permit('YK-3', 'cp-edz-02', 'confined_space', T(0), T(2 * HOUR), T(10)), gas('cp-edz-02', 'lel_pct', 0, T(15), { permitId: 'YK-3' }), tick(T(44)), tick(T(46))]);
    expect(of(log, 'site.confined.gas-missing')).toEqual([['fire', 'orange', T(45)]]);
    // a permit issued two hours ahead is watched from its validFrom
    const ahead = run([permit('YK-8', 'cp-edz-02', 'confined_space', T(2 * HOUR), T(4 * HOUR), T(0)), tick(T(HOUR)), tick(T(2 * HOUR + 20)), gas('cp-edz-02', 'o2_pct', 20.8, T(2 * HOUR + 25), { permitId: 'YK-8' }), tick(T(2 * HOUR + 56))]);
    expect(of(ahead, 'site.confined.gas-missing')).toEqual([['fire', 'orange', T(2 * HOUR + 55)]]);
    // readings of another permit of the same site do not feed it
    const other = run([permit('YK-4', 'cp-edz-02', 'confined_space', T(0), T(2 * HOUR), T(0)), gas('cp-edz-02', 'o2_pct', 20.8, T(20), { permitId: 'YK-5' }), tick(T(31))]);
    expect(of(other, 'site.confined.gas-missing')).toEqual([['fire', 'orange', T(30)]]);
  });

  it('resolves a silent watch when the permit reaches validTo or is cancelled', () => {
    const expired = run([permit('YK-6', 'cp-edz-02', 'confined_space', T(0), T(HOUR), T(0)), tick(T(31)), tick(T(2 * HOUR))]);
    expect(of(expired, 'site.confined.gas-missing')).toEqual([['fire', 'orange', T(30)], ['resolve', 'orange', T(HOUR)]]);
    const cancelled = run([permit('YK-7', 'cp-edz-02', 'confined_space', T(0), T(HOUR), T(0)), tick(T(31)), permit('YK-7', 'cp-edz-02', 'confined_space', T(0), T(HOUR), T(40), { status: 'cancelled' }), tick(T(2 * HOUR))]);
    expect(of(cancelled, 'site.confined.gas-missing')).toEqual([['fire', 'orange', T(30)], ['resolve', 'orange', T(40)]]);
  });
});

describe('absence `during` in the rule contract', () => {
  it('refuses a watch opened by events and from the reference data at once', () => {
    const gasMissing = pack.find((r) => r.id === 'site.confined.gas-missing')!;
    const r = Rule.safeParse({ ...(gasMissing as object), period: '30m', expected: { from: 'sites' } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('at most one of during');
  });
});

describe('permits', () => {
  it('the special-period ban covers every GB 30871 work type', () => {
    for (const work of ['hot_work', 'confined_space', 'blind_plate', 'work_at_height', 'lifting', 'temporary_electricity', 'earthwork', 'road_breaking', 'maintenance']) {
      const t = run([permit(`W-${work}`, 'cp-edz-03', work, P(0), P(4 * HOUR), P(-60))]).filter((x) => x.ruleId === 'enforcement.permit.special-period');
      expect(t.map((x) => x.severity), work).toEqual(['red']);
    }
  });

  it('reads a calendar or a pack that still says forbid_hot_work', () => {
    expect(sameEffect('forbid_hot_work', 'forbid_high_risk_work')).toBe(true);
    expect(sameEffect('escalate', 'forbid_high_risk_work')).toBe(false);
    const oldCalendar = CalendarFile.parse([{ name: '旧日历', from: P(-HOUR), to: P(DAY_MIN), effects: ['forbid_hot_work'] }]);
    const ref = { ...reference, calendar: oldCalendar };
    const oldRule = Rule.parse({ ...(pack.find((r) => r.id === 'enforcement.permit.special-period') as object), require: [{ kind: 'special_period', effect: 'forbid_hot_work', fromField: 'validFrom', toField: 'validTo' }], match: { type: 'enforcement.permit' } });
    for (const [rules, r] of [[pack, ref], [[oldRule], reference], [[oldRule], ref]] as const) {
      expect(run([permit('W-1', 'cp-edz-03', 'earthwork', P(0), P(HOUR), P(-60))], rules, r).filter((x) => x.ruleId === 'enforcement.permit.special-period')).toHaveLength(1);
    }
    // an unknown effect is refused, naming the ones there are
    const bad = Rule.safeParse({ ...(oldRule as object), require: [{ kind: 'special_period', effect: 'forbid_work' }] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('forbid_high_risk_work');
  });

  it('a grade-1 hot-work permit over 8 h says its span; a closing event resolves it', () => {
    const log = run([permit('DH-1', 'cp-edz-01', 'hot_work', T(0), T(14 * HOUR), T(-10), { status: 'issued' }), permit('DH-1', 'cp-edz-01', 'hot_work', T(0), T(14 * HOUR), T(3 * HOUR), { status: 'closed' })]);
    const t = log.filter((x) => x.ruleId === 'enforcement.permit.hot-work-validity');
    expect(t.map((x) => [x.action, x.severity])).toEqual([['fire', 'orange'], ['resolve', 'orange']]);
    expect(t[0]!.summary).toBe('开发区示范煤制甲醇厂（虚构） 特级/一级动火作业票 DH-1 有效期 14 小时，超过规定的 8 小时');
    expect(t[0]!.labels).toMatchObject({ spanHours: '14', allowedHours: '8', permitId: 'DH-1' });
  });

  it('work past validTo fires at validTo and resolves when the permit is closed', () => {
    const log = run([permit('DZ-1', 'cp-edz-04', 'road_breaking', T(0), T(2 * HOUR), T(0), { status: 'in_progress' }), tick(T(2 * HOUR + 1)), permit('DZ-1', 'cp-edz-04', 'road_breaking', T(0), T(2 * HOUR), T(3 * HOUR), { status: 'closed' })]);
    expect(of(log, 'enforcement.permit.overrun')).toEqual([['fire', 'orange', T(2 * HOUR)], ['resolve', 'orange', T(3 * HOUR)]]);
    expect(log.find((x) => x.ruleId === 'enforcement.permit.overrun')!.summary).toBe('开发区示范煤制烯烃厂（虚构） 断路作业许可 DZ-1 已于 06-03 12:00:00 到期，作业票仍未关闭，疑似超期作业');
  });
});

describe('open permits (situation, briefing)', () => {
  it('a permit closed before its validTo is no longer open work', () => {
    const c = new ContextState(reference);
    const p = Event.parse(permit('YK-9', 'cp-edz-02', 'confined_space', T(0), T(4 * HOUR), T(0), { status: 'in_progress' })) as Extract<Event, { type: 'enforcement.permit' }>;
    c.observeEnforcement(p, Date.parse(T(0)));
    expect([...c.openPermits.keys()]).toEqual(['YK-9']);
    c.observeEnforcement({ ...p, status: 'closed', ts: Date.parse(T(HOUR)) }, Date.parse(T(HOUR)));
    expect([...c.openPermits.keys()]).toEqual([]);
  });
});
