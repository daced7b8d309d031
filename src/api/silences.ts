import type { FastifyInstance } from 'fastify';
import { SilenceInput } from '../contracts/silences.ts';
import { AppError } from '../errors.ts';
import { authenticate, type ApiDeps } from './deps.ts';

/** registerSilences: GET/POST /api/v1/silences, DELETE /api/v1/silences/{id} (operator). */
export function registerSilences(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/silences', async (req) => {
    await authenticate(deps, req, 'operator');
    return { silences: deps.notifications.silences.list() };
  });

  app.post('/api/v1/silences', async (req, reply) => {
    const p = await authenticate(deps, req, 'operator');
    const r = SilenceInput.safeParse(req.body);
    if (!r.success) {
      const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      throw new AppError('BAD_REQUEST', details.map((d) => `${d.path || '(body)'}: ${d.message}`).join('; '), { details });
    }
    // a town-limited operator may only silence inside its towns
    if (p.towns !== '*') {
      const towns = r.data.matchers.town === undefined ? undefined : ([] as string[]).concat(r.data.matchers.town);
      if (!towns || towns.some((t) => !(p.towns as string[]).includes(t))) throw new AppError('FORBIDDEN', 'a town-limited token must name only its own towns in matchers.town');
    }
    const s = await deps.notifications.addSilence(r.data, r.data.createdBy ?? p.sub);
    return reply.status(201).send(s);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/silences/:id', async (req) => {
    const p = await authenticate(deps, req, 'operator');
    return deps.notifications.expireSilence(req.params.id, p.sub);
  });
}
