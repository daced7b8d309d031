import type { SeriesPoint, SeriesStore } from '../../ports/index.ts';

interface Ring {
  ts: number[];
  vs: number[];
  unit?: string;
}

/**
 * createMemorySeriesStore: the embedded history, a bounded ring per series (`pointsPerSeries`)
 * and a bounded number of series (the least recently written is dropped first).
 */
export function createMemorySeriesStore(opts: { pointsPerSeries?: number; maxSeries?: number } = {}): SeriesStore {
  const perSeries = opts.pointsPerSeries ?? 2880; // a day at 30 s polling
  const maxSeries = opts.maxSeries ?? 20_000;
  const series = new Map<string, Ring>();
  const bySite = new Map<string, Set<string>>();
  const key = (siteId: string, metric: string) => `${siteId}\u001f${metric}`;
  return {
    write(points) {
      for (const p of points) {
        const k = key(p.siteId, p.metric);
        let r = series.get(k);
        if (r) series.delete(k); // re-insert: Map order is then least recently written first
        else {
          r = { ts: [], vs: [] };
          (bySite.get(p.siteId) ?? bySite.set(p.siteId, new Set()).get(p.siteId)!).add(p.metric);
        }
        series.set(k, r);
        if (p.unit) r.unit = p.unit;
        r.ts.push(p.ts);
        r.vs.push(p.value);
        if (r.ts.length > perSeries) {
          r.ts.splice(0, r.ts.length - perSeries);
          r.vs.splice(0, r.vs.length - perSeries);
        }
      }
      while (series.size > maxSeries) {
        const oldest = series.keys().next().value as string;
        series.delete(oldest);
        const [siteId, metric] = oldest.split('\u001f') as [string, string];
        bySite.get(siteId)?.delete(metric);
      }
    },
    async query({ siteId, metric, from = -Infinity, to = Infinity }) {
      const metrics = [...(bySite.get(siteId) ?? [])].sort();
      if (metric === undefined) return { metrics, points: [] };
      const r = series.get(key(siteId, metric));
      const points: SeriesPoint[] = [];
      if (r) for (let i = 0; i < r.ts.length; i++) if (r.ts[i]! >= from && r.ts[i]! <= to) points.push({ siteId, metric, ts: r.ts[i]!, value: r.vs[i]!, ...(r.unit ? { unit: r.unit } : {}) });
      return { metrics, points };
    },
    size: () => series.size,
  };
}
