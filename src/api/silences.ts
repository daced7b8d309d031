import type { FastifyInstance } from 'fastify';
import { SilenceInput, type Silence } from '../contracts/silences.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../auth/auth.ts';
import { authenticate, parseOr400, type ApiDeps } from './deps.ts';

/**
 * withinTowns: may this principal see or change a silence with these matchers? An all-towns token
 * may; a town-limited one only when the silence names towns and every one of them is its own (a
 * silence without a town matcher reaches every town, so only an all-towns token holds it).
 */
function withinTowns(p: Principal, m: Silence['matchers']): boolean {
  if (p.towns === '*') return true;
  if (m.town === undefined) return false;
  const mine = p.towns;
  return ([] as string[]).concat(m.town).every((t) => mine.includes(t));
}

/** MAX_SILENCE_MS: the longest maintenance window a silence may cover (a longer mute is a rule change, not a silence). */
export const MAX_SILENCE_MS = 7 * 86_400_000;

/** checkSilence: a silence names sites, towns and rules that exist and lasts at most MAX_SILENCE_MS. */
function checkSilence(deps: ApiDeps, input: SilenceInput, now: number): void {
  const ref = deps.reference();
  const rules = new Set(deps.engine().rules().map((r) => r.id));
  const unknown = (path: string, ids: string | string[] | undefined, known: (id: string) => boolean) => {
    for (const id of ([] as string[]).concat(ids ?? [])) if (!known(id)) throw new AppError('BAD_REQUEST', `matchers.${path}: unknown ${path} ${id} (a silence of nothing would mute nothing and say so nowhere)`, { details: [{ path: `matchers.${path}`, message: `unknown ${path} ${id}` }] });
  };
  unknown('siteId', input.matchers.siteId, (id) => ref.sites.has(id));
  unknown('town', input.matchers.town, (id) => Object.hasOwn(ref.townNames, id));
  unknown('ruleId', input.matchers.ruleId, (id) => rules.has(id));
  const start = input.startsAt === undefined ? now : typeof input.startsAt === 'number' ? input.startsAt : Date.parse(input.startsAt);
  const end = typeof input.endsAt === 'number' ? input.endsAt : Date.parse(input.endsAt);
  if (end - Math.max(start, now) > MAX_SILENCE_MS) throw new AppError('BAD_REQUEST', `endsAt: a silence lasts at most 7 days (a maintenance window); longer is a rule change`, { details: [{ path: 'endsAt', message: 'at most 7 days after its start' }] });
}

/** registerSilences: GET/POST /api/v1/silences, DELETE /api/v1/silences/{id} (operator). */
export function registerSilences(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/silences', async (req) => {
    const p = await authenticate(deps, req, 'operator');
    return { silences: deps.lifecycle.silences.list().filter((s) => withinTowns(p, s.matchers)) };
  });

  app.post('/api/v1/silences', async (req, reply) => {
    const p = await authenticate(deps, req, 'operator');
    const input = parseOr400(SilenceInput, req.body);
    checkSilence(deps, input, deps.clock.now());
    // a town-limited operator may only silence inside its towns
    if (!withinTowns(p, input.matchers)) throw new AppError('FORBIDDEN', 'a town-limited token must name only its own towns in matchers.town', { details: [{ path: 'matchers.town', message: `allowed: ${(p.towns as string[]).join(', ')}` }] });
    // the author is who the token says, never the body (createdBy in the body is ignored)
    const s = await deps.lifecycle.addSilence(input, p.sub);
    return reply.status(201).send(s);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/silences/:id', async (req) => {
    const p = await authenticate(deps, req, 'operator');
    const s = deps.lifecycle.silences.get(req.params.id);
    if (s && !withinTowns(p, s.matchers)) throw new AppError('FORBIDDEN', `silence ${req.params.id} covers towns this token does not hold`);
    return deps.lifecycle.expireSilence(req.params.id, p.sub);
  });
}
