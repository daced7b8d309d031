import { describe, expect, it } from 'vitest';
import { AlertBook, type AlertBookOptions } from '../../../src/alerts/book.ts';
import { AlertEvent } from '../../../src/contracts/alerts.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import type { LimitName } from '../../../src/alerts/limits.ts';
import { formatTs } from '../../../src/domain/time.ts';

// The alert book's bounds: receipt time and back-fill, idempotent and capped acks, open alerts per
// site and per rule merged into one overflow alert.

const T0 = Date.parse('2024-07-16T09:00:00+08:00');
const MIN = 60_000;

/** fire builds a `fire` transition for sensor `n` of a site at T0 + `dt`. */
function fire(n: number, dt = 0, siteId = 'cm-shm-01', ruleId = 'mine.ch4.face'): AlertTransition {
  return {
    action: 'fire',
    ruleId,
    subjectKey: `${ruleId}|${siteId}|S-${n}`,
    at: T0 + dt,
    severity: 'red',
    domain: 'mine',
    title: '甲烷超限',
    summary: 's',
    actions: ['断电撤人'],
    siteId,
    town: 'shanghaimiao',
    value: 1.6,
    labels: { sensorId: `S-${n}` },
    evidence: { topic: 'risk.mine.telemetry', ts: T0 + dt },
  };
}
const clear = (n: number, dt = 0, siteId = 'cm-shm-01'): AlertTransition => ({ ...fire(n, dt, siteId), action: 'resolve' });

describe('receipt time and back-fill', () => {
  it.each<[string, number | undefined, Record<string, string>, string | undefined]>([
    // backtest: no receipt instant, event time only, nothing marked (the golden file stays as it is)
    ['no now (backtest)', undefined, { sensorId: 'S-1' }, undefined],
    // a live event seconds old: receivedAt is the wall clock, no mark
    ['live, 3 s old', T0 + 3000, { sensorId: 'S-1' }, formatTs(T0 + 3000)],
    // exactly maxEventAge old is still live
    ['live, 15 min old', T0 + 15 * MIN, { sensorId: 'S-1' }, formatTs(T0 + 15 * MIN)],
    // older than maxEventAge: back-filled, shown but never texted or escalated
    ['README example posted two years later', T0 + 2 * 365 * 86_400_000, { sensorId: 'S-1', backfill: 'true' }, formatTs(T0 + 2 * 365 * 86_400_000)],
  ])('%s', (_name, now, labels, receivedAt) => {
    const book = new AlertBook({ maxEventAge: 15 * MIN });
    const [f] = book.apply([fire(1)], now);
    expect(f!.event.alert.labels).toEqual(labels);
    expect(f!.event.alert.receivedAt).toBe(receivedAt);
    expect(f!.event.alert.updatedAt).toBe(formatTs(T0));
    expect(AlertEvent.safeParse(f!.event).success).toBe(true);
  });

  it('a live rise on a back-filled alert is news again (mark dropped); an old one keeps it', () => {
    const book = new AlertBook({ maxEventAge: 15 * MIN });
    const now = T0 + 60 * MIN;
    book.apply([{ ...fire(1), severity: 'yellow' }], now);
    const [old] = book.apply([{ ...fire(1, 1000), severity: 'orange' }], now);
    expect(old!.event.alert.labels.backfill).toBe('true');
    const [live] = book.apply([fire(1, 59 * MIN)], now);
    expect(live!.event.alert.labels.backfill).toBeUndefined();
    expect(live!.event.alert.receivedAt).toBe(formatTs(now));
  });
});

describe('acks', () => {
  it('1,000 repeated acks by one person: one acknowledged event, the alert stays small', () => {
    const book = new AlertBook({ limits: { acksPerAlert: 20 } });
    const [f] = book.apply([fire(1)]);
    const id = f!.event.alert.id;
    const note = '已通知'.repeat(600); // 1,800 chars, under the API's 2,000
    const first = book.acknowledge(id, 'zhang', T0 + 1000, note);
    expect(first?.event.kind).toBe('acknowledged');
    const seq = book.lastSeq();
    for (let i = 0; i < 1000; i++) expect(book.acknowledge(id, 'zhang', T0 + 2000 + i, note)).toBeUndefined();
    expect(book.lastSeq()).toBe(seq);
    const rec = book.get(id)!;
    expect(rec.history.map((e) => e.kind)).toEqual(['fired', 'acknowledged']);
    expect(Buffer.byteLength(JSON.stringify(rec.alert))).toBeLessThan(20_000);
  });

  it('keeps the first and the most recent acks within acksPerAlert', () => {
    const book = new AlertBook({ limits: { acksPerAlert: 3 } });
    const [f] = book.apply([fire(1)]);
    const id = f!.event.alert.id;
    for (const by of ['a', 'b', 'c', 'd', 'e']) book.acknowledge(id, by, T0 + 1000);
    expect(book.get(id)!.alert.acks.map((a) => a.by)).toEqual(['a', 'd', 'e']);
  });

  it('the same person may acknowledge again once a rise made the alert fire again', () => {
    const book = new AlertBook();
    const [f] = book.apply([{ ...fire(1), severity: 'orange' }]);
    const id = f!.event.alert.id;
    book.acknowledge(id, 'zhang', T0 + 1000);
    book.apply([fire(1, 2000)]);
    expect(book.acknowledge(id, 'zhang', T0 + 3000)?.event.alert.state).toBe('acknowledged');
  });
});

/** capped builds a book with small caps that records what its limit listener hears. */
function capped(limits: AlertBookOptions['limits']) {
  const heard: string[] = [];
  const book = new AlertBook({
    limits,
    siteName: (id) => (id === 'cm-shm-01' ? '上海庙示范一号煤矿（虚构）' : undefined),
    onLimit: (l: LimitName, what) => heard.push(`${l}:${what}`),
  });
  return { book, heard };
}
const overflowOf = (book: AlertBook) => book.openAlerts().filter((a) => a.ruleId.startsWith('system.limit.'));

describe('open alerts per site', () => {
  it('250 fires at one site with a cap of 200: 200 open and one overflow alert counting 50', () => {
    const { book, heard } = capped({ openAlertsPerSite: 200 });
    const out = book.apply(Array.from({ length: 250 }, (_, i) => fire(i)), T0);
    expect(out.filter((s) => s.event.alert.domain === 'mine')).toHaveLength(200);
    const over = overflowOf(book);
    expect(over).toHaveLength(1);
    expect(over[0]).toMatchObject({ ruleId: 'system.limit.openAlertsPerSite', siteId: 'cm-shm-01', town: 'shanghaimiao', value: 50, threshold: 200, severity: 'orange', domain: 'system' });
    expect(over[0]!.title).toContain('上海庙示范一号煤矿（虚构）');
    // one fired event for the overflow, however many fires it merged
    expect(out.filter((s) => s.event.alert.domain === 'system').map((s) => s.event.kind)).toEqual(['fired']);
    expect(heard.filter((h) => h.endsWith('reached'))).toEqual(['openAlertsPerSite:reached']);
    expect(heard.filter((h) => h.endsWith('overflow'))).toHaveLength(50);
  });

  it('a later batch refreshes the overflow count with one update; other sites are not affected', () => {
    const { book } = capped({ openAlertsPerSite: 2 });
    book.apply([fire(1), fire(2), fire(3)], T0);
    const out = book.apply([fire(4, 1000), fire(5, 1000), fire(1, 1000, 'cm-shm-02')], T0 + 1000);
    expect(out.map((s) => `${s.event.kind}:${s.event.alert.ruleId}`)).toEqual(['fired:mine.ch4.face', 'updated:system.limit.openAlertsPerSite']);
    const over = overflowOf(book)[0]!;
    expect(over.value).toBe(3);
    // the count refresh leaves the escalation timer alone
    expect(over.updatedAt).toBe(formatTs(T0));
  });

  it('resolves the overflow alert once the site is back at 90% of its cap, and opens alerts again', () => {
    const { book } = capped({ openAlertsPerSite: 10 });
    book.apply(Array.from({ length: 12 }, (_, i) => fire(i)), T0);
    expect(overflowOf(book)).toHaveLength(1);
    // 10 → 9 open: at 90% the site has room again
    const out = book.apply([clear(0, 1000)], T0 + 1000);
    expect(out.map((s) => `${s.event.kind}:${s.event.alert.ruleId}`)).toEqual(['resolved:mine.ch4.face', 'resolved:system.limit.openAlertsPerSite']);
    expect(book.apply([fire(11, 2000)], T0 + 2000).map((s) => s.event.kind)).toEqual(['fired']);
    expect(overflowOf(book)).toEqual([]);
  });

  it('keeps its counts across a snapshot and restart, and the overflow alert resolves after it', () => {
    const { book } = capped({ openAlertsPerSite: 10 });
    book.apply(Array.from({ length: 11 }, (_, i) => fire(i)), T0);
    const again = capped({ openAlertsPerSite: 10 }).book;
    again.restore(book.exportState(), []);
    expect(again.apply([fire(20, 1000)], T0 + 1000).map((s) => s.event.kind)).toEqual(['updated']);
    expect(overflowOf(again)[0]!.value).toBe(2);
    expect(again.apply([clear(0, 2000)], T0 + 2000).map((s) => s.event.kind)).toEqual(['resolved', 'resolved']);
  });
});

describe('open alerts per rule', () => {
  it('merges a rule past its cap across sites into one overflow alert for the rule', () => {
    const { book, heard } = capped({ openAlertsPerRule: 3 });
    book.apply([fire(1, 0, 'a'), fire(1, 0, 'b'), fire(1, 0, 'c'), fire(1, 0, 'd'), fire(1, 0, 'e'), fire(1, 0, 'f', 'mine.co')], T0);
    expect(book.openAlerts().filter((a) => a.ruleId === 'mine.ch4.face')).toHaveLength(3);
    expect(book.openAlerts().filter((a) => a.ruleId === 'mine.co')).toHaveLength(1);
    const over = overflowOf(book);
    expect(over).toHaveLength(1);
    expect(over[0]).toMatchObject({ ruleId: 'system.limit.openAlertsPerRule', value: 2, labels: { limit: 'openAlertsPerRule', limitRule: 'mine.ch4.face' } });
    expect(heard).toContain('openAlertsPerRule:reached');
  });
});
