import { AppError } from '../../errors.ts';
import type { SmsGateway, SmsMessage, SmsResult } from '../../ports/index.ts';

/** MemorySmsGateway: keeps sent texts in memory (unit tests and embedded checks); can be told to fail. */
export interface MemorySmsGateway extends SmsGateway {
  sent: SmsMessage[];
  /** the next `n` sends fail with a retryable error */
  failNext(n: number): void;
}

/** createMemorySmsGateway builds the in-memory SMS adapter. */
export function createMemorySmsGateway(): MemorySmsGateway {
  let failures = 0;
  const sent: SmsMessage[] = [];
  return {
    sent,
    failNext(n) {
      failures = n;
    },
    async send(msg): Promise<SmsResult> {
      if (failures > 0) {
        failures--;
        throw new AppError('SMS_FAILED', 'memory gateway told to fail', { retryable: true });
      }
      sent.push(msg);
      return { id: msg.id, providerIds: [`mem-${sent.length}`], parts: 1 };
    },
    async close() {},
  };
}
