import { z } from 'zod';
import { Domain, Duration, Id, Timestamp } from './common.ts';
import { MineSensorType } from './events.ts';
import { MineLocation } from './catalogue.ts';

/** SITE_KINDS: kinds of monitored sites. */
export const SiteKind = z.enum([
  'coal_mine', 'non_coal_mine', 'open_pit_mine', 'chemical_plant', 'substation',
  'power_line', 'construction_site', 'scenic_area', 'crowded_venue', 'logistics_park',
  'transport_operator', 'high_rise_building',
]).describe('coal_mine 煤矿, non_coal_mine 非煤矿山, open_pit_mine 露天矿, chemical_plant 危险化学品企业, substation 变电站, power_line 输电线路, construction_site 建筑工地, scenic_area 景区, crowded_venue 人员密集场所, logistics_park 物流园区, transport_operator 道路运输企业, high_rise_building 高层建筑');
export type SiteKind = z.infer<typeof SiteKind>;

/** SiteFlag: a hazard flag of a site in the reference data (rules may serve only flagged sites). */
export const SiteFlag = z.enum(['floodProne', 'geoHazard']).describe('floodProne (山洪/内涝易发), geoHazard (地质灾害易发)');
export type SiteFlag = z.infer<typeof SiteFlag>;

const Phone = z.string().regex(/^\+?[0-9-]{5,20}$/, 'expected a phone number such as +8613800000000');

/** ExpectedSensor: a sensor the reference data says must report. */
export const ExpectedSensor = z.strictObject({
  id: Id.describe('sensor id as the mine sends it in mine.reading.sensorId'),
  sensorType: MineSensorType,
  location: MineLocation,
  areaId: Id.optional().describe('mining area the sensor belongs to, e.g. 6201'),
});

/** Site: one monitored site. */
export const Site = z.strictObject({
  id: Id.describe('site id, the siteId of events, e.g. cm-aolezhaoqi-01'),
  name: z.string().min(1).describe('name in Chinese as shown and texted, e.g. 敖勒召其示范煤矿'),
  kind: SiteKind,
  town: Id.describe('town id: aolezhaoqi, shanghaimiao, chengchuan, angsu, shanghaimiao-edz'),
  lat: z.number().min(-90).max(90).describe('latitude, degrees (WGS-84)'),
  lon: z.number().min(-180).max(180).describe('longitude, degrees (WGS-84)'),
  unit: z.string().optional().describe('the responsible company (责任单位), if not the site name'),
  contacts: z
    .array(
      z.strictObject({
        name: z.string().describe('person name'),
        phone: Phone.describe('mobile number, e.g. +8613800000000'),
        role: z.string().optional().describe('role at the company, e.g. 安全负责人'),
      }),
    )
    .optional()
    .describe('the company\'s own contacts, texted the actions meant for the site (notify.siteContacts)'),
  sensors: z.array(ExpectedSensor).optional().describe('sensors that must report (expected subjects of absence rules)'),
  /**
   * per monitored item, its own limit settings (a tank level's `high`/`highHigh`, a gauge's
   * `warning`/`guaranteed` level, a venue's `capacity`), keyed by the item's `metric`: threshold
   * rules whose levels name a `ref` read them, so one rule serves every installation
   */
  limits: z.record(z.string().min(1), z.record(z.string().min(1), z.number())).optional().describe('per monitored item (keyed by its metric, e.g. tank_level_T101, water_level_m) its own settings in the metric\'s unit, e.g. {high: 80, highHigh: 90}, {warning: 3.2, guaranteed: 4.0}, {capacity: 5000}, {oel: 10}; threshold levels with `ref` read them'),
  /**
   * what this substation or line supplies that a site's safety depends on (a mine's main fan or
   * drainage pumps): a grid `outage` of the supplying equipment raises an alert at the supplied site
   */
  supplies: z
    .array(
      z.strictObject({
        siteId: Id.describe('the supplied site (in this file)'),
        load: z.enum(['main_fan', 'drainage_pumps', 'hoist', 'other']).describe('what it powers there: main_fan (主要通风机), drainage_pumps (主排水泵), hoist (提升机), other'),
        equipmentId: Id.optional().describe('the supplying equipment (feeder, bus); absent: any outage of this site'),
        description: z.string().max(200).optional().describe('e.g. 35kV 上庙Ⅰ回 → 一号煤矿主通风机房'),
      }),
    )
    .max(1000)
    .optional()
    .describe('loads of other sites this site supplies'),
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
    .optional()
    .describe('the feeds this site sends and how often; a silent feed raises a feed-health alert'),
  /** flash-flood prone (山洪/内涝易发: a valley, a low-lying area, a pit floor): heavy-rain and 山洪 rules serve it */
  floodProne: z.boolean().optional().describe('flash-flood prone (山洪/内涝易发): heavy-rain and 山洪 rules serve it'),
  /** geological-hazard prone (滑坡/崩塌/泥石流: a slope, an open-pit bench, a dump): 地质灾害 rules serve it */
  geoHazard: z.boolean().optional().describe('geological-hazard prone (滑坡/崩塌/泥石流): 地质灾害 rules serve it'),
});
export type Site = z.infer<typeof Site>;

/** SitesFile: the sites reference file, a YAML list of sites (CONTRACT.md §3). */
export const SitesFile = z.array(Site).min(1);
export type SitesFile = z.infer<typeof SitesFile>;

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected local time HH:MM');
const Person = z.strictObject({ name: z.string().min(1).describe('person name'), phone: Phone.describe('mobile number, e.g. +8613800000000') });

/** RosterEntry: who is on duty for a town and domains (local time; shifts may wrap midnight). */
export const RosterEntry = z.strictObject({
  town: z.union([Id, z.literal('*')]).describe('town id, or * for every town'),
  domains: z.array(z.union([Domain, z.literal('*')])).min(1).describe('domains covered (weather, mine, grid, enforcement, site, road, fire, system), or * for all'),
  shifts: z
    .array(
      z.strictObject({
        from: HhMm.describe('shift start, local time HH:MM (Asia/Shanghai)'),
        to: HhMm.describe('shift end, local time HH:MM; before from: the shift wraps midnight'),
        officer: Person.describe('duty officer (值班员), texted first'),
        leader: Person.describe('duty leader (带班领导), texted on escalation'),
      }),
    )
    .min(1)
    .describe('shifts of the day'),
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
export const SpecialEffect = z.enum(['escalate', 'forbid_high_risk_work', 'forbid_hot_work']).describe('escalate (提级管理: rules that escalate in special periods raise their severity one level), forbid_high_risk_work (严禁动火、检维修等高风险作业), forbid_hot_work (former name of forbid_high_risk_work)');
export type SpecialEffect = z.infer<typeof SpecialEffect>;

/** sameEffect tells whether two effect names mean the same (the former name `forbid_hot_work` is `forbid_high_risk_work`). */
export function sameEffect(a: SpecialEffect, b: SpecialEffect): boolean {
  const norm = (e: SpecialEffect): SpecialEffect => (e === 'forbid_hot_work' ? 'forbid_high_risk_work' : e);
  return norm(a) === norm(b);
}

/** SpecialPeriod: a calendar period with effects (提级管理, 严禁高风险作业). */
export const SpecialPeriod = z.strictObject({
  name: z.string().min(1).describe('name of the period, e.g. 全国两会'),
  from: Timestamp.describe('start (ISO-8601 with offset)'),
  to: Timestamp.describe('end (ISO-8601 with offset)'),
  effects: z.array(SpecialEffect).describe('what the period does'),
});
export type SpecialPeriod = z.infer<typeof SpecialPeriod>;
/** CalendarFile: special periods, a YAML list. */
export const CalendarFile = z.array(SpecialPeriod);
export type CalendarFile = z.infer<typeof CalendarFile>;
