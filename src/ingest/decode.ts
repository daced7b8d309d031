import { TOPIC_TYPES, type Event } from '../contracts/events.ts';
import type { ErrorCode } from '../errors.ts';
import type { Rejection } from '../ports/index.ts';
import { parseCap } from './cap.ts';
import { decodeJson, invalidJson, type Decoded } from './json.ts';
import { isPlainObject, validateEvent } from './validate.ts';

export type { Decoded } from './json.ts';

/** CAP_TOPIC: the only topic that accepts CAP 1.2 XML. */
export const CAP_TOPIC = 'risk.weather.warnings';

/** DEFAULT_MAX_CAP_BYTES: size limit for a CAP document inside an event-file line (1 MiB). */
export const DEFAULT_MAX_CAP_BYTES = 1024 * 1024;

/** ORIGINAL_PREFIX_CHARS: how much of an oversized body is kept as the rejection's `original`. */
export const ORIGINAL_PREFIX_CHARS = 4096;

const CAP_MEDIA = new Set(['application/cap+xml', 'application/xml', 'text/xml']);
const NDJSON_MEDIA = new Set(['application/x-ndjson', 'application/ndjson']);

/** DecodeOptions: limits of the decode stage. */
export interface DecodeOptions {
  /** largest accepted body in bytes (UTF-8); larger bodies are PAYLOAD_TOO_LARGE */
  maxBytes: number;
}

/** LineResult: one event-file line decoded, with the topic it named (if any). */
export type LineResult = { ok: true; topic: string | undefined; event: Event } | { ok: false; rejection: Rejection };

function whole(code: ErrorCode, message: string, original: string, path = '', index = 0): Rejection {
  return { index, code, path, message, details: [], original };
}

function only(rejection: Rejection): Decoded {
  return { events: [], rejections: [rejection] };
}

/** mediaType lower-cases a Content-Type and drops its parameters ("; charset=utf-8"). */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function startsWithLt(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // whitespace and a byte-order mark may precede the first tag
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff) continue;
    return c === 0x3c;
  }
  return false;
}

function decodeCap(xml: string, topic: string, maxBytes: number, index: number, original: string): Decoded {
  const cap = parseCap(xml, maxBytes);
  if (!cap.ok) return only(whole(cap.code, cap.message, original, cap.path, index));
  const r = validateEvent(cap.warning, topic, index, original);
  return r.ok ? { events: [r.event], rejections: [] } : only(r.rejection);
}

/**
 * decodeBody turns one request body (POST /api/v1/events/{topic}) into validated events and
 * rejections. `application/x-ndjson` → NDJSON; `application/cap+xml`, `application/xml`,
 * `text/xml` → CAP 1.2 (only on risk.weather.warnings); anything else → JSON, except that a
 * body starting with `<` on risk.weather.warnings is read as CAP.
 *
 * @example
 * const { events, rejections } = decodeBody('risk.mine.telemetry', req.body, req.headers['content-type'], { maxBytes: 4 << 20 });
 */
export function decodeBody(
  topic: string,
  body: Buffer | string,
  contentType: string | undefined,
  opts: DecodeOptions,
): Decoded {
  const bytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (bytes > opts.maxBytes) {
    const prefix = typeof body === 'string' ? body.slice(0, ORIGINAL_PREFIX_CHARS) : body.subarray(0, ORIGINAL_PREFIX_CHARS).toString('utf8');
    return only(whole('PAYLOAD_TOO_LARGE', `body is ${bytes} bytes, over the limit of ${opts.maxBytes}`, prefix));
  }
  let text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!Object.hasOwn(TOPIC_TYPES, topic)) {
    return only(whole('UNKNOWN_TOPIC', `unknown topic ${JSON.stringify(topic.slice(0, 100))}; expected one of ${Object.keys(TOPIC_TYPES).join(', ')}`, text));
  }
  const media = mediaType(contentType);
  if (CAP_MEDIA.has(media)) {
    if (topic !== CAP_TOPIC) return only(whole('UNSUPPORTED_MEDIA_TYPE', `${media} is only accepted on ${CAP_TOPIC}`, text));
    return decodeCap(text, topic, opts.maxBytes, 0, text);
  }
  if (NDJSON_MEDIA.has(media)) return decodeJson(text, topic, 'ndjson');
  if (topic === CAP_TOPIC && startsWithLt(text)) return decodeCap(text, topic, opts.maxBytes, 0, text);
  return decodeJson(text, topic, 'json');
}

function lineFailure(rejection: Rejection): LineResult {
  return { ok: false, rejection };
}

/**
 * decodeLine decodes one line of an NDJSON event file (backtest, replay; CONTRACT.md §1): a bare
 * event, `{"topic": "...", "event": {...}}`, or `{"topic": "risk.weather.warnings", "xml": "<alert ...>"}`.
 * `topic` is the wrapper's topic, undefined for a bare event.
 *
 * @example
 * const r = decodeLine('{"topic":"risk.mine.telemetry","event":{...}}', 7);
 */
export function decodeLine(line: string, index: number, opts: DecodeOptions = { maxBytes: DEFAULT_MAX_CAP_BYTES }): LineResult {
  const text = line.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return lineFailure(invalidJson(index, err, text));
  }
  if (!isPlainObject(parsed) || Object.hasOwn(parsed, 'type')) {
    const r = validateEvent(parsed, undefined, index, text);
    return r.ok ? { ok: true, topic: undefined, event: r.event } : r;
  }
  const hasTopic = Object.hasOwn(parsed, 'topic');
  const topic = parsed.topic;
  if (hasTopic && (typeof topic !== 'string' || !Object.hasOwn(TOPIC_TYPES, topic))) {
    return lineFailure(whole('UNKNOWN_TOPIC', `topic: unknown topic ${JSON.stringify(topic)?.slice(0, 100)}`, text, 'topic', index));
  }
  const lineTopic = hasTopic ? (topic as string) : undefined;
  if (Object.hasOwn(parsed, 'xml')) {
    const xml = parsed.xml;
    if (typeof xml !== 'string') return lineFailure(whole('INVALID_XML', 'xml: expected a CAP XML string', text, 'xml', index));
    if (lineTopic !== undefined && lineTopic !== CAP_TOPIC) {
      return lineFailure(whole('UNSUPPORTED_MEDIA_TYPE', `xml: CAP XML is only accepted on ${CAP_TOPIC}`, text, 'topic', index));
    }
    const d = decodeCap(xml, CAP_TOPIC, opts.maxBytes, index, text);
    const event = d.events[0];
    return event !== undefined ? { ok: true, topic: CAP_TOPIC, event } : lineFailure(d.rejections[0] as Rejection);
  }
  if (Object.hasOwn(parsed, 'event')) {
    const r = validateEvent(parsed.event, lineTopic, index, text);
    return r.ok ? { ok: true, topic: lineTopic, event: r.event } : r;
  }
  // neither wrapper form: validate it as a bare event (it has no type, so this reports why)
  const r = validateEvent(parsed, undefined, index, text);
  return r.ok ? { ok: true, topic: undefined, event: r.event } : r;
}
