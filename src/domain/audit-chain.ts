import { createHash } from 'node:crypto';

// The audit chain (tamper evidence: the letter forbids 瞒报/谎报 and falsified data). Each record
// is one JSON line carrying `n` (its number in its chain) and `prev` (the SHA-256 of the line
// before it in the same chain), so an edited byte, a removed record or two swapped records break
// the chain where it happened. Embedded mode has one chain (the audit file); in Kafka mode every
// process that writes is a chain of its own (`writer`), interleaved in one topic.

/** GENESIS: the `prev` of the first record of a chain */
export const GENESIS = '0'.repeat(64);

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** ChainHead: where a chain stands: the number and hash of its last record. */
export interface ChainHead {
  n: number;
  hash: string;
}

/** chainRecord: the next line of a chain and the chain's new head. */
export function chainRecord(head: ChainHead, fields: { at: number; kind: string; record: unknown; writer?: string }): { line: string; head: ChainHead } {
  const n = head.n + 1;
  const line = JSON.stringify({ n, prev: head.hash, at: fields.at, kind: fields.kind, ...(fields.writer !== undefined ? { writer: fields.writer } : {}), record: fields.record });
  return { line, head: { n, hash: sha256(line) } };
}

/** chainRecords: the lines of several records of one kind, made at one instant, and the chain's new head. */
export function chainRecords(head: ChainHead, fields: { at: number; kind: string; writer?: string }, records: readonly unknown[]): { lines: string[]; head: ChainHead } {
  const lines: string[] = [];
  for (const record of records) {
    const r = chainRecord(head, { ...fields, record });
    head = r.head;
    lines.push(r.line);
  }
  return { lines, head };
}

/** ChainLink: one line parsed for checking (its chain fields). */
export type ChainLink = { ok: true; n: number; prev: string; writer?: string } | { ok: false; reason: string };

/** parseLink: the chain fields of one line, or why it has none. */
export function parseLink(text: string): ChainLink {
  let rec: { n?: unknown; prev?: unknown; writer?: unknown };
  try {
    rec = JSON.parse(text) as typeof rec;
  } catch {
    return { ok: false, reason: 'not a JSON line (edited or torn)' };
  }
  // `null`, a number, a string or an array: not a record of the trail (forged or overwritten)
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return { ok: false, reason: 'not a chain record (a JSON object with n and prev)' };
  if (typeof rec.prev !== 'string' || typeof rec.n !== 'number') return { ok: false, reason: 'no chain fields (n, prev)' };
  return { ok: true, n: rec.n, prev: rec.prev, ...(typeof rec.writer === 'string' ? { writer: rec.writer } : {}) };
}

/**
 * checkLink: whether `text` follows `head` in its chain; `head` undefined for a chain's first
 * record, which must be record 1 chained to GENESIS unless `mayStartLater` (retention removed the
 * chain's start). Returns the new head, or why the link is broken.
 */
export function checkLink(head: ChainHead | undefined, text: string, mayStartLater = false): { ok: true; head: ChainHead } | { ok: false; reason: string } {
  const link = parseLink(text);
  if (!link.ok) return link;
  if (head === undefined) {
    if (!mayStartLater && (link.n !== 1 || link.prev !== GENESIS)) {
      return { ok: false, reason: `the chain must start with record 1 chained to the start; it starts with record ${link.n}: earlier records were removed or moved` };
    }
  } else {
    if (link.prev !== head.hash) return { ok: false, reason: 'prev does not match the SHA-256 of the record before: this record, the one before it, or one between them was changed, removed or moved' };
    if (link.n !== head.n + 1) return { ok: false, reason: `record ${link.n} follows record ${head.n}: records were removed or reordered` };
  }
  return { ok: true, head: { n: link.n, hash: sha256(text) } };
}
