import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { BUNDLED } from '../config/paths.ts';
import { z } from 'zod';
import type { Site } from '../contracts/reference.ts';
import { CLOSED_HAZARD_DAYS, type ActiveWarning } from '../enrich/context.ts';
import { severityRank } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import { AppError } from '../errors.ts';
import { canSeeTown, type Principal } from '../auth/auth.ts';
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
    await authenticate(deps, req, 'viewer');
    const now = deps.clock.now();
    return {
      generatedAt: formatTs(now),
      outlines: outlinesOf(deps.outlines ?? BUNDLED.outlines),
      cells: [...deps.context().cells.values()].map((c) => ({ ...c, ts: formatTs(c.ts) })),
    };
  });

  // the hazard ledger board (清单化管理): per town, hazards open, overdue (视同事故) and closed in the last 30 days
  app.get('/api/v1/hazards', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const q = parseOr400(z.object({ town: z.string().optional(), token: z.string().optional() }), req.query);
    if (q.town && !canSeeTown(p, q.town)) throw new AppError('FORBIDDEN', `this token may not see town ${q.town}`);
    const ref = deps.reference();
    const now = deps.clock.now();
    const ctx = deps.context();
    const towns = q.town ? [q.town] : Object.keys(ref.townNames).filter((t) => canSeeTown(p, t));
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
        // whole days left to the deadline; once it has passed, minus the days overdue (at least 1)
        daysLeft: closedAt !== undefined ? undefined : h.deadline >= now ? Math.floor((h.deadline - now) / 86_400_000) : -Math.max(1, Math.floor((now - h.deadline) / 86_400_000)),
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

  app.get('/api/v1/briefing', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const q = parseOr400(z.object({ town: z.string().optional(), token: z.string().optional() }), req.query);
    if (q.town && !canSeeTown(p, q.town)) throw new AppError('FORBIDDEN', `this token may not see town ${q.town}`);
    const ref = deps.reference();
    const towns = q.town ? [q.town] : Object.keys(ref.townNames).filter((t) => canSeeTown(p, t));
    const open = deps.book.openAlerts();
    const warnings = [...deps.context().warnings.values()];
    const hazards = [...deps.context().openHazards.values()].filter((h) => h.level === 'major');
    return {
      generatedAt: formatTs(deps.clock.now()),
      towns: towns.map((town) => {
        const inTown = (siteId: string) => ref.sites.get(siteId)?.town === town;
        const ws = warnings.filter((w) => w.towns.includes(town) || w.siteIds.some(inTown));
        const exposed = new Set(ws.flatMap((w) => w.siteIds.filter(inTown)));
        return {
          town,
          name: ref.townNames[town] ?? town,
          warnings: ws.map((w) => ({ id: w.id, event: w.event, level: w.level, status: w.status, expires: formatTs(w.expires) })),
          exposedSites: [...exposed].map((id) => siteView(ref.sites.get(id)!)),
          firingAlerts: open
            .filter((a) => a.town === town && a.state === 'firing')
            .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.startsAt.localeCompare(a.startsAt)),
          openMajorHazards: hazards
            .filter((h) => inTown(h.siteId))
            .map((h) => ({ hazardId: h.hazardId, siteId: h.siteId, status: h.status, foundAt: formatTs(h.foundAt), deadline: formatTs(h.deadline), overdue: h.deadline < deps.clock.now(), ...(h.description ? { description: h.description } : {}) })),
        };
      }),
    };
  });
}
