import { TOPIC_TYPES } from '../contracts/events.ts';
import type { DaySpec } from './demo-day-spec.ts';

export { DAY_SPEC, loadDaySpec, DaySpec, type DayIncident } from './demo-day-spec.ts';
import type { ReferenceData } from '../enrich/reference.ts';

// A SIMULATED flood-season day (deploy/demo/day.yaml) turned into input events: background telemetry
// for every reference sensor of every coal mine, grid and site series, plus scripted incidents.
// Deterministic: no clock, no Math.random — a counter-based PRNG keyed by the spec's seed and the
// series, so the same spec and reference data give byte-identical output on every run, and editing
// one incident does not change the noise of any other series.

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** DemoItem: one generated input event (raw producer JSON, ISO timestamps) with its topic and event time (ms). */
export interface DemoItem {
  topic: string;
  event: Record<string, unknown>;
  t: number;
}

/** GenerateOptions: where to start, and whether background telemetry goes on after the day (live demo). */
export interface GenerateOptions {
  /** first instant (ms) to emit; earlier events are skipped */
  from?: number;
  /** after the day ends, keep emitting background telemetry (no incidents) for the following days */
  continueBackground?: boolean;
}

// ── time ──

/** dayStart: local midnight (+08:00) of the spec's date, in ms. */
export function dayStart(spec: Pick<DaySpec, 'date'>): number {
  return Date.parse(`${spec.date}T00:00:00+08:00`);
}

/** timeOfDay turns "HH:MM[:SS]" on the spec's date (or a full ISO-8601 instant) into ms. */
export function timeOfDay(spec: Pick<DaySpec, 'date'>, hhmm: string): number {
  if (hhmm.includes('T')) {
    const t = Date.parse(hhmm);
    if (Number.isNaN(t)) throw new Error(`invalid instant "${hhmm}"`);
    return t;
  }
  const [h, m, s] = hhmm.split(':').map(Number) as [number, number, number | undefined];
  return dayStart(spec) + h * 3_600_000 + m * MINUTE + (s ?? 0) * 1000;
}

/** isoLocal renders ms as ISO-8601 with offset +08:00, without milliseconds when whole seconds. */
export function isoLocal(ms: number): string {
  const iso = new Date(ms + 8 * 3_600_000).toISOString();
  return `${ms % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23)}+08:00`;
}

/** TIME_FIELDS: event fields holding instants (as in src/jobs/demo.ts). */
const TIME_FIELDS = ['ts', 'sent', 'onset', 'expires', 'foundAt', 'deadline', 'validFrom', 'validTo', 'occurredAt', 'reportedAt', 'forwardedAt', 'casualtiesChangedAt', 'followUpAt'];

// ── deterministic PRNG (counter-based: value = f(seed, series, reading index)) ──

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashStr(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** uniform: a number in [0, 1) for (series hash, reading index, salt). */
function uniform(h: number, k: number, salt = 0): number {
  return fmix32(h ^ fmix32(Math.imul(k + 1, 0x9e3779b9) ^ salt)) / 4_294_967_296;
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

// ── series ──

interface CompiledOverride {
  from: number;
  to: number;
  silent?: boolean;
  status?: string;
  value?: number;
  points?: { t: number; v: number }[];
  noise?: number;
}

interface Series {
  key: string;
  topic: string;
  period: number;
  offset: number;
  hash: number;
  level: number;
  peakMin: number;
  lo: number;
  hi: number;
  decimals: number;
  swing: number;
  noise: number;
  overrides: CompiledOverride[];
  make(value: number, ts: string, status: string | undefined): Record<string, unknown>;
  status: boolean;
}

function seriesShape(spec: DaySpec, key: string, r: { min: number; max: number; decimals: number; swing: number; noise: number; peak?: string | undefined }) {
  const hash = hashStr(key, spec.seed);
  const peakMin = r.peak !== undefined ? Math.round((timeOfDay(spec, r.peak) - dayStart(spec)) / MINUTE) : Math.floor(uniform(hash, -1, 7) * 1440);
  return { hash, level: 0.2 + 0.6 * uniform(hash, -1, 3), peakMin, lo: r.min, hi: r.max, decimals: r.decimals, swing: r.swing, noise: r.noise };
}

function asList(x: string | string[] | undefined): string[] | undefined {
  return x === undefined ? undefined : Array.isArray(x) ? x : [x];
}

function buildSeries(spec: DaySpec, ref: ReferenceData): Series[] {
  const out: Series[] = [];
  const mineTopic = 'risk.mine.telemetry';
  const minePeriod = spec.background.mine.periodSec * 1000;
  for (const site of ref.sites.values()) {
    if (site.kind !== 'coal_mine') continue;
    const base = hashStr(`offset:${site.id}`, spec.seed) % Math.max(1, 60 - 2 * (site.sensors?.length ?? 0));
    (site.sensors ?? []).forEach((s, i) => {
      const r = spec.background.mine.ranges.find((x) => x.sensorType === s.sensorType && (asList(x.location)?.includes(s.location) ?? true));
      if (!r) throw new Error(`day spec: no background range for ${site.id}/${s.id} (${s.sensorType} at ${s.location})`);
      const key = `mine:${site.id}/${s.id}`;
      const unit = r.unit ?? '%';
      out.push({
        key,
        topic: mineTopic,
        period: minePeriod,
        offset: (((base + 2 * i) * 1000) % minePeriod),
        ...seriesShape(spec, key, r),
        overrides: [],
        status: true,
        make: (value, ts, status) => ({
          type: 'mine.reading',
          siteId: site.id,
          sensorId: s.id,
          sensorType: s.sensorType,
          location: s.location,
          ...(s.areaId ? { areaId: s.areaId } : {}),
          value,
          unit,
          status: status ?? 'ok',
          ts,
          simulated: true,
        }),
      });
    });
  }
  const gridPeriod = spec.background.grid.periodSec * 1000;
  for (const g of spec.background.grid.series) {
    if (!ref.sites.has(g.siteId)) throw new Error(`day spec: background.grid: unknown site ${g.siteId}`);
    const key = `grid:${g.siteId}/${g.quantity}/${g.equipmentId}`;
    const shape = seriesShape(spec, key, g);
    out.push({
      key,
      topic: 'risk.grid.telemetry',
      period: gridPeriod,
      offset: (shape.hash % 60) * 1000,
      ...shape,
      overrides: [],
      status: false,
      make: (value, ts) => ({
        type: 'grid.reading',
        siteId: g.siteId,
        equipmentId: g.equipmentId,
        quantity: g.quantity,
        value,
        unit: g.unit,
        ...(g.nominal !== undefined ? { nominal: g.nominal } : {}),
        ts,
        simulated: true,
      }),
    });
  }
  for (const s of spec.background.site) {
    if (!ref.sites.has(s.siteId)) throw new Error(`day spec: background.site: unknown site ${s.siteId}`);
    const key = `site:${s.siteId}/${s.metric}`;
    const shape = seriesShape(spec, key, s);
    out.push({
      key,
      topic: 'risk.site.telemetry',
      period: s.periodMin * MINUTE,
      offset: (shape.hash % 60) * 1000,
      ...shape,
      overrides: [],
      status: false,
      make: (value, ts) => ({ type: 'site.reading', siteId: s.siteId, metric: s.metric, value, unit: s.unit, ts, simulated: true }),
    });
  }
  return out;
}

function compileOverrides(spec: DaySpec, ref: ReferenceData, series: Series[]): void {
  const byKey = new Map(series.map((s) => [s.key, s]));
  for (const inc of spec.incidents) {
    for (const o of inc.series) {
      const where = `incident ${inc.at} ${inc.title}`;
      const site = ref.sites.get(o.site);
      if (!site) throw new Error(`day spec: ${where}: unknown site ${o.site}`);
      let targets: Series[];
      if (o.sensor !== undefined) {
        const s = byKey.get(`mine:${o.site}/${o.sensor}`);
        if (!s) throw new Error(`day spec: ${where}: ${o.site} has no reference sensor ${o.sensor}`);
        targets = [s];
      } else if (o.quantity !== undefined) {
        targets = series.filter((s) => s.key.startsWith(`grid:${o.site}/${o.quantity}/`));
      } else if (o.metric !== undefined) {
        targets = series.filter((s) => s.key === `site:${o.site}/${o.metric}`);
      } else {
        targets = series.filter((s) => s.key.startsWith(`mine:${o.site}/`));
      }
      if (targets.length === 0) throw new Error(`day spec: ${where}: no background series of ${o.site} matches`);
      if (o.status !== undefined && targets.some((t) => !t.status)) throw new Error(`day spec: ${where}: status applies to mine sensors only`);
      let c: CompiledOverride;
      if (o.points) {
        const points = o.points.map(([hh, v]) => ({ t: timeOfDay(spec, hh), v }));
        for (let i = 1; i < points.length; i++) if (points[i]!.t <= points[i - 1]!.t) throw new Error(`day spec: ${where}: points must be in time order`);
        // the reading in the last keyframe's minute still gets its value
        c = { from: points[0]!.t, to: points.at(-1)!.t + MINUTE, points, ...(o.noise !== undefined ? { noise: o.noise } : {}) };
      } else {
        c = { from: timeOfDay(spec, o.from!), to: timeOfDay(spec, o.to!) };
        if (o.silent) c.silent = true;
        if (o.status !== undefined) c.status = o.status;
        if (o.value !== undefined) c.value = o.value;
      }
      if (c.to <= c.from) throw new Error(`day spec: ${where}: empty time range`);
      for (const t of targets) t.overrides.push(c);
    }
  }
}

function interpolate(points: { t: number; v: number }[], t: number): number {
  const m = Math.floor(t / MINUTE) * MINUTE; // the reading's minute
  if (m <= points[0]!.t) return points[0]!.v;
  for (let i = 1; i < points.length; i++) {
    const b = points[i]!;
    if (m <= b.t) {
      const a = points[i - 1]!;
      return a.v + ((b.v - a.v) * (m - a.t)) / (b.t - a.t);
    }
  }
  return points.at(-1)!.v;
}

/** reading renders one reading of a series at reading index k (time t), or undefined when silent. */
function reading(s: Series, k: number, t: number, start: number, inDay: boolean): Record<string, unknown> | undefined {
  const minuteOfDay = ((t - start) / MINUTE) % 1440;
  const diurnal = Math.cos((2 * Math.PI * (minuteOfDay - s.peakMin)) / 1440);
  const shape = Math.min(1, Math.max(0, s.level + (s.swing / 2) * diurnal + s.noise * (uniform(s.hash, k) - 0.5)));
  let value = s.lo + (s.hi - s.lo) * shape;
  let status: string | undefined;
  if (inDay) {
    for (const o of s.overrides) {
      if (t < o.from || t >= o.to) continue;
      if (o.silent) return undefined;
      if (o.status !== undefined) status = o.status;
      if (o.value !== undefined) value = o.value;
      if (o.points) value = interpolate(o.points, t) + (o.noise ? o.noise * (2 * uniform(s.hash, k, 11) - 1) : 0);
    }
  }
  return s.make(round(Math.max(0, value), s.decimals), isoLocal(t), status);
}

const TOPIC_OF = new Map(Object.entries(TOPIC_TYPES).flatMap(([topic, types]) => types.map((t) => [t as string, topic] as const)));

interface Scripted {
  t: number;
  topic: string;
  event: Record<string, unknown>;
}

function scriptedEvents(spec: DaySpec, ref: ReferenceData, series: Series[], start: number): Scripted[] {
  const byKey = new Map(series.map((s) => [s.key, s]));
  const out: Scripted[] = [];
  for (const inc of spec.incidents) {
    for (const item of inc.events) {
      const where = `incident ${inc.at} ${inc.title}`;
      let t: number;
      if (item.after) {
        const s = byKey.get(`mine:${item.after.site}/${item.after.sensor}`);
        if (!s) throw new Error(`day spec: ${where}: after: ${item.after.site} has no reference sensor ${item.after.sensor}`);
        const at = timeOfDay(spec, item.after.at);
        const k = Math.ceil((at - start - s.offset) / s.period);
        t = start + s.offset + k * s.period + Math.round(item.after.sec * 1000);
      } else t = timeOfDay(spec, item.at!);
      const raw = item.event;
      const type = raw.type;
      const topic = typeof type === 'string' ? TOPIC_OF.get(type) : undefined;
      if (topic === undefined) throw new Error(`day spec: ${where}: unknown event type ${String(type)}`);
      const siteId = raw.siteId;
      if (typeof siteId === 'string' && !ref.sites.has(siteId)) throw new Error(`day spec: ${where}: unknown site ${siteId}`);
      const event: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) event[k] = TIME_FIELDS.includes(k) && typeof v === 'string' ? isoLocal(timeOfDay(spec, v)) : v;
      const iso = isoLocal(t);
      if (type === 'weather.warning') {
        event.sent ??= iso;
        event.onset ??= event.sent;
      } else event.ts ??= iso;
      event.simulated = true;
      out.push({ t, topic, event });
    }
  }
  // stable: same-instant events keep their order in the spec
  return out.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map(({ e }) => e);
}

/**
 * generateDemoDay yields the simulated day of `spec` over the reference data, in event-time order:
 * background telemetry from 00:00 to 24:00 (every reference sensor of every coal mine, the grid and
 * site series) merged with the scripted incidents. Every event carries `simulated: true`.
 *
 * @example
 * for (const { topic, event } of generateDemoDay(loadDaySpec(), reference)) publish(topic, event);
 */
export function* generateDemoDay(spec: DaySpec, ref: ReferenceData, opts: GenerateOptions = {}): Generator<DemoItem> {
  const start = dayStart(spec);
  const end = start + DAY;
  const series = buildSeries(spec, ref);
  compileOverrides(spec, ref, series);
  const scripted = scriptedEvents(spec, ref, series, start);
  const from = opts.from ?? start;
  let si = 0;
  while (si < scripted.length && scripted[si]!.t < from) si++;
  const chunk: { t: number; order: number; item: DemoItem }[] = [];
  // one minute at a time: every series' readings in the minute plus the scripted events, sorted
  for (let c = Math.floor((from - start) / MINUTE) * MINUTE + start; opts.continueBackground || c < end; c += MINUTE) {
    chunk.length = 0;
    const cEnd = c + MINUTE;
    series.forEach((s, order) => {
      for (let k = Math.max(0, Math.ceil((c - start - s.offset) / s.period)); ; k++) {
        const t = start + s.offset + k * s.period;
        if (t >= cEnd) break;
        if (t < from) continue;
        const event = reading(s, k, t, start, t < end);
        if (event) chunk.push({ t, order, item: { topic: s.topic, event, t } });
      }
    });
    while (si < scripted.length && scripted[si]!.t < cEnd) {
      const e = scripted[si]!;
      chunk.push({ t: e.t, order: series.length + si, item: { topic: e.topic, event: e.event, t: e.t } });
      si++;
    }
    chunk.sort((a, b) => a.t - b.t || a.order - b.order);
    for (const x of chunk) yield x.item;
  }
}

/** incidentList: the scripted incidents with their times and comments (for reports and the CLI). */
export function incidentList(spec: DaySpec): { at: string; title: string; comment: string }[] {
  return spec.incidents.map((i) => ({ at: i.at, title: i.title, comment: i.comment }));
}
