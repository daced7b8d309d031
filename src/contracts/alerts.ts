import { z } from 'zod';
import { Domain, Id, Severity } from './common.ts';

/** IsoTs: a timestamp as emitted, ISO-8601 with offset +08:00. */
const IsoTs = z.iso.datetime({ offset: true });

/** Alert: one alert about one subject (CONTRACT.md §4). */
export const Alert = z.strictObject({
  id: Id,
  fingerprint: z.string().min(1),
  ruleId: Id,
  title: z.string(),
  severity: Severity,
  domain: Domain,
  state: z.enum(['firing', 'acknowledged', 'resolved']),
  siteId: Id.optional(),
  town: Id.optional(),
  startsAt: IsoTs,
  updatedAt: IsoTs,
  /** wall-clock instant riskstream raised or last changed the alert from an event (live mode); escalation counts from it, not from event time */
  receivedAt: IsoTs.optional(),
  endsAt: IsoTs.optional(),
  value: z.number().optional(),
  threshold: z.number().optional(),
  summary: z.string(),
  actions: z.array(z.string()),
  evidence: z.array(z.strictObject({ topic: z.string(), key: z.string().optional(), ts: IsoTs })),
  escalation: z.number().int().nonnegative(),
  acks: z.array(z.strictObject({ by: z.string(), at: IsoTs, note: z.string().optional() })),
  labels: z.record(z.string(), z.string()),
});
export type Alert = z.infer<typeof Alert>;

/** AlertEventKind: what happened to an alert. */
export const AlertEventKind = z.enum(['fired', 'updated', 'escalated', 'acknowledged', 'resolved']);
export type AlertEventKind = z.infer<typeof AlertEventKind>;

/** AlertEvent: one transition of one alert, with a strictly increasing `seq`. */
export const AlertEvent = z.strictObject({
  seq: z.number().int().positive(),
  kind: AlertEventKind,
  at: IsoTs,
  alert: Alert,
});
export type AlertEvent = z.infer<typeof AlertEvent>;
