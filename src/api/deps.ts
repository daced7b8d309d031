import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Alert } from '../contracts/alerts.ts';
import type { AlertBook } from '../alerts/book.ts';
import type { ReferenceData } from '../enrich/reference.ts';
import type { RuleEngine } from '../rules/engine.ts';
import type { ContextState } from '../enrich/context.ts';
import type { Notifications } from '../notify/notifications.ts';
import type { Lifecycle } from '../alerts/lifecycle.ts';
import type { Pipeline } from '../pipeline.ts';
import type { Metrics } from '../metrics.ts';
import type { Clock, Rejection, SeriesStore } from '../ports/index.ts';
import type { Event } from '../contracts/events.ts';
import type { ErrorDetail } from '../errors.ts';
import { bearerOf, requireRole, type Auth, type Principal, type Role } from '../auth/auth.ts';

/** ApiDeps: what the HTTP routes need. */
export interface ApiDeps {
  auth: Auth;
  book: AlertBook;
  reference: () => ReferenceData;
  engine: () => RuleEngine;
  context: () => ContextState;
  pipeline: Pipeline;
  metrics: Metrics;
  clock: Clock;
  maxBodyBytes: number;
  /** the ingest gate (unknown sites, timestamps out of range), the same one Kafka input passes; `indexOf` maps to item indices */
  gate: (events: readonly Event[], indexOf: (i: number) => number) => { events: Event[]; rejections: Rejection[] };
  info: { version: string; mode: string; demo: boolean };
  isReady: () => boolean;
  notifications: Notifications;
  /** silences (and the rest of the alert lifecycle) */
  lifecycle: Lifecycle;
  series?: SeriesStore;
  /** the GeoJSON file of the banner and town outlines (config reference.outlines) */
  outlines?: string;
  ackAlert(id: string, p: Principal, note: string | undefined): Promise<Alert>;
  resolveAlert(id: string, p: Principal, note: string | undefined): Promise<Alert>;
  /** the company's confirmation that the actions asked of it were carried out (`by`: who confirmed) */
  confirmAlert(id: string, by: Principal, note: string | undefined): Promise<Alert>;
  /**
   * accepted events into the pipeline (embedded) or onto their Kafka topic; rejections to the dead-letter sink.
   * Resolves to the events refused at evaluation (SUBJECT_LIMIT, already dead-lettered; `index` = position in `events`).
   */
  ingest(topic: string, events: readonly Event[], rejections: readonly Rejection[]): Promise<Rejection[]>;
  reloadRules(): { ok: true; rules: number } | { ok: false; errors: ErrorDetail[] };
}

/** authenticate verifies the request's token (header, or ?token=) and checks its role. */
export async function authenticate(deps: ApiDeps, req: FastifyRequest, role: Role): Promise<Principal> {
  const p = await deps.auth.verify(bearerOf(req.headers.authorization, (req.query as Record<string, unknown> | undefined)?.token));
  requireRole(p, role);
  return p;
}

/** parseOr400 validates request input with a zod schema; failures are 400 BAD_REQUEST naming each path. */
export function parseOr400<S extends z.ZodType>(schema: S, v: unknown): z.infer<S> {
  const r = schema.safeParse(v);
  if (!r.success) {
    const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new AppError('BAD_REQUEST', details.map((d) => `${d.path || '(body)'}: ${d.message}`).join('; '), { details });
  }
  return r.data;
}
