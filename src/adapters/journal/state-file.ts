import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from 'pino';
import type { StateFile } from '../../ports/index.ts';

/** createStateFile keeps a small JSON list in `<dataDir>/<name>`, written atomically (temp file + fsync + rename). */
export function createStateFile(dataDir: string, name: string, _opts: { logger?: Logger; repair?: boolean } = {}): StateFile {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, name);
  let chain: Promise<unknown> = Promise.resolve();
  return {
    load() {
      if (!existsSync(path)) return [];
      const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      return Array.isArray(v) ? v : [];
    },
    save(warnings) {
      const p = chain.then(async () => {
        const tmp = `${path}.tmp`;
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(JSON.stringify(warnings));
          await fh.datasync();
        } finally {
          await fh.close();
        }
        await rename(tmp, path);
      });
      chain = p.catch(() => undefined);
      return p;
    },
  };
}
