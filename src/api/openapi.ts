import { z } from 'zod';
import { Alert } from '../contracts/alerts.ts';
import { Event, TOPIC_TYPES } from '../contracts/events.ts';
import { Site } from '../contracts/reference.ts';
import { Silence, SilenceInput } from '../contracts/silences.ts';
import { HistoryQuery } from './history.ts';
import { AlertQuery, ConfirmBody, NoteBody } from './routes.ts';

// The HTTP contract as OpenAPI 3.1, generated from the zod contracts the handlers parse with: one
// catalogue of routes (method, path, role, what it takes and gives). Served at
// GET /api/v1/openapi.json and checked in as schemas/openapi.json; a test compares the catalogue
// with the routes Fastify really has, so a route cannot be added without saying what it is.

/** Role: the least a token needs (CONTRACT.md §2); `none` is public, `token` any valid token. */
type Role = 'none' | 'token' | 'viewer' | 'operator' | 'admin' | 'ingest';

interface Param {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}

/** RouteDoc: one HTTP route of the contract. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's path (`:id`); rendered as `{id}` */
  path: string;
  role: Role;
  summary: string;
  query?: z.ZodType;
  params?: Param[];
  body?: { schema?: z.ZodType; json?: Record<string, unknown>; types?: Record<string, Record<string, unknown>>; required?: boolean; description?: string };
  responses: Record<string, { description: string; schema?: z.ZodType; json?: Record<string, unknown>; type?: string }>;
}

const ERROR = { description: 'refused: `{"error": {"code", "message", "details": [{"path", "message"}]}}`' };
const TOKEN_Q: Param = { name: 'token', in: 'query', description: 'the token, for pages and links that cannot send an Authorization header' };
const ID: Param = { name: 'id', in: 'path', required: true, description: 'the alert id' };
const obj = (description: string) => ({ description, json: { type: 'object' } });
const alertResponses = { '200': { description: 'the alert', schema: Alert }, '202': { description: 'accepted (Kafka mode: applied when the owner of the alert takes it)', schema: Alert }, '404': ERROR, '409': { description: 'the alert is resolved' } };

/** ROUTES: every route the server registers (test/unit/api/openapi.test.ts compares). */
export const ROUTES: readonly RouteDoc[] = [
  { method: 'GET', path: '/healthz', role: 'none', summary: 'liveness: 200 while the process runs', responses: { '200': obj('{"status": "ok"}') } },
  { method: 'GET', path: '/readyz', role: 'none', summary: 'readiness: 200 once sources are connected and state is recovered', responses: { '200': obj('{"status": "ready"}'), '503': obj('{"status": "starting"}') } },
  { method: 'GET', path: '/metrics', role: 'none', summary: 'Prometheus metrics (text exposition format)', responses: { '200': { description: 'metrics', type: 'text/plain' } } },
  { method: 'GET', path: '/api/v1/openapi.json', role: 'none', summary: 'this document', responses: { '200': obj('OpenAPI 3.1') } },
  {
    method: 'POST',
    path: '/api/v1/events/:topic',
    role: 'ingest',
    summary: 'ingest events: one, an array, NDJSON, or CAP 1.2 XML for risk.weather.warnings; every refused item is dead-lettered with its reason',
    params: [{ name: 'topic', in: 'path', required: true, description: 'the input topic (without prefix)', schema: { type: 'string', enum: Object.keys(TOPIC_TYPES) } }],
    body: {
      required: true,
      schema: Event,
      types: { 'application/x-ndjson': { type: 'string', description: 'one event per line' }, 'application/cap+xml': { type: 'string', description: 'CAP 1.2 alert (risk.weather.warnings)' } },
      description: 'one event, or an array of events',
    },
    responses: {
      '202': obj('`{"accepted", "rejected", "errors": [{"index", "code", "path", "message", "details": [{"path", "message", "code"}]}]}` when at least one item was accepted (`details`: every problem of the item, at most 20)'),
      '400': obj('the same body when none was accepted'),
      '413': ERROR,
    },
  },
  { method: 'GET', path: '/api/v1/info', role: 'token', summary: 'what this token may do and the server it talks to (role, towns, town names, mode, demo)', params: [TOKEN_Q], responses: { '200': obj('server info and the token\'s role, sub, towns, expiresAt'), '401': ERROR } },
  { method: 'GET', path: '/api/v1/alerts', role: 'viewer', summary: 'alerts of the token\'s towns, firing and acknowledged by default, most severe first', query: AlertQuery, responses: { '200': { description: '{"alerts": [Alert]}', json: { type: 'object', properties: { alerts: { type: 'array', description: 'the alerts, most severe first', items: { $ref: '#/components/schemas/Alert' } } } } }, '400': ERROR, '403': ERROR } },
  { method: 'GET', path: '/api/v1/alerts/:id', role: 'viewer', summary: 'one alert with its history (alert events) and every text sent about it', params: [ID], responses: { '200': { description: 'the alert plus `history` and `notifications`', schema: Alert }, '404': ERROR } },
  { method: 'POST', path: '/api/v1/alerts/:id/ack', role: 'operator', summary: 'acknowledge (with an optional note); stops the escalation', params: [ID], body: { schema: NoteBody }, responses: alertResponses },
  { method: 'POST', path: '/api/v1/alerts/:id/resolve', role: 'operator', summary: 'resolve by hand (with a reason)', params: [ID], body: { schema: NoteBody }, responses: alertResponses },
  { method: 'POST', path: '/api/v1/alerts/:id/confirm', role: 'operator', summary: 'record the company\'s confirmation that it carried out the actions (企业反馈)', params: [ID], body: { schema: ConfirmBody, required: true }, responses: { ...alertResponses, '400': ERROR } },
  { method: 'GET', path: '/api/v1/sites', role: 'viewer', summary: 'the reference sites of the token\'s towns', responses: { '200': { description: '{"sites": [Site]}', json: { type: 'object', properties: { sites: { type: 'array', description: 'the reference sites of the token\'s towns', items: { $ref: '#/components/schemas/Site' } } } } } } },
  { method: 'GET', path: '/api/v1/rules', role: 'viewer', summary: 'the rules in force', responses: { '200': obj('{"rules": [Rule]} (schemas/rule.schema.json)') } },
  { method: 'POST', path: '/api/v1/rules/reload', role: 'admin', summary: 'reload the rule pack; an invalid pack is refused and the old rules stay', responses: { '200': obj('{"ok": true, "rules": n}'), '400': ERROR } },
  { method: 'GET', path: '/api/v1/silences', role: 'operator', summary: 'silences (active, pending and ended within retention)', responses: { '200': { description: '{"silences": [Silence]}', json: { type: 'object', properties: { silences: { type: 'array', description: 'active, pending and recently ended silences', items: { $ref: '#/components/schemas/Silence' } } } } } } },
  { method: 'POST', path: '/api/v1/silences', role: 'operator', summary: 'silence alerts by matchers for at most 7 days (known sites, towns and rules only)', body: { schema: SilenceInput, required: true }, responses: { '201': { description: 'the silence', schema: Silence }, '400': ERROR, '409': ERROR } },
  { method: 'DELETE', path: '/api/v1/silences/:id', role: 'operator', summary: 'end a silence now', params: [{ name: 'id', in: 'path', required: true, description: 'the silence id' }], responses: { '200': { description: 'the ended silence', schema: Silence }, '404': ERROR } },
  { method: 'GET', path: '/api/v1/warnings', role: 'viewer', summary: 'weather warnings in force, with the sites inside each and their polygons', responses: { '200': obj('{"warnings": [...]}') } },
  { method: 'GET', path: '/api/v1/map', role: 'viewer', summary: 'town outlines (GeoJSON) and radar cells of the last 30 min with their motion', responses: { '200': obj('{"outlines", "cells"}') } },
  { method: 'GET', path: '/api/v1/hazards', role: 'viewer', summary: 'the hidden-hazard ledger per town (open, overdue, closed in 30 days)', params: [{ name: 'town', in: 'query', description: 'one town id' }, TOKEN_Q], responses: { '200': obj('{"towns": [...]}'), '404': ERROR } },
  {
    method: 'GET',
    path: '/api/v1/briefing',
    role: 'viewer',
    summary: 'the joint-consultation briefing per town',
    params: [{ name: 'town', in: 'query', description: 'one town id (default: every town of the token)' }, { name: 'at', in: 'query', description: 'ISO-8601 with offset or epoch ms, within a day back and a week ahead' }, { name: 'record', in: 'query', description: '`true`: this briefing is issued (the baseline of 较上次会商变化)', schema: { type: 'string', enum: ['true', 'false'] } }, TOKEN_Q],
    responses: { '200': obj('the briefing'), '400': ERROR },
  },
  { method: 'GET', path: '/briefing', role: 'viewer', summary: 'the briefing as an HTML page (A4 print CSS)', params: [{ name: 'town', in: 'query', description: 'one town id' }, { name: 'at', in: 'query', description: 'as for /api/v1/briefing' }, { name: 'record', in: 'query', description: 'as for /api/v1/briefing' }, TOKEN_Q], responses: { '200': { description: 'HTML', type: 'text/html' } } },
  { method: 'GET', path: '/api/v1/history', role: 'viewer', summary: 'readings history of a site (InfluxDB when configured, else a bounded in-memory ring)', query: HistoryQuery, responses: { '200': obj('{"siteId", "metric"?, "metrics", "points": [{"ts", "value", "unit"?}]}'), '403': ERROR } },
  { method: 'GET', path: '/', role: 'none', summary: 'the control-room dashboard (the page asks for a token; no external network resources)', responses: { '200': { description: 'HTML', type: 'text/html' } } },
  { method: 'GET', path: '/assets/*', role: 'none', summary: 'the dashboard\'s scripts, styles and data', responses: { '200': { description: 'a static file' } } },
  { method: 'GET', path: '/assets/vendor/d3.min.js', role: 'none', summary: 'd3, served from the installed package', responses: { '200': { description: 'JavaScript', type: 'text/javascript' } } },
];

const json = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;

/** queryParams turns a zod object of query fields into OpenAPI parameters. */
function queryParams(s: z.ZodType): Param[] {
  const schema = json(s, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, p]) => ({ name, in: 'query' as const, description: String(p.description ?? name), required: (schema.required ?? []).includes(name), schema: p }));
}

/** renderOpenApi builds the OpenAPI 3.1 document of the HTTP API. */
export function renderOpenApi(version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const path = r.path.replace(/:(\w+)/g, '{$1}').replace('/*', '/{file}');
    const params = [...(r.params ?? []), ...(r.query ? queryParams(r.query) : []), ...(r.path.endsWith('/*') ? [{ name: 'file', in: 'path' as const, required: true, description: 'the file' }] : [])];
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      'x-role': r.role,
      ...(r.role === 'none' ? { security: [] } : {}),
      ...(params.length ? { parameters: params.map((p) => ({ ...p, schema: p.schema ?? { type: 'string' }, ...(p.in === 'path' ? { required: true } : {}) })) } : {}),
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([code, res]) => {
          const schema = res.schema ? json(res.schema, 'output') : res.json;
          return [code, { description: res.description, ...(schema || res.type ? { content: { [res.type ?? 'application/json']: schema ? { schema } : {} } } : {}) }];
        }),
      ),
    };
    if (r.body) {
      const content: Record<string, unknown> = {};
      if (r.body.schema) {
        const one = json(r.body.schema, 'input');
        content['application/json'] = { schema: r.path.startsWith('/api/v1/events') ? { oneOf: [one, { type: 'array', items: one }] } : one };
      }
      for (const [type, schema] of Object.entries(r.body.types ?? {})) content[type] = { schema };
      op.requestBody = { required: r.body.required ?? false, ...(r.body.description ? { description: r.body.description } : {}), content };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'riskstream HTTP API',
      version,
      description: 'Real-time risk monitoring and alerts for a county work-safety committee. Tokens are JWTs (`riskstream token`), sent as `Authorization: Bearer …` (or `?token=` where a header cannot be sent). `x-role` names the least role a route needs. The WebSocket protocol (`/ws`) and the Kafka topics are in asyncapi.json.',
    },
    servers: [{ url: 'http://127.0.0.1:8080' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Alert: json(Alert, 'output'), Site: json(Site, 'output'), Silence: json(Silence, 'output') },
    },
    paths,
  };
}
