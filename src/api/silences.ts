import type { FastifyInstance } from 'fastify';
import { SilenceInput } from '../contracts/silences.ts';
import { AppError } from '../errors.ts';
import { authenticate, parseOr400, type ApiDeps } from './deps.ts';

/** registerSilences: GET/POST /api/v1/silences, DELETE /api/v1/silences/{id} (operator). */
export function registerSilences(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/silences', async (req) => {
    await authenticate(deps, req, 'operator');
    return { silences: deps.notifications.silences.list() };
  });

  app.post('/api/v1/silences', async (req, reply) => {
    const p = await authenticate(deps, req, 'operator');
    const input = parseOr400(SilenceInput, req.body);
    // a town-limited operator may only silence inside its towns
    if (p.towns !== '*') {
      const towns = input.matchers.town === undefined ? undefined : ([] as string[]).concat(input.matchers.town);
      if (!towns || towns.some((t) => !(p.towns as string[]).includes(t))) throw new AppError('FORBIDDEN', 'a town-limited token must name only its own towns in matchers.town');
    }
    const s = await deps.notifications.addSilence(input, input.createdBy ?? p.sub);
    return reply.status(201).send(s);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/silences/:id', async (req) => {
    const p = await authenticate(deps, req, 'operator');
    return deps.notifications.expireSilence(req.params.id, p.sub);
  });
}
