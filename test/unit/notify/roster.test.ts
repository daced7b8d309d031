import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { inShift, leadersOnDuty, onDuty } from '../../../src/alerts/roster.ts';
import { RosterFile, type RosterEntry } from '../../../src/contracts/reference.ts';

const BUNDLED = RosterFile.parse(parse(readFileSync(new URL('../../../deploy/reference/roster.yaml', import.meta.url), 'utf8')));

/** at gives epoch ms for a local (+08:00) wall time on 2024-07-16. */
const at = (hhmm: string, day = 16): number => Date.parse(`2024-07-${day}T${hhmm}:00+08:00`);

const p = (name: string) => ({ name, phone: `+86139${name.padStart(8, '0')}` });
const shift = (from: string, to: string, who: string) => ({ from, to, officer: p(`${who}1`), leader: p(`${who}2`) });

/** A small roster exercising every specificity level; "who" digits name the entry. */
const ROSTER: RosterEntry[] = [
  // * + * fallback, day and night
  { town: '*', domains: ['*'], shifts: [shift('08:00', '20:00', '10'), shift('20:00', '08:00', '11')] },
  // * + explicit domain
  { town: '*', domains: ['grid'], shifts: [shift('00:00', '00:00', '20')] },
  // exact town + *
  { town: 'angsu', domains: ['*'], shifts: [shift('08:00', '20:00', '30'), shift('20:00', '08:00', '31')] },
  // exact town + explicit domain, day shift only
  { town: 'angsu', domains: ['mine', 'grid'], shifts: [shift('08:30', '17:30', '40')] },
];

describe('inShift', () => {
  it.each<[string, string, number, boolean]>([
    // day shift: from inclusive
    ['08:00', '20:00', 8 * 60, true],
    // day shift: to exclusive
    ['08:00', '20:00', 20 * 60, false],
    // last minute of the day shift
    ['08:00', '20:00', 20 * 60 - 1, true],
    // night shift before midnight
    ['20:00', '08:00', 23 * 60 + 59, true],
    // night shift after midnight
    ['20:00', '08:00', 0, true],
    ['20:00', '08:00', 7 * 60 + 59, true],
    // night shift ends at 08:00 exclusive
    ['20:00', '08:00', 8 * 60, false],
    // midday is not night
    ['20:00', '08:00', 12 * 60, false],
    // from = to is a 24-hour shift
    ['00:00', '00:00', 13 * 60, true],
  ])('%s–%s at minute %i → %s', (from, to, minute, expected) => {
    expect(inShift({ from, to }, minute)).toBe(expected);
  });
});

describe('onDuty', () => {
  it.each<[string, string | undefined, string, number, string | undefined]>([
    // exact town + explicit domain, inside its day shift
    ['town+domain wins', 'angsu', 'mine', at('09:00'), '402'],
    // same, at its first minute (inclusive)
    ['boundary: from is inclusive', 'angsu', 'mine', at('08:30'), '402'],
    // one minute earlier the town's * entry (day shift) is on
    ['boundary: before from falls back to town+*', 'angsu', 'mine', at('08:29'), '302'],
    // 17:30 is exclusive: the town+* day shift takes over
    ['boundary: to is exclusive', 'angsu', 'mine', at('17:30'), '302'],
    // town+domain has no night shift: the town's night shift, not the global one
    ['night falls through to town+*', 'angsu', 'mine', at('23:00'), '312'],
    // domain not listed in town+domain entry: town+*
    ['other domain → town+*', 'angsu', 'weather', at('10:00'), '302'],
    // town without own entry, domain with a * entry: * + domain (24h)
    ['*+domain beats *+*', 'chengchuan', 'grid', at('10:00'), '202'],
    // town without own entry and no domain entry: global fallback day
    ['*+* day', 'chengchuan', 'weather', at('10:00'), '102'],
    // night shift before midnight
    ['*+* night before midnight', 'chengchuan', 'weather', at('22:15'), '112'],
    // night shift after midnight (next calendar day)
    ['*+* night after midnight', 'chengchuan', 'weather', at('03:00', 17), '112'],
    // last minute of the night shift
    ['*+* night last minute', 'chengchuan', 'weather', at('07:59'), '112'],
    // the day shift starts at 08:00 exactly
    ['*+* day first minute', 'chengchuan', 'weather', at('08:00'), '102'],
    // alert without a town (e.g. a banner-wide warning): only * entries apply
    ['missing town → fallback', undefined, 'weather', at('10:00'), '102'],
    ['missing town, domain entry', undefined, 'grid', at('21:00'), '202'],
  ])('%s', (_name, town, domain, t, leader) => {
    expect(onDuty(ROSTER, town, domain, t)?.leader.name).toBe(leader);
  });

  it('returns undefined when no entry covers the instant', () => {
    const partial: RosterEntry[] = [{ town: 'angsu', domains: ['*'], shifts: [shift('08:00', '20:00', '50')] }];
    expect(onDuty(partial, 'angsu', 'mine', at('21:00'))).toBeUndefined();
    expect(onDuty(partial, 'chengchuan', 'mine', at('10:00'))).toBeUndefined();
  });

  it('ties go to the earlier entry', () => {
    const twice: RosterEntry[] = [
      { town: 'angsu', domains: ['*'], shifts: [shift('00:00', '00:00', '60')] },
      { town: 'angsu', domains: ['*'], shifts: [shift('00:00', '00:00', '61')] },
    ];
    expect(onDuty(twice, 'angsu', 'site', at('10:00'))?.officer.name).toBe('601');
  });

  it('reads the bundled roster: the shanghaimiao mine entry wins over the town entry, day and night', () => {
    expect(onDuty(BUNDLED, 'shanghaimiao', 'mine', at('10:00'))?.leader.name).toBe('包金龙');
    expect(onDuty(BUNDLED, 'shanghaimiao', 'mine', at('02:00'))?.leader.name).toBe('曹立新');
    expect(onDuty(BUNDLED, 'shanghaimiao', 'grid', at('10:00'))?.officer.name).toBe('乌云其木格');
    expect(onDuty(BUNDLED, 'unknown-town', 'grid', at('20:00'))?.officer.name).toBe('徐建新');
    expect(onDuty(BUNDLED, undefined, 'weather', at('19:59'))?.officer.name).toBe('王海军');
  });
});

describe('leadersOnDuty', () => {
  it('lists each leader on duty once, in roster order', () => {
    expect(leadersOnDuty(ROSTER, at('09:00')).map((l) => l.name)).toEqual(['102', '202', '302', '402']);
    expect(leadersOnDuty(ROSTER, at('02:00')).map((l) => l.name)).toEqual(['112', '202', '312']);
  });

  it('deduplicates a leader listed in several entries (by phone)', () => {
    const shared: RosterEntry[] = [
      { town: 'angsu', domains: ['*'], shifts: [shift('08:00', '20:00', '70')] },
      { town: 'chengchuan', domains: ['*'], shifts: [shift('08:00', '20:00', '70')] },
    ];
    expect(leadersOnDuty(shared, at('08:00'))).toHaveLength(1);
  });

  it('at 08:00 the bundled roster has the seven day leaders (towns, mine bureau, centre)', () => {
    const names = leadersOnDuty(BUNDLED, at('08:00')).map((l) => l.name);
    expect(names).toEqual(['高志军', '王建平', '杜文军', '孟庆华', '邓永红', '包金龙', '陈志明']);
  });
});
