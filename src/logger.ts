import { pino, type Logger } from 'pino';

/** createLogger: structured JSON logs (pino); constant messages, data in fields. */
export function createLogger(level: string = process.env.RISKSTREAM_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'riskstream' }, timestamp: pino.stdTimeFunctions.isoTime });
}
