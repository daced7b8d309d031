import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import { BUNDLED } from '../config/paths.ts';
import type { WsHub } from '../notify/ws-hub.ts';
import { installErrorHandlers } from './http-errors.ts';
import type { ApiDeps } from './deps.ts';
import { registerIngest } from './ingest.ts';
import { registerRoutes } from './routes.ts';
import { registerSituation } from './situation.ts';
import { registerSilences } from './silences.ts';
import { registerHistory } from './history.ts';
import { renderOpenApi } from './openapi.ts';

/** ROUTES_SEEN: per server, the routes it registered (`METHOD path`), for the OpenAPI check. */
const ROUTES_SEEN = new WeakMap<FastifyInstance, string[]>();

/** routesOf lists the routes a server registered (HEAD routes Fastify adds for GET left out). */
export function routesOf(app: FastifyInstance): string[] {
  return [...(ROUTES_SEEN.get(app) ?? [])];
}

/** buildServer assembles the HTTP API, the dashboard and the WebSocket upgrade on one Fastify instance. */
export function buildServer(deps: ApiDeps, hub: WsHub, logger: Logger): FastifyInstance {
  const app = Fastify({ loggerInstance: logger as unknown as FastifyBaseLogger, bodyLimit: 1024 * 1024, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true,
    // errors the router raises before any handler (a bad URL, a path parameter past 100 characters) keep the contract's error shape
    frameworkErrors: (err, _req, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void (reply as unknown as { status(n: number): { send(b: unknown): unknown } }).status(tooLong ? 414 : 400).send({ error: { code: 'BAD_REQUEST', message: tooLong ? 'a path parameter is longer than 100 characters' : 'the URL is not valid', details: [] } });
    },
  });
  const seen: string[] = [];
  ROUTES_SEEN.set(app, seen);
  app.addHook('onRoute', (r) => {
    for (const m of ([] as string[]).concat(r.method)) if (m !== 'HEAD') seen.push(`${m} ${r.url}`);
  });
  installErrorHandlers(app);
  const openapi = JSON.stringify(renderOpenApi(deps.info.version));
  app.get('/api/v1/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').send(openapi));
  // JSON bodies: an empty body (DELETE, a bodiless POST) is no body, not an error
  const strictJson = app.getDefaultJsonParser('error', 'error'); // refuses __proto__ / constructor keys
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (String(body).trim() === '') return done(null, undefined);
    strictJson(req, body as string, done);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => (deps.isReady() ? { status: 'ready' } : reply.status(503).send({ status: 'starting' })));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  registerIngest(app, deps);
  registerRoutes(app, deps);
  registerSituation(app, deps);
  registerSilences(app, deps);
  registerHistory(app, deps);

  // The dashboard: the page and its assets are public (no data in them); every call the page
  // makes needs a token. Served to any visitor so that a screen whose token expired (or that has
  // none) says so in words — 登录已过期 — instead of showing a JSON 401 after a reload.
  app.register(fastifyStatic, { root: BUNDLED.web, prefix: '/assets/', index: false, cacheControl: false });
  // the map draws with d3 (d3-geo projection, paths), served from node_modules: no CDN, no internet
  const d3File = join(dirname(createRequire(import.meta.url).resolve('d3')), 'd3.min.js');
  const d3Js = readFileSync(d3File);
  app.get('/assets/vendor/d3.min.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(d3Js));
  const indexHtml = readFileSync(join(BUNDLED.web, 'index.html'), 'utf8');
  app.get('/', async (_req, reply) => {
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(indexHtml);
  });

  app.server.on('upgrade', (req, socket, head) => {
    hub.handleUpgrade(req, socket, head).catch((err: unknown) => {
      logger.warn({ err: (err as Error).message }, 'websocket upgrade failed');
      socket.destroy();
    });
  });
  return app;
}
