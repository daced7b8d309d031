// Bench-only: a deterministic synthetic event stream over the bundled reference data.
// 80 % mine telemetry (2,000 sensors at the coal mines), 15 % grid readings at the substations,
// 5 % other (site.reading, enforcement.*, weather.nowcast). Mostly normal values; a few sensors
// drift over their thresholds and back, so alerts fire, escalate and resolve.
import type { ReferenceData } from '../../src/enrich/reference.ts';
import { LOCATIONS, SENSOR_MIX, UNITS, mulberry32, pick, sensorProfile, shuffle, type Stream } from './synth-profiles.ts';

export { mulberry32 } from './synth-profiles.ts';

/** Topics of the stream, indexed by the byte stored per event. */
export const TOPICS = ['risk.mine.telemetry', 'risk.grid.telemetry', 'risk.site.telemetry', 'risk.enforcement.events', 'risk.weather.nowcast'] as const;
const T_MINE = 0;
const T_GRID = 1;
const T_SITE = 2;
const T_ENF = 3;
const T_NOWCAST = 4;

/** Chunk: `count` events as one byte buffer, `offsets` (count + 1) and a topic index per event. */
export interface Chunk {
  data: Buffer;
  offsets: Uint32Array;
  topics: Uint8Array;
  count: number;
  bytes: number;
}

interface MineSensor extends Stream {
  prefix: string; // JSON up to "value":
  suffix: string; // after the value, before "ts"
}

interface GridPoint extends Stream {
  prefix: string;
  suffix: string;
}

const WORKS = ['hot_work', 'confined_space', 'work_at_height', 'maintenance'] as const;

const BASE_TIME = Date.parse('2024-07-16T09:00:00+08:00');
const STEP_MS = 5; // event time per event: each of the 2,000 mine sensors reports every ~12.5 s
const CST = 8 * 3_600_000;

/** GeneratorOptions: sizes of the synthetic population. */
export interface GeneratorOptions {
  seed?: number;
  sensors?: number;
  /** chance that a reading starts an excursion over a limit */
  excursionRate?: number;
}

/**
 * Generator produces the synthetic stream chunk by chunk; consecutive chunks continue the same
 * stream (event time, sensor state), so a soak can run far past what fits in memory.
 */
export class Generator {
  private readonly rnd: () => number;
  private readonly mine: MineSensor[] = [];
  private readonly grid: GridPoint[] = [];
  private readonly otherSites: { site: string[]; chem: string[]; crowd: string[] };
  private readonly excursionRate: number;
  private seq = 0;
  // sensors, grid points and radar cells report in turn (a polling cycle), as real systems do:
  // picking at random would leave random gaps long enough to trip the absence rules
  private mineAt = 0;
  private gridAt = 0;
  private cellAt = 0;
  private readonly cells: Array<Stream & { lat: number; lon: number; radiusKm: number; id: string }> = [];
  private hazardSeq = 0;
  private accidentSeq = 0;
  private permitSeq = 0;
  private inspectionSeq = 0;
  // a hazard or accident keeps its site, level and times from first report to closing
  private readonly openHazards: Array<{ hazardId: string; siteId: string; level: string; foundAt: string; deadline: string; rectified: boolean }> = [];
  private readonly openAccidents: Array<{ accidentId: string; siteId: string; occurredAt: string }> = [];
  /** counts per event kind, for the report */
  readonly mix = { mine: 0, grid: 0, site: 0, enforcement: 0, nowcast: 0 };
  readonly sensorCount: number;
  readonly gridPoints: number;

  constructor(ref: ReferenceData, opts: GeneratorOptions = {}) {
    this.rnd = mulberry32(opts.seed ?? 20240716);
    this.excursionRate = opts.excursionRate ?? 1 / 1000;
    const want = opts.sensors ?? 2000;
    const sites = [...ref.sites.values()];
    const mines = sites.filter((s) => s.kind === 'coal_mine');
    if (mines.length === 0) throw new Error('no coal mines in the reference data');
    const r = this.rnd;
    // the reference sensors first, with their real ids, locations and areas
    for (const m of mines) {
      for (const s of m.sensors ?? []) {
        if (this.mine.length >= want) break;
        this.mine.push(this.mineSensor(m.id, s.id, s.sensorType, s.location, s.areaId, true));
      }
    }
    // then synthetic sensors (CH4-B0001 ...) spread round-robin over the mines
    let n = 0;
    while (this.mine.length < want) {
      const m = mines[n % mines.length]!;
      n++;
      const type = pick(SENSOR_MIX, r());
      const locs = LOCATIONS[type]!;
      const location = locs[Math.floor(r() * locs.length)]!;
      const id = `${type}-B${String(n).padStart(4, '0')}`;
      // about half carry their area in the event; the others leave it to enrich (reference lookup)
      const area = r() < 0.5 ? `ws${1000 + Math.floor(r() * 40)}` : undefined;
      this.mine.push(this.mineSensor(m.id, id, type, location, area, r() < 0.5));
    }
    this.sensorCount = this.mine.length;
    for (const s of sites.filter((x) => x.kind === 'substation')) this.addSubstation(s.id);
    this.gridPoints = this.grid.length;
    shuffle(this.mine, r);
    shuffle(this.grid, r);
    for (let c = 0; c < 60; c++) {
      // radar cells: mostly weak echoes; now and then one grows into a convective cell and decays
      this.cells.push({
        base: 5 + r() * 25, noise: 2, target: 45 + r() * 15, excLen: 0, excPos: 0, lo: 0, hi: 75, decimals: 1,
        lat: 37.8 + r() * 0.6, lon: 106.8 + r() * 0.9, radiusKm: 2 + r() * 10, id: `NC-${String(c).padStart(3, '0')}`,
      });
    }
    this.otherSites = {
      site: sites.map((s) => s.id),
      chem: sites.filter((s) => s.kind === 'chemical_plant').map((s) => s.id),
      crowd: sites.filter((s) => s.kind === 'crowded_venue' || s.kind === 'scenic_area').map((s) => s.id),
    };
  }

  private mineSensor(siteId: string, sensorId: string, type: string, location: string, areaId: string | undefined, withArea: boolean): MineSensor {
    const p = sensorProfile(type, location, this.rnd);
    const head = JSON.stringify({ type: 'mine.reading', siteId, sensorId, sensorType: type, location });
    const area = withArea && areaId !== undefined ? `,"areaId":${JSON.stringify(areaId)}` : '';
    return {
      base: p.base,
      noise: p.noise,
      target: p.target(),
      excLen: 0,
      excPos: 0,
      lo: p.lo,
      hi: p.hi,
      decimals: p.decimals,
      prefix: `${head.slice(0, -1)},"value":`,
      suffix: `,"unit":${JSON.stringify(UNITS[type])},"status":"ok"${area},"system":"KJ90X"`,
    };
  }

  private addSubstation(siteId: string): void {
    const kv = Number(/(\d+)kv/.exec(siteId)?.[1] ?? 110);
    const levels = kv >= 220 ? [220, 110, 10] : kv >= 110 ? [110, 35, 10] : [35, 10];
    const r = this.rnd;
    const u = (a: number, b: number) => a + (b - a) * r();
    let rtu = 0;
    const point = (equipmentId: string, quantity: string, unit: string, nominal: number | undefined, base: number, noise: number, target: () => number, decimals: number): void => {
      const head = JSON.stringify({ type: 'grid.reading', siteId, equipmentId, quantity });
      this.grid.push({
        base, noise, target: target(), excLen: 0, excPos: 0, lo: 0, hi: 1e6, decimals,
        prefix: `${head.slice(0, -1)},"value":`,
        suffix: `,"unit":${JSON.stringify(unit)}${nominal !== undefined ? `,"nominal":${nominal}` : ''},"rtu":"RTU-${String(++rtu).padStart(2, '0')}"`,
      });
    };
    point(`BUS-${levels[0]}kV-I`, 'frequency', 'Hz', undefined, 50, 0.01, () => 50 + (r() < 0.5 ? -1 : 1) * u(0.2, 0.6), 3);
    for (const v of levels) {
      for (const bus of ['I', 'II']) {
        const band = v <= 20 ? 7 : 10;
        point(`BUS-${v}kV-${bus}`, 'voltage', 'kV', v, v * u(0.99, 1.03), v * 0.004, () => v * (1 + (r() < 0.5 ? -1 : 1) * u(band, band * 1.6) / 100), 2);
      }
    }
    for (const t of ['T1', 'T2']) {
      point(t, 'load', '%', undefined, u(40, 75), 1.5, () => u(90, 135), 1);
      point(t, 'oil_temp', 'C', undefined, u(45, 65), 0.4, () => u(80, 95), 1);
    }
  }

  /** value advances a stream one reading: noise around the baseline, or the next step of an excursion. */
  private value(s: Stream): string {
    const r = this.rnd;
    let v = s.base + (r() * 2 - 1) * s.noise;
    if (s.excLen > 0) {
      // triangular: up to the target at mid-excursion and back down
      const x = s.excPos / s.excLen;
      const k = x < 0.5 ? x * 2 : (1 - x) * 2;
      v += (s.target - s.base) * k;
      if (++s.excPos > s.excLen) {
        s.excLen = 0;
        s.target = s.base + (s.target - s.base) * (0.7 + 0.6 * r());
      }
    } else if (r() < this.excursionRate) {
      s.excLen = 8 + Math.floor(r() * 24);
      s.excPos = 0;
    }
    if (v < s.lo) v = s.lo;
    if (v > s.hi) v = s.hi;
    return v.toFixed(s.decimals).replace(/\.?0+$/, '') || '0';
  }

  /** tsAt: event time as the monitoring systems send it, ISO-8601 with milliseconds and +08:00. */
  private tsAt(t: number): string {
    return `${new Date(t + CST).toISOString().slice(0, 23)}+08:00`;
  }

  private iso(t: number): string {
    return `${new Date(t + CST).toISOString().slice(0, 19)}+08:00`;
  }

  /** next renders the next event: [topic index, JSON text]. */
  private next(): [number, string] {
    const r = this.rnd;
    const i = this.seq++;
    // readings arrive up to 2 s out of order, well inside the engine's 120 s lateness
    const t = BASE_TIME + i * STEP_MS - Math.floor(r() * 2000);
    const ts = this.tsAt(t);
    const k = r();
    if (k < 0.8) {
      this.mix.mine++;
      const s = this.mine[this.mineAt++ % this.mine.length]!;
      return [T_MINE, `${s.prefix}${this.value(s)}${s.suffix},"ts":"${ts}"}`];
    }
    if (k < 0.95) {
      this.mix.grid++;
      const g = this.grid[this.gridAt++ % this.grid.length]!;
      return [T_GRID, `${g.prefix}${this.value(g)}${g.suffix},"ts":"${ts}"}`];
    }
    // other: 55 % site telemetry, 35 % radar nowcast, 10 % enforcement (rare in reality)
    const o = r();
    if (o < 0.55) {
      this.mix.site++;
      const chem = r() < 0.6;
      const list = chem ? this.otherSites.chem : this.otherSites.crowd;
      const siteId = list[Math.floor(r() * list.length)] ?? 'cp-edz-01';
      const e = chem
        ? { type: 'site.reading', siteId, metric: 'tank_level', value: Math.round(r() * 900) / 10, unit: '%', ts, sourceId: `TK-${Math.floor(r() * 12)}` }
        : { type: 'site.reading', siteId, metric: 'crowd_count', value: Math.floor(r() * 8000), unit: 'persons', ts, sourceId: `GATE-${Math.floor(r() * 6)}` };
      return [T_SITE, JSON.stringify(e)];
    }
    if (o < 0.9) {
      this.mix.nowcast++;
      const c = this.cells[this.cellAt++ % this.cells.length]!;
      const dbz = Number(this.value(c));
      return [T_NOWCAST, JSON.stringify({
        type: 'weather.nowcast',
        cellId: c.id,
        ts,
        lat: Math.round(c.lat * 1000) / 1000,
        lon: Math.round(c.lon * 1000) / 1000,
        radiusKm: Math.round(c.radiusKm * 10) / 10,
        reflectivityDbz: dbz,
        lightningPer10Min: dbz >= 40 ? Math.floor(r() * 12) : 0,
      })];
    }
    this.mix.enforcement++;
    return [T_ENF, this.enforcement(t, ts)];
  }

  /** enforcement events follow a lifecycle (hazards open then close, accidents are reported), as in reality. */
  private enforcement(t: number, ts: string): string {
    const r = this.rnd;
    const sites = this.otherSites.site;
    const siteId = sites[Math.floor(r() * sites.length)]!;
    const k = r();
    if (k < 0.3) {
      // lifecycle: open → (rectified) → closed, oldest first, 10–30 open at a time; deadlines 2 h to 7 days
      const open = this.openHazards.length;
      if (open > 30 || (open > 10 && r() < 0.5)) {
        const h = this.openHazards[0]!;
        const status = !h.rectified && r() < 0.5 ? 'rectified' : 'closed';
        if (status === 'closed') this.openHazards.shift();
        else h.rectified = true;
        return JSON.stringify({ type: 'enforcement.hazard', hazardId: h.hazardId, siteId: h.siteId, level: h.level, status, foundAt: h.foundAt, deadline: h.deadline, ts });
      }
      const h = {
        hazardId: `HZ-2024-${String(++this.hazardSeq).padStart(6, '0')}`, siteId, level: r() < 0.1 ? 'major' : 'general',
        foundAt: this.iso(t - 3_600_000), deadline: this.iso(t + 2 * 3_600_000 + Math.floor(r() * 166 * 3_600_000)), rectified: false,
      };
      this.openHazards.push(h);
      return JSON.stringify({ type: 'enforcement.hazard', hazardId: h.hazardId, siteId: h.siteId, level: h.level, status: 'open', foundAt: h.foundAt, deadline: h.deadline, ts });
    }
    if (k < 0.45) {
      return JSON.stringify({
        type: 'enforcement.permit', permitId: `PM-${String(++this.permitSeq).padStart(6, '0')}`, siteId, work: WORKS[Math.floor(r() * WORKS.length)],
        grade: r() < 0.2 ? 'special' : '1', validFrom: this.iso(t), validTo: this.iso(t + 2 * 3_600_000), escalatedApproval: r() < 0.5, ts,
      });
    }
    if (k < 0.5) {
      // an accident is first known unreported, then reported and forwarded to the city (oldest first)
      if (this.openAccidents.length > 0 && r() < 0.5) {
        const a = this.openAccidents.shift()!;
        return JSON.stringify({ type: 'enforcement.accident', accidentId: a.accidentId, siteId: a.siteId, occurredAt: a.occurredAt, ts, reportedAt: ts, forwardedAt: ts, deaths: 0, injuries: Math.floor(r() * 2) });
      }
      const a = { accidentId: `AC-${String(++this.accidentSeq).padStart(5, '0')}`, siteId, occurredAt: this.iso(t - 600_000) };
      this.openAccidents.push(a);
      return JSON.stringify({ type: 'enforcement.accident', accidentId: a.accidentId, siteId: a.siteId, occurredAt: a.occurredAt, ts });
    }
    const violations = r() < 0.7 ? 0 : 1 + Math.floor(r() * 5);
    return JSON.stringify({
      type: 'enforcement.inspection', inspectionId: `IN-${String(++this.inspectionSeq).padStart(6, '0')}`, siteId,
      result: violations === 0 ? 'pass' : 'violations', violations, ts,
    });
  }

  /** chunk renders the next `count` events; `into` (when large enough) is reused for the bytes. */
  chunk(count: number, into?: Chunk): Chunk {
    const lines: string[] = new Array(count);
    const topics = into && into.topics.length >= count ? into.topics : new Uint8Array(count);
    const offsets = into && into.offsets.length >= count + 1 ? into.offsets : new Uint32Array(count + 1);
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const [topic, line] = this.next();
      topics[i] = topic;
      lines[i] = line;
      offsets[i] = bytes;
      bytes += Buffer.byteLength(line, 'utf8');
    }
    offsets[count] = bytes;
    const data = into && into.data.length >= bytes ? into.data : Buffer.allocUnsafe(bytes);
    for (let i = 0; i < count; i++) data.write(lines[i]!, offsets[i]!, 'utf8');
    return { data, offsets, topics, count, bytes };
  }
}
