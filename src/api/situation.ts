import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { BUNDLED } from '../config/paths.ts';
import { distanceKm } from '../domain/geo.ts';
import { z } from 'zod';
import type { Site } from '../contracts/reference.ts';
import { CLOSED_HAZARD_DAYS, type ActiveWarning } from '../enrich/context.ts';
import { severityRank } from '../domain/severity.ts';
import { formatTs, localDay } from '../domain/time.ts';
import { AppError } from '../errors.ts';
import { canSeeTown, type Principal } from '../auth/auth.ts';
import { buildBriefing, BriefingLog } from '../briefing/model.ts';
import { briefingHtml, esc, type BriefingView } from '../briefing/render.ts';
import { authenticate, parseOr400, type ApiDeps } from './deps.ts';

function siteView(s: Site) {
  return { id: s.id, name: s.name, kind: s.kind, town: s.town };
}

function warningView(deps: ApiDeps, p: Principal, w: ActiveWarning) {
  const sites = w.siteIds.map((id) => deps.reference().sites.get(id)).filter((s): s is Site => s !== undefined && canSeeTown(p, s.town));
  return {
    id: w.id,
    rootId: w.rootId,
    event: w.event,
    level: w.level,
    status: w.status,
    sender: w.sender,
    ...(w.headline ? { headline: w.headline } : {}),
    onset: formatTs(w.onset),
    expires: formatTs(w.expires),
    towns: w.towns,
    // the warned area's polygons as GeoJSON rings ([lon, lat], closed)
    polygons: w.polygons.map((p) => p.geometry.coordinates[0]!),
    sites: sites.map(siteView),
  };
}

/** queriedTown: a town id named in a query, checked against the reference data (own keys only: `__proto__` is no town) and the token. */
function queriedTown(ref: { townNames: Record<string, string> }, p: Principal, town: string | undefined): string | undefined {
  if (town === undefined) return undefined;
  if (!Object.hasOwn(ref.townNames, town)) throw new AppError('NOT_FOUND', `town: unknown town ${town}`, { details: [{ path: 'town', message: `expected one of ${Object.keys(ref.townNames).join(', ')}` }] });
  if (!canSeeTown(p, town)) throw new AppError('FORBIDDEN', `this token may not see town ${town}`);
  return town;
}

/** BRIEFING_PAST_MS, BRIEFING_AHEAD_MS: how far from now a briefing's `at` may be (the situation it shows is the one held now). */
const BRIEFING_PAST_MS = 24 * 3_600_000;
const BRIEFING_AHEAD_MS = 7 * 24 * 3_600_000;

/** briefingAt: `at` as ISO-8601 with an offset or epoch ms, within a day back and a week ahead of now. */
function briefingAt(at: string | undefined, now: number): number {
  if (at === undefined) return now;
  const t = /^\d{1,15}$/.test(at) ? Number(at) : z.iso.datetime({ offset: true }).safeParse(at).success ? Date.parse(at) : Number.NaN;
  const bad = (message: string) => new AppError('BAD_REQUEST', `at: ${message}, got "${at.slice(0, 60)}"`, { details: [{ path: 'at', message }] });
  if (!Number.isFinite(t)) throw bad('expected ISO-8601 with an offset (2026-07-16T14:00:00+08:00) or epoch ms');
  if (t < now - BRIEFING_PAST_MS || t > now + BRIEFING_AHEAD_MS) throw bad('a briefing is of the situation held now: at must be within 24 h before and 7 days after now');
  return t;
}

let outlinesCache: { path: string; json: unknown } | undefined;
/** outlinesOf: the banner and town outlines (the bundled ones are schematic; config reference.outlines may name surveyed ones). */
function outlinesOf(path: string): unknown {
  if (outlinesCache?.path !== path) outlinesCache = { path, json: existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { type: 'FeatureCollection', features: [] } };
  return outlinesCache.json;
}

/** registerSituation: active weather warnings and the joint-consultation briefing (CONTRACT.md §2). */
export function registerSituation(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/warnings', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const warnings = [...deps.context().warnings.values()]
      .map((w) => warningView(deps, p, w))
      // a town-limited token sees the warnings that touch its towns
      .filter((w) => p.towns === '*' || w.sites.length > 0 || w.towns.some((t) => canSeeTown(p, t)))
      .sort((a, b) => severityRank(b.level) - severityRank(a.level) || a.onset.localeCompare(b.onset));
    return { warnings };
  });

  // the map: outlines, radar cells (warnings: /api/v1/warnings; sites: /api/v1/sites; alerts: the stream)
  app.get('/api/v1/map', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const now = deps.clock.now();
    // a town-limited token sees the cells within 150 km of its towns' sites (as the briefing lists them)
    const sites = [...deps.reference().sites.values()].filter((s) => canSeeTown(p, s.town));
    const near = (c: { lat: number; lon: number }) => p.towns === '*' || sites.some((s) => distanceKm(c.lat, c.lon, s.lat, s.lon) <= 150);
    return {
      generatedAt: formatTs(now),
      outlines: outlinesOf(deps.outlines ?? BUNDLED.outlines),
      cells: [...deps.context().cells.values()].filter(near).map((c) => ({ ...c, ts: formatTs(c.ts) })),
    };
  });

  // the hazard ledger board (清单化管理): per town, hazards open, overdue (视同事故) and closed in the last 30 days
  app.get('/api/v1/hazards', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const q = parseOr400(z.object({ town: z.string().optional(), token: z.string().optional() }), req.query);
    const ref = deps.reference();
    const town = queriedTown(ref, p, q.town);
    const now = deps.clock.now();
    const ctx = deps.context();
    const towns = town ? [town] : Object.keys(ref.townNames).filter((t) => canSeeTown(p, t));
    const view = (h: { hazardId: string; siteId: string; level: string; status: string; foundAt: number; deadline: number; description?: string }, closedAt?: number) => {
      const site = ref.sites.get(h.siteId);
      return {
        hazardId: h.hazardId,
        siteId: h.siteId,
        ...(site ? { siteName: site.name, siteKind: site.kind } : {}),
        level: h.level,
        status: h.status,
        foundAt: formatTs(h.foundAt),
        deadline: formatTs(h.deadline),
        // calendar days (Asia/Shanghai) to the deadline: 0 due today, 1 tomorrow; once it has passed, minus the days overdue (at least 1)
        daysLeft: closedAt !== undefined ? undefined : h.deadline >= now ? localDay(h.deadline) - localDay(now) : -Math.max(1, localDay(now) - localDay(h.deadline)),
        ...(closedAt !== undefined ? { closedAt: formatTs(closedAt) } : {}),
        ...(h.description ? { description: h.description } : {}),
      };
    };
    const townOf = (siteId: string) => ref.sites.get(siteId)?.town;
    return {
      generatedAt: formatTs(now),
      closedDays: CLOSED_HAZARD_DAYS,
      towns: towns.map((town) => {
        const open = [...ctx.openHazards.values()].filter((h) => townOf(h.siteId) === town).sort((a, b) => a.deadline - b.deadline);
        const closed = [...ctx.closedHazards.values()].filter((c) => townOf(c.hazard.siteId) === town).reverse();
        return {
          town,
          name: ref.townNames[town] ?? town,
          open: open.filter((h) => h.deadline >= now).map((h) => view(h)),
          overdue: open.filter((h) => h.deadline < now).map((h) => view(h)),
          closed: closed.map((c) => view(c.hazard, c.closedAt)),
        };
      }),
    };
  });

  const log = new BriefingLog();
  /** briefing builds the joint-consultation material for the token's towns (or one), as of `at`, with what changed since the last one */
  async function briefing(p: Principal, q: { town?: string | undefined; at?: string | undefined; record?: string | undefined }): Promise<BriefingView> {
    const ref = deps.reference();
    const town = queriedTown(ref, p, q.town);
    const now = deps.clock.now();
    const at = briefingAt(q.at, now);
    const towns = town ? [town] : Object.keys(ref.townNames).filter((t) => canSeeTown(p, t));
    const series = deps.series;
    const b = await buildBriefing(
      {
        reference: ref,
        context: deps.context(),
        alerts: deps.book.all(),
        ...(series ? { visitors: async (siteId: string) => (await series.query({ siteId, metric: 'visitors', from: at - 6 * 3_600_000, to: at })).points.at(-1) } : {}),
      },
      towns,
      at,
      now,
    );
    // what changed since the last briefing *issued* for the town (record=true: the consultation's
    // material, printed or sent); a look at the briefing by anyone else changes no baseline
    return { ...b, towns: b.towns.map((t) => ({ ...t, ...(q.at === undefined ? { changes: log.compare(t, now, q.record === 'true') } : {}) })) };
  }
  const BriefingQuery = z.object({ town: z.string().optional(), at: z.string().optional(), record: z.enum(['true', 'false']).optional(), token: z.string().optional() });

  app.get('/api/v1/briefing', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    return briefing(p, parseOr400(BriefingQuery, req.query));
  });

  // the joint-consultation page (会商): /briefing?town=&at=&token= — print it for A4, or `riskstream briefing --format pdf`
  app.get('/briefing', async (req, reply) => {
    // every refusal is a page that says so in words (a bookmarked link on a consultation-room screen)
    const page = (status: number, text: string) =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(`<!doctype html><meta charset="utf-8"><title>会商材料</title><p style="font:16pt sans-serif;padding:2rem">${esc(text)}</p>`);
    try {
      const p = await authenticate(deps, req, 'viewer');
      const b = await briefing(p, parseOr400(BriefingQuery, req.query));
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(briefingHtml(b, { href: '/assets/briefing.css' }));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      if (err.code === 'UNAUTHORIZED') return page(401, '登录已过期或缺少令牌，请重新登录（/briefing?token=…）');
      if (err.code === 'FORBIDDEN') return page(403, `无访问权限：${err.message}`);
      return page(err.code === 'NOT_FOUND' ? 404 : 400, `无法生成会商材料：${err.message}`);
    }
  });
}
