import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alerts.ts';
import { DEFAULT_INHIBIT_RULES, inhibitedBy } from '../../../src/alerts/inhibit.ts';
import { escalationDue, dueEscalations } from '../../../src/alerts/escalation.ts';
import { Silences, silenceMatches } from '../../../src/alerts/silences.ts';
import { formatTs } from '../../../src/domain/time.ts';

const T0 = Date.parse('2024-07-16T09:00:00+08:00');

function alert(over: Partial<Alert> & { id: string }): Alert {
  return {
    fingerprint: `fp-${over.id}`,
    ruleId: 'mine.ch4.face',
    title: 't',
    severity: 'red',
    domain: 'mine',
    state: 'firing',
    siteId: 'cm-shm-01',
    town: 'shanghaimiao',
    startsAt: formatTs(T0),
    updatedAt: formatTs(T0),
    summary: 's',
    actions: [],
    evidence: [],
    escalation: 0,
    acks: [],
    labels: { sensorId: 'CH4-T1-1201' },
    ...over,
  };
}

describe('inhibitedBy', () => {
  it.each<[string, Alert, Alert[], string | undefined]>([
    // a red alert on the same sensor mutes a yellow one from another rule
    ['higher severity, same sensor', alert({ id: 'y', severity: 'yellow', ruleId: 'mine.ch4.rise' }), [alert({ id: 'r' })], 'r'],
    // equal severity mutes nothing
    ['same severity', alert({ id: 'o1', severity: 'orange', ruleId: 'mine.ch4.rise' }), [alert({ id: 'o2', severity: 'orange' })], undefined],
    // another sensor is another subject
    ['other sensor', alert({ id: 'y', severity: 'yellow' }), [alert({ id: 'r', labels: { sensorId: 'CH4-T0-1201' } })], undefined],
    // a resolved source mutes nothing
    ['resolved source', alert({ id: 'y', severity: 'yellow' }), [alert({ id: 'r', state: 'resolved' })], undefined],
    // a monitoring interruption mutes that sensor's value alerts, whatever their severity
    ['interruption mutes values', alert({ id: 'v', severity: 'red' }), [alert({ id: 'i', ruleId: 'mine.monitoring.sensor-silent', severity: 'orange' })], 'i'],
    // but not another sensor's
    ['interruption, other sensor', alert({ id: 'v' }), [alert({ id: 'i', ruleId: 'mine.monitoring.sensor-silent', severity: 'orange', labels: { sensorId: 'X' } })], undefined],
    // grid: same equipment
    ['higher severity, same equipment', alert({ id: 'g1', domain: 'grid', severity: 'orange', ruleId: 'grid.voltage.distribution', labels: { equipmentId: 'T1' } }), [alert({ id: 'g2', domain: 'grid', severity: 'red', ruleId: 'grid.load', labels: { equipmentId: 'T1' } })], 'g2'],
  ])('%s', (_name, target, open, by) => {
    expect(inhibitedBy(target, open, DEFAULT_INHIBIT_RULES)?.by).toBe(by);
  });
});

describe('escalation', () => {
  const p = { red: 300_000, orange: 900_000, repeat: 1_800_000 };
  it.each<[string, Partial<Alert>, number | undefined]>([
    ['red, never escalated: 5 min after it fired', {}, T0 + 300_000],
    ['orange: 15 min', { severity: 'orange' }, T0 + 900_000],
    ['yellow never escalates', { severity: 'yellow' }, undefined],
    ['acknowledged never escalates', { state: 'acknowledged' }, undefined],
    ['a drill never escalates', { labels: { drill: '演练' } }, undefined],
    ['after the first escalation: the repeat interval from the last one', { escalation: 1 }, T0 + 1_800_000],
    // received 2 min after its event: the 5 minutes count from receipt, not from event time
    ['red, received later than its event', { receivedAt: formatTs(T0 + 120_000) }, T0 + 420_000],
    // received at once: same as before
    ['red, received at its event time', { receivedAt: formatTs(T0) }, T0 + 300_000],
    // updated (escalated, acked then risen) after its receipt: the later instant counts
    ['updated after receipt', { updatedAt: formatTs(T0 + 600_000), receivedAt: formatTs(T0) }, T0 + 900_000],
    // a two-year-old reading posted now: back-filled, nobody is paged
    ['back-filled never escalates', { labels: { backfill: 'true' }, receivedAt: formatTs(T0 + 63_072_000_000) }, undefined],
  ])('%s', (_name, over, due) => {
    expect(escalationDue(alert({ id: 'a', ...over }), p)).toBe(due);
  });

  it('lists due alerts with who they go to, leaving muted ones alone', () => {
    const open = [alert({ id: 'r' }), alert({ id: 'o', severity: 'orange' }), alert({ id: 'm' })];
    const due = dueEscalations(open, T0 + 900_000, p, (a) => a.id === 'm');
    expect(due.map((d) => `${d.alert.id}:${d.to}`)).toEqual(['r:leader', 'o:officer']);
  });
});

describe('silences', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['site matches', { siteId: 'cm-shm-01' }, true],
    ['list of towns', { town: ['angsu', 'shanghaimiao'] }, true],
    ['all matchers must hold', { siteId: 'cm-shm-01', domain: 'grid' }, false],
    ['rule id', { ruleId: 'mine.co' }, false],
  ])('%s', (_n, matchers, want) => {
    expect(silenceMatches({ matchers } as never, alert({ id: 'a' }))).toBe(want);
  });

  it('is in force only between startsAt and endsAt, and records who ended it', () => {
    const s = new Silences();
    const sil = s.add({ matchers: { siteId: 'cm-shm-01' }, startsAt: T0 + 60_000, endsAt: T0 + 3_600_000, comment: '检修' }, 'op1', T0);
    expect(s.activeFor(alert({ id: 'a' }), T0)).toBeUndefined();
    expect(s.activeFor(alert({ id: 'a' }), T0 + 120_000)?.id).toBe(sil.id);
    const ended = s.expire(sil.id, 'op2', T0 + 600_000);
    expect(ended).toMatchObject({ expiredBy: 'op2', createdBy: 'op1' });
    expect(s.activeFor(alert({ id: 'a' }), T0 + 700_000)).toBeUndefined();
    expect(() => s.add({ matchers: { siteId: 'x' }, endsAt: T0 - 1, comment: 'c' } as never, 'op', T0)).toThrow(/endsAt/);
  });
});

describe('silence limit', () => {
  it('refuses one more silence past limits.silences with CONFLICT, counting ended ones until retention drops them', () => {
    const heard: string[] = [];
    const s = new Silences([], { max: 3, retention: 3_600_000, onLimit: (w) => heard.push(w) });
    const add = (now: number) => s.add({ matchers: { siteId: 'cm-shm-01' }, endsAt: now + 60_000, comment: '检修' }, 'op', now);
    for (let i = 0; i < 3; i++) add(T0);
    expect(() => add(T0)).toThrow(/silence limit reached \(3\)/);
    expect(() => add(T0 + 1000)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(heard).toEqual(['reached', 'overflow', 'overflow']);
    // ended a minute later, but kept for the audit within retention: still counted
    expect(() => add(T0 + 30 * 60_000)).toThrow(/silence limit/);
    // past retention they no longer count, swept or not
    expect(add(T0 + 2 * 3_600_000).createdBy).toBe('op');
    expect(s.held(T0 + 2 * 3_600_000)).toBe(1);
  });
});

describe('retention', () => {
  it('drops resolved alerts and ended silences past retention, keeps the rest', async () => {
    const { AlertBook } = await import('../../../src/alerts/book.ts');
    const book = new AlertBook();
    const t = (action: 'fire' | 'resolve', key: string, at: number) => ({ action, ruleId: 'r', subjectKey: key, at, severity: 'red' as const, domain: 'mine' as const, title: 't', summary: 's', actions: [], labels: {}, evidence: { topic: 'x', ts: at } });
    book.apply([t('fire', 'old', T0), t('resolve', 'old', T0 + 1000), t('fire', 'open', T0)]);
    expect(book.prune(T0 + 500)).toBe(0); // ended after the cut: kept
    expect(book.prune(T0 + 2000)).toBe(1);
    expect(book.all().map((a) => a.state)).toEqual(['firing']);
    const s = new Silences();
    s.add({ matchers: { siteId: 'x' }, endsAt: T0 + 60_000, comment: 'c' }, 'op', T0);
    expect(s.sweep(T0 + 120_000, 3_600_000)).toBe(false);
    expect(s.sweep(T0 + 3_700_000, 3_600_000)).toBe(true);
    expect(s.list()).toEqual([]);
  });
});
