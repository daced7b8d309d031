/** Time helpers. Time is always passed in; nothing here reads the clock. */

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** parseDuration turns "90s", "5m", "2h" into milliseconds; returns undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

const CST_OFFSET_MS = 8 * 3_600_000;

/** formatTs renders epoch milliseconds as ISO-8601 with offset +08:00 (China Standard Time). */
export function formatTs(ms: number): string {
  // never throws: a value past Date's range (e.g. 9e15 from bad input) must not make a read endpoint answer 500
  if (!(Math.abs(ms) <= 8.64e15 - CST_OFFSET_MS)) return 'Invalid Date';
  const d = new Date(ms + CST_OFFSET_MS);
  const iso = d.toISOString(); // shifted wall time, labelled Z
  return `${iso.slice(0, 23)}+08:00`;
}

/** parseTs accepts epoch milliseconds or ISO-8601 with an offset; returns NaN when invalid. */
export function parseTs(v: string | number): number {
  return typeof v === 'number' ? v : Date.parse(v);
}

/** localMinuteOfDay gives minutes since local midnight (UTC+8) for epoch ms. */
export function localMinuteOfDay(ms: number): number {
  const d = new Date(ms + CST_OFFSET_MS);
  return d.getUTCHours() * 60 + d.getUTCMinutes();
}

/** localDay gives the calendar day number of an instant in local time (UTC+8): equal for the same date. */
export function localDay(ms: number): number {
  return Math.floor((ms + CST_OFFSET_MS) / 86_400_000);
}

/** formatLocal renders epoch milliseconds as short local time for texts: "07-16 10:29:23" (+08:00). */
export function formatLocal(ms: number): string {
  const iso = formatTs(ms);
  return `${iso.slice(5, 10)} ${iso.slice(11, 19)}`;
}
