import { CalendarFile, RosterFile, SitesFile, type Site, type SpecialPeriod, type RosterEntry } from '../contracts/reference.ts';
import { TOWN_NAMES } from '../contracts/common.ts';
import { loadYamlAs } from '../config/yaml.ts';

/** ReferenceData: sites, towns, duty roster and special periods, validated. */
export interface ReferenceData {
  sites: Map<string, Site>;
  townNames: Record<string, string>;
  roster: RosterEntry[];
  calendar: SpecialPeriod[];
}

/** loadReference reads and validates the three reference files; errors name file and path. */
export function loadReference(files: { sites: string; roster: string; calendar: string }): ReferenceData {
  const sites = loadYamlAs(files.sites, SitesFile, 'REFERENCE_INVALID');
  const roster = loadYamlAs(files.roster, RosterFile, 'REFERENCE_INVALID');
  const calendar = loadYamlAs(files.calendar, CalendarFile, 'REFERENCE_INVALID');
  return buildReference(sites, roster, calendar);
}

/** buildReference indexes already-validated reference data. */
export function buildReference(sites: Site[], roster: RosterEntry[], calendar: SpecialPeriod[]): ReferenceData {
  const map = new Map<string, Site>();
  for (const s of sites) map.set(s.id, s);
  const townNames: Record<string, string> = { ...TOWN_NAMES };
  for (const s of sites) townNames[s.town] ??= s.town;
  return { sites: map, townNames, roster, calendar };
}

/**
 * escalatingPeriod names the special period with the `escalate` effect (提级管理) covering an
 * instant, if any — the one question enrich, the rules' emitter and the briefing ask of the calendar.
 */
export function escalatingPeriod(calendar: readonly SpecialPeriod[], at: number): string | undefined {
  for (const p of calendar) if (at >= p.from && at < p.to && p.effects.includes('escalate')) return p.name;
  return undefined;
}

/** activePeriods returns the special periods covering an instant. */
export function activePeriods(calendar: readonly SpecialPeriod[], at: number): SpecialPeriod[] {
  return calendar.filter((p) => at >= p.from && at < p.to);
}
