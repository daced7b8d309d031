import { describe, expect, it } from 'vitest';
import { decodeJson } from '../../../src/ingest/json.ts';
import { MINE_READING } from './fixtures.ts';

const MINE = 'risk.mine.telemetry';
const ok = JSON.stringify(MINE_READING);
const noValue = JSON.stringify({ ...MINE_READING, value: undefined });
const power = JSON.stringify({ type: 'mine.power', siteId: 'mine-shm-01', areaId: '1201', state: 'off', ts: 1721093400000 });

describe('decodeJson', () => {
  it.each([
    // one object: one event
    { name: 'single object', text: ok, kind: 'json', accepted: 1, rejected: [] },
    // an array: every element validated, the bad one reported by its index, the rest accepted
    { name: 'array with one bad element', text: `[${ok},${noValue},${power}]`, kind: 'json', accepted: 2, rejected: [{ index: 1, code: 'VALIDATION_FAILED', path: 'value' }] },
    // an empty array is nothing to do, not an error
    { name: 'empty array', text: '[]', kind: 'json', accepted: 0, rejected: [] },
    // malformed JSON: one rejection for the whole body
    { name: 'malformed JSON', text: `[${ok},{"type":`, kind: 'json', accepted: 0, rejected: [{ index: 0, code: 'INVALID_JSON', path: '' }] },
    // an empty body is malformed JSON
    { name: 'empty body', text: '', kind: 'json', accepted: 0, rejected: [{ index: 0, code: 'INVALID_JSON' }] },
    // a JSON scalar is not an event
    { name: 'scalar', text: '42', kind: 'json', accepted: 0, rejected: [{ index: 0, code: 'NOT_AN_OBJECT' }] },
    // NDJSON: a bad line is refused alone; blank lines and CRLF are ignored, indexes count items
    { name: 'NDJSON with a bad line', text: `${ok}\r\n\r\n{not json}\r\n${power}\n`, kind: 'ndjson', accepted: 2, rejected: [{ index: 1, code: 'INVALID_JSON', path: '' }] },
    // NDJSON: a valid line with a schema problem keeps its item index
    { name: 'NDJSON with an invalid event', text: `${ok}\n${ok}\n${noValue}`, kind: 'ndjson', accepted: 2, rejected: [{ index: 2, code: 'VALIDATION_FAILED', path: 'value' }] },
    // NDJSON without a trailing newline
    { name: 'NDJSON one line', text: ok, kind: 'ndjson', accepted: 1, rejected: [] },
  ] as const)('$name', ({ text, kind, accepted, rejected }) => {
    const d = decodeJson(text, MINE, kind);
    expect(d.events).toHaveLength(accepted);
    expect(d.rejections).toHaveLength(rejected.length);
    rejected.forEach((want, i) => expect(d.rejections[i]).toMatchObject(want));
  });

  it('includes the parser message for malformed JSON', () => {
    const d = decodeJson('{"type": mine}', MINE, 'json');
    expect(d.rejections[0]?.message).toMatch(/^invalid JSON: .*Unexpected token/);
    expect(d.rejections[0]?.original).toBe('{"type": mine}');
  });

  it('names the physical line of a malformed NDJSON line', () => {
    const d = decodeJson(`${ok}\n\n{oops`, MINE, 'ndjson');
    expect(d.rejections[0]).toMatchObject({ index: 1, original: '{oops' });
    expect(d.rejections[0]?.message).toMatch(/^line 3: invalid JSON: /);
  });

  it.each([
    // array element: original is that element re-serialised
    { name: 'array element', text: `[${ok},${noValue}]`, kind: 'json', original: noValue },
    // NDJSON: the line text
    { name: 'NDJSON line', text: `${ok}\n  ${noValue}  `, kind: 'ndjson', original: noValue },
    // single object: the body
    { name: 'single object', text: noValue, kind: 'json', original: noValue },
  ] as const)('keeps the original text of a rejected $name', ({ text, kind, original }) => {
    expect(decodeJson(text, MINE, kind).rejections[0]?.original).toBe(original);
  });

  it('rejects a __proto__ key inside one array element only', () => {
    const bad = '{"type":"mine.reading","__proto__":{"admin":true}}';
    const d = decodeJson(`[${ok},${bad}]`, MINE, 'json');
    expect(d.events).toHaveLength(1);
    expect(d.rejections[0]).toMatchObject({ index: 1, code: 'PROTOTYPE_KEY', path: '__proto__' });
  });
});
