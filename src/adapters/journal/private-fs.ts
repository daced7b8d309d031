import { chmodSync, closeSync, existsSync, fchmodSync, fdatasyncSync, mkdirSync, openSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';

// The data directory holds alerts, silences, who was texted (names, phone numbers) and the token secret:
// only the service user may read it.
/** PRIVATE_DIR_MODE: mode of the data directory and its quarantine folder. */
export const PRIVATE_DIR_MODE = 0o700;
/** PRIVATE_FILE_MODE: mode of every file riskstream writes into the data directory. */
export const PRIVATE_FILE_MODE = 0o600;

const POSIX = process.platform !== 'win32';

/**
 * ensurePrivateDir creates `dir` (and its parents) 0700, or narrows an existing `dir` that others
 * may read or enter to 0700, saying so in the log. A shared directory (sticky bit, as /tmp, or
 * owned by another user) is left alone with a warning: narrowing it would break everyone else.
 */
export function ensurePrivateDir(dir: string, logger?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (!POSIX) return;
  const st = statSync(dir);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  if (st.mode & 0o1000 || (process.getuid && st.uid !== process.getuid())) {
    logger?.warn({ dir, mode: mode.toString(8) }, 'data directory is shared with other users and was left as it is; give riskstream a directory of its own');
    return;
  }
  chmodSync(dir, PRIVATE_DIR_MODE);
  logger?.warn({ dir, was: mode.toString(8), now: PRIVATE_DIR_MODE.toString(8) }, 'data directory was open to other users; narrowed it');
}

/**
 * openPrivate opens `path` with `flags` (e.g. 'a', 'a+', 'w'), creating it 0600; a file left by an
 * older version with wider bits is narrowed too (best effort: a file system without modes keeps its own).
 */
export async function openPrivate(path: string, flags: string): Promise<FileHandle> {
  const fh = await open(path, flags, PRIVATE_FILE_MODE);
  if (POSIX) await fh.chmod(PRIVATE_FILE_MODE).catch(() => undefined);
  return fh;
}

/** writePrivateAtomic replaces `path` with `text`: a 0600 temp file, fdatasync, rename over the old one. */
export async function writePrivateAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await openPrivate(tmp, 'w');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** writePrivateAtomicSync is writePrivateAtomic for start-up, before anything else writes the file. */
export function writePrivateAtomicSync(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    if (POSIX) fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, text);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** QuarantineEntry: one bad line (or list item) moved out of a data file, with why. */
export interface QuarantineEntry {
  /** 1-based line number (NDJSON files) */
  line?: number;
  /** 0-based index in a JSON list (state files) or snapshot records */
  index?: number;
  reason: string;
  /** the original text of the line or item */
  original: string;
}

/** quarantineDir is `<dataDir>/quarantine`, where bad data is kept for a person to look at. */
export function quarantineDir(dataDir: string): string {
  return join(dataDir, 'quarantine');
}

/** stampedPath names a quarantine file after its source file and the time, never reusing a name. */
function stampedPath(dataDir: string, source: string, at: number, ext: string): string {
  const dir = quarantineDir(dataDir);
  ensurePrivateDir(dir);
  const stamp = new Date(at).toISOString().replace(/:/g, '-');
  let path = join(dir, `${basename(source)}.${stamp}${ext}`);
  for (let i = 1; existsSync(path); i++) path = join(dir, `${basename(source)}.${stamp}-${i}${ext}`);
  return path;
}

/**
 * quarantineLines writes the bad lines of `source` to `<dataDir>/quarantine/<name>.<time>.ndjson`
 * (0600, one JSON object per entry: line or index, reason, original) and returns that file's path.
 * The caller removes them from the source afterwards, so a crash in between keeps both copies, never none.
 */
export function quarantineLines(dataDir: string, source: string, entries: readonly QuarantineEntry[], at: number): string {
  const path = stampedPath(dataDir, source, at, '.ndjson');
  const body = entries.map((e) => JSON.stringify({ source, ...e })).join('\n') + '\n';
  writeFileSync(path, body, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  return path;
}

/** quarantineFile moves the whole file `source` to `<dataDir>/quarantine/<name>.<time>` and returns the new path. */
export function quarantineFile(dataDir: string, source: string, at: number): string {
  const path = stampedPath(dataDir, source, at, '');
  renameSync(source, path);
  if (POSIX) chmodSync(path, PRIVATE_FILE_MODE);
  return path;
}
