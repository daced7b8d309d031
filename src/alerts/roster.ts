import type { RosterEntry } from '../contracts/reference.ts';
import { localMinuteOfDay } from '../domain/time.ts';

/** Shift: one shift of a roster entry. */
export type Shift = RosterEntry['shifts'][number];
/** DutyPerson: a duty officer or leader on duty. */
export type DutyPerson = Shift['officer'];

/** OnDuty: who is on duty for a town and domain at an instant, and the entry and shift that said so. */
export interface OnDuty {
  officer: DutyPerson;
  leader: DutyPerson;
  entry: RosterEntry;
  shift: Shift;
}

/** minuteOf turns "HH:MM" (validated by the roster schema) into minutes since midnight. */
function minuteOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * inShift: `from` inclusive, `to` exclusive, local time; `to` ≤ `from` wraps midnight
 * (20:00–08:00), and `to` = `from` is a 24-hour shift.
 */
export function inShift(shift: Pick<Shift, 'from' | 'to'>, minute: number): boolean {
  const from = minuteOf(shift.from);
  const to = minuteOf(shift.to);
  if (from < to) return minute >= from && minute < to;
  return minute >= from || minute < to;
}

/** specificity ranks an entry for a town and domain: 3 exact town + domain … 0 "*" + "*"; -1 no match. */
function specificity(entry: RosterEntry, town: string | undefined, domain: string): number {
  let score: number;
  if (town !== undefined && entry.town === town) score = 2;
  else if (entry.town === '*') score = 0;
  else return -1;
  if ((entry.domains as readonly string[]).includes(domain)) return score + 1;
  return entry.domains.includes('*') ? score : -1;
}

/**
 * onDuty finds the duty officer and leader for a town and domain at `at` (epoch ms, local time
 * UTC+8). The most specific entry with a shift covering that minute wins: exact town + explicit
 * domain > exact town + "*" > "*" + explicit domain > "*" + "*"; ties go to the earlier entry.
 * An entry without a shift at that minute falls through to the next, so a town with only a day
 * shift is covered by the fallback at night. A missing town matches only "*" entries.
 *
 * @example onDuty(roster, 'shanghaimiao', 'mine', Date.parse('2024-07-16T23:30:00+08:00'))?.leader.name
 */
export function onDuty(roster: readonly RosterEntry[], town: string | undefined, domain: string, at: number): OnDuty | undefined {
  const minute = localMinuteOfDay(at);
  let best: OnDuty | undefined;
  let bestScore = -1;
  for (const entry of roster) {
    const score = specificity(entry, town, domain);
    if (score <= bestScore) continue;
    const shift = entry.shifts.find((s) => inShift(s, minute));
    if (!shift) continue;
    best = { officer: shift.officer, leader: shift.leader, entry, shift };
    bestScore = score;
    if (score === 3) break;
  }
  return best;
}

/**
 * leadersOnDuty lists the distinct leaders on duty at `at` across all entries (by phone, in
 * roster order), e.g. the recipients of the 08:00 daily duty report (值班日报).
 */
export function leadersOnDuty(roster: readonly RosterEntry[], at: number): DutyPerson[] {
  const minute = localMinuteOfDay(at);
  const seen = new Set<string>();
  const out: DutyPerson[] = [];
  for (const entry of roster) {
    for (const shift of entry.shifts) {
      if (!inShift(shift, minute) || seen.has(shift.leader.phone)) continue;
      seen.add(shift.leader.phone);
      out.push(shift.leader);
    }
  }
  return out;
}
