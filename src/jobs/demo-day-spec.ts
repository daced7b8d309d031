import { join } from 'node:path';
import { z } from 'zod';
import { loadYamlAs } from '../config/yaml.ts';
import { PROJECT_ROOT } from '../config/paths.ts';
import { MineSensorType } from '../contracts/events.ts';

// The format of a SIMULATED day (deploy/demo/day.yaml): the seed, the series shapes of mine, grid and
// site telemetry, overrides, and the scripted incidents. Generated into events by demo-day.ts.

/** DAY_SPEC: the bundled simulated day. */
export const DAY_SPEC = join(PROJECT_ROOT, 'deploy', 'demo', 'day.yaml');

const HhMm = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$|^24:00$/, 'expected HH:MM or HH:MM:SS');
const Shape = {
  decimals: z.number().int().min(0).max(4).default(2),
  /** peak-to-trough of the diurnal cycle, as a share of [min, max] */
  swing: z.number().min(0).max(1).default(0.3),
  /** spread of the per-reading noise, as a share of [min, max] */
  noise: z.number().min(0).max(1).default(0.2),
  /** local time of the diurnal maximum (drawn per series when absent) */
  peak: HhMm.optional(),
};
const MineRange = z.strictObject({
  sensorType: MineSensorType,
  location: z.union([z.string(), z.array(z.string())]).optional(),
  unit: z.string().min(1).optional(),
  min: z.number(),
  max: z.number(),
  ...Shape,
});
const GridSeries = z.strictObject({
  siteId: z.string().min(1),
  equipmentId: z.string().min(1),
  quantity: z.enum(['frequency', 'voltage', 'load', 'oil_temp']),
  unit: z.string().min(1),
  nominal: z.number().positive().optional(),
  min: z.number(),
  max: z.number(),
  ...Shape,
});
const SiteSeries = z.strictObject({
  siteId: z.string().min(1),
  metric: z.string().min(1),
  unit: z.string().min(1),
  periodMin: z.number().int().positive(),
  min: z.number(),
  max: z.number(),
  ...Shape,
});
const Override = z
  .strictObject({
    site: z.string().min(1),
    sensor: z.string().min(1).optional(),
    quantity: z.enum(['frequency', 'voltage', 'load', 'oil_temp']).optional(),
    metric: z.string().min(1).optional(),
    points: z.array(z.tuple([HhMm, z.number()])).min(2).optional(),
    noise: z.number().nonnegative().optional(),
    value: z.number().optional(),
    silent: z.literal(true).optional(),
    status: z.enum(['ok', 'calibrating', 'fault', 'maintenance']).optional(),
    from: HhMm.optional(),
    to: HhMm.optional(),
  })
  .refine((o) => [o.points, o.value, o.silent, o.status].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of points, value, silent, status' })
  .refine((o) => o.points !== undefined || (o.from !== undefined && o.to !== undefined), { message: 'value, silent and status need from and to' });
const ScriptedEvent = z
  .strictObject({
    at: HhMm.optional(),
    after: z.strictObject({ site: z.string().min(1), sensor: z.string().min(1), at: HhMm, sec: z.number().nonnegative() }).optional(),
    event: z.record(z.string(), z.unknown()),
  })
  .refine((e) => (e.at === undefined) !== (e.after === undefined), { message: 'give exactly one of at, after' });
const Incident = z.strictObject({
  at: HhMm,
  title: z.string().min(1),
  comment: z.string().min(1),
  series: z.array(Override).default([]),
  events: z.array(ScriptedEvent).default([]),
});

/** DaySpec: deploy/demo/day.yaml (see the comment at its top). */
export const DaySpec = z.strictObject({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  seed: z.number().int(),
  replay: z.strictObject({ from: HhMm, speed: z.number().positive() }),
  background: z.strictObject({
    mine: z.strictObject({ periodSec: z.number().int().positive().max(60), ranges: z.array(MineRange).min(1) }),
    grid: z.strictObject({ periodSec: z.number().int().positive(), series: z.array(GridSeries) }),
    site: z.array(SiteSeries).default([]),
  }),
  incidents: z.array(Incident),
});
export type DaySpec = z.infer<typeof DaySpec>;
export type DayIncident = z.infer<typeof Incident>;

/** loadDaySpec reads and validates a day spec; errors name file and path. */
export function loadDaySpec(file: string = DAY_SPEC): DaySpec {
  return loadYamlAs(file, DaySpec, 'CONFIG_INVALID');
}

