import type { FastifyInstance } from 'fastify';
import { TOPIC_TYPES } from '../contracts/events.ts';
import { decodeBody } from '../ingest/decode.ts';
import { AppError } from '../errors.ts';
import { authenticate, type ApiDeps } from './deps.ts';

/**
 * registerIngest: POST /api/v1/events/{topic}. The body is read raw (any media type) so the decode
 * stage owns parsing, error codes and dead-lettering. 202 when something was accepted, else 400.
 */
export function registerIngest(app: FastifyInstance, deps: ApiDeps): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Bodies up to 4× the limit are read so an oversized one can still be dead-lettered (with its
    // first bytes) and answered 413 by the decode stage; beyond that Fastify refuses it unread.
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes * 4 }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { topic: string } }>('/api/v1/events/:topic', async (req, reply) => {
      await authenticate(deps, req, 'ingest');
      const topic = req.params.topic;
      if (!(topic in TOPIC_TYPES)) throw new AppError('NOT_FOUND', `unknown topic "${topic}"; topics: ${Object.keys(TOPIC_TYPES).join(', ')}`);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const decoded = decodeBody(topic, body, req.headers['content-type'], { maxBytes: deps.maxBodyBytes });
      // each item became one event or one rejection: accepted items are the indices not rejected
      const rejected = new Set(decoded.rejections.map((r) => r.index));
      const itemIndex: number[] = [];
      for (let i = 0; itemIndex.length < decoded.events.length; i++) if (!rejected.has(i)) itemIndex.push(i);
      // the reference data is the gate (UNKNOWN_SITE), and times must be sane (TIMESTAMP_*)
      const gated = deps.gate(decoded.events, (i) => itemIndex[i] ?? i);
      const events = gated.events;
      const rejections = [...decoded.rejections, ...gated.rejections].sort((a, b) => a.index - b.index);
      if (events.length === 0 && rejections.length === 0) {
        rejections.push({ index: 0, code: 'INVALID_JSON', path: '', message: 'empty body: expected an event, an array of events or NDJSON', details: [], original: '' });
      }
      const refused = await deps.ingest(topic, events, rejections);
      if (refused.length > 0) {
        // refused at evaluation (SUBJECT_LIMIT): `index` is the position in `events`, made an item index like the others
        const taken = new Set(rejections.map((r) => r.index));
        const items: number[] = [];
        for (let i = 0; items.length < events.length; i++) if (!taken.has(i)) items.push(i);
        for (const r of refused) rejections.push({ ...r, index: items[r.index] ?? r.index });
        rejections.sort((a, b) => a.index - b.index);
      }
      const accepted = events.length - refused.length;
      // one entry per rejected item: its first problem (code, path, message, as before) and
      // `details`, every problem of the item (at most MAX_PROBLEMS, then one that counts the rest)
      const errors = rejections.map((r) => ({
        index: r.index,
        code: r.code,
        path: r.path,
        message: r.message,
        details: r.details.length > 0 ? r.details.map(({ path, message, code }) => ({ path, message, ...(code ? { code } : {}) })) : [{ path: r.path, message: r.message, code: r.code }],
      }));
      const tooLarge = events.length === 0 && rejections.length === 1 && rejections[0]!.code === 'PAYLOAD_TOO_LARGE';
      if (tooLarge) return reply.status(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: rejections[0]!.message, details: errors } });
      return reply.status(accepted > 0 ? 202 : 400).send({ accepted, rejected: rejections.length, errors });
    });
  });
}
