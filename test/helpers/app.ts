import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp, type App } from '../../src/app.ts';
import { Config } from '../../src/contracts/config.ts';
import { BUNDLED } from '../../src/config/paths.ts';
import { loadReference } from '../../src/enrich/reference.ts';
import { loadRulePack } from '../../src/rules/pack.ts';
import { createJournalAlertStore } from '../../src/adapters/journal/alert-journal.ts';
import { createJournalDeadLetterSink } from '../../src/adapters/journal/dead-letter.ts';
import { createStateFile } from '../../src/adapters/journal/state-file.ts';
import { createJournalAuditLog } from '../../src/adapters/journal/audit-log.ts';
import { createJournalNotificationLog } from '../../src/adapters/journal/notification-log.ts';
import { createMemorySmsGateway, type MemorySmsGateway } from '../../src/adapters/memory/sms.ts';
import { createAuth } from '../../src/auth/auth.ts';
import type { SeriesStore } from '../../src/ports/index.ts';

/** TEST_SECRET: the signing secret of test apps. */
export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** TestApp: a real app on 127.0.0.1, port 0, with a temp data dir and the bundled data. */
export interface TestApp {
  /** texts the app sent (in-memory SMS gateway) */
  sms: MemorySmsGateway;
  app: App;
  baseUrl: string;
  port: number;
  dataDir: string;
  tokens: { viewer: string; operator: string; admin: string; ingest: string };
  /** mint a token for any role and towns */
  token(role: 'viewer' | 'operator' | 'admin' | 'ingest', towns: '*' | string[]): Promise<string>;
  stop(): Promise<void>;
  /** stop and delete the data dir */
  destroy(): Promise<void>;
}

/** startTestApp starts the real app; pass the same dataDir again to test a restart, `rulesDir` to use another rule pack. */
export async function startTestApp(opts: { dataDir?: string; demo?: boolean; config?: Record<string, unknown>; rulesDir?: string; only?: string[]; sms?: MemorySmsGateway; now?: () => number; series?: SeriesStore } = {}): Promise<TestApp> {
  const sms = opts.sms ?? createMemorySmsGateway();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'riskstream-test-'));
  const config = Config.parse({ http: { host: '127.0.0.1', port: 0 }, dataDir, ...opts.config });
  const logger = pino({ level: process.env.RISKSTREAM_TEST_LOG ?? 'silent' });
  const app = createApp({
    config,
    secret: TEST_SECRET,
    reference: loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar }),
    // `only` narrows the pack to some rule kinds, for tests of API mechanics that count alerts exactly
    rules: loadRulePack(opts.rulesDir ?? BUNDLED.rules).filter((r) => !opts.only || opts.only.includes(r.kind)),
    rulesDir: opts.rulesDir ?? BUNDLED.rules,
    logger,
    demo: opts.demo ?? false,
    ports: { store: createJournalAlertStore({ dataDir, logger }), deadLetters: createJournalDeadLetterSink({ dataDir }), warningsFile: createStateFile(dataDir, 'warnings.json'), silencesFile: createStateFile(dataDir, 'silences.json'), nflog: createJournalNotificationLog(dataDir), audit: createJournalAuditLog(dataDir), sms, ...(opts.now ? { clock: { now: opts.now } } : {}), ...(opts.series ? { series: opts.series } : {}) },
  });
  const { port } = await app.start();
  const auth = createAuth(TEST_SECRET);
  const token = (role: 'viewer' | 'operator' | 'admin' | 'ingest', towns: '*' | string[]) => auth.sign({ sub: towns === '*' ? `test-${role}` : `test-${role}-${towns.join('-')}`, role, towns }, '1h');
  const tokens = { viewer: await token('viewer', '*'), operator: await token('operator', '*'), admin: await token('admin', '*'), ingest: await token('ingest', '*') };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.stop();
  };
  return {
    sms,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    tokens,
    token,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
