import type { Event } from '../contracts/events.ts';

// Which measured thing or enforcement record an event is about (the subject registry's keys).

/** recordOf: the enforcement record an event opens, updates or closes; undefined for other events. */
export function recordOf(e: Event): { key: string; field: string; closes: boolean; endsAt: number } | undefined {
  switch (e.type) {
    case 'enforcement.hazard':
      return { key: `hazardId:${e.hazardId}`, field: 'hazardId', closes: e.status === 'closed', endsAt: Infinity };
    case 'enforcement.permit':
      return { key: `permitId:${e.permitId}`, field: 'permitId', closes: e.status === 'closed' || e.status === 'cancelled', endsAt: e.validTo };
    case 'enforcement.accident':
      return { key: `accidentId:${e.accidentId}`, field: 'accidentId', closes: reportingDone(e), endsAt: Infinity };
    default:
      return undefined;
  }
}

/** fieldIndex: which identity field names the measured thing of an event, or −1 (enforcement, weather, a power state of an area). */
export function fieldIndex(e: Event): number {
  switch (e.type) {
    case 'mine.reading':
      return 0;
    case 'mine.power':
      return e.sensorId !== undefined ? 0 : -1;
    case 'grid.reading':
    case 'grid.event':
      return 1;
    case 'site.reading':
      return 2;
    default:
      return -1;
  }
}

/**
 * reportingDone: an accident's reporting chain has nothing pending (reported to the county,
 * forwarded to the city, and any casualty change answered by a follow-up report), so its record
 * no longer counts toward limits.recordsPerSite.
 */
function reportingDone(e: Extract<Event, { type: 'enforcement.accident' }>): boolean {
  if (e.reportedAt === undefined || e.forwardedAt === undefined) return false;
  return e.casualtiesChangedAt === undefined || (e.followUpAt !== undefined && e.followUpAt >= e.casualtiesChangedAt);
}
