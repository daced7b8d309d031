import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatTs } from '../domain/time.ts';
import { AppError } from '../errors.ts';
import { canSeeTown } from '../auth/auth.ts';
import { authenticate, parseOr400, type ApiDeps } from './deps.ts';

export const HistoryQuery = z.object({
  siteId: z.string().min(1),
  metric: z.string().min(1).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  token: z.string().optional(),
});

function instant(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) throw new AppError('BAD_REQUEST', `${name}: expected ISO-8601 or epoch ms, got "${v}"`, { details: [{ path: name, message: 'invalid instant' }] });
  return t;
}

/** registerHistory: GET /api/v1/history?siteId=&metric=&from=&to= (without metric: the site's series). */
export function registerHistory(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/history', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const q = parseOr400(HistoryQuery, req.query);
    const site = deps.reference().sites.get(q.siteId);
    if (site && !canSeeTown(p, site.town)) throw new AppError('FORBIDDEN', `site ${q.siteId} belongs to a town this token may not see`);
    if (!site && p.towns !== '*') throw new AppError('FORBIDDEN', `site ${q.siteId} is not in the reference data`);
    if (!deps.series) return { siteId: q.siteId, metrics: [], points: [] };
    const from = instant('from', q.from);
    const to = instant('to', q.to);
    const res = await deps.series.query({ siteId: q.siteId, ...(q.metric ? { metric: q.metric } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
    return { siteId: q.siteId, ...(q.metric ? { metric: q.metric } : {}), metrics: res.metrics, points: res.points.map((x) => ({ ts: formatTs(x.ts), value: x.value, ...(x.unit ? { unit: x.unit } : {}) })) };
  });
}
