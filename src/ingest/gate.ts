import { eventTime, type Event } from '../contracts/events.ts';
import type { ErrorCode } from '../errors.ts';
import { formatTs } from '../domain/time.ts';
import type { Rejection } from '../ports/index.ts';

/** MAX_FUTURE_MS: how far ahead of the server clock an event time may be (clock skew allowance). */
export const MAX_FUTURE_MS = 10 * 60_000;
/** MIN_EVENT_MS: no event time before 2000-01-01 (UTC) is believed. */
export const MIN_EVENT_MS = Date.UTC(2000, 0, 1);
/** MAX_HORIZON_MS: a deadline, expiry or validity end at most 10 years ahead of the server clock. */
export const MAX_HORIZON_MS = 10 * 365.25 * 86_400_000;

/** UnknownSites: what to do with an event naming a site missing from the reference data. */
export type UnknownSites = 'refuse' | 'accept';

/** GatePolicy: the reference sites, the unknown-site policy and the server clock. */
export interface GatePolicy {
  sites: ReadonlyMap<string, unknown>;
  unknownSites: UnknownSites;
  now: number;
  /**
   * `refuse` (a live server): an event marked `"simulated": true` (a demo file replayed, a test
   * feed) is refused, so simulated data never raises, resolves or pages anything real; `accept`
   * (a demo server, the backtest) evaluates it. Default accept.
   */
  simulated?: 'refuse' | 'accept';
}

/** FUTURE_FIELDS: timestamps that point ahead of the event (deadlines, expiry, validity), per type. */
const FUTURE_FIELDS: Partial<Record<Event['type'], readonly string[]>> = {
  'weather.warning': ['onset', 'expires'],
  'enforcement.hazard': ['deadline'],
  'enforcement.permit': ['validFrom', 'validTo'],
};

/** PAST_FIELDS: timestamps besides the event time that name something that already happened. */
const PAST_FIELDS: Partial<Record<Event['type'], readonly string[]>> = {
  'enforcement.hazard': ['foundAt'],
  'enforcement.accident': ['occurredAt', 'reportedAt', 'forwardedAt', 'casualtiesChangedAt', 'followUpAt'],
};

/**
 * gateReason says why one valid event may not enter (or undefined): a site missing from the
 * reference data (UNKNOWN_SITE, unless accepted), an event time before 2000 or more than 10 min
 * ahead of the server clock, a deadline or expiry more than 10 years ahead. Pure: `now` is passed in.
 */
export function gateReason(e: Event, p: GatePolicy): { code: ErrorCode; path: string; message: string } | undefined {
  const timeField = e.type === 'weather.warning' ? 'sent' : 'ts';
  const t = eventTime(e);
  if (t < MIN_EVENT_MS) return { code: 'TIMESTAMP_OUT_OF_RANGE', path: timeField, message: `${timeField}: event time ${formatTs(t)} is before 2000-01-01` };
  if (t > p.now + MAX_FUTURE_MS) {
    return { code: 'TIMESTAMP_IN_FUTURE', path: timeField, message: `${timeField}: event time ${formatTs(t)} is more than ${MAX_FUTURE_MS / 60_000} min ahead of this server's clock (${formatTs(p.now)})` };
  }
  const rec = e as unknown as Record<string, unknown>;
  for (const f of PAST_FIELDS[e.type] ?? []) {
    const v = rec[f];
    if (typeof v === 'number' && (v < MIN_EVENT_MS || v > p.now + MAX_FUTURE_MS)) return { code: 'TIMESTAMP_OUT_OF_RANGE', path: f, message: `${f}: ${formatTs(v)} is outside 2000-01-01 .. now + 10 min` };
  }
  for (const f of FUTURE_FIELDS[e.type] ?? []) {
    const v = rec[f];
    if (typeof v === 'number' && (v < MIN_EVENT_MS || v > p.now + MAX_HORIZON_MS)) return { code: 'TIMESTAMP_OUT_OF_RANGE', path: f, message: `${f}: ${formatTs(v)} is outside 2000-01-01 .. now + 10 years` };
  }
  if (p.simulated === 'refuse' && (e as { simulated?: unknown }).simulated === true) {
    return { code: 'SIMULATED_ON_LIVE', path: 'simulated', message: 'simulated: a simulated event is not evaluated on a live server (it would raise, resolve or page real alerts); replay simulated data into a demo server (riskstream start --demo)' };
  }
  if (p.unknownSites === 'refuse' && 'siteId' in e && typeof e.siteId === 'string' && !p.sites.has(e.siteId)) {
    return { code: 'UNKNOWN_SITE', path: 'siteId', message: `siteId: unknown site "${e.siteId.length > 80 ? e.siteId.slice(0, 77) + '...' : e.siteId}" (not in the reference data; set ingest.unknownSites: accept to evaluate such events anyway)` };
  }
  return undefined;
}

/**
 * gateEvents splits off the events that may not enter (see gateReason); they become rejections for
 * the dead-letter sink. `indexOf` maps a position in `events` to the item index the producer sees.
 * Used alike by HTTP ingest, the Kafka consumer and the backtest.
 */
export function gateEvents(events: readonly Event[], p: GatePolicy, indexOf: (i: number) => number = (i) => i): { events: Event[]; rejections: Rejection[] } {
  const ok: Event[] = [];
  const rejections: Rejection[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const why = gateReason(e, p);
    if (why === undefined) ok.push(e);
    else rejections.push({ index: indexOf(i), ...why, details: [], original: JSON.stringify(e) });
  }
  return { events: ok, rejections };
}
