// Every file riskstream writes into the data dir is 0600 and the dir 0700: they hold alerts, who was
// texted (names, phone numbers) and the token secret.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJournalDeadLetterSink } from '../../../src/adapters/journal/dead-letter.ts';
import { ensurePrivateDir } from '../../../src/adapters/journal/private-fs.ts';
import { createLogSmsGateway } from '../../../src/adapters/log-sms/log-sms.ts';
import { resolveSecret } from '../../../src/config/load.ts';
import { Config } from '../../../src/contracts/config.ts';

const mode = (p: string) => statSync(p).mode & 0o777;
const silent = pino({ level: 'silent' });

describe('private data files', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rs-private-'));
    dir = join(root, 'data');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('the dead-letter journal and its rotated generation are 0600 in a 0700 dir', async () => {
    const sink = createJournalDeadLetterSink({ dataDir: dir, maxBytes: 10 });
    const item = { index: 0, code: 'INVALID_JSON' as const, path: '', message: 'x', details: [], original: '{', source: 'http:x', failedAt: 0 };
    await sink.write([item]);
    await sink.write([item]); // over maxBytes: rotates
    await sink.close();
    expect(mode(dir)).toBe(0o700);
    expect(readdirSync(dir).sort()).toEqual(['dead-letter.ndjson', 'dead-letter.ndjson.1']);
    for (const f of readdirSync(dir)) expect(mode(join(dir, f))).toBe(0o600);
  });

  it('the SMS outbox (names and phone numbers) is 0600 in a 0700 dir', async () => {
    const sms = createLogSmsGateway({ logger: silent, outboxFile: join(dir, 'sms-outbox.ndjson') });
    await sms.send({ id: 'm1', to: '+8613900000001', text: '测试' });
    await sms.close();
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'sms-outbox.ndjson'))).toBe(0o600);
  });

  it('the generated token secret is 0600 in a 0700 dir', () => {
    resolveSecret(Config.parse({ dataDir: dir }));
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'secret'))).toBe(0o600);
  });

  it('a shared directory (sticky bit, like /tmp) is left as it is', () => {
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    ensurePrivateDir(dir, silent);
    expect(statSync(dir).mode & 0o7777).toBe(0o1777);
  });
});
