import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { NotificationLogLine } from '../../contracts/journal.ts';
import type { NotificationLog, NotificationRecord } from '../../ports/index.ts';
import { readNdjson } from './check.ts';
import { ensurePrivateDir, openPrivate, quarantineLines, writePrivateAtomic } from './private-fs.ts';

// Every record the port can hold must pass the line schema: tsc fails here when NotificationRecord's enums grow.
type Line = z.infer<typeof NotificationLogLine>;
type Misfits = { [K in keyof NotificationRecord]-?: NotificationRecord[K] extends Line[K] ? never : K }[keyof NotificationRecord];
const portFitsLine: [Misfits] extends [never] ? true : Misfits = true;
void portFitsLine;

/** NotificationLogOptions: who hears about unreadable lines, and the clock naming quarantine files. */
export interface NotificationLogOptions {
  logger?: Logger;
  now?: () => number;
}

/**
 * createJournalNotificationLog: NDJSON in the data dir (0600), fdatasync'ed before `append` resolves.
 * At load every line is checked. Unlike the alert journal, a bad line never stops start: it is
 * logged (file and line), moved to quarantine and the log rewritten without it. Losing a record is
 * fail-open: at worst one text is sent again, which is better than no texts at all.
 */
export function createJournalNotificationLog(dataDir: string, opts: NotificationLogOptions = {}): NotificationLog {
  ensurePrivateDir(dataDir, opts.logger);
  const path = join(dataDir, 'notifications.ndjson');
  const now = opts.now ?? Date.now;
  let fh: FileHandle | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    load() {
      return serial(async () => {
        if (!existsSync(path)) return [];
        const read = readNdjson<NotificationRecord>(readFileSync(path, 'utf8'), NotificationLogLine);
        const unreadable = read.torn ? [...read.bad, read.torn] : read.bad;
        if (unreadable.length > 0) {
          const to = quarantineLines(dataDir, path, unreadable, now());
          for (const b of unreadable) opts.logger?.warn({ file: path, line: b.line, reason: b.reason, quarantine: to }, 'skipping an unreadable notification log line');
        }
        if (read.bad.length > 0) {
          await fh?.close();
          fh = undefined;
          await writePrivateAtomic(path, read.items.map((i) => JSON.stringify(i.value) + '\n').join(''));
        } else if (read.torn) {
          // a torn last line: that text's record was never confirmed, so it may be sent again (fail open)
          truncateSync(path, read.goodBytes);
        }
        return read.items.map((i) => i.value);
      });
    },
    append(records) {
      if (records.length === 0) return Promise.resolve();
      return serial(async () => {
        if (!fh) {
          fh = await openPrivate(path, 'a+');
          const { size } = await fh.stat();
          if (size > 0) {
            const last = Buffer.alloc(1);
            await fh.read(last, 0, 1, size - 1);
            if (last[0] !== 0x0a) await fh.appendFile('\n');
          }
        }
        await fh.appendFile(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
        await fh.datasync();
      });
    },
    async close() {
      await chain;
      await fh?.close();
      fh = undefined;
    },
  };
}
