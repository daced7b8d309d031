import type { SeriesPoint } from '../ports/index.ts';

/** seriesPointOf names the series a reading belongs to, or undefined for events that are not measurements. */
export function seriesPointOf(e: { type: string } & Record<string, unknown>): SeriesPoint | undefined {
  const value = e.value;
  const ts = e.ts;
  if (typeof value !== 'number' || typeof ts !== 'number' || typeof e.siteId !== 'string') return undefined;
  const unit = typeof e.unit === 'string' ? e.unit : undefined;
  let metric: string | undefined;
  if (e.type === 'mine.reading') metric = `${String(e.sensorType)}:${String(e.sensorId)}`;
  else if (e.type === 'grid.reading') metric = `${String(e.quantity)}:${String(e.equipmentId)}`;
  else if (e.type === 'site.reading') metric = String(e.metric);
  if (metric === undefined) return undefined;
  return { siteId: e.siteId, metric, ts, value, ...(unit ? { unit } : {}) };
}
