import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJournalDeadLetterSink } from '../../../src/adapters/journal/dead-letter.ts';
import type { DeadLetter, DeadLetterSink } from '../../../src/ports/index.ts';

const T0 = Date.parse('2024-07-16T09:00:00+08:00');

/** dl builds one dead letter; `n` makes each distinct. */
function dl(n: number, over: Partial<DeadLetter> = {}): DeadLetter {
  return {
    index: n,
    code: 'VALIDATION_FAILED',
    path: 'value',
    message: 'expected number, received string',
    details: [{ path: 'value', message: 'expected number, received string' }],
    original: `{"type":"mine.reading","value":"x${n}"}`,
    source: 'http:risk.mine.telemetry',
    failedAt: T0 + n,
    ...over,
  };
}

/** lines parses an NDJSON file. */
function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('createJournalDeadLetterSink', () => {
  let dir: string;
  const sinks: DeadLetterSink[] = [];
  const open = (maxBytes?: number) => {
    const s = createJournalDeadLetterSink({ dataDir: dir, ...(maxBytes !== undefined ? { maxBytes } : {}) });
    sinks.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rs-dlq-'));
  });
  afterEach(async () => {
    for (const s of sinks.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one NDJSON line per item with code, path, message, original, source and failedAt', async () => {
    const sink = open();
    expect(sink.path).toBe(join(dir, 'dead-letter.ndjson'));
    await sink.write([dl(1), dl(2, { code: 'INVALID_JSON', path: '', original: '{not json', source: 'file:events.ndjson' })]);
    await sink.write([]);
    const rows = lines(sink.path);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ index: 1, code: 'VALIDATION_FAILED', path: 'value', message: 'expected number, received string', original: '{"type":"mine.reading","value":"x1"}', source: 'http:risk.mine.telemetry' });
    expect(rows[1]).toMatchObject({ code: 'INVALID_JSON', path: '', original: '{not json', source: 'file:events.ndjson' });
    // emitted timestamps carry +08:00 (CONTRACT.md conventions) and mean the same instant
    expect(rows[0]?.failedAt).toBe('2024-07-16T09:00:00.001+08:00');
    expect(Date.parse(rows[0]?.failedAt as string)).toBe(T0 + 1);
  });

  it('keeps the original bytes exactly, including non-ASCII and newlines', async () => {
    const sink = open();
    const original = '{"event":"雷雨大风",\n"level":"purple"}';
    await sink.write([dl(1, { original })]);
    expect(lines(sink.path)[0]?.original).toBe(original);
  });

  it('appends across writes and across a new sink on the same directory', async () => {
    await open().write([dl(1)]);
    await open().write([dl(2)]);
    expect(lines(join(dir, 'dead-letter.ndjson')).map((r) => r.index)).toEqual([1, 2]);
  });

  it('concurrent writes all land in call order', async () => {
    const sink = open();
    await Promise.all([1, 2, 3, 4, 5].map((n) => sink.write([dl(n)])));
    expect(lines(sink.path).map((r) => r.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('rotates to .1 once the file reaches maxBytes', async () => {
    const probe = createJournalDeadLetterSink({ dataDir: join(dir, 'probe') });
    await probe.write([dl(1)]);
    await probe.close();
    const oneLine = statSync(probe.path).size;

    // exactly one line fits: the second write rotates
    const sink = open(oneLine);
    await sink.write([dl(1)]);
    expect(existsSync(`${sink.path}.1`)).toBe(false);
    await sink.write([dl(2)]);
    expect(lines(`${sink.path}.1`).map((r) => r.index)).toEqual([1]);
    expect(lines(sink.path).map((r) => r.index)).toEqual([2]);
    // and again: the older generation is replaced, the file stays bounded
    await sink.write([dl(3)]);
    expect(lines(`${sink.path}.1`).map((r) => r.index)).toEqual([2]);
    expect(lines(sink.path).map((r) => r.index)).toEqual([3]);
  });

  it('does not rotate below maxBytes', async () => {
    const sink = open(1024 * 1024);
    for (let i = 0; i < 10; i++) await sink.write([dl(i)]);
    expect(existsSync(`${sink.path}.1`)).toBe(false);
    expect(lines(sink.path)).toHaveLength(10);
  });

  it('a new sink counts the size of an existing file and rotates it first', async () => {
    const path = join(dir, 'dead-letter.ndjson');
    writeFileSync(path, JSON.stringify({ old: true }) + '\n' + 'x'.repeat(200) + '\n');
    const sink = open(100);
    await sink.write([dl(7)]);
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('"old":true');
    expect(lines(path).map((r) => r.index)).toEqual([7]);
  });
});
