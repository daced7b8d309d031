import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z, type ZodType } from 'zod';
import type { Logger } from 'pino';
import type { StateFile } from '../../ports/index.ts';
import { checkJson, checkValue, corruptError } from './check.ts';
import { ensurePrivateDir, quarantineFile, quarantineLines, writePrivateAtomic, writePrivateAtomicSync, type QuarantineEntry } from './private-fs.ts';

const JsonList = z.array(z.unknown());

/** StateFileOptions: who hears about unreadable data and whether an unreadable file may be set aside. */
export interface StateFileOptions {
  logger?: Logger;
  /** move a file that is not a JSON list to `<dataDir>/quarantine/` instead of refusing to start */
  repair?: boolean;
  /** the clock naming quarantine files */
  now?: () => number;
}

/**
 * createStateFile keeps a small JSON list in `<dataDir>/<name>` (0600), written atomically (temp
 * file + fsync + rename). A file that is not a JSON list stops start with JOURNAL_CORRUPT naming it
 * (with `repair`: moved to quarantine, and the list starts empty). Records that fail the caller's
 * schema are dropped with a warning naming file and index, kept in quarantine, and the file is
 * rewritten without them.
 */
export function createStateFile(dataDir: string, name: string, opts: StateFileOptions = {}): StateFile {
  ensurePrivateDir(dataDir, opts.logger);
  const path = join(dataDir, name);
  const now = opts.now ?? Date.now;
  let chain: Promise<unknown> = Promise.resolve();

  function save(items: readonly unknown[]): Promise<void> {
    const p = chain.then(() => writePrivateAtomic(path, JSON.stringify(items)));
    chain = p.catch(() => undefined);
    return p;
  }

  function readList(): unknown[] {
    if (!existsSync(path)) return [];
    const text = readFileSync(path, 'utf8');
    const list = checkJson(JsonList, text);
    if (list.ok) return list.value;
    const reason = text.trim() === '' ? 'empty file' : list.reason.startsWith('not JSON') ? list.reason : `not a list: ${list.reason}`;
    if (!opts.repair) throw corruptError([{ file: path, bad: [{ reason, original: '' }] }]);
    const to = quarantineFile(dataDir, path, now());
    opts.logger?.warn({ file: path, reason, quarantine: to }, 'repair: moved an unreadable state file to quarantine; starting with an empty list');
    return [];
  }

  function load(): unknown[];
  function load<T>(schema: ZodType<T>): T[];
  function load<T>(schema?: ZodType<T>): unknown[] {
    const raw = readList();
    if (!schema) return raw;
    const good: T[] = [];
    const kept: unknown[] = [];
    const bad: QuarantineEntry[] = [];
    raw.forEach((item, index) => {
      const c = checkValue(schema, item);
      if (c.ok) {
        good.push(c.value);
        kept.push(item);
      } else bad.push({ index, reason: c.reason, original: JSON.stringify(item) });
    });
    if (bad.length > 0) {
      // A bad record costs only itself (one silence or warning), never the start; it is kept for a person.
      const to = quarantineLines(dataDir, path, bad, now());
      for (const b of bad) opts.logger?.warn({ file: path, index: b.index, reason: b.reason, quarantine: to }, 'dropped an unreadable record at load');
      // rewritten without them at once, so the next start does not meet them again
      writePrivateAtomicSync(path, JSON.stringify(kept));
    }
    return good;
  }

  return { load, save };
}
