import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event, keyOf, TOPIC_TYPES } from '../../../src/contracts/events.ts';
import { Rule } from '../../../src/contracts/rules.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { loadRulePack, warmupByTopic } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';
import { recordOf } from '../../../src/rules/subject-fields.ts';
import { RuleRun, type Raw, type Step } from '../../helpers/rule-run.ts';

// The reporting chain (deploy/rules/reporting.yaml) and the kind options it added: the deadline's
// lateClose, startWithin and a close stamped before the start; the correlation's lookback.
const reference = loadReference(BUNDLED);
const pack: Rule[] = loadRulePack(BUNDLED.rules);

const DAY = Date.parse('2024-06-03T10:00:00+08:00');
/** T: `min` minutes after 10:00 of an ordinary day (no special period), as ISO +08:00. */
const T = (min: number): string => formatTs(DAY + min * 60_000);
const HOUR = 60;
const DAYS = 24 * HOUR;
const MINE = 'cm-shm-01';

const tick = (at: string): Step => ({ tick: at });

/** run drives the rules through a Stepper with an alert book, as the backtest does; returns every transition. */
function run(rules: Rule[], steps: readonly Step[]): RuleRun {
  return new RuleRun(reference, rules).steps(steps);
}
const only = (id: string): Rule[] => pack.filter((r) => r.id === id);
const acts = (log: AlertTransition[], id: string): string[] => log.filter((t) => t.ruleId === id).map((t) => t.action);

function acc(accidentId: string, siteId: string, o: Raw): Raw {
  return { type: 'enforcement.accident', accidentId, siteId, occurredAt: T(0), category: 'mining', deaths: 0, injuries: 2, ...o };
}
function casualty(signalId: string, ts: string, o: Raw = {}): Raw {
  return { type: 'signal.casualty', signalId, source: 'emergency_120', siteId: MINE, ts, injuries: 2, deaths: 0, ...o };
}

describe('contracts', () => {
  it('signal.casualty is keyed by its site and has its own topic', () => {
    const e = Event.parse(casualty('120-1', T(0), { lat: 38.9, lon: 108.1, description: '（模拟）2 人受伤' }));
    expect(keyOf(e)).toBe(MINE);
    expect(TOPIC_TYPES['risk.signals.casualty']).toEqual(['signal.casualty']);
    // a source outside the closed set is refused
    expect(Event.safeParse(casualty('x', T(0), { source: 'wechat' })).success).toBe(false);
  });

  it.each<[string, Raw, boolean]>([
    // not reported yet
    ['not reported', {}, false],
    // reported, not forwarded to the city
    ['reported only', { reportedAt: T(30) }, false],
    // reported and forwarded, figures unchanged
    ['forwarded', { reportedAt: T(30), forwardedAt: T(60) }, true],
    // a casualty change with no follow-up
    ['change not followed up', { reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(DAYS) }, false],
    // the only follow-up predates the change
    ['follow-up before the change', { reportedAt: T(30), forwardedAt: T(60), followUpAt: T(HOUR), casualtiesChangedAt: T(DAYS) }, false],
    // followed up after the change
    ['change followed up', { reportedAt: T(30), forwardedAt: T(60), followUpAt: T(DAYS + 30), casualtiesChangedAt: T(DAYS) }, true],
  ])('an accident record with nothing pending closes: %s', (_n, o, closes) => {
    expect(recordOf(Event.parse(acc('A', MINE, { ts: T(0), ...o })))?.closes).toBe(closes);
  });

  it.each<[string, Raw, string]>([
    // lookback is for not_followed_by
    ['lookback with followed_by', { mode: 'followed_by', lookback: '1h' }, 'lookback applies to mode not_followed_by'],
    // with clear, a B before A already counts within the window
    ['lookback with clear', { lookback: '1h', clear: { type: 'mine.reading' } }, 'lookback and clear do not go together'],
  ])('the correlation contract refuses %s', (_n, o, message) => {
    const r = Rule.safeParse({ id: 'x.y', kind: 'correlation', title: 't', domain: 'enforcement', source: 's', summary: 's', severity: 'red', a: { type: 'signal.casualty' }, b: { type: 'enforcement.accident' }, mode: 'not_followed_by', window: '1h', scope: { kind: 'site' }, ...o });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });

  it.each<[string, Raw, string]>([
    // lateClose says what a late closedBy does
    ['lateClose without closedBy', { lateClose: 'resolve' }, 'lateClose applies to closedBy'],
    // rounds says which closedBy counts
    ['rounds without closedBy', { rounds: true }, 'rounds applies to closedBy'],
  ])('the deadline contract refuses %s', (_n, o, message) => {
    const r = Rule.safeParse({ id: 'x.y', kind: 'deadline', title: 't', domain: 'enforcement', source: 's', summary: 's', severity: 'red', match: { type: 'enforcement.accident' }, subject: ['accidentId'], due: { field: 'reportedAt', plus: '2h' }, ...o });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });
});

describe('county → city forwarding (enforcement.accident.forward-late)', () => {
  const rules = only('enforcement.accident.forward-late');

  it('fires 2 h after the county received the report and resolves when the forwarding is recorded', () => {
    const r = run(rules, [acc('F-1', MINE, { ts: T(40), reportedAt: T(40) }), tick(T(159)), tick(T(161))]);
    const fire = r.log.find((t) => t.action === 'fire')!;
    expect(fire.at).toBe(Date.parse(T(160)));
    expect(fire.summary).toBe(`${reference.sites.get(MINE)!.name} 矿山事故 F-1（死亡 0 人、受伤 2 人）旗应急管理局 06-03 10:40:00 接报，至 06-03 12:40:00（2小时时限）仍未向市级上报，构成迟报`);
    const after = run(rules, [acc('F-1', MINE, { ts: T(40), reportedAt: T(40) }), tick(T(161)), acc('F-1', MINE, { ts: T(200), reportedAt: T(40), forwardedAt: T(195) })]);
    expect(acts(after.log, 'enforcement.accident.forward-late')).toEqual(['fire', 'resolve']);
    expect(after.book.openAlerts()).toEqual([]);
  });

  it('a record learned only after a late forwarding raises nothing (the duty is done)', () => {
    const r = run(rules, [acc('F-2', MINE, { ts: T(300), reportedAt: T(40), forwardedAt: T(280) }), tick(T(400))]);
    expect(r.log).toEqual([]);
  });

  it('an accident not yet reported to the county starts no forwarding clock', () => {
    const r = run(rules, [acc('F-3', MINE, { ts: T(10) }), tick(T(10 * HOUR))]);
    expect(r.log).toEqual([]);
  });

  it('a report stamped minutes before the estimated accident time still counts (no rounds: late-report unchanged)', () => {
    const r = run(only('enforcement.accident.late-report'), [acc('F-5', MINE, { occurredAt: T(5), ts: T(3), reportedAt: T(3) }), tick(T(2 * HOUR))]);
    expect(r.log).toEqual([]);
  });

  it('the unit\'s late report keeps its alert open after the report (lateClose: keep, unchanged)', () => {
    const r = run(only('enforcement.accident.late-report'), [acc('F-4', MINE, { ts: T(10) }), tick(T(61)), acc('F-4', MINE, { ts: T(90), reportedAt: T(90) })]);
    expect(acts(r.log, 'enforcement.accident.late-report')).toEqual(['fire']);
  });
});

describe('casualty change without a follow-up report (enforcement.accident.follow-up-missing[-7d])', () => {
  const both = pack.filter((r) => r.id.startsWith('enforcement.accident.follow-up-missing'));
  const base = { reportedAt: T(30), forwardedAt: T(60) };

  it.each<[string, Raw, string | undefined]>([
    // a mining accident's change on day 29: the 30-day rule
    ['mining, day 29', { ts: T(29 * DAYS), casualtiesChangedAt: T(29 * DAYS) }, 'enforcement.accident.follow-up-missing'],
    // day 31 is past the 30 days
    ['mining, day 31', { ts: T(31 * DAYS), casualtiesChangedAt: T(31 * DAYS) }, undefined],
    // an accident without category counts as other: 30 days
    ['no category, day 20', { category: undefined, ts: T(20 * DAYS), casualtiesChangedAt: T(20 * DAYS) }, 'enforcement.accident.follow-up-missing'],
    // a fire on day 6: the 7-day rule only
    ['fire, day 6', { category: 'fire', ts: T(6 * DAYS), casualtiesChangedAt: T(6 * DAYS) }, 'enforcement.accident.follow-up-missing-7d'],
    // a fire on day 10: neither
    ['fire, day 10', { category: 'fire', ts: T(10 * DAYS), casualtiesChangedAt: T(10 * DAYS) }, undefined],
    // a follow-up made before the latest change does not answer it
    ['follow-up before the change', { ts: T(3 * DAYS), followUpAt: T(2 * DAYS), casualtiesChangedAt: T(3 * DAYS) }, 'enforcement.accident.follow-up-missing'],
    // unchanged figures: no duty
    ['no change', { ts: T(3 * DAYS) }, undefined],
  ])('%s', (_n, o, fired) => {
    const changed = typeof o.casualtiesChangedAt === 'string' ? Date.parse(o.casualtiesChangedAt) : DAY + 40 * DAYS * 60_000;
    const r = run(both, [acc('C-1', MINE, { ...base, injuries: 3, ...o }), tick(formatTs(changed + 61 * 60_000))]);
    expect(r.log.filter((t) => t.action === 'fire').map((t) => t.ruleId)).toEqual(fired ? [fired] : []);
  });

  it('a second change after a follow-up needs a second follow-up, and that resolves it', () => {
    const first = { ...base, casualtiesChangedAt: T(2 * DAYS), followUpAt: T(2 * DAYS + 30) };
    const r = run(both, [
      acc('C-2', MINE, { ...first, ts: T(2 * DAYS + 30), injuries: 3 }),
      tick(T(2 * DAYS + 2 * HOUR)),
      // day 4: one of the injured died, learned from the hospital
      acc('C-2', MINE, { ...first, casualtiesChangedAt: T(4 * DAYS), ts: T(4 * DAYS), deaths: 1, injuries: 2 }),
      tick(T(4 * DAYS + 61)),
    ]);
    expect(acts(r.log, 'enforcement.accident.follow-up-missing')).toEqual(['fire']);
    expect(r.log[0]!.summary).toContain('现死亡 1 人、受伤 2 人');
    const after = run(both, [
      acc('C-2', MINE, { ...first, casualtiesChangedAt: T(4 * DAYS), ts: T(4 * DAYS), deaths: 1, injuries: 2 }),
      tick(T(4 * DAYS + 61)),
      acc('C-2', MINE, { ...first, casualtiesChangedAt: T(4 * DAYS), followUpAt: T(4 * DAYS + 3 * HOUR), ts: T(4 * DAYS + 3 * HOUR), deaths: 1, injuries: 2 }),
    ]);
    expect(acts(after.log, 'enforcement.accident.follow-up-missing')).toEqual(['fire', 'resolve']);
    expect(after.book.openAlerts()).toEqual([]);
  });
});

describe('疑似瞒报 (enforcement.accident.suspected-concealment)', () => {
  const rules = only('enforcement.accident.suspected-concealment');
  const fires = (steps: Step[]): string[] => acts(run(rules, steps).log, 'enforcement.accident.suspected-concealment');

  it.each<[string, Step[], string[]]>([
    // no report within 1 h of the 120 dispatch
    ['no report', [casualty('S-1', T(0)), tick(T(61))], ['fire']],
    // the report comes 59 min after the signal
    ['report within the hour', [casualty('S-2', T(0)), acc('A-2', MINE, { ts: T(59), reportedAt: T(59) }), tick(T(2 * HOUR))], []],
    // the report came first (3 h before the hospital admission): answered by the lookback
    ['report 3 h before', [acc('A-3', MINE, { ts: T(0), reportedAt: T(0) }), casualty('S-3', T(3 * HOUR), { source: 'hospital' }), tick(T(5 * HOUR))], []],
    // a report 25 h before the signal is outside the 24 h lookback
    ['report 25 h before', [acc('A-4', MINE, { ts: T(0), reportedAt: T(0) }), tick(T(24 * HOUR)), casualty('S-4', T(25 * HOUR)), tick(T(26 * HOUR + 1))], ['fire']],
    // a report of another site does not answer the signal
    ['report of another site', [acc('A-5', 'cm-shm-02', { ts: T(0), reportedAt: T(0) }), casualty('S-5', T(10)), tick(T(71))], ['fire']],
    // the report, stamped 10 min after the signal, was read before it (out of order)
    ['report read before the signal it answers', [acc('A-6', MINE, { ts: T(10), reportedAt: T(10) }), casualty('S-6', T(0)), tick(T(2 * HOUR))], []],
    // the report resolves the suspicion; a later signal of the same accident (public opinion, 2 h on) stays quiet
    ['report resolves, later signal quiet', [casualty('S-7', T(0)), tick(T(61)), acc('A-7', MINE, { ts: T(80), reportedAt: T(80) }), casualty('S-8', T(3 * HOUR), { source: 'public_opinion' }), tick(T(5 * HOUR))], ['fire', 'resolve']],
    // an accident record not yet reported by the unit still means the county knows (late-report's business)
    ['accident known, not reported by the unit', [casualty('S-9', T(0)), acc('A-9', MINE, { ts: T(20) }), tick(T(2 * HOUR))], []],
  ])('%s', (_n, steps, expected) => {
    expect(fires(steps)).toEqual(expected);
  });

  it('a Kafka warm-up replays 24 h of both topics, so a report made before a restart still answers a signal after it', () => {
    const w = warmupByTopic(rules, 7 * 86_400_000);
    expect(w['risk.signals.casualty']).toBe(86_400_000);
    expect(w['risk.enforcement.events']).toBe(86_400_000);
  });

  it('says it is a suspicion to verify, with the source, the counts and the signal', () => {
    const r = run(rules, [casualty('120-0716-01', T(0)), tick(T(61))]);
    const t = r.log[0]!;
    expect(t.severity).toBe('red');
    expect(t.title).toBe(`疑似瞒报，待核实 ${reference.sites.get(MINE)!.name}`);
    expect(t.summary).toContain('120急救调度');
    expect(t.summary).toContain('死亡 0 人、受伤 2 人');
    expect(t.summary).toContain('疑似瞒报，待核实');
    expect(t.labels).toMatchObject({ signalId: '120-0716-01', suspected: 'true' });
  });
});
