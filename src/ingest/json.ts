import type { Event } from '../contracts/events.ts';
import type { Rejection } from '../ports/index.ts';
import { depthExceeds, jsonDepthExceeds, MAX_DEPTH, mayHaveForbiddenKey, reject, safeStringify, validateEvent } from './validate.ts';

/** Decoded: the events accepted from one body and the items refused, each with its index. */
export interface Decoded {
  events: Event[];
  rejections: Rejection[];
}

/** JsonKind: a JSON body (one object or an array) or NDJSON (one object per non-empty line). */
export type JsonKind = 'json' | 'ndjson';

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** invalidJson builds the INVALID_JSON rejection for text that JSON.parse refused. */
export function invalidJson(index: number, err: unknown, original: string, where = ''): Rejection {
  return {
    index,
    code: 'INVALID_JSON',
    path: '',
    message: `${where}invalid JSON: ${errorMessage(err)}`,
    details: [],
    original,
  };
}

/**
 * decodeJson parses a JSON or NDJSON body and validates every item against `topic`.
 * JSON: one object (index 0) or an array (index = element position); malformed JSON is one
 * INVALID_JSON rejection at index 0. NDJSON: index = position among the non-empty lines; a
 * malformed line is refused alone and the other lines are still accepted.
 *
 * @example
 * decodeJson('{"type":"mine.reading",...}', 'risk.mine.telemetry', 'json');
 */
export function decodeJson(text: string, topic: string | undefined, kind: JsonKind): Decoded {
  const out: Decoded = { events: [], rejections: [] };
  if (kind === 'ndjson') decodeNdjsonInto(text, topic, out);
  else decodeJsonInto(text, topic, out);
  return out;
}

function decodeJsonInto(text: string, topic: string | undefined, out: Decoded): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    out.rejections.push(invalidJson(0, err, text));
    return;
  }
  // one pass over the text: only a body that nests too deeply pays for a walk per item
  const deep = jsonDepthExceeds(text, MAX_DEPTH + 1);
  if (!Array.isArray(parsed)) {
    if (deep) out.rejections.push(tooDeep(0, text));
    else push(validateEvent(parsed, topic, 0, text), out);
    return;
  }
  // Element texts only feed the prototype-key pre-check when the body itself looks suspicious;
  // otherwise they are produced only for rejections, keeping the accepted path allocation-light.
  const suspicious = mayHaveForbiddenKey(text);
  for (let i = 0; i < parsed.length; i++) {
    const el: unknown = parsed[i];
    if (deep && depthExceeds(el, MAX_DEPTH)) {
      out.rejections.push(tooDeep(i, ''));
      continue;
    }
    const r = validateEvent(el, topic, i, suspicious ? safeStringify(el) : '');
    if (!r.ok && !suspicious) r.rejection.original = safeStringify(el);
    push(r, out);
  }
}

function decodeNdjsonInto(text: string, topic: string | undefined, out: Decoded): void {
  let index = 0;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      out.rejections.push(invalidJson(index++, err, line, `line ${lineNo}: `));
      continue;
    }
    if (jsonDepthExceeds(line, MAX_DEPTH)) {
      out.rejections.push(tooDeep(index++, line));
      continue;
    }
    push(validateEvent(parsed, topic, index++, line), out);
  }
}

/** tooDeep: the TOO_DEEP rejection; the original is kept only in part (it may be megabytes of brackets). */
function tooDeep(index: number, original: string): Rejection {
  const kept = original.length > 4096 ? `${original.slice(0, 4096)}…[${original.length} characters]` : original;
  return reject(index, 'TOO_DEEP', '', `item nests objects/arrays deeper than ${MAX_DEPTH} levels`, kept).rejection;
}

function push(r: ReturnType<typeof validateEvent>, out: Decoded): void {
  if (r.ok) out.events.push(r.event);
  else out.rejections.push(r.rejection);
}
