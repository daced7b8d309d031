import type { Event } from '../contracts/events.ts';
import { eventTime } from '../contracts/events.ts';
import type { EvalContext } from '../rules/context.ts';
import type { ReferenceData } from './reference.ts';

/** EnrichResult: the context for the evaluators, and whether the event named an unknown site. */
export interface EnrichResult {
  ctx: EvalContext;
  unknownSite: boolean;
}

/** enrich attaches site, town and the active special period to an event (event time is the clock). */
export function enrich(ref: ReferenceData, topic: string, event: Event, key?: string): EnrichResult {
  const time = eventTime(event);
  const ctx: EvalContext = { topic, event, time };
  if (key !== undefined) ctx.key = key;
  let unknownSite = false;
  const siteId = (event as { siteId?: unknown }).siteId;
  if (typeof siteId === 'string') {
    const site = ref.sites.get(siteId);
    if (site) {
      ctx.site = site;
      ctx.town = site.town;
      ctx.townName = ref.townNames[site.town] ?? site.town;
    } else unknownSite = true;
  }
  for (const p of ref.calendar) {
    if (time >= p.from && time < p.to && p.effects.includes('escalate')) {
      ctx.specialPeriod = p.name;
      break;
    }
  }
  return { ctx, unknownSite };
}

/** keyOf returns the Kafka-style key of an event (site id, warning id, cell id). */
export function keyOf(event: Event): string | undefined {
  switch (event.type) {
    case 'weather.warning':
      return event.id;
    case 'weather.nowcast':
      return event.cellId;
    default:
      return event.siteId;
  }
}
