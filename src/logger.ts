import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { AppError } from './errors.ts';

/** LEVELS: the log levels a logger may be given. */
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** PHONE_FIELDS: log fields that hold a phone number (masked by redact, at the top level and one level down). */
const PHONE_FIELDS = ['to', 'phone', 'msisdn', 'recipient'];

/**
 * maskPhone keeps the country code and network prefix and the last four digits of a phone number:
 * +8613900000001 → +86139****0001, 13900000001 → 139****0001. Anything shorter than 8 characters
 * becomes ****.
 */
export function maskPhone(s: string): string {
  if (s.length < 8) return '****';
  return `${s.slice(0, s.length - 8)}****${s.slice(-4)}`;
}

/**
 * PHONE_IN_TEXT: phone numbers inside free text (an error message, an SMS text naming a contact): a
 * Chinese mobile number (11 digits from 13…19, optionally +86/86 before it) or any E.164 number
 * (+ and 8–15 digits). Longer digit runs (timestamps in ms, ids) are left alone.
 */
const PHONE_IN_TEXT = /(?<![\d+])(?:\+?86)?1[3-9]\d{9}(?!\d)|(?<![\d+])\+\d{8,15}(?!\d)/g;

const HAS_PHONE = new RegExp(PHONE_IN_TEXT.source);

/** maskPhonesIn masks every phone number found in a text. */
export function maskPhonesIn(text: string): string {
  return text.replace(PHONE_IN_TEXT, maskPhone);
}

function censor(v: unknown): unknown {
  if (typeof v === 'string') return maskPhone(v);
  if (Array.isArray(v)) return v.map(censor);
  return v;
}

function maskValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return HAS_PHONE.test(v) ? maskPhonesIn(v) : v;
  if (v instanceof Error) {
    // the message, the stack and whatever the error carries (a gateway's `details` echoing the request)
    const e = Object.create(Object.getPrototypeOf(v) as object) as Error & Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) e[k] = maskValue(x, Math.max(depth, 3));
    Object.defineProperty(e, 'message', { value: maskPhonesIn(v.message), enumerable: false, writable: true, configurable: true });
    Object.defineProperty(e, 'stack', { value: maskPhonesIn(v.stack ?? ''), enumerable: false, writable: true, configurable: true });
    if (v.cause !== undefined) Object.defineProperty(e, 'cause', { value: maskValue(v.cause, Math.max(depth - 1, 0)), enumerable: false, writable: true, configurable: true });
    return e;
  }
  if (depth > 0 && Array.isArray(v)) return v.map((x) => maskValue(x, depth - 1));
  if (depth > 0 && v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = maskValue(x, depth - 1);
    return out;
  }
  return v;
}

/**
 * LOG_OPTIONS: what every riskstream logger shares: the level as a name (`"level":"info"`, as log
 * shippers and Loki/Elastic expect), ISO timestamps, and phone numbers masked — fields named
 * to/phone/msisdn/recipient by pino's redact, and numbers inside other text (messages, error
 * messages, SMS texts) by the log formatter.
 */
export const LOG_OPTIONS: LoggerOptions = {
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: {
    level: (label) => ({ level: label }),
    log: (obj) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) out[k] = maskValue(v, 2);
      return out;
    },
  },
  redact: { paths: PHONE_FIELDS.flatMap((f) => [f, `*.${f}`]), censor },
  hooks: {
    // the message itself (pino's `msg`) is free text too
    logMethod(args, method) {
      const a = args as unknown[];
      for (let i = 0; i < a.length; i++) if (typeof a[i] === 'string') a[i] = maskPhonesIn(a[i] as string);
      return method.apply(this, a as Parameters<typeof method>);
    },
  },
};

/** createLogger: structured JSON logs (pino); constant messages, data in fields. */
export function createLogger(level: string = process.env.RISKSTREAM_LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  // a misspelt level is a configuration error (exit 2), not a crash a supervisor restarts in a loop
  if (!LEVELS.includes(level)) throw new AppError('CONFIG_INVALID', `RISKSTREAM_LOG_LEVEL: ${JSON.stringify(level)} is not a log level (one of ${LEVELS.join(', ')})`);
  const opts: LoggerOptions = { ...LOG_OPTIONS, level, base: { svc: 'riskstream' } };
  return destination ? pino(opts, destination) : pino(opts);
}
