import { mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { formatTs } from '../../domain/time.ts';
import { AppError } from '../../errors.ts';
import { countSmsParts } from '../../domain/segments.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, openPrivate } from '../journal/private-fs.ts';
import type { SmsDeliveryReceipt, SmsGateway, SmsMessage, SmsResult } from '../../ports/index.ts';

/** LogSmsGatewayDeps: where texts go when no provider is configured (embedded and demo mode). */
export interface LogSmsGatewayDeps {
  logger: Logger;
  /** NDJSON outbox, e.g. `<dataDir>/sms-outbox.ndjson`; one line per text */
  outboxFile?: string;
  now?: () => number;
}

/**
 * createLogSmsGateway logs every text (info) and appends it to an NDJSON outbox file when given,
 * so a demo shows what would have been texted. Every text is "delivered" at once: a DELIVRD
 * receipt is reported to onDeliveryReceipt listeners.
 */
export function createLogSmsGateway(deps: LogSmsGatewayDeps): SmsGateway {
  const now = deps.now ?? Date.now;
  const listeners: ((r: SmsDeliveryReceipt) => void)[] = [];
  let seq = 0;
  let ready: Promise<unknown> | undefined;
  // appends are chained so lines never interleave
  let chain: Promise<void> = Promise.resolve();

  // The outbox holds names, phone numbers and alert texts: 0600 in a 0700 directory. Opened per text, so
  // an operator may delete it while riskstream runs.
  async function append(line: string): Promise<void> {
    const file = deps.outboxFile as string;
    ready ??= (async () => {
      // the data dir itself is narrowed by the journal adapters; a configured outbox elsewhere keeps its folder's mode
      mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
      await (await openPrivate(file, 'a')).close();
    })().catch((err: unknown) => {
      ready = undefined; // try again on the next text
      throw err;
    });
    await ready;
    await appendFile(file, line, { encoding: 'utf8', mode: PRIVATE_FILE_MODE });
  }

  return {
    async send(msg: SmsMessage): Promise<SmsResult> {
      const at = now();
      const parts = countSmsParts(msg.text);
      const providerId = `log-${at.toString(36)}-${++seq}`;
      deps.logger.info({ smsId: msg.id, to: msg.to, parts, text: msg.text }, 'sms (log provider)');
      if (deps.outboxFile) {
        const line = `${JSON.stringify({ id: msg.id, to: msg.to, text: msg.text, parts, providerId, at: formatTs(at) })}\n`;
        const write = chain.then(() => append(line));
        chain = write.catch(() => undefined);
        try {
          await write;
        } catch (err) {
          throw new AppError('IO_FAILED', `cannot append to SMS outbox ${deps.outboxFile}`, { retryable: true, cause: err });
        }
      }
      if (listeners.length > 0) {
        const receipt: SmsDeliveryReceipt = { id: msg.id, providerId, status: 'DELIVRD', at };
        setImmediate(() => {
          for (const cb of listeners) {
            try {
              cb(receipt);
            } catch (err) {
              deps.logger.warn({ err }, 'sms receipt listener failed');
            }
          }
        });
      }
      return { id: msg.id, providerIds: [providerId], parts };
    },
    async close() {
      await chain;
    },
    onDeliveryReceipt(cb) {
      listeners.push(cb);
    },
  };
}
