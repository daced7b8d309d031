import type { ZodType, ZodError } from 'zod';
import { AppError, type ErrorDetail } from '../../errors.ts';
import type { QuarantineEntry } from './private-fs.ts';

/** Checked: one value parsed and validated, or why not. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** describeIssues says what is wrong with a value in one line: its first few zod issues, `path: message`. */
export function describeIssues(error: ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  const more = error.issues.length > 3 ? `; and ${error.issues.length - 3} more` : '';
  return shown.join('; ') + more;
}

/** checkValue validates an already parsed value against `schema`. */
export function checkValue<T>(schema: ZodType<T>, raw: unknown): Checked<T> {
  const r = schema.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: describeIssues(r.error) };
}

/** checkJson parses `text` as JSON and validates it against `schema`. */
export function checkJson<T>(schema: ZodType<T>, text: string): Checked<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON (${(err as Error).message})` };
  }
  return checkValue(schema, raw);
}

/** NdjsonRead: the lines of an NDJSON file sorted into good, bad (complete lines) and a torn last line. */
export interface NdjsonRead<T> {
  items: { line: number; value: T }[];
  bad: QuarantineEntry[];
  /** the last line when it has no newline and does not check: an append cut short by a crash */
  torn?: QuarantineEntry;
  /** byte length of the file without the torn last line (to cut it off) */
  goodBytes: number;
}

/**
 * readNdjson checks every line of `text` against `schema`. A last line without its newline that
 * still checks is kept (the crash came after the write); one that does not is `torn`, not `bad`.
 */
export function readNdjson<T>(text: string, schema: ZodType<T>): NdjsonRead<T> {
  const out: NdjsonRead<T> = { items: [], bad: [], goodBytes: Buffer.byteLength(text) };
  const lines = text.split('\n');
  const lastIndex = lines.length - 1; // '' when the file ends with a newline
  for (let i = 0; i < lines.length; i++) {
    const original = lines[i]!;
    if (original.trim() === '') continue;
    const c = checkJson(schema, original);
    if (c.ok) out.items.push({ line: i + 1, value: c.value });
    else if (i === lastIndex) {
      out.torn = { line: i + 1, reason: `torn last line (no newline): ${c.reason}`, original };
      out.goodBytes -= Buffer.byteLength(original);
    } else out.bad.push({ line: i + 1, reason: c.reason, original });
  }
  return out;
}

/** MAX_DETAILS: how many bad lines a JOURNAL_CORRUPT error lists (a file of garbage must not print a million lines). */
const MAX_DETAILS = 20;

/** BadEntries: the unreadable entries of one file. */
export interface BadEntries {
  file: string;
  bad: readonly QuarantineEntry[];
}

/**
 * corruptError builds the JOURNAL_CORRUPT error that stops start: one detail per bad line or item
 * (file and line, or record index, and what is wrong), at most MAX_DETAILS, and how to start anyway.
 */
export function corruptError(groups: readonly BadEntries[]): AppError {
  const where = (e: QuarantineEntry) => (e.line !== undefined ? `line ${e.line}` : e.index !== undefined ? `record ${e.index}` : 'whole file');
  const all = groups.flatMap((g) => g.bad.map((e) => ({ file: g.file, e })));
  const details: ErrorDetail[] = all.slice(0, MAX_DETAILS).map(({ file, e }) => ({ file, path: where(e), message: e.reason }));
  if (all.length > MAX_DETAILS) details.push({ path: '…', message: `and ${all.length - MAX_DETAILS} more` });
  details.push({ path: 'repair', message: 'riskstream start --repair moves what is unreadable to <dataDir>/quarantine/ and starts without it' });
  const first = all[0];
  const summary = first ? `${first.file}: ${where(first.e)}: ${first.e.reason}` : 'unreadable data';
  return new AppError('JOURNAL_CORRUPT', `${summary}${all.length > 1 ? ` (and ${all.length - 1} more)` : ''}`, { details });
}
