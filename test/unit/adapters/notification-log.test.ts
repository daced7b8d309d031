import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJournalNotificationLog } from '../../../src/adapters/journal/notification-log.ts';
import type { NotificationRecord } from '../../../src/ports/index.ts';

const T0 = Date.parse('2024-07-16T09:00:00+08:00');
const LOG = 'notifications.ndjson';

/** fakeLogger collects what the log logs at warn. */
function fakeLogger(): { logger: Logger; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const noop = () => undefined;
  const logger = { warn: (obj: Record<string, unknown>) => warnings.push(obj), info: noop, debug: noop, error: noop, trace: noop, fatal: noop } as unknown as Logger;
  return { logger, warnings };
}

/** rec builds one sent-text record; `n` makes each distinct. */
function rec(n: number): NotificationRecord {
  return { key: `a${n}/fired/yellow/0/+8613900000001`, alertId: `a${n}`, kind: 'fired', severity: 'yellow', level: 0, to: '+8613900000001', name: '张三', role: 'officer', at: T0 + n, smsId: `s${n}`, status: 'sent' };
}
const line = (r: unknown) => JSON.stringify(r) + '\n';

describe('createJournalNotificationLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rs-nflog-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('append then load round-trips; the file is 0600', async () => {
    const log = createJournalNotificationLog(dir);
    await log.append([rec(1), rec(2)]);
    await log.close();
    expect(await createJournalNotificationLog(dir).load()).toEqual([rec(1), rec(2)]);
    expect(statSync(join(dir, LOG)).mode & 0o777).toBe(0o600);
  });

  it.each([
    // garbage in the middle
    ['garbage', 'not json\n', /not JSON/],
    // a status no version writes
    ['an unknown status', line({ ...rec(2), status: 'exploded' }), /status/],
  ])('a bad middle line (%s) never stops start: skipped with a warning naming file and line, quarantined, file rewritten', async (_name, bad, reason) => {
    writeFileSync(join(dir, LOG), line(rec(1)) + bad + line(rec(3)));
    const { logger, warnings } = fakeLogger();
    const log = createJournalNotificationLog(dir, { logger, now: () => T0 });
    expect((await log.load()).map((r) => r.alertId)).toEqual(['a1', 'a3']);
    expect(warnings).toEqual([expect.objectContaining({ file: join(dir, LOG), line: 2, reason: expect.stringMatching(reason) })]);
    const [q] = readdirSync(join(dir, 'quarantine'));
    expect(JSON.parse(readFileSync(join(dir, 'quarantine', q!), 'utf8'))).toMatchObject({ line: 2, original: bad.trim() });
    expect(readFileSync(join(dir, LOG), 'utf8')).toBe(line(rec(1)) + line(rec(3)));
  });

  it('a torn last line is tolerated with a warning, and appends after it load again', async () => {
    writeFileSync(join(dir, LOG), line(rec(1)));
    appendFileSync(join(dir, LOG), JSON.stringify(rec(2)).slice(0, 25));
    const { logger, warnings } = fakeLogger();
    const log = createJournalNotificationLog(dir, { logger });
    expect((await log.load()).map((r) => r.alertId)).toEqual(['a1']);
    expect(warnings).toEqual([expect.objectContaining({ file: join(dir, LOG), line: 2 })]);
    await log.append([rec(3)]);
    await log.close();
    expect((await createJournalNotificationLog(dir).load()).map((r) => r.alertId)).toEqual(['a1', 'a3']);
  });

  it('a field added by a newer version is kept, not a reason to drop the record', async () => {
    writeFileSync(join(dir, LOG), line({ ...rec(1), channel: 'smpp' }));
    expect(await createJournalNotificationLog(dir).load()).toEqual([{ ...rec(1), channel: 'smpp' }]);
  });
});
