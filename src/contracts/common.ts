import { z } from 'zod';
import { SEVERITIES } from '../domain/severity.ts';
import { parseDuration } from '../domain/time.ts';

/** TS_MIN_MS, TS_MAX_MS: the absolute range of any timestamp (2000-01-01 .. 2200-01-01 UTC), well inside Date's. */
export const TS_MIN_MS = Date.UTC(2000, 0, 1);
export const TS_MAX_MS = Date.UTC(2200, 0, 1);
/** TS_RANGE_MESSAGE: the message of an out-of-range timestamp (the decode stage maps it to TIMESTAMP_OUT_OF_RANGE). */
export const TS_RANGE_MESSAGE = 'timestamp out of range: expected 2000-01-01 .. 2200-01-01';

/**
 * Timestamp: ISO-8601 with offset, or epoch milliseconds; parsed to epoch milliseconds. Bounded, so
 * no value past Date's range (9e15) can be parsed, persisted or formatted; ingest narrows it further
 * relative to the server clock (src/ingest/gate.ts).
 */
export const Timestamp = z
  .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .transform((v) => (typeof v === 'number' ? v : parseIsoMs(v)))
  .pipe(z.number().min(TS_MIN_MS, TS_RANGE_MESSAGE).max(TS_MAX_MS, TS_RANGE_MESSAGE));

/** Measure: a measured value; bounded so it stays finite through rounding and arithmetic (1e308 would not). */
export const Measure = z.number().min(-1e12, 'expected a value ≥ -1e12').max(1e12, 'expected a value ≤ 1e12');

/**
 * parseIsoMs is Date.parse for the common shapes of an already validated timestamp
 * (`YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)`, year ≥ 1970) at a fraction of its cost on the hot path;
 * any other shape goes to Date.parse itself.
 */
export function parseIsoMs(s: string): number {
  const n = s.length;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46 /* . */) {
    if (n !== 24 && n !== 29) return Date.parse(s);
    ms = digits(s, 20, 3);
    i = 23;
  }
  let offsetMin = 0;
  const z = s.charCodeAt(i);
  if (z === 90 /* Z */) {
    if (n !== i + 1) return Date.parse(s);
  } else if ((z === 43 || z === 45) && n === i + 6) {
    offsetMin = digits(s, i + 1, 2) * 60 + digits(s, i + 4, 2);
    if (z === 45) offsetMin = -offsetMin;
  } else return Date.parse(s);
  const year = digits(s, 0, 4);
  if (!(year >= 1970) || ms !== ms) return Date.parse(s);
  const days = daysFromCivil(year, digits(s, 5, 2), digits(s, 8, 2));
  const sec = ((days * 24 + digits(s, 11, 2)) * 60 + digits(s, 14, 2) - offsetMin) * 60 + digits(s, 17, 2);
  return sec * 1000 + ms;
}

/** digits reads `len` decimal digits at `at` (NaN when one is not a digit). */
function digits(s: string, at: number, len: number): number {
  let v = 0;
  for (let k = at; k < at + len; k++) {
    const c = s.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** daysFromCivil: days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Severity: blue < yellow < orange < red. */
export const Severity = z.enum(SEVERITIES);

/** Domain of an alert. */
export const Domain = z.enum(['weather', 'mine', 'grid', 'enforcement', 'site', 'road', 'fire', 'system']);
export type Domain = z.infer<typeof Domain>;

/** Duration: a string such as "90s", "5m", "2h"; parsed to milliseconds. */
export const Duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, { message: 'expected a duration such as 90s, 5m, 2h' })
  .transform((s) => parseDuration(s) as number);

/** Id: a non-empty identifier without control characters. */
export const Id = z.string().min(1).max(200).regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters');

/** TOWN_NAMES: the towns of the bundled Otog Front Banner data. */
export const TOWN_NAMES: Record<string, string> = {
  aolezhaoqi: '敖勒召其镇',
  shanghaimiao: '上海庙镇',
  chengchuan: '城川镇',
  angsu: '昂素镇',
  'shanghaimiao-edz': '上海庙经济开发区',
};
