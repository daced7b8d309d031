import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, type ErrorCode } from '../errors.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  IO_FAILED: 503,
  UNAVAILABLE: 503,
};

/** statusOf maps an error code to its HTTP status (400 for input problems). */
export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

/** installErrorHandlers renders every error as {"error": {code, message, details}} (CONTRACT.md §2). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      return reply.status(statusOf(err.code)).send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    const fe = err as FastifyError;
    let code: ErrorCode = 'INTERNAL';
    if (fe.statusCode === 413 || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') code = 'PAYLOAD_TOO_LARGE';
    else if (fe.statusCode === 415) code = 'UNSUPPORTED_MEDIA_TYPE';
    else if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError) code = 'INVALID_JSON';
    else if (fe.statusCode && fe.statusCode < 500) code = 'BAD_REQUEST';
    const status = code === 'INTERNAL' ? 500 : statusOf(code);
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.status(status).send({ error: { code, message: status >= 500 ? 'internal error' : fe.message, details: [] } });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}`, details: [] } }));
}
