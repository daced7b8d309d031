/** ERROR_CODES: every stable error code; usable as a metric label. */
export const ERROR_CODES = [
  // decode / ingest
  'INVALID_JSON',
  'INVALID_XML',
  'XML_DOCTYPE_FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'PROTOTYPE_KEY',
  'NOT_AN_OBJECT',
  'UNKNOWN_TYPE',
  'TYPE_TOPIC_MISMATCH',
  'VALIDATION_FAILED',
  'UNKNOWN_TOPIC',
  'TIMESTAMP_IN_FUTURE',
  'TIMESTAMP_OUT_OF_RANGE',
  'UNKNOWN_SITE',
  'SIMULATED_ON_LIVE',
  'SUBJECT_LIMIT',
  'TOO_DEEP',
  'UNSUPPORTED_MEDIA_TYPE',
  // api
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'BAD_REQUEST',
  'INTERNAL',
  // config / rules
  'CONFIG_INVALID',
  'RULES_INVALID',
  'REFERENCE_INVALID',
  // storage
  'JOURNAL_CORRUPT',
  'IO_FAILED',
  'UNAVAILABLE',
  // sms
  'SMS_FAILED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** ErrorDetail: one problem, named by its path. */
export interface ErrorDetail {
  path: string;
  message: string;
  code?: string;
  file?: string;
  /** where the value came from when not from a file: `env RISKSTREAM_HTTP_PORT`, `flag --port` */
  source?: string;
  /** where in `file` the problem is written (1-based) */
  line?: number;
  column?: number;
}

/** whereOf: `file:line:column: `, `file: `, `env NAME: ` or nothing, the prefix of a problem line. */
export function whereOf(d: ErrorDetail): string {
  if (d.source) return `${d.source}: `;
  if (!d.file) return '';
  return d.line !== undefined ? `${d.file}:${d.line}:${d.column ?? 1}: ` : `${d.file}: `;
}

/** AppError is the only error type the application throws. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: ErrorDetail[];
  constructor(code: ErrorCode, message: string, opts: { retryable?: boolean; cause?: unknown; details?: ErrorDetail[] } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? [];
  }
}
