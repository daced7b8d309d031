import { z } from 'zod';
import { SEVERITIES } from '../domain/severity.ts';
import { parseDuration } from '../domain/time.ts';

/** Timestamp: ISO-8601 with offset, or epoch milliseconds; parsed to epoch milliseconds. */
export const Timestamp = z
  .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/** Severity: blue < yellow < orange < red. */
export const Severity = z.enum(SEVERITIES);

/** Domain of an alert. */
export const Domain = z.enum(['weather', 'mine', 'grid', 'enforcement', 'site', 'system']);
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
