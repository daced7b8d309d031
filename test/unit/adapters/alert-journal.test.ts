import { appendFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJournalAlertStore } from '../../../src/adapters/journal/alert-journal.ts';
import type { Alert } from '../../../src/contracts/alerts.ts';
import { formatTs } from '../../../src/domain/time.ts';
import { AppError } from '../../../src/errors.ts';
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
  const open = (logger = fakeLogger().logger, repair = false): AlertStore => {
    const s = createJournalAlertStore({ dataDir: dir, logger, repair, now: () => T0 });
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

  it('a snapshot being written while events keep arriving loses none of them (it is serialised in slices, appends go on)', async () => {
    const store = open();
    await store.append(range(1, 10).map(ev));
    // a big state, so serialising it takes several turns of the event loop
    const big = stateAt(10, range(1, 10).map(ev));
    big.records = Array.from({ length: 3000 }, (_, i) => ({ ...big.records[i % 10]!, subjectKey: `s|big-${i}` }));
    const snap = store.snapshot(big);
    // appends made while it is being written: newer than its state, they must survive it
    const during = range(11, 60).map((s) => store.append([ev(s)]));
    await Promise.all([snap, ...during]);
    await store.append([ev(61)]);
    const loaded = await open().load();
    expect(loaded.snapshot.seq).toBe(10);
    expect(loaded.snapshot.records).toHaveLength(3000);
    expect(loaded.tail.map((s) => s.event.seq)).toEqual(range(11, 61));
  });

  it('two snapshots asked for at once are written one after the other, each keeping what is newer than it', async () => {
    const store = open();
    await store.append(range(1, 5).map(ev));
    const a = store.snapshot(stateAt(5, range(1, 5).map(ev)));
    await store.append([ev(6)]);
    const b = store.snapshot(stateAt(6, range(1, 6).map(ev)));
    await store.append([ev(7)]);
    await Promise.all([a, b]);
    const loaded = await open().load();
    expect(loaded.snapshot.seq).toBe(6);
    expect(loaded.tail.map((s) => s.event.seq)).toEqual([7]);
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
    expect(warnings[0]).toMatchObject({ file: join(dir, JOURNAL), line: 4 });
    // cut off the journal (so the next append cannot turn it into a bad middle line), kept in quarantine
    expect(readFileSync(join(dir, JOURNAL), 'utf8').endsWith('\n')).toBe(true);
    expect(quarantined()).toEqual([expect.objectContaining({ line: 4, original: line.slice(0, Math.floor(line.length / 2)) })]);
  });

  it('a torn last line survives two restarts: the second one does not refuse it as a bad middle line', async () => {
    await open().append([ev(1)]);
    appendFileSync(join(dir, JOURNAL), JSON.stringify(ev(2)).slice(0, 30));
    const second = open();
    await second.load();
    await second.append([ev(2)]);
    await second.close();
    expect((await open().load()).tail.map((s) => s.event.seq)).toEqual([1, 2]);
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

  /** quarantined reads every entry written to <dir>/quarantine as NDJSON (moved whole files are skipped). */
  function quarantined(): Record<string, unknown>[] {
    const q = join(dir, 'quarantine');
    if (!existsSync(q)) return [];
    return readdirSync(q)
      .filter((f) => f.endsWith('.ndjson'))
      .flatMap((f) => readFileSync(join(q, f), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** loadError runs load and returns the AppError it throws. */
  async function loadError(store: AlertStore): Promise<AppError> {
    const err = await store.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }

  const journalLines = (seqs: number[]) => seqs.map((s) => JSON.stringify(ev(s)) + '\n');
  const withKind = (seq: number, kind: string) => JSON.stringify({ ...ev(seq), event: { ...ev(seq).event, kind } }) + '\n';

  describe('a bad line in the middle of the journal', () => {
    it.each([
      // garbage where an event was: a disk error or a stray write
      ['garbage', 'this is not json\n', /not JSON/],
      // well-formed JSON with an enum value no version ever wrote
      ['an unknown kind', withKind(2, 'exploded'), /event\.kind/],
      // a line missing its subject: the rule state could not be rebuilt from it
      ['a missing field', JSON.stringify({ event: ev(2).event }) + '\n', /subjectKey/],
    ])('%s stops start with JOURNAL_CORRUPT naming file and line', async (_name, bad, reason) => {
      writeFileSync(join(dir, JOURNAL), [journalLines([1])[0], bad, ...journalLines([3])].join(''));
      const err = await loadError(open());
      expect(err.code).toBe('JOURNAL_CORRUPT');
      expect(err.message).toContain(`${join(dir, JOURNAL)}: line 2:`);
      expect(err.details[0]).toMatchObject({ file: join(dir, JOURNAL), path: 'line 2', message: expect.stringMatching(reason) });
      // the refused file is left as it was, for a person to look at
      expect(readFileSync(join(dir, JOURNAL), 'utf8').split('\n')).toHaveLength(4);
    });

    it('with repair: the line goes to quarantine (line, reason, original), the rest loads, and the next start is clean', async () => {
      writeFileSync(join(dir, JOURNAL), [...journalLines([1]), withKind(2, 'exploded'), ...journalLines([3])].join(''));
      const { logger, warnings } = fakeLogger();
      const { tail } = await open(logger, true).load();
      expect(tail.map((s) => s.event.seq)).toEqual([1, 3]);
      expect(warnings).toEqual([expect.objectContaining({ file: join(dir, JOURNAL), line: 2 })]);
      expect(quarantined()).toEqual([
        expect.objectContaining({ source: join(dir, JOURNAL), line: 2, reason: expect.stringContaining('event.kind'), original: withKind(2, 'exploded').trim() }),
      ]);
      expect((await open().load()).tail.map((s) => s.event.seq)).toEqual([1, 3]);
    });

    it('every bad line is named, not only the first', async () => {
      writeFileSync(join(dir, JOURNAL), ['x\n', ...journalLines([1]), 'y\n', ...journalLines([2])].join(''));
      const err = await loadError(open());
      expect(err.details.filter((d) => d.file).map((d) => d.path)).toEqual(['line 1', 'line 3']);
    });
  });

  describe('an unreadable snapshot', () => {
    it.each([
      // a crash or full disk left a zero-length file
      ['empty', '', /empty file/],
      // written as JSON null
      ['null', 'null', /expected object/i],
      // cut short in the middle
      ['truncated', JSON.stringify(stateAt(7, [ev(7)])).slice(0, 60), /not JSON/],
      // a list where an object belongs
      ['a list', '[]', /expected object/i],
    ])('%s stops start with JOURNAL_CORRUPT naming the file', async (_name, text, reason) => {
      writeFileSync(join(dir, SNAPSHOT), text);
      const err = await loadError(open());
      expect(err.code).toBe('JOURNAL_CORRUPT');
      expect(err.message).toContain(join(dir, SNAPSHOT));
      expect(err.details[0]).toMatchObject({ file: join(dir, SNAPSHOT), message: expect.stringMatching(reason) });
      expect(existsSync(join(dir, SNAPSHOT))).toBe(true);
    });

    it.each([
      ['empty', '', 0],
      ['null', 'null', 0],
      // a truncated snapshot still says its seq: new events must not reuse seqs screens have seen
      ['truncated', JSON.stringify(stateAt(7, [ev(7)])).slice(0, 60), 7],
    ])('with repair (%s): moved to quarantine, recovery from the journal alone, and the loss is logged', async (_name, text, seq) => {
      writeFileSync(join(dir, SNAPSHOT), text);
      writeFileSync(join(dir, JOURNAL), journalLines([8, 9]).join(''));
      const { logger, warnings } = fakeLogger();
      const loaded = await open(logger, true).load();
      expect(loaded.snapshot).toEqual({ seq, records: [] });
      expect(loaded.tail.map((s) => s.event.seq)).toEqual([8, 9]);
      expect(existsSync(join(dir, SNAPSHOT))).toBe(false);
      const moved = readdirSync(join(dir, 'quarantine'));
      expect(moved).toEqual([expect.stringMatching(/^alerts\.snapshot\.json\./)]);
      expect(readFileSync(join(dir, 'quarantine', moved[0]!), 'utf8')).toBe(text);
      expect(warnings).toEqual([expect.objectContaining({ file: join(dir, SNAPSHOT) })]);
    });

    it('with repair, events the lost snapshot covered that are still in the journal are all replayed', async () => {
      // crash between the snapshot rename and the journal truncation, then the snapshot was damaged
      writeFileSync(join(dir, SNAPSHOT), JSON.stringify(stateAt(7, [ev(7)])).slice(0, 60));
      writeFileSync(join(dir, JOURNAL), journalLines(range(3, 9)).join(''));
      const loaded = await open(fakeLogger().logger, true).load();
      expect(loaded.snapshot.seq).toBe(2);
      expect(loaded.tail.map((s) => s.event.seq)).toEqual(range(3, 9));
    });

    it('one invalid record stops start, naming the record; with repair only that record is set aside', async () => {
      const state = stateAt(3, [ev(1), ev(2), ev(3)]);
      const broken = { ...state, records: state.records.map((r, i) => (i === 1 ? { ...r, alert: { ...r.alert, severity: 'purple' } } : r)) };
      writeFileSync(join(dir, SNAPSHOT), JSON.stringify(broken));
      const err = await loadError(open());
      expect(err.details[0]).toMatchObject({ file: join(dir, SNAPSHOT), path: 'record 1', message: expect.stringContaining('alert.severity') });

      const { logger, warnings } = fakeLogger();
      const { snapshot } = await open(logger, true).load();
      expect(snapshot.records.map((r) => r.alert.summary)).toEqual(['event 1', 'event 3']);
      expect(warnings).toEqual([expect.objectContaining({ file: join(dir, SNAPSHOT), record: 1 })]);
      expect(quarantined()).toEqual([expect.objectContaining({ index: 1, reason: expect.stringContaining('alert.severity') })]);
      // rewritten without it: the next start without --repair is clean
      expect((await open().load()).snapshot.records).toHaveLength(2);
    });

    it('problems in the snapshot and the journal are reported together', async () => {
      writeFileSync(join(dir, SNAPSHOT), 'null');
      writeFileSync(join(dir, JOURNAL), ['x\n', ...journalLines([1])].join(''));
      const err = await loadError(open());
      expect(err.details.filter((d) => d.file).map((d) => `${d.file}:${d.path}`)).toEqual([`${join(dir, SNAPSHOT)}:whole file`, `${join(dir, JOURNAL)}:line 1`]);
    });
  });

  describe('file modes', () => {
    const mode = (p: string) => statSync(p).mode & 0o777;

    it('the data dir is created 0700; journal, snapshot and quarantine files 0600', async () => {
      rmSync(dir, { recursive: true });
      const store = open(fakeLogger().logger, true);
      expect(mode(dir)).toBe(0o700);
      await store.append([ev(1)]);
      await store.snapshot(stateAt(1, [ev(1)]));
      await store.append([ev(2)]);
      expect(mode(join(dir, JOURNAL))).toBe(0o600);
      expect(mode(join(dir, SNAPSHOT))).toBe(0o600);
      appendFileSync(join(dir, JOURNAL), 'garbage\n');
      await store.append([ev(3)]);
      await open(fakeLogger().logger, true).load();
      expect(mode(join(dir, 'quarantine'))).toBe(0o700);
      for (const f of readdirSync(join(dir, 'quarantine'))) expect(mode(join(dir, 'quarantine', f))).toBe(0o600);
      expect(mode(join(dir, JOURNAL))).toBe(0o600);
    });

    it('an existing data dir open to others is narrowed to 0700, and the log says so', () => {
      chmodSync(dir, 0o755);
      const { logger, warnings } = fakeLogger();
      open(logger);
      expect(mode(dir)).toBe(0o700);
      expect(warnings).toEqual([expect.objectContaining({ dir, was: '755' })]);
    });

    it('a journal left 0644 by an older version is narrowed on first append', async () => {
      writeFileSync(join(dir, JOURNAL), '', { mode: 0o644 });
      chmodSync(join(dir, JOURNAL), 0o644);
      await open().append([ev(1)]);
      expect(mode(join(dir, JOURNAL))).toBe(0o600);
    });
  });
});
