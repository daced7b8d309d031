// The cost per alert event must not grow with the open alerts (issue #11): these count what the
// mute decision looks at — inhibition candidates and silences — with 200 and with 20,000 open
// alerts, without timing anything. They fail if a lookup falls back to scanning every open alert.
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alerts.ts';
import type { Severity } from '../../../src/domain/severity.ts';
import { AlertBook } from '../../../src/alerts/book.ts';
import { DEFAULT_INHIBIT_RULES, InhibitIndex, inhibitedBy } from '../../../src/alerts/inhibit.ts';
import { Silences } from '../../../src/alerts/silences.ts';
import { formatTs } from '../../../src/domain/time.ts';
import { Grouper } from '../../../src/notify/grouper.ts';

const T0 = Date.parse('2026-07-16T09:00:00+08:00');
const SITES = ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'cm-edz-02', 'cm-alz-01'];
const SEVS: Severity[] = ['yellow', 'orange', 'red'];

function alert(i: number, over: Partial<Alert> = {}): Alert {
  const sensorId = `CH4-${i % 3000}`;
  return {
    id: `a-${i}`,
    fingerprint: `fp-${i}`,
    ruleId: i % 4 === 0 ? 'mine.monitoring.sensor-silent' : `mine.rule-${i % 3}`,
    title: 't',
    severity: SEVS[i % 3]!,
    domain: 'mine',
    state: 'firing',
    siteId: SITES[i % SITES.length],
    town: 'shanghaimiao',
    startsAt: formatTs(T0),
    updatedAt: formatTs(T0),
    summary: 's',
    actions: [],
    evidence: [],
    escalation: 0,
    acks: [],
    labels: { sensorId },
    ...over,
  };
}

/** a book with `n` open alerts, its inhibition index, and 100 silences (each on one site and rule) */
function storm(n: number) {
  const book = new AlertBook();
  const inhibition = new InhibitIndex(DEFAULT_INHIBIT_RULES);
  book.watch(inhibition);
  for (let i = 0; i < n; i++) book.adopt({ subjectKey: `s-${i}`, alert: alert(i), history: [] });
  const silences = new Silences();
  for (let k = 0; k < 100; k++) silences.add({ matchers: { siteId: SITES[k % SITES.length], ruleId: `mine.other-${k}` }, endsAt: T0 + 3_600_000, comment: `c${k}` }, 'op', T0);
  return { book, inhibition, silences };
}

/** what deciding the mute of 500 new alert events looked at */
function costOf(n: number) {
  const { book, inhibition, silences } = storm(n);
  const i0 = inhibition.examined;
  const s0 = silences.examined;
  for (let k = 0; k < 500; k++) {
    const target = alert(1_000_000 + k, { severity: 'yellow' });
    inhibition.inhibitedBy(target);
    silences.activeFor(target, T0 + 1000);
  }
  return { inhibition: (inhibition.examined - i0) / 500, silences: (silences.examined - s0) / 500, open: book.openCount() };
}

describe('the mute decision costs the same with 200 or 20,000 open alerts', () => {
  it('looks at as many inhibition candidates and silences per event', () => {
    const small = costOf(200);
    const big = costOf(20_000);
    expect(small.open).toBe(200);
    expect(big.open).toBe(20_000);
    // the candidates are the alerts of the same site and sensor: a handful, never the open alerts
    expect(big.inhibition).toBeLessThanOrEqual(small.inhibition * 1.5 + 20);
    expect(big.inhibition).toBeLessThan(50);
    // the silences of the alert's site plus those without a site matcher: never all of them
    expect(big.silences).toBe(small.silences);
    expect(big.silences).toBeLessThanOrEqual(20);
  });

  it('decides exactly as the scan over every open alert (a random storm, changes included)', () => {
    const { book, inhibition } = storm(3000);
    // change some: escalate severity, resolve some, acknowledge some
    for (let i = 0; i < 3000; i += 7) book.replay({ subjectKey: `s-${i}`, event: { seq: book.lastSeq() + 1, kind: 'updated', at: formatTs(T0 + 1), alert: alert(i, { severity: 'red', updatedAt: formatTs(T0 + 1) }) } });
    for (let i = 0; i < 3000; i += 11) book.replay({ subjectKey: `s-${i}`, event: { seq: book.lastSeq() + 1, kind: 'resolved', at: formatTs(T0 + 2), alert: alert(i, { state: 'resolved', updatedAt: formatTs(T0 + 2) }) } });
    const open = book.openAlerts();
    let muted = 0;
    for (let k = 0; k < 2000; k++) {
      const target = alert(k * 13 + 5, { id: `t-${k}`, fingerprint: `tfp-${k}`, severity: SEVS[k % 3]!, ruleId: `mine.rule-${k % 5}` });
      const scan = inhibitedBy(target, open, DEFAULT_INHIBIT_RULES);
      const idx = inhibition.inhibitedBy(target);
      expect(idx?.rule).toBe(scan?.rule);
      if (idx) muted++;
    }
    // the comparison covered both answers
    expect(muted).toBeGreaterThan(100);
    expect(muted).toBeLessThan(2000);
  });
});

describe('notify grouping in a storm', () => {
  const person = (i: number) => ({ name: `p${i}`, phone: `+86139${String(i).padStart(8, '0')}` });
  const intent = (i: number, phone = person(0)) => ({ key: `a-${i}/fired/red/0/${phone.phone}`, alert: alert(i, { siteId: `site-${i}` }), kind: 'fired' as const, level: 0, to: phone, role: 'officer' as const });

  it('a flush looks at the groups that are due, not at every group held', () => {
    for (const n of [200, 20_000]) {
      const g = new Grouper({ groupWait: 1000, groupInterval: 5000 });
      // n groups (one site each) queued over n ms, then one more much later
      for (let i = 0; i < n; i++) g.add(intent(i, person(i)), T0 + i);
      expect(g.due(T0 + 1000 + n - 1).flatMap((b) => b.intents)).toHaveLength(n);
      g.add(intent(n, person(n)), T0 + 30_000);
      expect(g.held).toBe(n + 1);
      // the idle groups wait to be forgotten; the tick at the new group's flush looks at it alone
      const out = g.due(T0 + 31_000);
      expect(out.map((b) => b.intents.length)).toEqual([1]);
      expect(g.examined).toBe(1);
      // and forgetting the idle groups later costs one look each, once
      g.due(T0 + 1_000_000);
      expect(g.examined).toBe(n + 1);
      expect(g.held).toBe(0);
      expect(g.pending()).toBe(0);
    }
  });
});
