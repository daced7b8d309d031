import { describe, expect, it } from 'vitest';
import { Event, eventTime } from '../../../src/contracts/events.ts';
import { ThresholdRule } from '../../../src/contracts/rules.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import type { EvalContext } from '../../../src/enrich/eval-context.ts';
import { RuleEngine } from '../../../src/rules/engine.ts';
import { ThresholdEvaluator } from '../../../src/rules/kinds/threshold.ts';

const T0 = Date.parse('2024-06-03T10:00:00+08:00');
const SITE = { id: 'cm-shm-01', name: '上海庙示范一号煤矿（虚构）', kind: 'coal_mine' as const, town: 'shanghaimiao', lat: 38.012, lon: 106.935 };

/** rule parses a threshold rule with defaults, overriding the given fields. */
function rule(over: Record<string, unknown> = {}): ThresholdRule {
  return ThresholdRule.parse({
    id: 'test.ch4',
    kind: 'threshold',
    title: '甲烷超限 {location}',
    domain: 'mine',
    source: '测试',
    summary: '{siteName} {sensorId} 甲烷 {value}%，{severityZh}阈值 {threshold}%',
    match: { type: 'mine.reading', where: { sensorType: 'CH4' } },
    subject: ['siteId', 'sensorId'],
    levels: [
      { severity: 'yellow', value: 0.8 },
      { severity: 'orange', value: 1.0 },
      { severity: 'red', value: 1.5, restore: 1.0 },
    ],
    ...over,
  });
}

function mine(value: number, atSec = 0, over: Record<string, unknown> = {}): Event {
  return Event.parse({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: T0 + atSec * 1000, areaId: 'ws1201', ...over });
}

function grid(value: number, over: Record<string, unknown> = {}): Event {
  return Event.parse({ type: 'grid.reading', siteId: 'ss-alz-110kv', equipmentId: '10kV-I-bus', quantity: 'voltage', value, unit: 'kV', ts: T0, nominal: 10, ...over });
}

function ctx(event: Event, specialPeriod?: string): EvalContext {
  return { topic: 'risk.mine.telemetry', event, time: eventTime(event), site: SITE, town: SITE.town, townName: '上海庙镇', ...(specialPeriod ? { specialPeriod } : {}) };
}

/** step evaluates one event and returns its transitions as "action severity" strings. */
function step(ev: ThresholdEvaluator, event: Event, specialPeriod?: string): string[] {
  const out: AlertTransition[] = [];
  ev.evaluate(ctx(event, specialPeriod), out);
  return out.map((t) => `${t.action} ${t.severity}`);
}

describe('ThresholdEvaluator levels and hysteresis', () => {
  it.each<[string, Record<string, unknown>, [number, string[]][]]>([
    [
      // direction above, restore defaulting to each level's value, red restoring at 1.0
      'above with restore',
      {},
      [
        [0.79, []], // below every level
        [0.8, ['fire yellow']], // exactly at a level fires (≥)
        [1.6, ['fire red']], // jumps straight to red
        [1.2, []], // red holds until below its restore 1.0
        [1.0, []], // still ≥ restore
        [0.99, ['fire yellow']], // red and orange both restored, yellow not
        [0.5, ['resolve yellow']],
        [0.5, []], // nothing held, nothing to say
      ],
    ],
    [
      // direction below (oxygen): lower is worse
      'below',
      {
        title: '氧气 {value}',
        match: { type: 'mine.reading', where: { sensorType: 'O2' } },
        direction: 'below',
        levels: [
          { severity: 'orange', value: 18.5, restore: 19.0 },
          { severity: 'red', value: 18.0, restore: 18.5 },
        ],
      },
      [
        [18.6, []], // above every level
        [18.5, ['fire orange']], // at the level
        [17.9, ['fire red']],
        [18.3, []], // red holds until above 18.5
        [18.7, ['fire orange']], // red restored, orange holds until above 19.0
        [19.0, []],
        [19.1, ['resolve orange']],
      ],
    ],
  ])('%s', (_name, over, steps) => {
    const r = rule(over);
    const ev = new ThresholdEvaluator(r);
    const sensorType = (r.match.where.sensorType as string) ?? 'CH4';
    steps.forEach(([value, want], i) => {
      expect(step(ev, mine(value, i * 30, { sensorType })), `step ${i}: ${value}`).toEqual(want);
    });
  });
});

describe('ThresholdEvaluator `for` duration', () => {
  it('keeps a candidate pending, then fires once the condition has held for the duration', () => {
    const ev = new ThresholdEvaluator(rule({ for: '30s' }));
    expect(step(ev, mine(1.2, 0))).toEqual([]); // pending since t=0
    expect(ev.states.size).toBe(1);
    expect(step(ev, mine(1.3, 10))).toEqual([]); // 10 s < 30 s
    expect(step(ev, mine(1.25, 30))).toEqual(['fire orange']); // held 30 s
    expect(step(ev, mine(1.6, 40))).toEqual(['fire red']); // a rise while firing does not wait again
    expect(step(ev, mine(0.1, 50))).toEqual(['resolve red']);
  });

  it('drops the pending candidate when the value returns to normal', () => {
    const ev = new ThresholdEvaluator(rule({ for: '30s' }));
    expect(step(ev, mine(1.2, 0))).toEqual([]);
    expect(step(ev, mine(0.5, 20))).toEqual([]); // back to normal: pending cleared
    expect(ev.states.size).toBe(0);
    expect(step(ev, mine(1.2, 35))).toEqual([]); // pending again from t=35
    expect(step(ev, mine(1.2, 60))).toEqual([]); // only 25 s
    expect(step(ev, mine(1.2, 65))).toEqual(['fire orange']);
  });

  it('fires the level reached when the duration completes', () => {
    const ev = new ThresholdEvaluator(rule({ for: '1m' }));
    expect(step(ev, mine(0.9, 0))).toEqual([]); // yellow candidate
    expect(step(ev, mine(1.6, 30))).toEqual([]); // red candidate, still pending since t=0
    expect(step(ev, mine(1.6, 60))).toEqual(['fire red']);
  });
});

describe('ThresholdEvaluator measures', () => {
  const voltage = rule({
    id: 'test.voltage',
    title: '电压 {equipmentId}',
    domain: 'grid',
    summary: '{equipmentId} 偏差 {measured}%',
    match: { type: 'grid.reading', where: { quantity: 'voltage' } },
    subject: ['siteId', 'equipmentId'],
    measure: { kind: 'deviation_pct', nominalField: 'nominal' },
    levels: [
      { severity: 'orange', value: 7 },
      { severity: 'red', value: 10.5 },
    ],
  });

  it.each<[string, Event, string[]]>([
    // |10.8 − 10| / 10 = 8 %
    ['+8 % → orange', grid(10.8), ['fire orange']],
    // deviation is symmetric: −8 %
    ['−8 % → orange', grid(9.2), ['fire orange']],
    // +11 %
    ['+11 % → red', grid(11.1), ['fire red']],
    // +6.9 %
    ['+6.9 % → nothing', grid(10.69), []],
    // no nominal: cannot be judged
    ['no nominal → nothing', grid(12, { nominal: undefined }), []],
    // nominal in another field name is ignored
    ['nominal under another name → nothing', grid(12, { nominal: undefined, nominalKv: 10 }), []],
  ])('deviation_pct: %s', (_name, event, want) => {
    expect(step(new ThresholdEvaluator(voltage), event)).toEqual(want);
  });

  it('reports the measured deviation, not the raw value, as the alert value', () => {
    const out: AlertTransition[] = [];
    new ThresholdEvaluator(voltage).evaluate(ctx(grid(10.8)), out);
    expect(out[0]!.value).toBeCloseTo(8, 9);
    expect(out[0]!.threshold).toBe(7);
    expect(out[0]!.summary).toBe('10kV-I-bus 偏差 8%');
  });

  it.each<[number, string[]]>([
    [49.75, ['fire orange']], // |Δf| = 0.25
    [50.25, ['fire orange']], // over-frequency
    [49.85, []], // |Δf| = 0.15
  ])('abs_deviation from 50 Hz: %s', (value, want) => {
    const freq = rule({
      id: 'test.freq',
      domain: 'grid',
      match: { type: 'grid.reading', where: { quantity: 'frequency' } },
      subject: ['siteId', 'equipmentId'],
      measure: { kind: 'abs_deviation', from: 50 },
      levels: [{ severity: 'orange', value: 0.2 }],
    });
    expect(step(new ThresholdEvaluator(freq), grid(value, { quantity: 'frequency', unit: 'Hz', nominal: undefined }))).toEqual(want);
  });
});

describe('ThresholdEvaluator subjects and matching', () => {
  it.each<[string, Record<string, unknown>, Event]>([
    // the subject names areaId and the event has none: no subject, nothing
    ['missing subject field', { subject: ['siteId', 'areaId'] }, mine(2.0, 0, { areaId: undefined })],
    // where does not match (another location)
    ['where does not match', { match: { type: 'mine.reading', where: { sensorType: 'CH4', location: 'intake' } } }, mine(2.0)],
    // a range condition on a missing field never matches
    ['range on a missing field', { match: { type: 'mine.reading', where: { sensorType: 'CH4', depth: { gte: 0 } } } }, mine(2.0)],
  ])('%s → nothing', (_name, over, event) => {
    const ev = new ThresholdEvaluator(rule(over));
    expect(step(ev, event)).toEqual([]);
    expect(ev.states.size).toBe(0);
  });

  it('keeps subjects apart', () => {
    const ev = new ThresholdEvaluator(rule());
    expect(step(ev, mine(1.6))).toEqual(['fire red']);
    expect(step(ev, mine(0.9, 0, { sensorId: 'CH4-T0-1201' }))).toEqual(['fire yellow']);
    expect([...ev.states.keys()].sort()).toEqual(['test.ch4\u001fcm-shm-01\u001fCH4-T0-1201', 'test.ch4\u001fcm-shm-01\u001fCH4-T1-1201']);
  });
});

describe('ThresholdEvaluator transitions', () => {
  it('renders title and summary, copies identifiers into labels', () => {
    const out: AlertTransition[] = [];
    new ThresholdEvaluator(rule({ labels: { category: 'gas' } })).evaluate(ctx(mine(1.6)), out);
    const t = out[0]!;
    expect(t).toMatchObject({
      action: 'fire',
      ruleId: 'test.ch4',
      subjectKey: 'test.ch4\u001fcm-shm-01\u001fCH4-T1-1201',
      severity: 'red',
      domain: 'mine',
      siteId: 'cm-shm-01',
      town: 'shanghaimiao',
      value: 1.6,
      threshold: 1.5,
      at: T0,
      title: '甲烷超限 coal_face',
      summary: '上海庙示范一号煤矿（虚构） CH4-T1-1201 甲烷 1.6%，红色阈值 1.5%',
      evidence: { topic: 'risk.mine.telemetry', ts: T0 },
    });
    expect(t.labels).toEqual({ category: 'gas', sensorId: 'CH4-T1-1201', areaId: 'ws1201', location: 'coal_face', sensorType: 'CH4', unit: '%' });
  });

  it('renders a missing template variable as —', () => {
    const out: AlertTransition[] = [];
    new ThresholdEvaluator(rule({ summary: '{sensorId} {nope}' })).evaluate(ctx(mine(1.6)), out);
    expect(out[0]!.summary).toBe('CH4-T1-1201 —');
  });

  it('raises a flagged rule one level in a special period and marks it', () => {
    const flagged = new ThresholdEvaluator(rule({ escalateInSpecialPeriods: true }));
    const out: AlertTransition[] = [];
    flagged.evaluate(ctx(mine(1.0), '二十届三中全会期间'), out);
    expect(out[0]!.severity).toBe('red');
    expect(out[0]!.labels.specialPeriod).toBe('二十届三中全会期间');
    expect(out[0]!.summary).toContain('橙色阈值 1%'); // the crossed level's colour, then the raise
    expect(out[0]!.summary).toContain('提级为红色');
    // an unflagged rule is not raised
    expect(step(new ThresholdEvaluator(rule()), mine(1.0), '二十届三中全会期间')).toEqual(['fire orange']);
  });

  it('resumes from a seeded severity after a restart', () => {
    const ev = new ThresholdEvaluator(rule());
    ev.seed('test.ch4\u001fcm-shm-01\u001fCH4-T1-1201', 'red');
    expect(step(ev, mine(1.2))).toEqual([]); // red still holds
    expect(step(ev, mine(0.5))).toEqual(['resolve red']);
  });
});

describe('RuleEngine', () => {
  it('routes an event only to the rules that match it, skipping disabled ones', () => {
    const engine = new RuleEngine([
      rule(),
      rule({ id: 'test.co', match: { type: 'mine.reading', where: { sensorType: 'CO' } }, levels: [{ severity: 'orange', value: 24 }] }),
      rule({ id: 'test.off', enabled: false }),
    ]);
    expect(engine.rules().map((r) => r.id)).toEqual(['test.ch4', 'test.co']);
    const out: AlertTransition[] = [];
    engine.evaluate(ctx(mine(1.6)), out);
    expect(out.map((t) => t.ruleId)).toEqual(['test.ch4']);
  });

  it('keeps the state of unchanged rules across a reload', () => {
    const engine = new RuleEngine([rule()]);
    engine.evaluate(ctx(mine(1.6)), []);
    engine.load([rule()]);
    expect(engine.stateSize()).toBe(1);
    engine.load([rule({ levels: [{ severity: 'red', value: 2 }] })]); // changed definition: fresh state
    expect(engine.stateSize()).toBe(0);
  });
});
