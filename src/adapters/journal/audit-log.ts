import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AuditLog } from '../../ports/index.ts';
import { checkLink, chainRecords, GENESIS, sha256, type ChainHead } from '../../domain/audit-chain.ts';
import { ensurePrivateDir, openPrivate } from './private-fs.ts';

// The audit trail (tamper evidence: the letter forbids 瞒报/谎报 and falsified data). Every alert
// event (raised, updated, acknowledged, resolved, escalated), every silence made or ended and
// every text record is one line carrying the SHA-256 of the line before it, so an edited byte, a
// deleted line or two swapped lines break the chain at that point (`riskstream audit verify`).
// The trail is never truncated by snapshots: when the current file passes ROTATE_BYTES it moves
// to `<dataDir>/audit/` and the chain goes on in a new file.

const CURRENT = 'audit.ndjson';
const ARCHIVE = 'audit';
const ROTATE_BYTES = 64 * 1024 * 1024;


/** lastLine: the last complete line of a file (reads its tail only), or undefined for an empty file. */
function lastLine(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let want = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - want);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const text = buf.toString('utf8').replace(/\n+$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 || start === 0) return text.length === 0 ? undefined : text.slice(nl + 1);
      want *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** auditFiles: the archived files oldest first, then the current one (those that exist). */
export function auditFiles(dataDir: string): string[] {
  const dir = join(dataDir, ARCHIVE);
  const archived = existsSync(dir) ? readdirSync(dir).filter((f) => /^audit-\d{16}\.ndjson$/.test(f)).sort().map((f) => join(dir, f)) : [];
  const current = join(dataDir, CURRENT);
  return existsSync(current) ? [...archived, current] : archived;
}

/** createJournalAuditLog: the embedded audit trail in `<dataDir>/audit.ndjson` (0600), chained across rotations. */
export function createJournalAuditLog(dataDir: string, opts: { logger?: Logger; now?: () => number } = {}): AuditLog {
  ensurePrivateDir(dataDir, opts.logger);
  const path = join(dataDir, CURRENT);
  const now = opts.now ?? Date.now;
  let fh: FileHandle | undefined;
  let size = 0;
  let head: ChainHead | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  /** where the chain goes on: the number and hash of the last line of the newest file */
  function recoverHead(): ChainHead {
    const files = auditFiles(dataDir);
    for (let i = files.length - 1; i >= 0; i--) {
      const last = lastLine(files[i]!);
      if (last === undefined) continue;
      let n = 0;
      try {
        n = (JSON.parse(last) as { n?: number }).n ?? 0;
      } catch {
        // a torn or edited last line: chain to it as it is, verify will say where it broke
      }
      return { n, hash: sha256(last) };
    }
    return { n: 0, hash: GENESIS };
  }

  async function rotate(): Promise<void> {
    await fh?.close();
    fh = undefined;
    mkdirSync(join(dataDir, ARCHIVE), { recursive: true, mode: 0o700 });
    renameSync(path, join(dataDir, ARCHIVE, `audit-${String(now()).padStart(16, '0')}.ndjson`));
    size = 0;
  }

  return {
    append(kind, records) {
      if (records.length === 0) return Promise.resolve();
      const p = chain.then(async () => {
        head ??= recoverHead();
        if (size >= ROTATE_BYTES) await rotate();
        if (!fh) {
          fh = await openPrivate(path, 'a');
          size = (await fh.stat()).size;
        }
        const chained = chainRecords(head, { at: now(), kind }, records);
        head = chained.head;
        const text = chained.lines.join('\n') + '\n';
        await fh.appendFile(text, 'utf8');
        size += Buffer.byteLength(text);
      });
      chain = p.catch((err: unknown) => opts.logger?.error({ err }, 'audit trail not written'));
      return p;
    },
    async close() {
      await chain;
      await fh?.close();
      fh = undefined;
    },
  };
}

/** AuditVerdict: the chain is whole (records, head) or where it first breaks. */
export type AuditVerdict = { ok: true; records: number; files: number; head: string; /** the number of the oldest record kept (1 unless retention removed older files) */ from: number } | { ok: false; file: string; line: number; reason: string; records: number };

/**
 * verifyAudit walks every audit file in order and checks each line's `prev` against the SHA-256
 * of the line before it (the first line of the oldest file: record 1, chained to GENESIS). The
 * first mismatch is reported with file and line. The last line has no successor to vouch for it:
 * compare `head` with a copy kept elsewhere (the duty report, a screenshot) to cover it too.
 */
export function verifyAudit(dataDir: string): AuditVerdict {
  const files = auditFiles(dataDir);
  let head: ChainHead | undefined;
  let records = 0;
  let from = 0;
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      // the trail is never cut at its start (rotated files are kept): its first record is number 1, chained to GENESIS
      const r = checkLink(head, lines[i]!);
      if (!r.ok) return { ok: false, file, line: i + 1, reason: r.reason, records };
      head = r.head;
      if (from === 0) from = r.head.n;
      records++;
    }
  }
  return { ok: true, records, files: files.length, head: head?.hash ?? GENESIS, from: from || 1 };
}
