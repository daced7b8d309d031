import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Alert } from '../contracts/alerts.ts';
import { Domain, Severity } from '../contracts/common.ts';
import { severityRank } from '../domain/severity.ts';
import { formatTs } from '../domain/time.ts';
import { AppError } from '../errors.ts';
import { bearerOf, canSeeTown, type Principal } from '../auth/auth.ts';
import { authenticate, parseOr400, type ApiDeps } from './deps.ts';

export const AlertQuery = z.object({
  // comma-separated states; an unknown one is a 400 like any other bad filter, not an empty list
  state: z.string().transform((s) => (s === '' ? undefined : s.split(','))).pipe(z.array(Alert.shape.state).optional()).optional(),
  minSeverity: Severity.optional(),
  town: z.string().optional(),
  domain: Domain.optional(),
  siteId: z.string().optional(),
  token: z.string().optional(),
});
export const NoteBody = z.strictObject({ note: z.string().max(2000).optional().describe('free text, up to 2000 characters, e.g. 已通知矿调度撤人') }).nullish();
/** ConfirmBody: what the company did (required) and, when an officer records a call, who at the company said so. */
/** wellFormed: no lone surrogate halves (String.prototype.isWellFormed, Node 20+) */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
/** NO_CONTROL: no control, bidi-override or lone-surrogate characters (they could reverse or hide what is shown) */
const NO_CONTROL = /^[^\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]*$/u;
export const ConfirmBody = z.strictObject({
  note: z.string().trim().min(1, 'say what the company did (note)').max(2000).regex(NO_CONTROL, 'no control or bidi characters').refine(wellFormed, 'not well-formed text').describe('what the company did (required, up to 2000 characters, no control or bidi characters), e.g. 已撤出作业人员并停止动火'),
  contact: z.string().trim().min(1).max(100).regex(NO_CONTROL, 'no control or bidi characters').refine(wellFormed, 'not well-formed text').optional().describe('who at the company said so, when an officer records a call (recorded as <contact>（<sub>登记）)'),
});

function visibleAlert(deps: ApiDeps, p: Principal, id: string): Alert {
  const rec = deps.book.get(id);
  if (!rec) throw new AppError('NOT_FOUND', `alert ${id} not found`);
  if (!canSeeTown(p, rec.alert.town)) throw new AppError('FORBIDDEN', `alert ${id} belongs to a town this token may not see`);
  return rec.alert;
}

/** registerRoutes: alerts, sites, rules and info endpoints (CONTRACT.md §2). */
export function registerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/info', async (req) => {
    // any valid token may read what it is allowed to do
    const p = await deps.auth.verify(bearerOf(req.headers.authorization, (req.query as { token?: unknown }).token));
    return { ...deps.info, role: p.role, sub: p.sub, towns: p.towns, ...(p.exp !== undefined ? { expiresAt: formatTs(p.exp) } : {}), townNames: deps.reference().townNames };
  });

  app.get('/api/v1/alerts', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const q = parseOr400(AlertQuery, req.query);
    if (q.town && !canSeeTown(p, q.town)) throw new AppError('FORBIDDEN', `this token may not see town ${q.town}`);
    const states: string[] = q.state ?? ['firing', 'acknowledged'];
    const floor = q.minSeverity ? severityRank(q.minSeverity) : 0;
    const alerts = deps.book
      .all()
      .filter((a) => canSeeTown(p, a.town) && states.includes(a.state) && severityRank(a.severity) >= floor)
      .filter((a) => (!q.town || a.town === q.town) && (!q.domain || a.domain === q.domain) && (!q.siteId || a.siteId === q.siteId))
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.startsAt.localeCompare(a.startsAt));
    return { alerts };
  });

  app.get<{ Params: { id: string } }>('/api/v1/alerts/:id', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    const alert = visibleAlert(deps, p, req.params.id);
    // audit: every transition, and every text sent about it (who, when, to whom)
    const notifications = deps.notifications.records(alert.id).map((r) => ({ kind: r.kind, severity: r.severity, level: r.level, to: r.to, name: r.name, role: r.role, at: formatTs(r.at), status: r.status, ...(r.error ? { error: r.error } : {}) }));
    return { ...alert, history: deps.book.get(alert.id)?.history ?? [], notifications };
  });

  app.post<{ Params: { id: string } }>('/api/v1/alerts/:id/ack', async (req, reply) => {
    const p = await authenticate(deps, req, 'operator');
    visibleAlert(deps, p, req.params.id);
    const body = parseOr400(NoteBody, req.body);
    const a = await deps.ackAlert(req.params.id, p, body?.note);
    // not applied yet (Kafka mode, no instance holds the alert right now): accepted, applied when one takes it over
    if (a.state === 'firing') void reply.code(202);
    return a;
  });

  app.post<{ Params: { id: string } }>('/api/v1/alerts/:id/resolve', async (req, reply) => {
    const p = await authenticate(deps, req, 'operator');
    visibleAlert(deps, p, req.params.id);
    const body = parseOr400(NoteBody, req.body);
    const a = await deps.resolveAlert(req.params.id, p, body?.note);
    if (a.state !== 'resolved') void reply.code(202);
    return a;
  });

  // the company's word that the actions asked of it were carried out: its own token (a site role is
  // an operator token limited to the site's town), or the duty officer recording a phone call
  app.post<{ Params: { id: string } }>('/api/v1/alerts/:id/confirm', async (req) => {
    const p = await authenticate(deps, req, 'operator');
    visibleAlert(deps, p, req.params.id);
    const body = parseOr400(ConfirmBody, req.body);
    const by = body.contact ? { ...p, sub: `${body.contact}（${p.sub}登记）` } : p;
    return deps.confirmAlert(req.params.id, by, body.note);
  });

  app.get('/api/v1/sites', async (req) => {
    const p = await authenticate(deps, req, 'viewer');
    return { sites: [...deps.reference().sites.values()].filter((s) => canSeeTown(p, s.town)) };
  });

  app.get('/api/v1/rules', async (req) => {
    await authenticate(deps, req, 'viewer');
    return { rules: deps.engine().rules() };
  });

  app.post('/api/v1/rules/reload', async (req, reply) => {
    await authenticate(deps, req, 'admin');
    const r = deps.reloadRules();
    if (!r.ok) {
      return reply.status(400).send({ error: { code: 'RULES_INVALID', message: `rule pack invalid; the previous rules stay active`, details: r.errors } });
    }
    return { reloaded: true, rules: r.rules };
  });
}
