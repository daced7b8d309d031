import { describe, expect, it } from 'vitest';
import { findForbiddenKey, mayHaveForbiddenKey, validateEvent } from '../../../src/ingest/validate.ts';
import { GRID_EVENT, MINE_READING } from './fixtures.ts';

const MINE = 'risk.mine.telemetry';

function withoutKey(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

describe('validateEvent: accepted events', () => {
  it.each([
    // a valid mine.reading on its topic
    { name: 'mine.reading on risk.mine.telemetry', obj: MINE_READING, topic: MINE },
    // without a topic only the type's schema applies (event files)
    { name: 'mine.reading without topic', obj: MINE_READING, topic: undefined },
    // producers may add fields; they are kept
    { name: 'extra producer field', obj: { ...MINE_READING, vendor: 'KJ90X' }, topic: MINE },
    // "constructor" as a string value (not a key) triggers the pre-check walk but is fine
    { name: 'forbidden word as a value', obj: { ...MINE_READING, sensorId: 'constructor' }, topic: MINE },
  ])('$name', ({ obj, topic }) => {
    const r = validateEvent(obj, topic, 0, JSON.stringify(obj));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.event.type).toBe('mine.reading');
  });

  it.each([
    // ISO-8601 with offset is parsed to epoch ms
    { name: 'ISO with +08:00', ts: '2024-07-16T09:30:00+08:00', ms: 1721093400000 },
    // the same instant given in UTC
    { name: 'ISO with Z', ts: '2024-07-16T01:30:00Z', ms: 1721093400000 },
    // epoch milliseconds pass through
    { name: 'epoch ms', ts: 1721093400000, ms: 1721093400000 },
  ])('timestamp $name parses to ms', ({ ts, ms }) => {
    const obj = { ...MINE_READING, ts };
    const r = validateEvent(obj, MINE, 0, JSON.stringify(obj));
    expect(r.ok && r.event.type === 'mine.reading' ? r.event.ts : undefined).toBe(ms);
  });

  it('keeps producer fields on the parsed event', () => {
    const obj = { ...MINE_READING, vendor: 'KJ90X' };
    const r = validateEvent(obj, MINE, 0, JSON.stringify(obj));
    expect(r.ok && (r.event as Record<string, unknown>).vendor).toBe('KJ90X');
  });
});

describe('validateEvent: rejections', () => {
  it.each([
    // missing required field: names the field in path and message
    {
      name: 'missing value',
      obj: withoutKey(MINE_READING, 'value'),
      topic: MINE,
      code: 'VALIDATION_FAILED',
      path: 'value',
      message: 'value: Invalid input: expected number, received undefined',
    },
    // missing timestamp (a union of ISO string and epoch ms): both alternatives are named
    {
      name: 'missing ts',
      obj: withoutKey(MINE_READING, 'ts'),
      topic: MINE,
      code: 'VALIDATION_FAILED',
      path: 'ts',
      message: 'ts: Invalid input: expected string, received undefined or expected number, received undefined',
    },
    // wrong enum value
    {
      name: 'unknown sensorType',
      obj: { ...MINE_READING, sensorType: 'XX' },
      topic: MINE,
      code: 'VALIDATION_FAILED',
      path: 'sensorType',
      message: undefined,
    },
    // a timestamp without offset is not accepted
    {
      name: 'timestamp without offset',
      obj: { ...MINE_READING, ts: '2024-07-16 09:30:00' },
      topic: MINE,
      code: 'VALIDATION_FAILED',
      path: 'ts',
      message: undefined,
    },
    // a grid event posted to the mine topic
    { name: 'wrong type for topic', obj: GRID_EVENT, topic: MINE, code: 'TYPE_TOPIC_MISMATCH', path: 'type', message: undefined },
    // a type nobody knows
    { name: 'unknown type', obj: { ...MINE_READING, type: 'mine.gas' }, topic: MINE, code: 'UNKNOWN_TYPE', path: 'type', message: undefined },
    // no type at all
    { name: 'missing type', obj: withoutKey(MINE_READING, 'type'), topic: MINE, code: 'UNKNOWN_TYPE', path: 'type', message: undefined },
    // arrays, strings and null are not events
    { name: 'array', obj: [MINE_READING], topic: MINE, code: 'NOT_AN_OBJECT', path: '', message: undefined },
    { name: 'string', obj: 'mine.reading', topic: MINE, code: 'NOT_AN_OBJECT', path: '', message: undefined },
    { name: 'null', obj: null, topic: MINE, code: 'NOT_AN_OBJECT', path: '', message: undefined },
    // a topic that does not exist
    { name: 'unknown topic', obj: MINE_READING, topic: 'risk.nope', code: 'UNKNOWN_TOPIC', path: '', message: undefined },
  ])('$name → $code', ({ obj, topic, code, path, message }) => {
    const original = JSON.stringify(obj);
    const r = validateEvent(obj, topic, 3, original);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection).toMatchObject({ index: 3, code, path, original });
    if (message !== undefined) expect(r.rejection.message).toBe(message);
    expect(r.rejection.message).toContain(path === '' ? '' : `${path}:`);
  });

  it('lists every zod issue in details', () => {
    const obj = { ...withoutKey(MINE_READING, 'value'), unit: '' };
    const r = validateEvent(obj, MINE, 0, JSON.stringify(obj));
    expect(r.ok ? [] : r.rejection.details.map((d) => d.path).sort()).toEqual(['unit', 'value']);
    expect(r.ok ? undefined : r.rejection.details[0]).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('reports nested paths joined with dots', () => {
    const obj = {
      type: 'weather.warning', id: 'w1', sender: 's', sent: 1721091600000, status: 'Actual', msgType: 'Alert', event: '暴雨',
      level: 'red', onset: 1721091600000, expires: 1721095200000, area: { polygons: [[[38, 107], [38.1, 'x'], [38.2, 107]]] },
    };
    const r = validateEvent(obj, 'risk.weather.warnings', 0, JSON.stringify(obj));
    expect(r.ok ? '' : r.rejection.path).toBe('area.polygons.0.1.1');
  });
});

describe('validateEvent: prototype keys', () => {
  it.each([
    // JSON.parse makes "__proto__" an own key; it must never reach zod or a spread
    { name: 'top-level __proto__', text: '{"type":"mine.reading","__proto__":{"polluted":1}}', path: '__proto__' },
    // nested key anywhere in the object
    { name: 'nested constructor', text: '{"type":"grid.event","meta":{"constructor":{"prototype":1}}}', path: 'meta.constructor' },
    // inside an array element
    { name: 'prototype in array', text: '{"type":"grid.event","tags":[{"prototype":1}]}', path: 'tags.0.prototype' },
    // escaped spelling slips past a naive text check; the \u00 trigger still walks the object
    { name: 'escaped __proto__', text: '{"type":"grid.event","\\u005f_proto__":1}', path: '__proto__' },
  ])('$name → PROTOTYPE_KEY at $path', ({ text, path }) => {
    const r = validateEvent(JSON.parse(text), undefined, 0, text);
    expect(r.ok ? undefined : { code: r.rejection.code, path: r.rejection.path }).toEqual({ code: 'PROTOTYPE_KEY', path });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    // ordinary event text: no walk needed
    { text: JSON.stringify(MINE_READING), expected: false },
    // the key spelled out
    { text: '{"__proto__":1}', expected: true },
    // an escaped ASCII character might hide one
    { text: '{"\\u0063onstructor":1}', expected: true },
    // escaped Chinese (ensure_ascii producers) is not suspicious
    { text: '{"location":"\\u56de\\u98ce\\u5df7"}', expected: false },
  ])('mayHaveForbiddenKey($text) = $expected', ({ text, expected }) => {
    expect(mayHaveForbiddenKey(text)).toBe(expected);
  });

  it('findForbiddenKey handles deep nesting without recursion', () => {
    let deep: unknown = { ok: 1 };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findForbiddenKey(deep)).toBeUndefined();
  });
});
