import { mkdirSync, existsSync, readFileSync } from 'node:fs';
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AlertStore, AlertStoreState, StoredAlertEvent } from '../../ports/index.ts';

const JOURNAL = 'alerts.journal.ndjson';
const SNAPSHOT = 'alerts.snapshot.json';

/**
 * createJournalAlertStore: the embedded AlertStore. Every alert event is appended to an NDJSON
 * journal and fdatasync'ed before `append` resolves; a periodic snapshot (temp file + rename)
 * bounds the journal, which is then started afresh.
 */
export function createJournalAlertStore(deps: { dataDir: string; logger: Logger; repair?: boolean }): AlertStore {
  const dir = deps.dataDir;
  mkdirSync(dir, { recursive: true });
  const journalPath = join(dir, JOURNAL);
  const snapshotPath = join(dir, SNAPSHOT);
  let fh: FileHandle | undefined;
  // Appends and snapshots run one at a time, in call order.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };

  async function handle(): Promise<FileHandle> {
    if (fh) return fh;
    const h = await open(journalPath, 'a+');
    // A crash may have left a torn last line without its newline: end it, or the next event would be glued
    // onto the fragment and lost with it on the next load.
    const { size } = await h.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await h.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await h.appendFile('\n', 'utf8');
    }
    fh = h;
    return fh;
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

  return {
    async load() {
      let snapshot: AlertStoreState = { seq: 0, records: [] };
      if (existsSync(snapshotPath)) snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as AlertStoreState;
      const tail: StoredAlertEvent[] = [];
      if (existsSync(journalPath)) {
        const lines = readFileSync(journalPath, 'utf8').split('\n');
        lines.forEach((line, i) => {
          if (line.trim() === '') return;
          try {
            const s = JSON.parse(line) as StoredAlertEvent;
            if (s.event.seq > snapshot.seq) tail.push(s);
          } catch (err) {
            // A torn last line is an append cut short by a crash: its event was never delivered.
            deps.logger.warn({ file: journalPath, line: i + 1, err: (err as Error).message }, 'skipping unreadable journal line');
          }
        });
      }
      tail.sort((a, b) => a.event.seq - b.event.seq);
      return { snapshot, tail };
    },

    append(events) {
      if (events.length === 0) return Promise.resolve();
      return serial(async () => {
        const h = await handle();
        let text = '';
        for (const e of events) text += JSON.stringify(e) + '\n';
        await h.appendFile(text, 'utf8');
        await h.datasync();
      });
    },

    snapshot(state) {
      return serial(async () => {
        const tmp = `${snapshotPath}.tmp`;
        const t = await open(tmp, 'w');
        try {
          await t.writeFile(JSON.stringify(state), 'utf8');
          await t.datasync();
        } finally {
          await t.close();
        }
        await rename(tmp, snapshotPath);
        await syncDir();
        // Everything in the journal is now in the snapshot; start it afresh.
        if (fh) await fh.close();
        fh = undefined;
        await writeFile(journalPath, '');
      });
    },

    close() {
      return serial(async () => {
        if (fh) await fh.close();
        fh = undefined;
      });
    },
  };
}
