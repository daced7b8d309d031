import { eventTime, type Event } from '../contracts/events.ts';
import { formatTs } from '../domain/time.ts';
import type { Rejection } from '../ports/index.ts';

/** MAX_FUTURE_MS: how far ahead of the server clock an event time may be (clock skew allowance). */
export const MAX_FUTURE_MS = 10 * 60_000;

/**
 * refuseFuture splits off events whose time is too far ahead of `now`. Live, a producer clock far
 * ahead would drag the watermark with it and make every later event "late", so such events are
 * rejected (dead-lettered) at the edge instead. `index` is each event's position in `events`.
 */
export function refuseFuture(events: readonly Event[], now: number, indexOf: (i: number) => number = (i) => i): { events: Event[]; rejections: Rejection[] } {
  const limit = now + MAX_FUTURE_MS;
  const ok: Event[] = [];
  const rejections: Rejection[] = [];
  events.forEach((e, i) => {
    const t = eventTime(e);
    if (t <= limit) ok.push(e);
    else
      rejections.push({
        index: indexOf(i),
        code: 'TIMESTAMP_IN_FUTURE',
        path: e.type === 'weather.warning' ? 'sent' : 'ts',
        message: `${e.type === 'weather.warning' ? 'sent' : 'ts'}: event time ${formatTs(t)} is more than ${MAX_FUTURE_MS / 60_000} min ahead of this server's clock (${formatTs(now)})`,
        details: [],
        original: JSON.stringify(e),
      });
  });
  return { events: ok, rejections };
}
