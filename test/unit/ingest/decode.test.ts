import { describe, expect, it } from 'vitest';
import { decodeBody, decodeLine, mediaType } from '../../../src/ingest/decode.ts';
import { BILLION_LAUGHS, CAP_ALERT_ZH, GRID_EVENT, MINE_READING, SENT_MS } from './fixtures.ts';

const OPTS = { maxBytes: 64 * 1024 };
const MINE = 'risk.mine.telemetry';
const WARNINGS = 'risk.weather.warnings';
const ok = JSON.stringify(MINE_READING);

describe('decodeBody', () => {
  it.each([
    // JSON object, no content type
    { name: 'JSON without content type', topic: MINE, body: ok, ct: undefined, accepted: 1, codes: [] },
    // JSON array from a Buffer, with charset parameter
    { name: 'JSON array Buffer', topic: MINE, body: Buffer.from(`[${ok},${ok}]`), ct: 'application/json; charset=utf-8', accepted: 2, codes: [] },
    // NDJSON with a bad line: the good lines are still accepted
    { name: 'NDJSON', topic: MINE, body: `${ok}\n{bad\n${ok}\n`, ct: 'application/x-ndjson', accepted: 2, codes: ['INVALID_JSON'] },
    // NDJSON sent without the NDJSON content type is one malformed JSON body
    { name: 'NDJSON as JSON', topic: MINE, body: `${ok}\n${ok}`, ct: 'application/json', accepted: 0, codes: ['INVALID_JSON'] },
    // a body with a UTF-8 byte-order mark
    { name: 'BOM', topic: MINE, body: Buffer.from(`\uFEFF${ok}`), ct: 'application/json', accepted: 1, codes: [] },
    // CAP by content type
    { name: 'CAP application/cap+xml', topic: WARNINGS, body: CAP_ALERT_ZH, ct: 'application/cap+xml', accepted: 1, codes: [] },
    // CAP by application/xml, as a Buffer
    { name: 'CAP application/xml', topic: WARNINGS, body: Buffer.from(CAP_ALERT_ZH), ct: 'application/xml', accepted: 1, codes: [] },
    // CAP by text/xml with charset
    { name: 'CAP text/xml', topic: WARNINGS, body: CAP_ALERT_ZH, ct: 'text/xml; charset=UTF-8', accepted: 1, codes: [] },
    // CAP sniffed: body starts with "<" on the warnings topic, whatever the content type says
    { name: 'CAP sniffed', topic: WARNINGS, body: `\n${CAP_ALERT_ZH}`, ct: 'application/json', accepted: 1, codes: [] },
    // XML on another topic is refused
    { name: 'XML on mine topic', topic: MINE, body: CAP_ALERT_ZH, ct: 'application/xml', accepted: 0, codes: ['UNSUPPORTED_MEDIA_TYPE'] },
    // "<" on another topic is simply malformed JSON
    { name: 'XML sniff only on warnings', topic: MINE, body: CAP_ALERT_ZH, ct: undefined, accepted: 0, codes: ['INVALID_JSON'] },
    // entity expansion refused before parsing
    { name: 'billion laughs', topic: WARNINGS, body: BILLION_LAUGHS, ct: 'application/cap+xml', accepted: 0, codes: ['XML_DOCTYPE_FORBIDDEN'] },
    // a topic that does not exist
    { name: 'unknown topic', topic: 'risk.mine.gas', body: ok, ct: 'application/json', accepted: 0, codes: ['UNKNOWN_TOPIC'] },
    // a prototype-inherited name is not a topic
    { name: 'topic "constructor"', topic: 'constructor', body: ok, ct: undefined, accepted: 0, codes: ['UNKNOWN_TOPIC'] },
    // a grid event on the mine topic
    { name: 'wrong type for topic', topic: MINE, body: JSON.stringify(GRID_EVENT), ct: undefined, accepted: 0, codes: ['TYPE_TOPIC_MISMATCH'] },
  ])('$name', ({ topic, body, ct, accepted, codes }) => {
    const d = decodeBody(topic, body, ct, OPTS);
    expect(d.events).toHaveLength(accepted);
    expect(d.rejections.map((r) => r.code)).toEqual(codes);
  });

  it.each([
    // a JSON body over the limit
    { name: 'JSON', topic: MINE, body: `[${Array(2000).fill(ok).join(',')}]`, ct: 'application/json' },
    // a CAP body over the limit, counted in bytes not characters
    { name: 'CAP', topic: WARNINGS, body: CAP_ALERT_ZH.replace('<description>', `<description>${'雨'.repeat(22_000)}`), ct: 'application/cap+xml' },
  ])('$name over maxBytes → PAYLOAD_TOO_LARGE with a bounded original', ({ topic, body, ct }) => {
    const d = decodeBody(topic, body, ct, OPTS);
    expect(d.rejections).toMatchObject([{ index: 0, code: 'PAYLOAD_TOO_LARGE' }]);
    expect(d.rejections[0]?.original.length).toBeLessThanOrEqual(4096);
  });

  it('keeps the CAP document as the original of a CAP rejection', () => {
    const xml = CAP_ALERT_ZH.replace('<status>Actual</status>', '<status>Live</status>');
    const d = decodeBody(WARNINGS, xml, 'application/cap+xml', OPTS);
    expect(d.rejections[0]).toMatchObject({ code: 'VALIDATION_FAILED', path: 'status', original: xml });
  });

  it.each([
    // parameters and case are dropped
    { ct: 'Application/CAP+XML; charset=utf-8', media: 'application/cap+xml' },
    // missing
    { ct: undefined, media: '' },
  ])('mediaType($ct) = $media', ({ ct, media }) => {
    expect(mediaType(ct)).toBe(media);
  });
});

describe('decodeLine (event files, CONTRACT.md §1)', () => {
  it.each([
    // a bare event: no topic
    { name: 'bare event', line: ok, topic: undefined, type: 'mine.reading' },
    // the wrapped form names its topic
    { name: 'wrapped event', line: JSON.stringify({ topic: MINE, event: MINE_READING }), topic: MINE, type: 'mine.reading' },
    // a CAP document in a JSON string
    { name: 'CAP xml line', line: JSON.stringify({ topic: WARNINGS, xml: CAP_ALERT_ZH }), topic: WARNINGS, type: 'weather.warning' },
    // the xml form without topic still means the warnings topic
    { name: 'CAP xml without topic', line: JSON.stringify({ xml: CAP_ALERT_ZH }), topic: WARNINGS, type: 'weather.warning' },
    // trailing CR from a CRLF file
    { name: 'CRLF line', line: `${ok}\r`, topic: undefined, type: 'mine.reading' },
  ])('$name', ({ line, topic, type }) => {
    const r = decodeLine(line, 4);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.topic).toBe(topic);
    expect(r.event.type).toBe(type);
  });

  it('parses CAP times to ms', () => {
    const r = decodeLine(JSON.stringify({ topic: WARNINGS, xml: CAP_ALERT_ZH }), 0);
    expect(r.ok && r.event.type === 'weather.warning' ? r.event.sent : undefined).toBe(SENT_MS);
  });

  it.each([
    // not JSON
    { name: 'malformed', line: '{"topic":', code: 'INVALID_JSON', path: '' },
    // wrapped event on the wrong topic
    { name: 'wrapped mismatch', line: JSON.stringify({ topic: 'risk.grid.telemetry', event: MINE_READING }), code: 'TYPE_TOPIC_MISMATCH', path: 'type' },
    // wrapped event on an unknown topic
    { name: 'unknown wrapper topic', line: JSON.stringify({ topic: 'risk.x', event: MINE_READING }), code: 'UNKNOWN_TOPIC', path: 'topic' },
    // CAP on a non-warnings topic
    { name: 'xml on mine topic', line: JSON.stringify({ topic: MINE, xml: CAP_ALERT_ZH }), code: 'UNSUPPORTED_MEDIA_TYPE', path: 'topic' },
    // xml that is not a string
    { name: 'xml not a string', line: JSON.stringify({ topic: WARNINGS, xml: 1 }), code: 'INVALID_XML', path: 'xml' },
    // entity expansion inside an event file
    { name: 'billion laughs line', line: JSON.stringify({ topic: WARNINGS, xml: BILLION_LAUGHS }), code: 'XML_DOCTYPE_FORBIDDEN', path: '' },
    // wrapped event invalid
    { name: 'wrapped invalid', line: JSON.stringify({ topic: MINE, event: { ...MINE_READING, value: 'high' } }), code: 'VALIDATION_FAILED', path: 'value' },
    // neither an event nor a wrapper
    { name: 'no type', line: '{"topic":"risk.mine.telemetry"}', code: 'UNKNOWN_TYPE', path: 'type' },
    // a line that is an array
    { name: 'array line', line: `[${ok}]`, code: 'NOT_AN_OBJECT', path: '' },
    // prototype key in a bare event
    { name: '__proto__', line: '{"type":"mine.reading","__proto__":{}}', code: 'PROTOTYPE_KEY', path: '__proto__' },
  ])('$name → $code', ({ line, code, path }) => {
    const r = decodeLine(line, 9);
    expect(r.ok ? undefined : r.rejection).toMatchObject({ index: 9, code, path });
  });
});
