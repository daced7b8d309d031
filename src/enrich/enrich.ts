import type { Event } from '../contracts/events.ts';
import type { Site } from '../contracts/reference.ts';
import { eventTime } from '../contracts/events.ts';
import type { EvalContext } from './eval-context.ts';
import type { ContextState, WarningChange } from './context.ts';
import { escalatingPeriod, type ReferenceData } from './reference.ts';

/** EnrichResult: the context for the evaluators, warnings that changed, and whether the site was unknown. */
export interface EnrichResult {
  ctx: EvalContext;
  changes: WarningChange[];
  unknownSite: boolean;
}

/** EnrichFlags: what enrich reports besides the context (a caller-owned object, reused between events). */
export interface EnrichFlags {
  changes: WarningChange[];
  unknownSite: boolean;
}

const NO_CHANGES: WarningChange[] = [];

/**
 * enrich attaches site, town, area and the active special period to an event (event time is the
 * clock) and updates the context state: weather warnings, open hazards, permits and accidents.
 */
export function enrich(ref: ReferenceData, context: ContextState | undefined, topic: string, event: Event, key?: string): EnrichResult {
  const flags: EnrichFlags = { changes: NO_CHANGES, unknownSite: false };
  const ctx = enrichInto(ref, context, topic, event, key, flags);
  return { ctx, changes: flags.changes, unknownSite: flags.unknownSite };
}

/**
 * enrichInto is enrich without the result object (the per-event path): the context is returned,
 * the warning changes and the unknown-site flag are written to `flags`.
 */
export function enrichInto(ref: ReferenceData, context: ContextState | undefined, topic: string, event: Event, key: string | undefined, flags: EnrichFlags): EvalContext {
  const time = eventTime(event);
  // every field present from the start: one object shape for all events
  const ctx: EvalContext = { topic, key, event, time, site: undefined, town: undefined, townName: undefined, areaId: undefined, specialPeriod: undefined };
  let unknownSite = false;
  let changes = NO_CHANGES;
  if (event.type === 'weather.warning') {
    if (context) changes = context.applyWarning(event, time);
  } else if (event.type === 'weather.nowcast') {
    context?.observeCell(event, time);
  } else {
    const site = ref.sites.get(event.siteId);
    if (site) {
      ctx.site = site;
      ctx.town = site.town;
      ctx.townName = ref.townNames[site.town] ?? site.town;
    } else unknownSite = true;
    if (event.type === 'mine.reading' || event.type === 'mine.power') {
      ctx.areaId = event.areaId ?? (event.sensorId !== undefined ? areaOfSensor(site, event.sensorId) : undefined);
    } else if (context && (event.type === 'enforcement.hazard' || event.type === 'enforcement.permit' || event.type === 'enforcement.accident')) {
      context.observeEnforcement(event, time);
    }
  }
  ctx.specialPeriod = escalatingPeriod(ref.calendar, time);
  flags.changes = changes;
  flags.unknownSite = unknownSite;
  return ctx;
}

/** areaOfSensor: the area of a reference sensor (a plain loop: no closure per event). */
function areaOfSensor(site: Site | undefined, sensorId: string): string | undefined {
  const sensors = site?.sensors;
  if (sensors === undefined) return undefined;
  for (let i = 0; i < sensors.length; i++) if (sensors[i]!.id === sensorId) return sensors[i]!.areaId;
  return undefined;
}

