import { describe, expect, it } from 'vitest';
import { AlertBook } from '../../../src/alerts/book.ts';
import { AlertEvent, type AlertEventKind } from '../../../src/contracts/alerts.ts';
import { alertIdOf, fingerprintOf } from '../../../src/domain/fingerprint.ts';
import type { Severity } from '../../../src/domain/severity.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { AppError } from '../../../src/errors.ts';
import type { AlertStoreState, StoredAlertEvent } from '../../../src/ports/index.ts';

const T0 = Date.parse('2024-07-16T09:00:00+08:00');
const SUBJECT = 'mine.ch4.face|cm-shm-01|CH4-T1-1201';

/** fire builds a `fire` transition for a subject at T0 + `dt` ms. */
function fire(severity: Severity, dt = 0, subjectKey = SUBJECT, value = 1): AlertTransition {
  return {
    action: 'fire',
    ruleId: subjectKey.split('|')[0] as string,
    subjectKey,
    at: T0 + dt,
    severity,
    domain: 'mine',
    title: `title ${severity}`,
    summary: `summary ${severity}`,
    actions: [`act ${severity}`],
    siteId: 'cm-shm-01',
    town: 'shanghaimiao',
    value,
    threshold: 0.8,
    labels: { sensorId: 'CH4-T1-1201' },
    evidence: { topic: 'risk.mine.telemetry', key: 'cm-shm-01', ts: T0 + dt },
  };
}

/** clear builds a `resolve` transition for a subject at T0 + `dt` ms. */
function clear(dt = 0, subjectKey = SUBJECT): AlertTransition {
  return { ...fire('blue', dt, subjectKey, 0.1), action: 'resolve' };
}

/** kinds applies transitions one call at a time and lists the kinds of the events each produced. */
function kinds(book: AlertBook, ts: AlertTransition[]): AlertEventKind[][] {
  return ts.map((t) => book.apply([t]).map((s) => s.event.kind));
}

/** codeOf runs fn and returns the AppError code it throws. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error('expected an AppError');
}

/** byId sorts alerts so two books can be compared regardless of map order. */
function sorted<T extends { id: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.id.localeCompare(b.id));
}

describe('AlertBook.apply', () => {
  it('fires one alert with a fingerprint-derived id, state firing and +08:00 times', () => {
    const book = new AlertBook();
    const out = book.apply([fire('yellow')]);
    expect(out).toHaveLength(1);
    const { event, subjectKey } = out[0] as StoredAlertEvent;
    expect(subjectKey).toBe(SUBJECT);
    expect(AlertEvent.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({ seq: 1, kind: 'fired', at: '2024-07-16T09:00:00.000+08:00' });
    const fp = fingerprintOf(SUBJECT);
    expect(event.alert).toMatchObject({ id: alertIdOf(fp, T0), fingerprint: fp, state: 'firing', severity: 'yellow', escalation: 0, acks: [], town: 'shanghaimiao' });
    expect(book.openAlerts()).toEqual([event.alert]);
    expect(book.lastSeq()).toBe(1);
  });

  it.each<[string, AlertTransition[], AlertEventKind[][]]>([
    // a repeat at the same severity is not news: no event
    ['repeat same severity', [fire('yellow'), fire('yellow', 1000)], [['fired'], []]],
    // a rise is an update of the same alert, not a second alert
    ['rise', [fire('yellow'), fire('red', 1000)], [['fired'], ['updated']]],
    // a fall is an update too
    ['fall', [fire('red'), fire('yellow', 1000)], [['fired'], ['updated']]],
    // resolve closes the open alert
    ['resolve', [fire('orange'), clear(1000)], [['fired'], ['resolved']]],
    // resolving nothing produces nothing
    ['resolve without open alert', [clear()], [[]]],
    // a second resolve finds nothing open
    ['double resolve', [fire('orange'), clear(1000), clear(2000)], [['fired'], ['resolved'], []]],
    // the condition returns after a resolve: a fresh alert
    ['fire after resolve', [fire('orange'), clear(1000), fire('orange', 2000)], [['fired'], ['resolved'], ['fired']]],
  ])('%s', (_name, transitions, expected) => {
    expect(kinds(new AlertBook(), transitions)).toEqual(expected);
  });

  it('applies several transitions of one batch in order', () => {
    const book = new AlertBook();
    const out = book.apply([fire('yellow'), fire('yellow', 1), fire('red', 2), clear(3)]);
    expect(out.map((s) => s.event.kind)).toEqual(['fired', 'updated', 'resolved']);
    expect(book.openAlerts()).toEqual([]);
  });

  it('an update keeps id and startsAt, takes the new severity, text and value, and appends evidence', () => {
    const book = new AlertBook();
    const [f] = book.apply([fire('yellow', 0, SUBJECT, 0.9)]);
    const [u] = book.apply([fire('red', 5000, SUBJECT, 1.6)]);
    expect(u?.event.alert).toMatchObject({ id: f?.event.alert.id, startsAt: f?.event.alert.startsAt, severity: 'red', title: 'title red', value: 1.6, updatedAt: '2024-07-16T09:00:05.000+08:00' });
    expect(u?.event.alert.evidence).toHaveLength(2);
  });

  it('a fresh alert after a resolve has a new id', () => {
    const book = new AlertBook();
    const [a] = book.apply([fire('orange')]);
    book.apply([clear(1000)]);
    const [b] = book.apply([fire('orange', 2000)]);
    expect(b?.event.alert.id).not.toBe(a?.event.alert.id);
    expect(b?.event.alert.fingerprint).toBe(a?.event.alert.fingerprint);
  });

  it.each<[string, Severity, Severity, 'firing' | 'acknowledged']>([
    // a rise needs fresh attention: back to firing
    ['rise after ack', 'yellow', 'orange', 'firing'],
    // a rise straight to red, same
    ['rise to red after ack', 'blue', 'red', 'firing'],
    // a fall does not undo the operator's acknowledgement
    ['fall after ack', 'red', 'yellow', 'acknowledged'],
  ])('%s', (_name, first, second, state) => {
    const book = new AlertBook();
    const [f] = book.apply([fire(first)]);
    book.acknowledge(f!.event.alert.id, 'op', T0 + 500);
    const [u] = book.apply([fire(second, 1000)]);
    expect(u?.event.kind).toBe('updated');
    expect(u?.event.alert.state).toBe(state);
    expect(u?.event.alert.acks).toHaveLength(1);
  });

  it('holds at most one open alert per fingerprint', () => {
    const book = new AlertBook();
    const other = 'mine.ch4.face|cm-shm-01|CH4-T0-1201';
    const sevs: Severity[] = ['blue', 'yellow', 'orange', 'red', 'orange', 'red', 'red'];
    sevs.forEach((s, i) => book.apply([fire(s, i * 1000), fire(s, i * 1000, other)]));
    const open = book.openAlerts();
    expect(open).toHaveLength(2);
    expect(new Set(open.map((a) => a.fingerprint))).toEqual(new Set([fingerprintOf(SUBJECT), fingerprintOf(other)]));
    // the same holds across a resolve and a re-fire
    book.apply([clear(10_000), fire('yellow', 11_000), fire('red', 12_000)]);
    expect(book.openAlerts().filter((a) => a.fingerprint === fingerprintOf(SUBJECT))).toHaveLength(1);
  });

  it('seq is strictly increasing across fire, update, ack, manual resolve and resolve', () => {
    const book = new AlertBook();
    const other = 'grid.frequency|ss-shm-220kv|220kV-I-bus';
    const events: AlertEvent[] = [];
    events.push(...book.apply([fire('yellow'), fire('yellow', 0, other)]).map((s) => s.event));
    events.push(...book.apply([fire('red', 1000)]).map((s) => s.event));
    const id = events[0]!.alert.id;
    events.push(book.acknowledge(id, 'op', T0 + 1500, 'on it')!.event);
    events.push(book.resolveManually(events[1]!.alert.id, 'op', T0 + 1600).event);
    events.push(...book.apply([clear(2000)]).map((s) => s.event));
    expect(events.map((e) => e.kind)).toEqual(['fired', 'fired', 'updated', 'acknowledged', 'resolved', 'resolved']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(book.lastSeq()).toBe(6);
    for (const e of events) expect(AlertEvent.safeParse(e).success).toBe(true);
  });

  it('keeps each alert history in seq order', () => {
    const book = new AlertBook();
    const [f] = book.apply([fire('yellow'), fire('red', 1)]);
    book.apply([clear(2)]);
    expect(book.get(f!.event.alert.id)?.history.map((e) => e.kind)).toEqual(['fired', 'updated', 'resolved']);
  });
});

describe('AlertBook.acknowledge / resolveManually', () => {
  it('acknowledge records who, when and the note', () => {
    const book = new AlertBook();
    const [f] = book.apply([fire('orange')]);
    const s = book.acknowledge(f!.event.alert.id, 'zhang', T0 + 60_000, 'dispatched')!;
    expect(s.event.kind).toBe('acknowledged');
    expect(s.event.alert.state).toBe('acknowledged');
    expect(s.event.alert.acks).toEqual([{ by: 'zhang', at: '2024-07-16T09:01:00.000+08:00', note: 'dispatched' }]);
    expect(book.openAlerts()).toHaveLength(1);
  });

  it('resolveManually closes the alert and labels who did it', () => {
    const book = new AlertBook();
    const [f] = book.apply([fire('orange')]);
    const s = book.resolveManually(f!.event.alert.id, 'li', T0 + 1000, 'sensor replaced');
    expect(s.event.alert).toMatchObject({ state: 'resolved', endsAt: '2024-07-16T09:00:01.000+08:00' });
    expect(s.event.alert.labels).toMatchObject({ resolvedBy: 'li', resolveNote: 'sensor replaced', sensorId: 'CH4-T1-1201' });
    expect(book.openAlerts()).toEqual([]);
  });

  it.each<[string, 'acknowledge' | 'resolveManually', 'resolved' | 'unknown', string]>([
    // 409: an operator acted on an alert that has already cleared
    ['ack on resolved', 'acknowledge', 'resolved', 'CONFLICT'],
    // 409 for a second manual resolve too
    ['resolve on resolved', 'resolveManually', 'resolved', 'CONFLICT'],
    // 404 for an id the book never held
    ['ack on unknown id', 'acknowledge', 'unknown', 'NOT_FOUND'],
    // 404 for resolve as well
    ['resolve on unknown id', 'resolveManually', 'unknown', 'NOT_FOUND'],
  ])('%s → %s', (_name, op, target, code) => {
    const book = new AlertBook();
    const [f] = book.apply([fire('orange')]);
    book.apply([clear(1000)]);
    const id = target === 'resolved' ? f!.event.alert.id : 'no-such-alert';
    const seq = book.lastSeq();
    expect(codeOf(() => book[op](id, 'op', T0 + 2000))).toBe(code);
    // a refused action writes no event
    expect(book.lastSeq()).toBe(seq);
  });
});

describe('AlertBook.exportState / restore', () => {
  const A = 'mine.ch4.face|a';
  const B = 'mine.co|b';
  const C = 'grid.voltage|c';
  const D = 'grid.load|d';

  /** history builds a book with a mix of open, acknowledged and resolved alerts. */
  function before(book: AlertBook): StoredAlertEvent[] {
    const out: StoredAlertEvent[] = [];
    out.push(...book.apply([fire('yellow', 0, A), fire('orange', 0, B), fire('red', 0, C)]));
    out.push(book.acknowledge(out[1]!.event.alert.id, 'op', T0 + 100)!);
    out.push(...book.apply([clear(200, C)]));
    return out;
  }

  /** after continues the same book: updates, acks and resolves of alerts in the snapshot, and a new alert. */
  function after(book: AlertBook): StoredAlertEvent[] {
    const out: StoredAlertEvent[] = [];
    out.push(...book.apply([fire('red', 1000, A), clear(1100, B), fire('blue', 1200, D)]));
    out.push(book.acknowledge(out[0]!.event.alert.id, 'op', T0 + 1300, 'note')!);
    out.push(...book.apply([fire('orange', 1400, C)]));
    return out;
  }

  /** expectSame compares the state a restored book must reproduce. */
  function expectSame(restored: AlertBook, original: AlertBook): void {
    expect(restored.lastSeq()).toBe(original.lastSeq());
    expect(sorted(restored.openAlerts())).toEqual(sorted(original.openAlerts()));
    expect(sorted(restored.all())).toEqual(sorted(original.all()));
    for (const a of original.all()) expect(restored.get(a.id)?.history).toEqual(original.get(a.id)?.history);
  }

  it('snapshot + tail gives identical open alerts, held alerts, histories and lastSeq', () => {
    const original = new AlertBook();
    before(original);
    const snapshot = JSON.parse(JSON.stringify(original.exportState())) as AlertStoreState;
    const tail = after(original);
    const restored = new AlertBook();
    restored.restore(snapshot, tail);
    expectSame(restored, original);
    // and the restored book carries on with the next seq
    const [next] = restored.apply([clear(5000, A)]);
    expect(next?.event.seq).toBe(original.lastSeq() + 1);
  });

  it('exportState is a point-in-time copy: events after it do not leak into it', () => {
    // The journal store serialises the snapshot later, after queued appends: it must still say what it said at export.
    const original = new AlertBook();
    before(original);
    const state = original.exportState();
    const tail = after(original);
    const snapshot = JSON.parse(JSON.stringify(state)) as AlertStoreState;
    const restored = new AlertBook();
    restored.restore(snapshot, tail);
    expectSame(restored, original);
  });

  it('ignores tail events with seq ≤ the snapshot seq', () => {
    const original = new AlertBook();
    const early = before(original);
    const snapshot = JSON.parse(JSON.stringify(original.exportState())) as AlertStoreState;
    const late = after(original);
    const restored = new AlertBook();
    // the journal was not truncated (crash between snapshot and truncation): old events are still there
    restored.restore(snapshot, [...early, ...late]);
    expectSame(restored, original);
    // the old `fired` of the resolved alert C must not have reopened anything
    expect(restored.openAlerts().filter((a) => a.fingerprint === fingerprintOf(C))).toHaveLength(1);
  });

  it('restores from an empty snapshot plus a full journal', () => {
    const original = new AlertBook();
    const all = [...before(original), ...after(original)];
    const restored = new AlertBook();
    restored.restore({ seq: 0, records: [] }, all);
    expectSame(restored, original);
  });

  it('restores lastSeq from the snapshot when the tail is empty', () => {
    const original = new AlertBook();
    before(original);
    const restored = new AlertBook();
    restored.restore(JSON.parse(JSON.stringify(original.exportState())) as AlertStoreState, []);
    expectSame(restored, original);
    expect(restored.lastSeq()).toBe(5);
  });
});

describe('AlertBook maxResolved', () => {
  it('keeps only the newest maxResolved resolved alerts, never dropping open ones', () => {
    const book = new AlertBook({ maxResolved: 2 });
    const [open] = book.apply([fire('red', 0, 'keep|open')]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [f] = book.apply([fire('yellow', i * 10, `s|${i}`)]);
      ids.push(f!.event.alert.id);
      book.apply([clear(i * 10 + 5, `s|${i}`)]);
    }
    const held = book.all();
    expect(held.filter((a) => a.state === 'resolved').map((a) => a.id)).toEqual(ids.slice(3));
    expect(held.filter((a) => a.state !== 'resolved').map((a) => a.id)).toEqual([open!.event.alert.id]);
    // a dropped alert is simply unknown
    expect(book.get(ids[0]!)).toBeUndefined();
    expect(codeOf(() => book.acknowledge(ids[0]!, 'op', T0))).toBe('NOT_FOUND');
  });

  it('maxResolved 0 holds open alerts only (backtest)', () => {
    const book = new AlertBook({ maxResolved: 0 });
    book.apply([fire('red', 0, 'x|1'), fire('red', 0, 'x|2'), clear(1, 'x|1')]);
    expect(book.all().map((a) => a.state)).toEqual(['firing']);
  });

  it('the bound also holds after restoring a snapshot with more resolved alerts', () => {
    const big = new AlertBook({ maxResolved: 100 });
    for (let i = 0; i < 6; i++) big.apply([fire('yellow', i, `s|${i}`), clear(i + 1, `s|${i}`)]);
    const small = new AlertBook({ maxResolved: 3 });
    small.restore(JSON.parse(JSON.stringify(big.exportState())) as AlertStoreState, []);
    small.apply([fire('yellow', 100, 'n|1'), clear(101, 'n|1')]);
    expect(small.all().filter((a) => a.state === 'resolved')).toHaveLength(3);
  });
});

describe('AlertBook adopt and drop (Kafka mode ownership)', () => {
  it('adopts an alert held elsewhere without touching seq, once; drop forgets it', () => {
    const owner = new AlertBook();
    const view = new AlertBook();
    const [fired] = view.apply([fire("red")]);
    expect(owner.adopt({ subjectKey: fired!.subjectKey, alert: fired!.event.alert, history: [fired!.event] })).toBe(true);
    expect(owner.adopt({ subjectKey: fired!.subjectKey, alert: fired!.event.alert, history: [] })).toBe(false);
    expect(owner.lastSeq()).toBe(0);
    expect(owner.openAlerts().map((a) => a.id)).toEqual([fired!.event.alert.id]);
    // the adopted alert dedups a repeat of the same condition: no second alert
    expect(owner.apply([fire("red", 1000)])).toEqual([]);
    owner.drop(fired!.event.alert.id);
    expect(owner.openAlerts()).toEqual([]);
    expect(owner.get(fired!.event.alert.id)).toBeUndefined();
  });
});
