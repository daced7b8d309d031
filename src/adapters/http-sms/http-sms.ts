import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import { countSmsParts } from '../../domain/segments.ts';
import type { SmsGateway, SmsMessage, SmsResult } from '../../ports/index.ts';

/** HttpSmsGatewayDeps: an HTTP SMS provider (config `sms.url`). */
export interface HttpSmsGatewayDeps {
  url: string;
  logger?: Logger;
  /** per-request timeout; default 10 000 ms */
  timeoutMs?: number;
  /** extra headers, e.g. an Authorization the provider needs */
  headers?: Record<string, string>;
  /** default: the global fetch */
  fetch?: typeof fetch;
}

/** RETRYABLE_STATUS: 4xx answers that mean "later", not "never". */
const RETRYABLE_STATUS = new Set([408, 425, 429]);

function statusError(status: number, body: string, retryAfter: string | null): AppError {
  const retryable = status >= 500 || RETRYABLE_STATUS.has(status);
  const details = [{ path: 'status', message: `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`, code: String(status) }];
  if (retryAfter) details.push({ path: 'retry-after', message: retryAfter, code: 'RETRY_AFTER' });
  return new AppError('SMS_FAILED', `SMS provider answered HTTP ${status}`, { retryable, details });
}

/** providerIdsOf reads message ids from a JSON answer (`id`, `messageId`, `messageIds`, `providerIds`) if any. */
function providerIdsOf(body: string): string[] {
  if (!body) return [];
  try {
    const v = JSON.parse(body) as Record<string, unknown>;
    if (!v || typeof v !== 'object') return [];
    for (const k of ['providerIds', 'messageIds']) {
      const a = v[k];
      if (Array.isArray(a)) return a.map(String);
    }
    for (const k of ['messageId', 'id']) {
      const s = v[k];
      if (typeof s === 'string' || typeof s === 'number') return [String(s)];
    }
  } catch {
    // a 2xx with a non-JSON body is still "sent"
  }
  return [];
}

/**
 * createHttpSmsGateway posts `{"id", "to", "text"}` as JSON to the provider URL, with the id also
 * in an `Idempotency-Key` header so the provider can drop a retried duplicate; 2xx = sent.
 * Network errors, timeouts, 408/425/429 and 5xx are retryable; any other status is permanent.
 */
export function createHttpSmsGateway(deps: HttpSmsGatewayDeps): SmsGateway {
  let url: URL;
  try {
    url = new URL(deps.url);
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `sms.url (${deps.url}) is not a URL`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('CONFIG_INVALID', `sms.url (${deps.url}) must be http:// or https://`);
  }
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? 10_000;

  return {
    async send(msg: SmsMessage): Promise<SmsResult> {
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'idempotency-key': msg.id, ...deps.headers },
          body: JSON.stringify({ id: msg.id, to: msg.to, text: msg.text }),
          signal: AbortSignal.timeout(timeoutMs),
          // a redirect means a wrong URL: report the 3xx (permanent) instead of re-posting elsewhere
          redirect: 'manual',
        });
      } catch (cause) {
        const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
        throw new AppError('SMS_FAILED', timedOut ? `SMS provider did not answer within ${timeoutMs} ms` : 'SMS provider unreachable', {
          retryable: true,
          cause,
        });
      }
      let body = '';
      try {
        body = await res.text();
      } catch (cause) {
        // the status is what counts; a body cut off by the timeout is retried only when not 2xx
        if (!res.ok) throw new AppError('SMS_FAILED', `SMS provider answered HTTP ${res.status}`, { retryable: true, cause });
      }
      if (!res.ok) {
        const err = statusError(res.status, body, res.headers.get('retry-after'));
        deps.logger?.debug({ smsId: msg.id, status: res.status }, 'sms provider refused');
        throw err;
      }
      return { id: msg.id, providerIds: providerIdsOf(body), parts: countSmsParts(msg.text) };
    },
    async close() {
      // stateless: fetch keeps no connection we own
    },
  };
}
