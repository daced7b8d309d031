import { z } from 'zod';
import { Domain, Duration, Id, Timestamp } from './common.ts';
import { MineSensorType } from './events.ts';

/** SITE_KINDS: kinds of monitored sites. */
export const SiteKind = z.enum([
  'coal_mine', 'non_coal_mine', 'open_pit_mine', 'chemical_plant', 'substation',
  'power_line', 'construction_site', 'scenic_area', 'crowded_venue', 'logistics_park',
  'transport_operator', 'high_rise_building',
]);
export type SiteKind = z.infer<typeof SiteKind>;

/** SiteFlag: a hazard flag of a site in the reference data (rules may serve only flagged sites). */
export const SiteFlag = z.enum(['floodProne', 'geoHazard']);
export type SiteFlag = z.infer<typeof SiteFlag>;

const Phone = z.string().regex(/^\+?[0-9-]{5,20}$/, 'expected a phone number such as +8613800000000');

/** ExpectedSensor: a sensor the reference data says must report. */
export const ExpectedSensor = z.strictObject({
  id: Id,
  sensorType: MineSensorType,
  location: z.string().min(1),
  areaId: Id.optional(),
});

/** Site: one monitored site. */
export const Site = z.strictObject({
  id: Id,
  name: z.string().min(1),
  kind: SiteKind,
  town: Id,
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  unit: z.string().optional(),
  contacts: z.array(z.strictObject({ name: z.string(), phone: Phone, role: z.string().optional() })).optional(),
  sensors: z.array(ExpectedSensor).optional(),
  /**
   * per monitored item, its own limit settings (a tank level's `high`/`highHigh`, a gauge's
   * `warning`/`guaranteed` level, a venue's `capacity`), keyed by the item's `metric`: threshold
   * rules whose levels name a `ref` read them, so one rule serves every installation
   */
  limits: z.record(z.string().min(1), z.record(z.string().min(1), z.number())).optional(),
  /**
   * the feeds this site sends and how often (a gauge every 10 min, a visitor count every 30 min):
   * absence rules with `expected: { from: feeds }` raise a feed-health alert when one is silent for
   * `periods` (default 3) times `every`, including a feed that never reported
   */
  feeds: z
    .array(
      z.strictObject({
        type: z.string().min(1).describe('the event type of the feed, e.g. site.reading or grid.reading'),
        metric: z.string().min(1).optional().describe('site.reading: the metric of the feed'),
        every: Duration.optional().describe('the expected period, e.g. 10m (default: the rule\'s period)'),
      }).refine((f) => f.type !== 'site.reading' || f.metric !== undefined, { message: 'a site.reading feed names its metric (each metric of a site is a feed of its own)', path: ['metric'] }),
    )
    .max(1000)
    .optional(),
  /** flash-flood prone (山洪/内涝易发: a valley, a low-lying area, a pit floor): heavy-rain and 山洪 rules serve it */
  floodProne: z.boolean().optional(),
  /** geological-hazard prone (滑坡/崩塌/泥石流: a slope, an open-pit bench, a dump): 地质灾害 rules serve it */
  geoHazard: z.boolean().optional(),
});
export type Site = z.infer<typeof Site>;

/** SitesFile: the sites reference file, a YAML list of sites (CONTRACT.md §3). */
export const SitesFile = z.array(Site).min(1);
export type SitesFile = z.infer<typeof SitesFile>;

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected local time HH:MM');
const Person = z.strictObject({ name: z.string().min(1), phone: Phone });

/** RosterEntry: who is on duty for a town and domains (local time; shifts may wrap midnight). */
export const RosterEntry = z.strictObject({
  town: z.union([Id, z.literal('*')]),
  domains: z.array(z.union([Domain, z.literal('*')])).min(1),
  shifts: z.array(z.strictObject({ from: HhMm, to: HhMm, officer: Person, leader: Person })).min(1),
});
export type RosterEntry = z.infer<typeof RosterEntry>;
/** RosterFile: the duty roster, a YAML list of entries. */
export const RosterFile = z.array(RosterEntry).min(1);
export type RosterFile = z.infer<typeof RosterFile>;

/**
 * SpecialEffect: what a special period does — `escalate` (提级管理) or `forbid_high_risk_work`
 * (严禁动火、检维修等高风险作业: every special work type of a permit). `forbid_hot_work` is its
 * former name, still accepted and read as `forbid_high_risk_work` (sameEffect).
 */
export const SpecialEffect = z.enum(['escalate', 'forbid_high_risk_work', 'forbid_hot_work']);
export type SpecialEffect = z.infer<typeof SpecialEffect>;

/** sameEffect tells whether two effect names mean the same (the former name `forbid_hot_work` is `forbid_high_risk_work`). */
export function sameEffect(a: SpecialEffect, b: SpecialEffect): boolean {
  const norm = (e: SpecialEffect): SpecialEffect => (e === 'forbid_hot_work' ? 'forbid_high_risk_work' : e);
  return norm(a) === norm(b);
}

/** SpecialPeriod: a calendar period with effects (提级管理, 严禁高风险作业). */
export const SpecialPeriod = z.strictObject({
  name: z.string().min(1),
  from: Timestamp,
  to: Timestamp,
  effects: z.array(SpecialEffect),
});
export type SpecialPeriod = z.infer<typeof SpecialPeriod>;
/** CalendarFile: special periods, a YAML list. */
export const CalendarFile = z.array(SpecialPeriod);
export type CalendarFile = z.infer<typeof CalendarFile>;
