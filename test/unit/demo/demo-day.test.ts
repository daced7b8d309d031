import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event, eventTime, TOPIC_TYPES, type Event as EventT } from '../../../src/contracts/events.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { DAY_SPEC, dayStart, generateDemoDay, loadDaySpec, timeOfDay, type DemoItem } from '../../../src/jobs/demo-day.ts';
import { mapEventTimes, startDemoDay } from '../../../src/jobs/demo.ts';
import type { Pipeline } from '../../../src/pipeline.ts';
import { stringify } from 'yaml';

const reference = loadReference(BUNDLED);
const spec = loadDaySpec();
const DAY0 = dayStart(spec);
const DAY_END = DAY0 + 86_400_000;
const at = (hhmm: string): number => timeOfDay(spec, hhmm);

let items: DemoItem[];
let text: string;
beforeAll(() => {
  items = [...generateDemoDay(spec, reference)];
  text = items.map((i) => JSON.stringify(i.event)).join('\n');
});

/** coal-mine sensors the day deliberately silences for more than 90 s (sensor-silent, site-silent) */
const SILENCED = new Set([
  'cm-shm-02/CO-2205', // 10:30–10:50
  'cm-ags-01/O2-6201', // 12:40–15:40
  ...(reference.sites.get('cm-alz-01')!.sensors ?? []).map((s) => `cm-alz-01/${s.id}`), // whole mine 11:00–11:10
]);

describe('generateDemoDay (deploy/demo/day.yaml)', () => {
  it('is deterministic: the same spec and reference data give the same events', () => {
    const again = [...generateDemoDay(loadDaySpec(DAY_SPEC), loadReference(BUNDLED))].map((i) => JSON.stringify(i.event)).join('\n');
    expect(again).toBe(text);
  });

  it('covers 2024-07-16 00:00–24:00 inside the 二十届三中全会 special period, in event-time order', () => {
    expect(spec.date).toBe('2024-07-16');
    const period = reference.calendar.find((p) => p.name.includes('三中全会'))!;
    expect(period.from).toBeLessThanOrEqual(DAY0);
    expect(period.to).toBeGreaterThanOrEqual(DAY_END);
    const backwards = items.flatMap((it, i) => (i > 0 && it.t < items[i - 1]!.t ? [i] : []));
    expect(backwards).toEqual([]);
    expect(items[0]!.t).toBeGreaterThanOrEqual(DAY0);
    expect(items[0]!.t).toBeLessThan(DAY0 + 60_000);
    expect(items.at(-1)!.t).toBeLessThan(DAY_END);
  });

  it('every event validates, sits on its topic, is marked simulated and names existing sites and sensors', () => {
    const towns = new Set([...reference.sites.values()].map((s) => s.town));
    const problems: string[] = [];
    const bad = (i: number, why: string) => problems.length < 20 && problems.push(`event ${i}: ${why}: ${JSON.stringify(items[i]!.event)}`);
    for (const [i, it] of items.entries()) {
      const r = Event.safeParse(it.event);
      if (!r.success) {
        bad(i, r.error.message);
        continue;
      }
      const e = r.data;
      if (it.event.simulated !== true) bad(i, 'not marked simulated');
      if (!TOPIC_TYPES[it.topic]?.includes(e.type)) bad(i, `type on topic ${it.topic}`);
      if (eventTime(e) !== it.t) bad(i, 'event time');
      if (e.type === 'weather.warning') {
        for (const t of e.area.towns ?? []) if (!towns.has(t)) bad(i, `unknown town ${t}`);
      } else if (e.type !== 'weather.nowcast') {
        const site = reference.sites.get(e.siteId);
        if (!site) bad(i, `unknown site ${e.siteId}`);
        if (e.type === 'mine.reading') {
          const sensor = site?.sensors?.find((s) => s.id === e.sensorId);
          if (!sensor) bad(i, `unknown sensor ${e.sensorId}`);
          else if (e.sensorType !== sensor.sensorType || e.location !== sensor.location || e.areaId !== sensor.areaId) bad(i, 'sensor type, location or area differ from sites.yaml');
        }
        if (e.type === 'mine.power' && !site?.sensors?.some((s) => s.areaId === e.areaId)) bad(i, `unknown area ${e.areaId}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps events small (~200 bytes)', () => {
    const sizes = items.map((i) => Buffer.byteLength(JSON.stringify(i.event))).sort((a, b) => a - b);
    expect(sizes[sizes.length >> 1]).toBeLessThanOrEqual(230);
  });

  it('every reference sensor of every coal mine reports every minute all day, except the scripted outages', () => {
    const last = new Map<string, number>();
    const gaps = new Set<string>();
    for (const s of reference.sites.values()) {
      if (s.kind !== 'coal_mine') continue;
      for (const x of s.sensors ?? []) last.set(`${s.id}/${x.id}`, DAY0);
    }
    for (const it of items) {
      if (it.event.type !== 'mine.reading') continue;
      const key = `${it.event.siteId as string}/${it.event.sensorId as string}`;
      if (it.t - last.get(key)! > 90_000) gaps.add(key);
      last.set(key, it.t);
    }
    for (const [key, t] of last) if (DAY_END - t > 90_000) gaps.add(key);
    expect([...gaps].sort()).toEqual([...SILENCED].sort());
  });

  it('keeps background values in plausible ranges (CH4 0.02–0.4 %, CO 0–8 ppm, O2 20.5–20.9 %, wind 0.5–3 m/s) outside the incidents', () => {
    const incidentSensors = new Set(spec.incidents.flatMap((i) => i.series.filter((s) => s.sensor).map((s) => `${s.site}/${s.sensor}`)));
    const range: Record<string, [number, number]> = { CH4: [0.02, 0.4], CO: [0, 8], O2: [20.5, 20.9], WIND: [0.5, 3] };
    const out: string[] = [];
    for (const it of items) {
      const e = it.event;
      if (e.type !== 'mine.reading' || incidentSensors.has(`${e.siteId as string}/${e.sensorId as string}`)) continue;
      const [lo, hi] = range[e.sensorType as string]!;
      const v = e.value as number;
      if ((v < lo || v > hi) && out.length < 10) out.push(JSON.stringify(e));
    }
    expect(out).toEqual([]);
  });

  it('scripts the incidents of the day with a time and a Chinese comment, in time order', () => {
    expect(spec.incidents.length).toBeGreaterThanOrEqual(20);
    let prev = '';
    for (const i of spec.incidents) {
      expect(i.comment).toMatch(/[\u4e00-\u9fff]/);
      expect(i.title).toMatch(/[\u4e00-\u9fff]/);
      expect(i.at >= prev, `${i.at} ${i.title}`).toBe(true);
      prev = i.at;
    }
    // a few anchors of the brief
    const find = (type: string, pred: (e: Record<string, unknown>) => boolean) => items.filter((x) => x.event.type === type && pred(x.event));
    const ch4 = find('mine.reading', (e) => e.sensorId === 'CH4-T1-1201' && e.siteId === 'cm-shm-01' && (e.value as number) >= 1.5);
    expect(ch4[0]!.t).toBeGreaterThanOrEqual(at('09:04'));
    expect(ch4[0]!.t).toBeLessThan(at('09:05'));
    // no power-off feedback for ws1201 until the dispatcher's manual power-off at 09:30:30
    expect(find('mine.power', (e) => e.areaId === 'ws1201' && e.state === 'off').map((x) => x.t)).toEqual([at('09:30:30')]);
    // cm-edz-01's feedback comes 2 s after its first reading at the power-off value
    const edz = find('mine.reading', (e) => e.sensorId === 'CH4-HF-3105' && (e.value as number) >= 1.5)[0]!;
    expect(find('mine.power', (e) => e.areaId === 'hf3105' && e.state === 'off')[0]!.t - edz.t).toBe(2000);
    const w = find('weather.warning', (e) => e.event === '雷雨大风').map((x) => [x.event.msgType, x.event.id]);
    expect(w).toEqual([
      ['Alert', '15062341600000_20240716132000_1'],
      ['Update', '15062341600000_20240716143000_1'],
      ['Cancel', '15062341600000_20240716174000_1'],
    ]);
    expect(find('weather.warning', (e) => e.status === 'Exercise').length).toBeGreaterThan(0);
    expect(find('weather.nowcast', (e) => e.hail === true && (e.reflectivityDbz as number) >= 55).length).toBeGreaterThan(0);
  });

  it('starts at `from` and, for the live demo, keeps background telemetry going after midnight', () => {
    const from = at('05:55');
    const gen = generateDemoDay(spec, reference, { from, continueBackground: true });
    const first = gen.next().value as DemoItem;
    expect(first.t).toBeGreaterThanOrEqual(from);
    let n = 0;
    let lastT = 0;
    for (const it of gen) {
      lastT = it.t;
      if (it.t > DAY_END + 10 * 60_000) break;
      if (it.t >= DAY_END) {
        n++;
        expect(it.event.type).toMatch(/reading$/);
      }
    }
    expect(lastT).toBeGreaterThan(DAY_END + 10 * 60_000);
    expect(n).toBeGreaterThan(600);
  });

  it('names the incident when the spec refers to a sensor the reference data lacks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-demo-day-'));
    try {
      const bad = structuredClone(spec);
      bad.incidents.find((i) => i.at === '06:10')!.series[0]!.sensor = 'CH4-NOPE';
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, stringify(bad));
      expect(() => [...generateDemoDay(loadDaySpec(file), reference)]).toThrow(/incident 06:10 .*CH4-NOPE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('live replay of the day (startDemoDay)', () => {
  const WALL0 = Date.parse('2030-01-01T00:00:00Z');
  let published: { topic: string; event: EventT }[];
  let clock: number;
  let stop: () => void;
  const ref = loadReference(BUNDLED); // the replay maps the special period into this calendar
  const calendarBefore = ref.calendar.length;

  beforeAll(async () => {
    published = [];
    clock = WALL0;
    const pipeline = {
      process: async (topic: string, events: readonly EventT[]) => {
        for (const event of events) published.push({ topic, event });
        return [];
      },
    } as unknown as Pipeline;
    stop = startDemoDay({ pipeline, reference: ref, logger: pino({ level: 'silent' }), now: () => clock, intervalMs: 2 });
    // 20 wall seconds at 72× = 24 scenario minutes: 05:55 → 06:19
    clock = WALL0 + 20_000;
    for (let i = 0; i < 500 && !published.some((p) => eventTime(p.event) >= WALL0 + 19_000); i++) await new Promise((r) => setTimeout(r, 5));
  });
  afterAll(() => stop?.());

  const toWall = (t: number): number => Math.round(WALL0 + (t - at('05:55')) / 72);

  it('maps scenario time onto the wall clock with one affine map, in order', () => {
    expect(published.length).toBeGreaterThan(1000);
    const times = published.map((p) => eventTime(p.event));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(times[0]!).toBeGreaterThanOrEqual(WALL0);
    expect(times.at(-1)!).toBeLessThanOrEqual(WALL0 + 20_000);
    // the 06:14 reading of the heading-face incident, mapped
    const peak = published.find((p) => p.event.type === 'mine.reading' && p.event.sensorId === 'CH4-HF-2205' && p.event.value === 0.9)!;
    const scenario = items.find((i) => i.event.type === 'mine.reading' && i.event.sensorId === 'CH4-HF-2205' && i.event.value === 0.9)!;
    expect(eventTime(peak.event)).toBe(toWall(scenario.t));
    expect(peak.event.simulated).toBe(true);
  });

  it('maps every timestamp field of an event the same way (deadlines compress with the replay)', () => {
    const hz = items.find((i) => i.event.type === 'enforcement.hazard')!;
    const e = Event.parse(hz.event);
    const m = mapEventTimes(e, toWall) as Extract<EventT, { type: 'enforcement.hazard' }>;
    const src = e as Extract<EventT, { type: 'enforcement.hazard' }>;
    expect(m.ts).toBe(toWall(src.ts));
    expect(m.deadline).toBe(toWall(src.deadline));
    expect(m.foundAt).toBe(toWall(src.foundAt));
    expect(m.deadline - m.ts).toBe(Math.round((src.deadline - src.ts) / 72));
  });

  it('maps the special period covering the day into the live calendar while it runs', () => {
    const mapped = ref.calendar.slice(calendarBefore);
    expect(mapped.map((p) => p.name)).toEqual(['二十届三中全会期间']);
    expect(mapped[0]!.from).toBeLessThanOrEqual(WALL0);
    expect(mapped[0]!.to).toBeGreaterThan(toWall(DAY_END));
    stop();
    expect(ref.calendar.length).toBe(calendarBefore);
  });
});
