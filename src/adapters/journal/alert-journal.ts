import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AlertRecordEntry, AlertSnapshotFrame, StoredAlertEventLine } from '../../contracts/journal.ts';
import type { AlertRecord, AlertStore, AlertStoreState, StoredAlertEvent } from '../../ports/index.ts';
import { checkJson, checkValue, corruptError, readNdjson, type BadEntries, type NdjsonRead } from './check.ts';
import { ensurePrivateDir, openPrivate, quarantineFile, quarantineLines, writePrivateAtomic, type QuarantineEntry } from './private-fs.ts';

const JOURNAL = 'alerts.journal.ndjson';
const SNAPSHOT = 'alerts.snapshot.json';
/** SNAPSHOT_SLICE: snapshot records serialised per turn of the event loop */
const SNAPSHOT_SLICE = 500;

/** JournalAlertStoreDeps: where the journal lives and what to do with unreadable data at start. */
export interface JournalAlertStoreDeps {
  dataDir: string;
  logger: Logger;
  /** move unreadable lines, records or a whole unreadable snapshot to `<dataDir>/quarantine/` instead of refusing to start */
  repair?: boolean;
  /** the clock naming quarantine files */
  now?: () => number;
}

/**
 * createJournalAlertStore: the embedded AlertStore. Every alert event is appended to an NDJSON
 * journal and fdatasync'ed before `append` resolves; a periodic snapshot (temp file + rename)
 * bounds the journal, which is then started afresh. `load` checks every line and snapshot record
 * against the contracts: anything unreadable stops start with JOURNAL_CORRUPT naming file and line,
 * unless `repair` moves it to the quarantine folder. All files are 0600 in a 0700 directory.
 */
export function createJournalAlertStore(deps: JournalAlertStoreDeps): AlertStore {
  const dir = deps.dataDir;
  const logger = deps.logger;
  const now = deps.now ?? Date.now;
  ensurePrivateDir(dir, logger);
  const journalPath = join(dir, JOURNAL);
  const snapshotPath = join(dir, SNAPSHOT);
  let fh: FileHandle | undefined;
  /** per snapshot being written: the events appended since its state was exported */
  const carries = new Set<StoredAlertEvent[]>();
  /** the snapshot being written, if any: the next one waits for it */
  let writing: Promise<void> = Promise.resolve();
  // Loads, appends and the writing of snapshots run one at a time, in call order.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };

  async function handle(): Promise<FileHandle> {
    if (fh) return fh;
    const h = await openPrivate(journalPath, 'a+');
    // A last line that checked but lost its newline in a crash: end it, or the next event would be glued onto it.
    const { size } = await h.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await h.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await h.appendFile('\n', 'utf8');
    }
    fh = h;
    return fh;
  }

  async function closeHandle(): Promise<void> {
    if (fh) await fh.close();
    fh = undefined;
  }

  /** syncDir makes a rename in the data directory durable before the journal it replaces is truncated. */
  async function syncDir(): Promise<void> {
    if (process.platform === 'win32') return; // directories cannot be opened for fsync there
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  /** SnapshotRead: the snapshot's readable records and its bad ones, or why the whole file is unreadable. */
  type SnapshotRead = { state: AlertStoreState; bad: QuarantineEntry[] } | { unreadable: string; text: string };

  function readSnapshot(): SnapshotRead {
    if (!existsSync(snapshotPath)) return { state: { seq: 0, records: [] }, bad: [] };
    const text = readFileSync(snapshotPath, 'utf8');
    const frame = checkJson(AlertSnapshotFrame, text);
    if (!frame.ok) return { unreadable: text.trim() === '' ? 'empty file' : frame.reason, text };
    const records: AlertRecord[] = [];
    const bad: QuarantineEntry[] = [];
    frame.value.records.forEach((raw, index) => {
      const c = checkValue(AlertRecordEntry, raw);
      if (c.ok) records.push(c.value);
      else bad.push({ index, reason: c.reason, original: JSON.stringify(raw) });
    });
    return { state: { seq: frame.value.seq, records }, bad };
  }

  /** quarantine writes bad entries of `file` to the quarantine folder and logs each, naming file and line. */
  function quarantine(file: string, bad: readonly QuarantineEntry[], msg: string): void {
    const to = quarantineLines(dir, file, bad, now());
    for (const b of bad) logger.warn({ file, line: b.line, record: b.index, reason: b.reason, quarantine: to }, msg);
  }

  /** recoverSnapshot (repair) moves the unreadable snapshot, or its bad records, out of the way. */
  async function recoverSnapshot(snap: SnapshotRead): Promise<AlertStoreState> {
    if ('unreadable' in snap) {
      const to = quarantineFile(dir, snapshotPath, now());
      // The journal holds only what came after this snapshot, so alerts that were only in it are gone; keep
      // its seq when it can still be read, so new events never reuse a seq that screens have already seen.
      const seq = Number(/^\{"seq":(\d+),/.exec(snap.text)?.[1] ?? 0);
      logger.warn(
        { file: snapshotPath, reason: snap.unreadable, quarantine: to, seq },
        'repair: moved the unreadable alert snapshot to quarantine; recovering from the journal alone, alerts only in the snapshot are lost',
      );
      return { seq, records: [] };
    }
    if (snap.bad.length > 0) {
      quarantine(snapshotPath, snap.bad, 'repair: moved an unreadable snapshot record to quarantine');
      // rewritten without them, so the next start does not meet them again
      await writePrivateAtomic(snapshotPath, JSON.stringify(snap.state));
      await syncDir();
    }
    return snap.state;
  }

  /** recoverJournal cuts a torn last line off and (repair) moves bad lines out of the journal. */
  async function recoverJournal(read: NdjsonRead<StoredAlertEvent>): Promise<void> {
    if (read.torn) {
      // An append cut short by a crash: its event was never confirmed to anyone. Cut off (kept in quarantine),
      // or the newline the next append adds would turn it into a bad middle line.
      quarantine(journalPath, [read.torn], 'skipping a torn last journal line');
    }
    if (read.bad.length > 0) {
      quarantine(journalPath, read.bad, 'repair: moved an unreadable journal line to quarantine');
      await closeHandle();
      await writePrivateAtomic(journalPath, read.items.map((i) => JSON.stringify(i.value) + '\n').join(''));
      await syncDir();
    } else if (read.torn) truncateSync(journalPath, read.goodBytes);
  }

  return {
    load() {
      return serial(async () => {
        const snap = readSnapshot();
        const journal = existsSync(journalPath) ? readNdjson(readFileSync(journalPath, 'utf8'), StoredAlertEventLine) : undefined;
        if (!deps.repair) {
          const refused: BadEntries[] = [];
          if ('unreadable' in snap) refused.push({ file: snapshotPath, bad: [{ reason: snap.unreadable, original: '' }] });
          else if (snap.bad.length > 0) refused.push({ file: snapshotPath, bad: snap.bad });
          if (journal && journal.bad.length > 0) refused.push({ file: journalPath, bad: journal.bad });
          if (refused.length > 0) throw corruptError(refused);
        }
        const snapshot = await recoverSnapshot(snap);
        if (journal) await recoverJournal(journal);
        if ('unreadable' in snap) {
          // A crash before the journal was started afresh leaves events the lost snapshot covered: replay them all.
          for (const { value } of journal?.items ?? []) snapshot.seq = Math.min(snapshot.seq, value.event.seq - 1);
        }
        const tail: StoredAlertEvent[] = [];
        for (const { value } of journal?.items ?? []) if (value.event.seq > snapshot.seq) tail.push(value);
        tail.sort((a, b) => a.event.seq - b.event.seq);
        return { snapshot, tail };
      });
    },

    append(events) {
      if (events.length === 0) return Promise.resolve();
      // a snapshot being written does not hold these: they stay in the journal it restarts
      for (const kept of carries) kept.push(...events);
      return serial(async () => {
        const h = await handle();
        let text = '';
        for (const e of events) text += JSON.stringify(e) + '\n';
        await h.appendFile(text, 'utf8');
        await h.datasync();
      });
    },

    snapshot(state) {
      // The caller exported `state` just now: every event appended from here on is newer than it.
      const kept: StoredAlertEvent[] = [];
      carries.add(kept);
      const previous = writing;
      const p = (async () => {
        try {
          await previous.catch(() => undefined);
          // Serialised off the hot path: SNAPSHOT_SLICE records per turn of the event loop (20,000
          // open alerts took ~450 ms in one piece), while appends go on.
          const parts: string[] = [`{"seq":${state.seq},"records":[`];
          for (let i = 0; i < state.records.length; i += SNAPSHOT_SLICE) {
            if (i > 0) await new Promise<void>((r) => setImmediate(r));
            for (let k = i; k < Math.min(state.records.length, i + SNAPSHOT_SLICE); k++) parts.push((k > 0 ? ',' : '') + JSON.stringify(state.records[k]));
          }
          parts.push(']}');
          await serial(async () => {
            await writePrivateAtomic(snapshotPath, parts.join(''));
            await syncDir();
            // Everything in the journal up to the snapshot is in it: start the journal afresh with
            // only what was appended since (atomic: a crash leaves the old journal or the new one).
            await closeHandle();
            await writePrivateAtomic(journalPath, kept.map((e) => JSON.stringify(e) + '\n').join(''));
          });
        } finally {
          carries.delete(kept);
        }
      })();
      writing = p;
      return p;
    },

    close() {
      return serial(closeHandle);
    },
  };
}
