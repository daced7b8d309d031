import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { MinePower } from '../../../src/contracts/events.ts';
import { NowcastImpactRule, RateRule, type Rule } from '../../../src/contracts/rules.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';
import { RuleRun, type Raw, type Step } from '../../helpers/rule-run.ts';

// Issue 13 corrections to the mine and grid rules, on the whole bundled pack through the Stepper:
// 违规复电, 风速, 局部通风机停风/风电闭锁, flatline minValue, overload duration — each fires, stays
// quiet on a near miss, and resolves from the data.
const reference = loadReference(BUNDLED);
const rules: Rule[] = loadRulePack(BUNDLED.rules);
const DAY = Date.parse('2024-06-03T10:00:00+08:00');
/** T: `min` minutes and `sec` seconds after 10:00 of an ordinary day (no special period). */
const T = (min: number, sec = 0): string => formatTs(DAY + min * 60_000 + sec * 1000);


function run(steps: readonly Step[]): RuleRun {
  return new RuleRun(reference, rules).steps(steps);
}

const SHM1 = 'cm-shm-01';
function reading(sensorId: string, value: number, ts: string, siteId = SHM1): Raw {
  const s = reference.sites.get(siteId)!.sensors!.find((x) => x.id === sensorId)!;
  const unit = s.sensorType === 'WIND' ? 'm/s' : '%';
  return { type: 'mine.reading', siteId, sensorId, sensorType: s.sensorType, location: s.location, value, unit, ts, ...(s.areaId ? { areaId: s.areaId } : {}) };
}
const power = (areaId: string, state: 'on' | 'off', ts: string): Raw => ({ type: 'mine.power', siteId: SHM1, areaId, state, ts });
const fan = (areaId: string, state: 'on' | 'off', ts: string): Raw => ({ type: 'mine.power', siteId: SHM1, areaId, state, ts, device: 'local_fan' });
const load = (value: number, min: number): Raw => ({ type: 'grid.reading', siteId: 'ss-alz-110kv', equipmentId: 'T1', quantity: 'load', value, unit: '%', ts: T(min) });
const tick = (at: string): Step => ({ tick: at });

/** of: the transitions of one rule as "action severity" strings, in order. */
const of = (log: AlertTransition[], ruleId: string): string[] => log.filter((t) => t.ruleId === ruleId).map((t) => `${t.action} ${t.severity}`);

describe('mine.power-on-violation (违规复电)', () => {
  const ID = 'mine.power-on-violation';
  const cutAndRestore = [reading('CH4-T1-1201', 1.6, T(0)), power('ws1201', 'off', T(0, 2)), reading('CH4-T1-1201', 1.2, T(1)), power('ws1201', 'on', T(1, 30))];

  it('fires red with the sensor still above the restore value, and resolves once it is below', () => {
    const r = run([...cutAndRestore, reading('CH4-T1-1201', 1.1, T(2)), reading('CH4-T1-1201', 0.8, T(3))]);
    expect(of(r.log, ID)).toEqual(['fire red', 'resolve red']);
    const fire = r.log.find((t) => t.ruleId === ID)!;
    expect(fire.summary).toBe('上海庙示范一号煤矿（虚构） ws1201 已恢复供电，但该区域甲烷传感器 CH4-T1-1201（采煤工作面）仍为 1.2%，未降至复电浓度以下，属违规复电');
    expect(fire.labels.sensorId).toBe('CH4-T1-1201');
    expect(fire.title).toBe('违规复电 采煤工作面 CH4-T1-1201');
    // the unit of the quoted reading, for the text (实测1.2%)
    expect(fire.labels.unit).toBe('%');
  });

  it('is not resolved by a neighbour\'s normal reading, only by every high sensor going below', () => {
    const r = run([reading('CH4-T0-1201', 1.1, T(0, 30)), ...cutAndRestore, reading('CH4-SH-1201', 0.3, T(2)), reading('CH4-T1-1201', 0.7, T(2, 10))]);
    expect(of(r.log, ID)).toEqual(['fire red']);
    expect(of(run([reading('CH4-T0-1201', 1.1, T(0, 30)), ...cutAndRestore, reading('CH4-T1-1201', 0.7, T(2)), reading('CH4-T0-1201', 0.6, T(2, 10))]).log, ID)).toEqual(['fire red', 'resolve red']);
  });

  it('resolves when the area is cut again, and fires again on a second power-on while methane holds', () => {
    const r = run([...cutAndRestore, power('ws1201', 'off', T(1, 40)), reading('CH4-T1-1201', 1.15, T(2)), power('ws1201', 'on', T(2, 20))]);
    expect(of(r.log, ID)).toEqual(['fire red', 'resolve red', 'fire red']);
  });

  it('a power-off naming its feedback sensor resolves it too', () => {
    const r = run([...cutAndRestore, { ...power('ws1201', 'off', T(1, 40)), sensorId: 'KD-1201' }]);
    expect(of(r.log, ID)).toEqual(['fire red', 'resolve red']);
  });

  it('stays quiet when the last high reading is older than 3 min, for another area, or for the local fan', () => {
    expect(of(run([reading('CH4-T1-1201', 1.2, T(0)), tick(T(3, 1)), power('ws1201', 'on', T(3, 30))]).log, ID)).toEqual([]);
    expect(of(run([reading('CH4-T1-1201', 1.2, T(0)), power('hf1302', 'on', T(0, 30))]).log, ID)).toEqual([]);
    expect(of(run([reading('CH4-T1-1201', 1.2, T(0)), fan('ws1201', 'on', T(0, 30))]).log, ID)).toEqual([]);
  });
});

describe('mine.local-fan.* (局部通风机停风, 风电闭锁)', () => {
  it('the stop is orange and resolves when the fan runs again', () => {
    expect(of(run([fan('hf1302', 'off', T(0)), power('hf1302', 'off', T(0, 1)), fan('hf1302', 'on', T(20))]).log, 'mine.local-fan.stopped')).toEqual(['fire orange', 'resolve orange']);
  });

  it('no power-off within 10 s is red; a late power-off resolves it', () => {
    const r = run([fan('hf1302', 'off', T(0)), tick(T(0, 11)), power('hf1302', 'off', T(0, 40))]);
    expect(of(r.log, 'mine.local-fan.no-power-off')).toEqual(['fire red', 'resolve red']);
    expect(r.log.find((t) => t.ruleId === 'mine.local-fan.no-power-off')!.summary).toContain('hf1302 局部通风机停止运转，10 秒内未收到该区域断电反馈');
  });

  it('the fan running again resolves the 风电闭锁 alert', () => {
    expect(of(run([fan('hf1302', 'off', T(0)), tick(T(0, 11)), fan('hf1302', 'on', T(2))]).log, 'mine.local-fan.no-power-off')).toEqual(['fire red', 'resolve red']);
  });

  it('a power-off stamped just before the fan stop counts', () => {
    expect(of(run([power('hf1302', 'off', T(0)), fan('hf1302', 'off', T(0, 1)), tick(T(0, 12))]).log, 'mine.local-fan.no-power-off')).toEqual([]);
  });

  it('a local fan stopping is no power-off feedback for methane', () => {
    expect(of(run([reading('CH4-T1-1201', 1.6, T(0)), fan('ws1201', 'off', T(0, 2)), tick(T(0, 11))]).log, 'mine.power-off-failure')).toEqual(['fire red']);
  });

  it('the contract takes device local_fan and area_power, and nothing else', () => {
    expect(MinePower.safeParse(fan('hf1302', 'off', T(0))).success).toBe(true);
    expect(MinePower.safeParse({ ...power('hf1302', 'off', T(0)), device: 'area_power' }).success).toBe(true);
    expect(MinePower.safeParse({ ...power('hf1302', 'off', T(0)), device: 'main_fan' }).success).toBe(false);
  });
});

describe('mine.wind.* (第136条)', () => {
  it('low air velocity fires orange and resolves above 0.3 m/s', () => {
    const r = run([reading('WIND-1302', 0.1, T(0)), reading('WIND-1302', 0.28, T(1)), reading('WIND-1302', 0.6, T(2))]);
    expect(of(r.log, 'mine.wind.low')).toEqual(['fire orange', 'resolve orange']);
    expect(r.log[0]!.summary).toBe('上海庙示范一号煤矿（虚构） 风速传感器 WIND-1302（hf1302 掘进回风巷）风速 0.1m/s，低于规程下限0.25m/s');
  });

  it('high air velocity fires orange and resolves below 3.8 m/s', () => {
    expect(of(run([reading('WIND-1302', 4.5, T(0)), reading('WIND-1302', 3.9, T(1)), reading('WIND-1302', 3.0, T(2))]).log, 'mine.wind.high')).toEqual(['fire orange', 'resolve orange']);
  });
});

describe('mine.suspect.flatline minValue', () => {
  const every5 = (sensorId: string, value: number, from: number, to: number): Raw[] => Array.from({ length: (to - from) / 5 + 1 }, (_, i) => reading(sensorId, value, T(from + i * 5)));

  it('a steady 0.03 % (a low-gas mine) for two hours is quiet', () => {
    expect(of(run(every5('CH4-T2-1201', 0.03, 0, 120)).log, 'mine.suspect.flatline')).toEqual([]);
  });

  it('a steady 0.12 % for an hour fires, and a reading that moves resolves it', () => {
    expect(of(run([...every5('CH4-T2-1201', 0.12, 0, 60), reading('CH4-T2-1201', 0.15, T(65))]).log, 'mine.suspect.flatline')).toEqual(['fire yellow', 'resolve yellow']);
  });

  it('a frozen 0.12 % that falls to 0.05 % resolves (below minValue ends the stretch)', () => {
    expect(of(run([...every5('CH4-T2-1201', 0.12, 0, 60), reading('CH4-T2-1201', 0.05, T(65))]).log, 'mine.suspect.flatline')).toEqual(['fire yellow', 'resolve yellow']);
  });
});

describe('grid.load.overload-duration', () => {
  const ID = 'grid.load.overload-duration';
  it('an overload ≥ 100 % for 2 h is red, and clears below 95 %', () => {
    const r = run([load(105, 0), load(110, 30), load(108, 60), load(104, 90), load(103, 120), load(97, 150), load(90, 180)]);
    expect(of(r.log, ID)).toEqual(['fire red', 'resolve red']);
    expect(r.log.find((t) => t.ruleId === ID)!.summary).toBe('敖勒召其110kV示范变电站（虚构） T1 负载率 103%，过负荷（≥100%）已持续2小时以上，超过导则允许的事故过负荷时长');
  });

  it('a dip under 100 % restarts the clock', () => {
    expect(of(run([load(105, 0), load(110, 30), load(98, 60), load(104, 90), load(103, 120)]).log, ID)).toEqual([]);
  });
});

// ── weather texts and lightning ──

const PLENARY = Date.parse('2024-07-16T10:00:00+08:00');
const P = (min: number): string => formatTs(PLENARY + min * 60_000);
function warning(id: string, event: string, level: string, sent: string, expires: string): Raw {
  return { type: 'weather.warning', id, sender: '鄂托克前旗气象台', sent, status: 'Actual', msgType: 'Alert', event, level, onset: sent, expires, area: { towns: ['chengchuan'] } };
}
/** cell: a radar cell `km` km due south of the Chengchuan road works (37.762, 108.188), radius 3 km. */
const cellSouth = (cellId: string, ts: string, dbz: number, km: number, extra: Raw = {}): Raw => ({ type: 'weather.nowcast', cellId, ts, lat: 37.762 - km / 111.2, lon: 108.188, radiusKm: 3, reflectivityDbz: dbz, ...extra });
const titleOf = (log: AlertTransition[], ruleId: string, siteId: string): string | undefined => log.find((t) => t.ruleId === ruleId && t.siteId === siteId && t.action === 'fire')?.title;

describe('weather impact titles', () => {
  it('on an ordinary day: the warning colour and its validity, no site name', () => {
    const r = run([warning('15062341600000_20240603100000_1', '雷雨大风', 'orange', T(0), T(6 * 60))]);
    expect(titleOf(r.log, 'weather.impact.convective', 'cs-ccn-01')).toBe('雷雨大风·气象橙色预警（10:00至16:00有效）');
    expect(r.log.find((t) => t.siteId === 'cs-ccn-01')!.summary).toBe('城川镇城川示范道路改扩建工地（虚构） 位于雷雨大风橙色预警区域内（15062341600000_20240603100000_1，10:00至16:00有效），请按场所类型落实防御措施');
  });

  it('in a special period: says both colours, and a validity past midnight carries its date', () => {
    const r = run([warning('15062341600000_20240716100000_1', '雷雨大风', 'orange', P(0), '2024-07-17T02:00:00+08:00')]);
    const t = r.log.find((x) => x.ruleId === 'weather.impact.convective' && x.siteId === 'cs-ccn-01')!;
    expect(t.severity).toBe('red');
    expect(t.title).toBe('雷雨大风·气象橙色预警·特殊时期按红色响应（10:00至7月17日02:00有效）');
  });
});

describe('nowcast texts: bearing and arrival', () => {
  it('names the direction from the site and, from the previous update, the arrival time', () => {
    // 30 km south at 10:00 (out of range), 12 km south at 10:12: closing 1.5 km/min, edge 9 km away → 6 min
    const r = run([cellSouth('NC-1', T(0), 48, 30), cellSouth('NC-1', T(12), 48, 12)]);
    const t = r.log.find((x) => x.ruleId === 'weather.nowcast.convective' && x.siteId === 'cs-ccn-01')!;
    expect(t.title).toBe('强对流回波逼近：南方向12公里，预计约6分钟后到达');
    expect(t.labels.unit).toBe('dBZ');
    expect(t.value).toBe(48);
  });

  it('without a previous update gives the distance only', () => {
    const r = run([cellSouth('NC-2', T(0), 48, 8)]);
    expect(titleOf(r.log, 'weather.nowcast.convective', 'cs-ccn-01')).toBe('强对流回波逼近：南方向8公里');
  });
});

describe('weather.nowcast.lightning', () => {
  const ID = 'weather.nowcast.lightning';
  it('a cell with flashes near the site fires orange, counts the flashes, and resolves when they stop', () => {
    const r = run([cellSouth('NC-3', T(0), 38, 8, { lightningPer10Min: 4 }), cellSouth('NC-3', T(6), 36, 7, { lightningPer10Min: 0 })]);
    expect(r.log.filter((t) => t.ruleId === ID && t.siteId === 'cs-ccn-01').map((t) => `${t.action} ${t.severity}`)).toEqual(['fire orange', 'resolve orange']);
    const t = r.log.find((x) => x.ruleId === ID && x.siteId === 'cs-ccn-01')!;
    expect(t.title).toBe('雷电临近：南方向8公里');
    expect(t.value).toBe(4);
    expect(t.labels.unit).toBe('次/10分钟');
    expect(t.summary).toBe('雷达回波单体 NC-3 伴有雷电（10分钟闪电 4 次，38dBZ），位于 城川示范道路改扩建工地（虚构） 南方向约 8 公里，请立即停止爆破等露天作业');
  });

  it('stays quiet for flashes farther than radius + 10 km', () => {
    expect(run([cellSouth('NC-4', T(0), 38, 14, { lightningPer10Min: 9 })]).log.filter((t) => t.ruleId === ID && t.siteId === 'cs-ccn-01')).toEqual([]);
  });

  it('tells an open-pit mine to stop blasting', () => {
    const op = reference.sites.get('op-ags-01')!;
    const r = run([{ type: 'weather.nowcast', cellId: 'NC-5', ts: T(0), lat: op.lat, lon: op.lon + 0.05, radiusKm: 2, reflectivityDbz: 35, lightningPer10Min: 2 }]);
    const t = r.log.find((x) => x.ruleId === ID && x.siteId === 'op-ags-01')!;
    expect(t.actions[0]).toContain('停止爆破作业');
    expect(t.title).toMatch(/^雷电临近：东方向4(\.\d)?公里$/);
  });
});

describe('grid.voltage.transmission-band (GB/T 12325 ≥ 35 kV)', () => {
  const ID = 'grid.voltage.transmission-band';
  const bus = (value: number, min: number): Raw => ({ type: 'grid.reading', siteId: 'ss-alz-110kv', equipmentId: '110kV-I-bus', quantity: 'voltage', value, unit: 'kV', nominal: 110, ts: T(min) });

  it('+6 % then −5 % within the hour is orange with both extremes in the text, and resolves once the +6 % ages out', () => {
    const r = run([bus(116.6, 0), bus(104.5, 30), bus(110, 50), bus(110.5, 61)]);
    expect(of(r.log, ID)).toEqual(['fire orange', 'resolve orange']);
    const t = r.log.find((x) => x.ruleId === ID)!;
    expect(t.summary).toBe('敖勒召其110kV示范变电站（虚构） 110kV-I-bus（标称 110kV）60 分钟内电压最高 116.6kV（+6%）、最低 104.5kV（−5%），正负偏差绝对值之和 11%，橙色阈值 10%');
    expect(t.labels.reading).toBe('104.5～116.6kV');
    expect(t.labels.unit).toBe('%');
    // neither reading alone reaches the single-reading rule's 10 %
    expect(of(r.log, 'grid.voltage.transmission')).toEqual([]);
  });

  it('+9 % and −7 % is red (≥ 15 %)', () => {
    expect(of(run([bus(119.9, 0), bus(102.3, 10)]).log, ID)).toEqual(['fire red']);
  });

  it('a reading without nominal is not judged', () => {
    const { nominal: _n, ...noNominal } = bus(104.5, 10);
    expect(of(run([bus(116.6, 0), noNominal]).log, ID)).toEqual([]);
  });
});

describe('not_followed_by: a B past the window read before the clock reached the window end', () => {
  // the clock is the watermark (event time − lateness, 2 min by default): without a tick in between,
  // a power-off 80 s late arrives before the timer ran; it was late all the same
  it('fires the 风电闭锁 failure at the window end and resolves it at the late power-off', () => {
    const r = run([fan('hf1302', 'off', T(0)), power('hf1302', 'off', T(1, 20))]);
    expect(r.log.filter((t) => t.ruleId === 'mine.local-fan.no-power-off').map((t) => `${t.action} ${formatTs(t.at).slice(11, 19)}`)).toEqual(['fire 10:00:10', 'resolve 10:01:20']);
  });

  it('does the same for a methane power-off 30 s late, and nothing for one within 10 s', () => {
    expect(of(run([reading('CH4-T1-1201', 1.6, T(0)), power('ws1201', 'off', T(0, 30))]).log, 'mine.power-off-failure')).toEqual(['fire red', 'resolve red']);
    expect(of(run([reading('CH4-T1-1201', 1.6, T(0)), power('ws1201', 'off', T(0, 9))]).log, 'mine.power-off-failure')).toEqual([]);
  });
});

describe('rule contract additions', () => {
  const common = { id: 'x.y', title: '标题', domain: 'grid', source: '来源', summary: '摘要' };
  it('rate: direction band needs nominalField, and nominalField needs band', () => {
    const rate = { ...common, kind: 'rate', match: { type: 'grid.reading' }, subject: ['siteId'], window: '1h', levels: [{ severity: 'orange', value: 10 }] };
    expect(RateRule.safeParse({ ...rate, direction: 'band', nominalField: 'nominal' }).success).toBe(true);
    expect(RateRule.safeParse({ ...rate, direction: 'band' }).success).toBe(false);
    expect(RateRule.safeParse({ ...rate, nominalField: 'nominal' }).success).toBe(false);
  });

  it('nowcast_impact: a level needs dbz or lightning', () => {
    const nc = { ...common, domain: 'weather', kind: 'nowcast_impact', marginKm: 10, siteKinds: { open_pit_mine: ['停止爆破'] } };
    expect(NowcastImpactRule.safeParse({ ...nc, levels: [{ severity: 'orange', lightning: 1 }] }).success).toBe(true);
    expect(NowcastImpactRule.safeParse({ ...nc, levels: [{ severity: 'orange', dbz: 45 }] }).success).toBe(true);
    expect(NowcastImpactRule.safeParse({ ...nc, levels: [{ severity: 'orange', orHail: true }] }).success).toBe(false);
  });
});
