import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { NotificationLog, NotificationRecord } from '../../ports/index.ts';

/** createJournalNotificationLog: NDJSON in the data dir, fdatasync'ed before `append` resolves. */
export function createJournalNotificationLog(dataDir: string): NotificationLog {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'notifications.ndjson');
  let fh: FileHandle | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  return {
    async load() {
      if (!existsSync(path)) return [];
      const out: NotificationRecord[] = [];
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          out.push(JSON.parse(line) as NotificationRecord);
        } catch {
          // a torn last line: that text's record was never confirmed, so it may be sent again (fail open)
        }
      }
      return out;
    },
    append(records) {
      if (records.length === 0) return Promise.resolve();
      const p = chain.then(async () => {
        if (!fh) {
          fh = await open(path, 'a+');
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
      chain = p.catch(() => undefined);
      return p;
    },
    async close() {
      await chain;
      await fh?.close();
      fh = undefined;
    },
  };
}
