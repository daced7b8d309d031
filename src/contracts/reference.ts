import { z } from 'zod';
import { Domain, Id, Timestamp } from './common.ts';
import { MineSensorType } from './events.ts';

/** SITE_KINDS: kinds of monitored sites. */
export const SiteKind = z.enum([
  'coal_mine', 'non_coal_mine', 'open_pit_mine', 'chemical_plant', 'substation',
  'power_line', 'construction_site', 'scenic_area', 'crowded_venue', 'logistics_park',
  'transport_operator', 'high_rise_building',
]);
export type SiteKind = z.infer<typeof SiteKind>;

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

/** SpecialPeriod: a calendar period with effects (提级管理, 严禁动火). */
export const SpecialPeriod = z.strictObject({
  name: z.string().min(1),
  from: Timestamp,
  to: Timestamp,
  effects: z.array(z.enum(['escalate', 'forbid_hot_work'])),
});
export type SpecialPeriod = z.infer<typeof SpecialPeriod>;
/** CalendarFile: special periods, a YAML list. */
export const CalendarFile = z.array(SpecialPeriod);
export type CalendarFile = z.infer<typeof CalendarFile>;
