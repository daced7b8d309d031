import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStateFile } from '../../../src/adapters/journal/state-file.ts';
import { Silence } from '../../../src/contracts/silences.ts';
import { AppError } from '../../../src/errors.ts';

const T0 = Date.parse('2024-07-16T09:00:00+08:00');

/** fakeLogger collects what the state file logs at warn. */
function fakeLogger(): { logger: Logger; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const noop = () => undefined;
  const logger = { warn: (obj: Record<string, unknown>) => warnings.push(obj), info: noop, debug: noop, error: noop, trace: noop, fatal: noop } as unknown as Logger;
  return { logger, warnings };
}

/** silence builds a valid stored silence. */
function silence(id: string): Silence {
  return {
    id,
    matchers: { siteId: 'cm-shm-01' },
    startsAt: '2024-07-16T09:00:00+08:00',
    endsAt: '2024-07-16T11:00:00+08:00',
    createdBy: 'ops',
    createdAt: '2024-07-16T09:00:00+08:00',
    comment: 'maintenance WO-1',
  };
}

describe('createStateFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rs-state-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('save then load round-trips the list; the file is 0600', async () => {
    const f = createStateFile(dir, 'silences.json');
    await f.save([silence('a'), silence('b')]);
    expect(createStateFile(dir, 'silences.json').load(Silence)).toEqual([silence('a'), silence('b')]);
    expect(statSync(join(dir, 'silences.json')).mode & 0o777).toBe(0o600);
  });

  it('a missing file is an empty list', () => {
    expect(createStateFile(dir, 'warnings.json').load()).toEqual([]);
  });

  describe.each(['warnings.json', 'silences.json'])('an unreadable %s', (name) => {
    it.each([
      // cut short by a crash or a full disk
      ['truncated', '[{"id":"a","match', /not JSON/],
      // zero bytes
      ['empty', '', /empty file/],
      // JSON, but not the list this file holds
      ['not a list', '{"id":"a"}', /not a list/],
      // JSON null
      ['null', 'null', /not a list/],
    ])('%s stops start with JOURNAL_CORRUPT naming the file', (_case, text, reason) => {
      writeFileSync(join(dir, name), text);
      let err: unknown;
      try {
        createStateFile(dir, name).load(Silence);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('JOURNAL_CORRUPT');
      expect((err as AppError).message).toContain(join(dir, name));
      expect((err as AppError).details[0]).toMatchObject({ file: join(dir, name), message: expect.stringMatching(reason) });
    });

    it('with repair: moved to quarantine (0600) with a warning, and the list starts empty', () => {
      writeFileSync(join(dir, name), '[{"id":');
      const { logger, warnings } = fakeLogger();
      expect(createStateFile(dir, name, { logger, repair: true, now: () => T0 }).load(Silence)).toEqual([]);
      expect(existsSync(join(dir, name))).toBe(false);
      const [moved] = readdirSync(join(dir, 'quarantine'));
      expect(moved).toBe(`${name}.2024-07-16T01-00-00.000Z`);
      expect(readFileSync(join(dir, 'quarantine', moved!), 'utf8')).toBe('[{"id":');
      expect(statSync(join(dir, 'quarantine', moved!)).mode & 0o777).toBe(0o600);
      expect(warnings).toEqual([expect.objectContaining({ file: join(dir, name) })]);
    });
  });

  it('one bad silence among good ones is dropped with a warning naming file and index, kept in quarantine, and the file rewritten', () => {
    const bad = { ...silence('b'), matchers: {} }; // a silence with no matcher would mute everything
    writeFileSync(join(dir, 'silences.json'), JSON.stringify([silence('a'), bad, silence('c')]));
    const { logger, warnings } = fakeLogger();
    const f = createStateFile(dir, 'silences.json', { logger, now: () => T0 });
    expect(f.load(Silence).map((s) => s.id)).toEqual(['a', 'c']);
    expect(warnings).toEqual([expect.objectContaining({ file: join(dir, 'silences.json'), index: 1, reason: expect.stringContaining('matchers') })]);
    const q = join(dir, 'quarantine', 'silences.json.2024-07-16T01-00-00.000Z.ndjson');
    expect(JSON.parse(readFileSync(q, 'utf8'))).toMatchObject({ index: 1, original: JSON.stringify(bad) });
    const again = fakeLogger();
    expect(createStateFile(dir, 'silences.json', { logger: again.logger }).load(Silence).map((s) => s.id)).toEqual(['a', 'c']);
    expect(again.warnings).toEqual([]);
  });
});
