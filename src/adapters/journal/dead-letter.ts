import { statSync, renameSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { formatTs } from '../../domain/time.ts';
import type { DeadLetterSink } from '../../ports/index.ts';
import { ensurePrivateDir, openPrivate } from './private-fs.ts';

/** createJournalDeadLetterSink: the embedded dead-letter sink, an NDJSON file (0600: it holds what producers sent) rotated at `maxBytes`. */
export function createJournalDeadLetterSink(deps: { dataDir: string; maxBytes?: number }): DeadLetterSink & { path: string } {
  ensurePrivateDir(deps.dataDir);
  const path = join(deps.dataDir, 'dead-letter.ndjson');
  const maxBytes = deps.maxBytes ?? 64 * 1024 * 1024;
  let fh: FileHandle | undefined;
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    size = 0;
  }
  let chain: Promise<unknown> = Promise.resolve();
  return {
    path,
    write(items) {
      if (items.length === 0) return Promise.resolve();
      const p = chain.then(async () => {
        // Rotate once the file has reached maxBytes (one previous generation is kept as .1).
        if (size > 0 && size >= maxBytes) {
          if (fh) await fh.close();
          fh = undefined;
          renameSync(path, `${path}.1`);
          size = 0;
        }
        fh ??= await openPrivate(path, 'a');
        let text = '';
        for (const d of items) text += JSON.stringify({ ...d, failedAt: formatTs(d.failedAt) }) + '\n';
        await fh.appendFile(text, 'utf8');
        await fh.datasync();
        size += Buffer.byteLength(text);
      });
      chain = p.catch(() => undefined);
      return p;
    },
    async close() {
      await chain;
      if (fh) await fh.close();
      fh = undefined;
    },
  };
}
