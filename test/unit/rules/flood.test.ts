import { describe, expect, it } from 'vitest';
import { AlertBook } from '../../../src/alerts/book.ts';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event } from '../../../src/contracts/events.ts';
import { CountRule, RateRule, WarningImpactRule, type Rule } from '../../../src/contracts/rules.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { flaggedSite } from '../../../src/rules/evaluator.ts';
import { RateEvaluator } from '../../../src/rules/kinds/rate.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';
import { RuleRun, type Raw, type Step } from '../../helpers/rule-run.ts';

// deploy/rules/flood.yaml on the bundled reference data, through the Stepper and an AlertBook (as
// the backtest runs it): the resolve paths of every rule, and the small extensions it needs
// (rate `onlyAbove`, count and warning_impact `siteFlags`).
const reference = loadReference(BUNDLED);
const rules: Rule[] = loadRulePack(BUNDLED.rules);
const DAY = Date.parse('2024-06-03T10:00:00+08:00');
const T = (min: number, sec = 0): string => formatTs(DAY + min * 60_000 + sec * 1000);


class Run extends RuleRun {
  constructor(pack: Rule[] = rules) {
    super(reference, pack);
  }
  of(ruleId: string, siteId?: string): [string, string][] {
    return this.log.filter((t) => t.ruleId === ruleId && (siteId === undefined || t.siteId === siteId)).map((t) => [t.action, t.severity]);
  }
  open(ruleId: string): string[] {
    return this.book.openAlerts().filter((a) => a.ruleId === ruleId).map((a) => a.siteId!).sort();
  }
}
const run = (steps: readonly Step[], pack?: Rule[]): Run => new Run(pack).steps(steps);

const sr = (siteId: string, metric: string, value: number, unit: string, ts: string): Raw => ({ type: 'site.reading', siteId, metric, value, unit, ts });
const gauge = (value: number, ts: string): Raw => sr('sa-ccn-01', 'water_level_m', value, 'm', ts);
const rain = (siteId: string, mm: number, ts: string): Raw => sr(siteId, 'rain_mm', mm, 'mm', ts);
function warning(id: string, event: string, level: string, sent: string, towns: string[], extra: Raw = {}): Raw {
  return { type: 'weather.warning', id, sender: '鄂托克前旗气象台', sent, status: 'Actual', msgType: 'Alert', event, level, onset: sent, expires: formatTs(Date.parse(sent) + 6 * 3_600_000), area: { towns }, ...extra };
}
const tick = (at: string): Step => ({ tick: at });

describe('site.water-level.rising (rate with onlyAbove)', () => {
  it('fires yellow near the warning level and resolves when the rise stalls', () => {
    const r = run([gauge(1.8, T(0)), gauge(2.0, T(20)), gauge(2.15, T(40)), gauge(2.2, T(60)), gauge(2.22, T(80)), gauge(2.22, T(100))]);
    expect(r.of('site.water-level.rising')).toEqual([['fire', 'yellow'], ['resolve', 'yellow']]);
    const fire = r.log.find((t) => t.ruleId === 'site.water-level.rising')!;
    expect(fire.summary).toContain('2.15m');
    expect(fire.summary).toContain('0.35m');
    expect(fire.summary).toContain('（2m）');
    expect(r.open('site.water-level.rising')).toEqual([]);
  });

  it('resolves when the level falls back below warning − 0.5 m, even after a fast rise', () => {
    const r = run([gauge(1.7, T(0)), gauge(2.1, T(30)), gauge(1.95, T(40))]);
    expect(r.of('site.water-level.rising')).toEqual([['fire', 'yellow'], ['resolve', 'yellow']]);
  });

  it('does not judge a gauge without a warning level, and counts it as unconfigured', () => {
    const rule = rules.find((x) => x.id === 'site.water-level.rising') as RateRule;
    const ev = new RateEvaluator(rule);
    const site = reference.sites.get('cs-ccn-01')!;
    const out: AlertTransition[] = [];
    for (const [v, min] of [[1, 0], [3, 30]] as const) {
      const e = Event.parse(sr('cs-ccn-01', 'water_level_m', v, 'm', T(min)));
      ev.evaluate({ topic: 'risk.site.telemetry', event: e, time: Date.parse(T(min)), site }, out);
    }
    expect(out).toEqual([]);
    expect(ev.unconfigured).toBe(2);
    expect(ev.size()).toBe(0);
  });

  it('refuses an onlyAbove without ref', () => {
    const base = { id: 't.r', kind: 'rate', title: '测试', domain: 'site', source: '测试', summary: '测试', match: { type: 'site.reading' }, subject: ['siteId'], window: '1h', levels: [{ severity: 'yellow', value: 1 }] };
    expect(RateRule.safeParse({ ...base, onlyAbove: { offset: -1 } }).success).toBe(false);
    expect(RateRule.parse({ ...base, onlyAbove: { ref: 'warning' } }).onlyAbove).toEqual({ ref: 'warning', offset: 0 });
  });
});

describe('rain sums (count with weight: value)', () => {
  it('fires orange at 20 mm within the hour and resolves when the hour drains', () => {
    const steps = [5, 5, 5, 5].map((mm, i) => rain('cs-ccn-01', mm, T(i * 15)));
    const r = run([...steps, tick(T(60, 1)), tick(T(75, 1))]);
    expect(r.of('site.rain.short-heavy', 'cs-ccn-01')).toEqual([['fire', 'orange'], ['resolve', 'orange']]);
    const fire = r.log.find((t) => t.ruleId === 'site.rain.short-heavy')!;
    expect(fire.summary).toContain('累计降雨 20mm');
    // the 10:00 reading left the window at 11:00: 15 mm remain
    expect(r.log.find((t) => t.ruleId === 'site.rain.short-heavy' && t.action === 'resolve')!.value).toBe(15);
  });

  it('sums fractions of a millimetre without rounding noise in the text', () => {
    const r = run(Array.from({ length: 7 }, (_, i) => rain('cs-ccn-01', 2.9, T(i * 5))));
    const fire = r.log.find((t) => t.ruleId === 'site.rain.short-heavy')!;
    expect(fire.summary).toContain('累计降雨 20.3mm');
  });

  it('fires red at a floodProne site at 50 mm in 3 h, and only there; the 3 h window drains it', () => {
    const steps = (siteId: string): Raw[] => [rain(siteId, 20, T(0)), rain(siteId, 10, T(60)), rain(siteId, 20, T(150))];
    const r = run([...steps('cv-alz-02'), ...steps('cs-alz-01'), tick(T(180, 1))]);
    expect(r.of('site.rain.flood-prone', 'cv-alz-02')).toEqual([['fire', 'red'], ['resolve', 'red']]);
    expect(r.of('site.rain.flood-prone', 'cs-alz-01')).toEqual([]);
    // the 1 h rule saw 20 mm at 10:00 at both
    expect(r.of('site.rain.short-heavy', 'cs-alz-01')[0]).toEqual(['fire', 'orange']);
  });

  it('count siteFlags: only a reference flag name is accepted', () => {
    const base = { id: 't.c', kind: 'count', title: '测试', domain: 'site', source: '测试', summary: '测试', match: { type: 'site.reading' }, scope: ['siteId'], window: '1h', threshold: 1, severity: 'red' };
    expect(CountRule.safeParse({ ...base, siteFlags: ['floodprone'] }).success).toBe(false);
    expect(CountRule.safeParse({ ...base, siteFlags: [] }).success).toBe(false);
    expect(CountRule.parse({ ...base, siteFlags: ['geoHazard'] }).siteFlags).toEqual(['geoHazard']);
  });

  it('flaggedSite: any of the flags', () => {
    const s = reference.sites.get('op-shm-01')!;
    expect(flaggedSite(s, undefined)).toBe(true);
    expect(flaggedSite(undefined, undefined)).toBe(true);
    expect(flaggedSite(undefined, ['floodProne'])).toBe(false);
    expect(flaggedSite(s, ['floodProne', 'geoHazard'])).toBe(true);
    expect(flaggedSite(reference.sites.get('cm-alz-01')!, ['geoHazard'])).toBe(false);
  });
});

describe('mine water and slopes (thresholds on the reference settings)', () => {
  it('inflow: orange at 1.5× the normal inflow, resolves below it', () => {
    const at = (v: number, min: number): Raw => sr('cm-alz-01', 'mine_water_inflow_m3h', v, 'm³/h', T(min));
    const r = run([at(150, 0), at(185, 10), at(240, 20), at(165, 30)]);
    expect(r.of('mine.water.inflow')).toEqual([['fire', 'orange'], ['resolve', 'orange']]);
    expect(r.log.find((t) => t.ruleId === 'mine.water.inflow')!.summary).toBe('敖勒召其示范煤矿（虚构） 矿井涌水量 185m³/h，达到正常涌水量的1.5倍（180m³/h），有水害（透水）危险');
  });

  it('inflow: a meter hovering at 1.5× fires once and clears only below 1.4× (restoreFactor)', () => {
    const at = (v: number, min: number): Raw => sr('cm-alz-01', 'mine_water_inflow_m3h', v, 'm³/h', T(min));
    const r = run([at(181, 0), at(179, 1), at(182, 2), at(175, 3), at(181, 4), at(169, 5)]);
    expect(r.of('mine.water.inflow')).toEqual([['fire', 'orange']]);
    r.steps([at(167, 6)]);
    expect(r.of('mine.water.inflow')).toEqual([['fire', 'orange'], ['resolve', 'orange']]);
  });

  it('sump: orange at 80 %, red at 90 %, down through the restore values', () => {
    const at = (v: number, min: number): Raw => sr('cm-alz-01', 'sump_level_pct', v, '%', T(min));
    const r = run([at(70, 0), at(82, 10), at(91, 20), at(87, 30), at(84, 40), at(74, 50)]);
    expect(r.of('mine.water.sump')).toEqual([['fire', 'orange'], ['fire', 'red'], ['fire', 'orange'], ['resolve', 'orange']]);
  });

  it('slope: orange and red at the pit\'s own settings', () => {
    const at = (v: number, min: number): Raw => sr('op-shm-01', 'slope_disp_mm_d', v, 'mm/d', T(min));
    const r = run([at(2, 0), at(6, 60), at(12, 120), at(3, 180)]);
    expect(r.of('site.slope.displacement')).toEqual([['fire', 'orange'], ['fire', 'red'], ['resolve', 'red']]);
    expect(r.log.find((t) => t.ruleId === 'site.slope.displacement')!.summary).toBe('上海庙示范露天煤矿（虚构） 边坡位移速率 6mm/d，橙色预警值 5mm/d');
  });
});

describe('flood and geology warnings (warning_impact with siteFlags)', () => {
  const W = (n: number): string => `15062341600000_2024060310${String(n).padStart(4, '0')}`;

  it('山洪灾害 reaches only the floodProne sites of the area; Cancel resolves them', () => {
    const r = run([warning(W(1), '山洪灾害', 'orange', T(0), ['aolezhaoqi'])]);
    expect(r.open('weather.impact.flash-flood')).toEqual(['cm-alz-01', 'cv-alz-02']);
    r.steps([warning(`${W(1)}c`, '山洪灾害', 'orange', T(40), ['aolezhaoqi'], { msgType: 'Cancel', references: [W(1)] })]);
    expect(r.open('weather.impact.flash-flood')).toEqual([]);
  });

  it('地质灾害气象风险 reaches the geoHazard pits; expiry resolves', () => {
    const r = run([warning(W(2), '地质灾害气象风险', 'yellow', T(0), ['shanghaimiao', 'aolezhaoqi'], { expires: T(60) })]);
    expect(r.open('weather.impact.geohazard')).toEqual(['op-alz-01', 'op-shm-01']);
    r.steps([tick(T(61))]);
    expect(r.open('weather.impact.geohazard')).toEqual([]);
  });

  it('雷电 over Aolezhaoqi stops blasting at the pit and the quarry only', () => {
    const r = run([warning(W(3), '雷电', 'orange', T(0), ['aolezhaoqi'])]);
    expect(r.open('weather.impact.lightning')).toEqual(['nm-alz-01', 'op-alz-01']);
    expect(r.log.find((t) => t.ruleId === 'weather.impact.lightning' && t.siteId === 'op-alz-01')!.actions.join()).toContain('停止装药');
  });

  it('高温 takes the warning colour (yellow 35 °C … red 40 °C); an Update raising it re-grades in place', () => {
    const r = run([warning(W(4), '高温', 'yellow', T(0), ['chengchuan'])]);
    expect(r.of('weather.impact.heat', 'cs-ccn-01')).toEqual([['fire', 'yellow']]);
    r.steps([warning(W(5), '高温', 'orange', T(60), ['chengchuan'], { msgType: 'Update', references: [W(4)] })]);
    expect(r.of('weather.impact.heat', 'cs-ccn-01')).toEqual([['fire', 'yellow'], ['fire', 'orange']]);
  });

  it('refuses an unknown site flag', () => {
    const base = { id: 't.w', kind: 'warning_impact', title: '测试', domain: 'weather', source: '测试', summary: '测试', events: ['山洪灾害'], minLevel: 'blue', siteKinds: { coal_mine: ['撤人', '报告'] } };
    expect(WarningImpactRule.safeParse({ ...base, siteFlags: ['valley'] }).success).toBe(false);
    expect(WarningImpactRule.parse({ ...base, siteFlags: ['floodProne'] }).siteFlags).toEqual(['floodProne']);
  });
});
