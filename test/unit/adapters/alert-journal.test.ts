import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJournalAlertStore } from '../../../src/adapters/journal/alert-journal.ts';
import type { Alert } from '../../../src/contracts/alerts.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { AlertStore, AlertStoreState, StoredAlertEvent } from '../../../src/ports/index.ts';

const T0 = Date.parse('2024-07-16T09:00:00+08:00');
const JOURNAL = 'alerts.journal.ndjson';
const SNAPSHOT = 'alerts.snapshot.json';

/** warnings collects what the store logs at warn, so a skipped line is visible to the test. */
function fakeLogger(): { logger: Logger; warnings: unknown[] } {
  const warnings: unknown[] = [];
  const noop = () => undefined;
  const logger = { warn: (obj: unknown) => warnings.push(obj), info: noop, debug: noop, error: noop, trace: noop, fatal: noop } as unknown as Logger;
  return { logger, warnings };
}

/** ev builds a stored alert event with the given seq. */
function ev(seq: number): StoredAlertEvent {
  const at = formatTs(T0 + seq * 1000);
  const alert: Alert = {
    id: `fp${seq % 3}-x`,
    fingerprint: `fp${seq % 3}`,
    ruleId: 'mine.ch4.face',
    title: '甲烷超限',
    severity: 'yellow',
    domain: 'mine',
    state: 'firing',
    startsAt: at,
    updatedAt: at,
    summary: `event ${seq}`,
    actions: [],
    evidence: [],
    escalation: 0,
    acks: [],
    labels: {},
  };
  return { subjectKey: `s|${seq % 3}`, event: { seq, kind: seq === 1 ? 'fired' : 'updated', at, alert } };
}

/** range lists seqs from..to inclusive. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** stateAt builds a snapshot state whose records are the events' alerts. */
function stateAt(seq: number, events: StoredAlertEvent[]): AlertStoreState {
  return { seq, records: events.map((e) => ({ subjectKey: e.subjectKey, alert: e.event.alert, history: [e.event] })) };
}

describe('createJournalAlertStore', () => {
  let dir: string;
  const stores: AlertStore[] = [];
  const open = (logger = fakeLogger().logger): AlertStore => {
    const s = createJournalAlertStore({ dataDir: dir, logger });
    stores.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rs-journal-'));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads an empty state from an empty directory', async () => {
    expect(await open().load()).toEqual({ snapshot: { seq: 0, records: [] }, tail: [] });
  });

  it('append then load returns the events, in seq order', async () => {
    const store = open();
    await store.append([ev(1), ev(2)]);
    await store.append([ev(3)]);
    await store.append([]);
    expect(await store.load()).toEqual({ snapshot: { seq: 0, records: [] }, tail: [ev(1), ev(2), ev(3)] });
    // one NDJSON line per event
    expect(readFileSync(join(dir, JOURNAL), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('concurrent appends all land, in call order', async () => {
    const store = open();
    await Promise.all(range(1, 20).map((s) => store.append([ev(s)])));
    const { tail } = await store.load();
    expect(tail.map((s) => s.event.seq)).toEqual(range(1, 20));
  });

  it('snapshot, then more appends: load returns the snapshot plus only the newer tail', async () => {
    const store = open();
    await store.append(range(1, 3).map(ev));
    const state = stateAt(3, range(1, 3).map(ev));
    await store.snapshot(state);
    await store.append([ev(4), ev(5)]);
    const loaded = await open().load();
    expect(loaded.snapshot).toEqual(state);
    expect(loaded.tail.map((s) => s.event.seq)).toEqual([4, 5]);
    // the journal was started afresh, the temp file renamed away
    expect(readFileSync(join(dir, JOURNAL), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(join(dir, `${SNAPSHOT}.tmp`))).toBe(false);
  });

  it('a second snapshot replaces the first', async () => {
    const store = open();
    await store.append([ev(1)]);
    await store.snapshot(stateAt(1, [ev(1)]));
    await store.append([ev(2)]);
    await store.snapshot(stateAt(2, [ev(2)]));
    const loaded = await store.load();
    expect(loaded.snapshot.seq).toBe(2);
    expect(loaded.tail).toEqual([]);
  });

  it('a torn last line is skipped (with a warning) and the rest loads', async () => {
    await open().append(range(1, 3).map(ev));
    const line = JSON.stringify(ev(4));
    appendFileSync(join(dir, JOURNAL), line.slice(0, Math.floor(line.length / 2)));
    const { logger, warnings } = fakeLogger();
    const { tail } = await open(logger).load();
    expect(tail.map((s) => s.event.seq)).toEqual([1, 2, 3]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ line: 4 });
  });

  it('after a torn last line, a fresh store appends events that load again', async () => {
    // A crash cut an append short; the restarted process must not glue its next event onto the fragment.
    await open().append([ev(1), ev(2)]);
    const line = JSON.stringify(ev(3));
    appendFileSync(join(dir, JOURNAL), line.slice(0, 40));
    const restarted = open();
    const { tail } = await restarted.load();
    expect(tail.map((s) => s.event.seq)).toEqual([1, 2]);
    await restarted.append([ev(3), ev(4)]);
    await restarted.close();
    expect((await open().load()).tail.map((s) => s.event.seq)).toEqual([1, 2, 3, 4]);
  });

  it('a fresh store on the same directory continues the journal', async () => {
    const first = open();
    await first.append([ev(1), ev(2)]);
    await first.close();
    const second = open();
    const { tail } = await second.load();
    // the caller continues from the highest loaded seq
    const next = Math.max(...tail.map((s) => s.event.seq)) + 1;
    await second.append([ev(next)]);
    expect((await open().load()).tail.map((s) => s.event.seq)).toEqual([1, 2, 3]);
  });

  it('a fresh store continues after a snapshot', async () => {
    const first = open();
    await first.append([ev(1), ev(2)]);
    await first.snapshot(stateAt(2, [ev(2)]));
    await first.close();
    const second = open();
    await second.append([ev(3)]);
    const loaded = await open().load();
    expect(loaded.snapshot.seq).toBe(2);
    expect(loaded.tail.map((s) => s.event.seq)).toEqual([3]);
  });

  it('crash between snapshot rename and journal truncation: only events after the snapshot seq load', async () => {
    writeFileSync(join(dir, SNAPSHOT), JSON.stringify(stateAt(5, range(3, 5).map(ev))));
    writeFileSync(join(dir, JOURNAL), range(3, 7).map((s) => JSON.stringify(ev(s)) + '\n').join(''));
    const { snapshot, tail } = await open().load();
    expect(snapshot.seq).toBe(5);
    expect(tail.map((s) => s.event.seq)).toEqual([6, 7]);
  });

  it('a leftover temp snapshot (crash before rename) is ignored', async () => {
    await open().append([ev(1)]);
    writeFileSync(join(dir, `${SNAPSHOT}.tmp`), '{"seq": 99, "rec');
    const { snapshot, tail } = await open().load();
    expect(snapshot.seq).toBe(0);
    expect(tail.map((s) => s.event.seq)).toEqual([1]);
  });
});
