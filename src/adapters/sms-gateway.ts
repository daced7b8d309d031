import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../contracts/config.ts';
import { AppError } from '../errors.ts';
import type { SmsGateway } from '../ports/index.ts';
import { createLogSmsGateway } from './log-sms/log-sms.ts';
import { createHttpSmsGateway } from './http-sms/http-sms.ts';
import { createSmppGateway } from './smpp/smpp-gateway.ts';

/** createSmsGateway picks the SMS adapter the configuration names (`sms.provider`). */
export function createSmsGateway(config: Config, logger: Logger): SmsGateway {
  const sms = config.sms;
  switch (sms.provider) {
    case 'log':
      return createLogSmsGateway({ logger, outboxFile: join(config.dataDir, 'sms-outbox.ndjson') });
    case 'http':
      if (!sms.url) throw new AppError('CONFIG_INVALID', 'sms.url is required when sms.provider is http', { details: [{ path: 'sms.url', message: 'required for provider http' }] });
      return createHttpSmsGateway({ url: sms.url, logger });
    case 'smpp':
      if (!sms.smpp) throw new AppError('CONFIG_INVALID', 'sms.smpp is required when sms.provider is smpp', { details: [{ path: 'sms.smpp', message: 'required for provider smpp' }] });
      return createSmppGateway({ ...sms.smpp, logger });
  }
}
