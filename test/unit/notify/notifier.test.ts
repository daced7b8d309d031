import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Alert, AlertEvent } from '../../../src/contracts/alerts.ts';
import { Notifier, summaryText, type NotifierDeps } from '../../../src/notify/notifier.ts';
import { DEFAULT_INHIBIT_RULES, inhibitedBy } from '../../../src/alerts/inhibit.ts';
import { createMuter } from '../../../src/alerts/mute.ts';
import { AppError } from '../../../src/errors.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { NotificationRecord } from '../../../src/ports/index.ts';

const T0 = Date.parse('2024-07-16T09:00:00+08:00');
const OFFICER = { name: '值班员（虚构）', phone: '+8613900000001' };
const LEADER = { name: '带班领导（虚构）', phone: '+8613900000002' };

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return { id, fingerprint: `fp-${id}`, ruleId: 'mine.ch4.face', title: '甲烷超限', severity: 'red', domain: 'mine', state: 'firing', siteId: 'cm-shm-01', town: 'shanghaimiao', startsAt: formatTs(T0), updatedAt: formatTs(T0), summary: 's', actions: ['断电撤人'], evidence: [], escalation: 0, acks: [], labels: { sensorId: id }, ...over };
}

/** harness: a notifier with a fake clock, an in-memory log and a scripted send. */
function harness(send: NotifierDeps['send'], open: Alert[], over: Partial<NotifierDeps> = {}) {
  let now = T0;
  const log: NotificationRecord[] = [];
  const texts: { to: string; text: string }[] = [];
  const n = new Notifier({
    log: { load: async () => [...log], append: async (r) => void log.push(...r), close: async () => undefined },
    logger: pino({ level: 'silent' }),
    now: () => now,
    onDuty: () => ({ officer: OFFICER, leader: LEADER }),
    // the same decision the app makes through InhibitIndex, here over the test's open list
    muter: createMuter({ silencedBy: () => undefined, inhibitedBy: (a) => inhibitedBy(a, open, DEFAULT_INHIBIT_RULES) }),
    openAlert: (id) => open.find((a) => a.id === id && a.state !== 'resolved'),
    render: (intents) => `${intents.length} alerts`,
    send: async (m) => {
      const r = await send(m);
      texts.push({ to: m.to, text: m.text });
      return r;
    },
    minSeverity: 'orange',
    groupWait: 1000,
    groupInterval: 5000,
    ...over,
  });
  return { n, log, texts, advance: (ms: number) => (now += ms) };
}

const fired = (a: Alert): AlertEvent => ({ seq: 1, kind: 'fired', at: a.startsAt, alert: a });

describe('Notifier', () => {
  it('groups alerts at one site into one text after the group wait', async () => {
    const open = [alert('a'), alert('b'), alert('c')];
    const h = harness(async () => ({ providerIds: ['p'] }), open);
    h.n.onEvents(open.map(fired));
    await h.n.tick();
    expect(h.texts).toEqual([]); // still inside the group wait
    h.advance(1000);
    await h.n.tick();
    expect(h.texts).toEqual([{ to: OFFICER.phone, text: '3 alerts' }]);
    expect(h.log.filter((r) => r.status === 'sent')).toHaveLength(3);
  });

  it('retries a retryable failure after the interval and sends once', async () => {
    const open = [alert('a')];
    let fail = 1;
    const h = harness(async () => {
      if (fail-- > 0) throw new AppError('SMS_FAILED', 'SMSC busy', { retryable: true });
      return { providerIds: ['p'] };
    }, open);
    h.n.onEvents(open.map(fired));
    h.advance(1000);
    await h.n.tick();
    expect(h.log.map((r) => r.status)).toEqual(['failed']);
    h.advance(5000);
    await h.n.tick();
    h.advance(5000);
    await h.n.tick();
    expect(h.texts).toHaveLength(1);
    expect(h.log.map((r) => r.status)).toEqual(['failed', 'sent']);
  });

  it('records a permanent failure and does not retry it', async () => {
    const open = [alert('a')];
    let calls = 0;
    const h = harness(async () => {
      calls++;
      throw new AppError('SMS_FAILED', 'invalid destination', { retryable: false });
    }, open);
    h.n.onEvents(open.map(fired));
    h.advance(1000);
    await h.n.tick();
    h.advance(60_000);
    await h.n.tick();
    expect(calls).toBe(1);
    expect(h.n.records('a').map((r) => r.status)).toEqual(['failed']);
  });

  it('does not text an alert acknowledged during the group wait, nor a yellow one', async () => {
    const acked = alert('a', { state: 'acknowledged' });
    const skipped: [string, number][] = [];
    const h = harness(async () => ({}), [acked, alert('y', { severity: 'yellow' })], { onDropped: (stage, n) => skipped.push([stage, n]) });
    h.n.onEvents([fired(alert('a')), fired(alert('y', { severity: 'yellow' }))]);
    h.advance(1000);
    await h.n.tick();
    expect(h.texts).toEqual([]);
    // the queued text let go at the flush is counted (riskstream_sms_skipped_total{stage="mute"}); the yellow one was never queued
    expect(skipped).toEqual([['mute', 1]]);
    expect(h.n.pending()).toBe(0);
  });

  it('recovers texts not confirmed before a restart, and only those', async () => {
    const open = [alert('a', { escalation: 1 })];
    const h = harness(async () => ({}), open);
    await h.n.start();
    // the fired text was confirmed before the restart; the escalation was not
    h.n.note({ key: `a/fired/red/0/${OFFICER.phone}`, alertId: 'a', kind: 'fired', severity: 'red', level: 0, to: OFFICER.phone, name: OFFICER.name, role: 'officer', at: T0, smsId: 'x', status: 'sent' });
    expect(h.n.recover(open)).toBe(1);
    h.advance(1000);
    await h.n.tick();
    expect(h.texts).toEqual([{ to: LEADER.phone, text: '1 alerts' }]);
  });

  it('recovers the resolution owed to whoever was told the alert fired, once', async () => {
    const gone = alert('r', { state: 'resolved', endsAt: formatTs(T0 + 60_000) });
    const h = harness(async () => ({}), []);
    await h.n.start();
    // the red text went out before the crash; the resolution was still in its group wait
    h.n.note({ key: `r/fired/red/0/${OFFICER.phone}`, alertId: 'r', kind: 'fired', severity: 'red', level: 0, to: OFFICER.phone, name: OFFICER.name, role: 'officer', at: T0, smsId: 'x', status: 'sent' });
    expect(h.n.recover([], [gone])).toBe(1);
    h.advance(1000);
    await h.n.tick();
    expect(h.texts).toEqual([{ to: OFFICER.phone, text: '1 alerts' }]);
    // sent and recorded: a second restart owes nothing
    expect(h.n.recover([], [gone])).toBe(0);
  });
});

describe('Notifier memory', () => {
  it('forgets the records of alerts no longer held once they are older than retention, and only those', async () => {
    const open = [alert('a'), alert('b'), alert('c')];
    const h = harness(async () => ({ providerIds: ['p'] }), open);
    h.n.onEvents(open.map(fired));
    h.advance(1000);
    await h.n.tick();
    expect(h.n.heldAlerts()).toBe(3);
    // still held by the book: kept, whatever their age
    expect(h.n.prune(Infinity, () => true)).toBe(0);
    // not held, but recent: kept
    expect(h.n.prune(T0, () => false)).toBe(0);
    // b is no longer held and its records are old: forgotten; a and c still held
    expect(h.n.prune(T0 + 3_600_000, (id) => id !== 'b')).toBe(1);
    expect(h.n.records('b')).toEqual([]);
    expect(h.n.records('a')).toHaveLength(1);
    expect(h.n.heldAlerts()).toBe(2);
  });
});

describe('bounds', () => {
  it('does not text a back-filled alert (raised from an old event), and never escalates it', async () => {
    const old = alert('a', { labels: { sensorId: 'a', backfill: 'true' } });
    const h = harness(async () => ({}), [old]);
    h.n.onEvents([fired(old), { seq: 2, kind: 'escalated', at: old.startsAt, alert: { ...old, escalation: 1 } }]);
    h.advance(60_000);
    await h.n.tick();
    expect(h.texts).toEqual([]);
  });

  it('folds texts past textsQueuedPerNumber into one summary per number, counted and recorded', async () => {
    // 30 sites each with one alert for the same fallback officer: one group (text) per site
    const open = Array.from({ length: 30 }, (_, i) => alert(`a${i}`, { siteId: `site-${i}` }));
    const heard: string[] = [];
    const h = harness(async () => ({}), open, { textsQueuedPerNumber: 20, onLimit: (w) => heard.push(w) });
    h.n.onEvents(open.map(fired));
    // 20 texts queued and one summary standing for 10 more
    expect(h.n.pending()).toBe(21);
    expect(h.n.folded()).toBe(10);
    expect(heard).toEqual(['reached', ...Array(10).fill('overflow')]);
    // the same intents again (a repeat event) fold nothing twice
    h.n.onEvents(open.map(fired));
    expect(h.n.folded()).toBe(10);
    h.advance(1000);
    await h.n.tick();
    expect(h.texts).toHaveLength(21);
    expect(h.texts.filter((t) => t.text === summaryText(10))).toHaveLength(1);
    expect(summaryText(10)).toBe('【风险告警汇总】另有 10 条告警未单独发送，请查看指挥中心大屏。');
    // every alert is on record as texted (individually or in the summary), none is texted again
    expect(new Set(h.log.filter((r) => r.status === 'sent').map((r) => r.alertId)).size).toBe(30);
    h.n.onEvents(open.map(fired));
    h.advance(60_000);
    await h.n.tick();
    expect(h.texts).toHaveLength(21);
    expect(h.n.pending()).toBe(0);
  });
});

describe('delivery receipts', () => {
  it('are recorded against the alerts of the text they belong to', async () => {
    const open = [alert('a'), alert('b')];
    const h = harness(async () => ({ providerIds: ['smsc-1'] }), open);
    h.n.onEvents(open.map(fired));
    h.advance(1000);
    await h.n.tick();
    const smsId = h.log[0]!.smsId;
    await h.n.receipt({ id: smsId, providerId: 'smsc-1', status: 'DELIVRD', at: T0 + 5000 });
    await h.n.receipt({ id: 'unknown', providerId: 'x', status: 'DELIVRD', at: T0 + 5000 });
    expect(h.n.records('a').map((r) => r.status)).toEqual(['sent', 'delivered']);
    expect(h.n.records('b').map((r) => r.status)).toEqual(['sent', 'delivered']);
  });
});

describe('numbers do not wait for each other', () => {
  it('a number held up by its rate limit or a failing provider does not delay another number\'s text', async () => {
    const a = alert('a', { siteId: 'site-a' });
    const b = alert('b', { siteId: 'site-b' });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const h = harness(async (m) => {
      if (m.to === OFFICER.phone) await held; // this number waits (rate limit, slow provider)
      order.push(m.to);
      return {};
    }, [a, b], { onDuty: (_town, _domain) => ({ officer: OFFICER, leader: LEADER }) });
    // a goes to the officer; b (escalated, red) to the leader
    h.n.onEvents([fired(a), { seq: 2, kind: 'escalated', at: b.startsAt, alert: { ...b, escalation: 1 } }]);
    h.advance(1000);
    const done = h.n.tick();
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([LEADER.phone]);
    expect(h.n.sending()).toBe(1);
    release();
    await done;
    expect(order).toEqual([LEADER.phone, OFFICER.phone]);
    expect(h.n.sending()).toBe(0);
  });
});

describe('escalation texts', () => {
  it('are not sent for an alert acknowledged during the group wait (the leader is not chased for a handled alert)', async () => {
    const a = alert('e', { escalation: 1 });
    const open = [a];
    const skipped: [string, number][] = [];
    const h = harness(async () => ({}), open, { onDropped: (stage, n) => skipped.push([stage, n]) });
    h.n.onEvents([{ seq: 2, kind: 'escalated', at: a.startsAt, alert: a }]);
    open[0] = { ...a, state: 'acknowledged' };
    h.advance(1000);
    await h.n.tick();
    expect(h.texts).toEqual([]);
    expect(skipped).toEqual([['mute', 1]]);
  });
});

describe('summary texts', () => {
  it('say resolutions apart from alerts waiting (180 alerts clearing must not read as 180 waiting)', () => {
    expect(summaryText(180, 180)).toBe('【风险告警汇总】另有 180 条告警已解除（未单独发送），请查看指挥中心大屏。');
    expect(summaryText(10, 4)).toBe('【风险告警汇总】另有 6 条告警未单独发送，4 条告警已解除，请查看指挥中心大屏。');
  });
});
