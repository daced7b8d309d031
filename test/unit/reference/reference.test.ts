import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TOWN_NAMES } from '../../../src/contracts/common.ts';
import { Event, eventTime } from '../../../src/contracts/events.ts';
import { CalendarFile, RosterFile, SiteKind, SitesFile } from '../../../src/contracts/reference.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (rel: string): string => readFileSync(root + rel, 'utf8');

const TOWNS = ['aolezhaoqi', 'shanghaimiao', 'chengchuan', 'angsu', 'shanghaimiao-edz'];
const BOUNDS = { latMin: 37.6, latMax: 38.7, lonMin: 106.7, lonMax: 108.6 };

const sitesRaw = read('deploy/reference/sites.yaml');
const sites = SitesFile.parse(parse(sitesRaw));
const roster = RosterFile.parse(parse(read('deploy/reference/roster.yaml')));
const calendar = CalendarFile.parse(parse(read('deploy/reference/calendar.yaml')));
const siteById = new Map(sites.map((s) => [s.id, s]));

describe('deploy/reference/sites.yaml', () => {
  it('is marked fictitious', () => {
    expect(sitesRaw.split('\n').slice(0, 5).join('\n')).toMatch(/FICTITIOUS|虚构/);
  });

  it('has at least 25 sites and every kind', () => {
    expect(sites.length).toBeGreaterThanOrEqual(25);
    const kinds = new Set(sites.map((s) => s.kind));
    for (const kind of SiteKind.options) expect(kinds, kind).toContain(kind);
  });

  it('uses only the five towns, and each town has sites', () => {
    expect(Object.keys(TOWN_NAMES).sort()).toEqual([...TOWNS].sort());
    for (const s of sites) expect(TOWNS, s.id).toContain(s.town);
    for (const t of TOWNS) expect(sites.some((s) => s.town === t), t).toBe(true);
  });

  it('has coordinates inside the banner', () => {
    for (const s of sites) {
      expect(s.lat, s.id).toBeGreaterThanOrEqual(BOUNDS.latMin);
      expect(s.lat, s.id).toBeLessThanOrEqual(BOUNDS.latMax);
      expect(s.lon, s.id).toBeGreaterThanOrEqual(BOUNDS.lonMin);
      expect(s.lon, s.id).toBeLessThanOrEqual(BOUNDS.lonMax);
    }
  });

  it('has unique site ids and unique sensor ids within each site', () => {
    expect(siteById.size).toBe(sites.length);
    for (const s of sites) {
      const ids = (s.sensors ?? []).map((x) => x.id);
      expect(new Set(ids).size, s.id).toBe(ids.length);
    }
  });

  it('lists 8-20 expected sensors for each of at least 5 coal mines', () => {
    const mines = sites.filter((s) => s.kind === 'coal_mine');
    expect(mines.length).toBeGreaterThanOrEqual(5);
    for (const m of mines) {
      const n = m.sensors?.length ?? 0;
      expect(n, m.id).toBeGreaterThanOrEqual(8);
      expect(n, m.id).toBeLessThanOrEqual(20);
      const types = new Set(m.sensors?.map((x) => x.sensorType));
      for (const t of ['CH4', 'CO', 'O2', 'WIND'] as const) expect(types, `${m.id} ${t}`).toContain(t);
    }
  });
});

describe('deploy/reference/roster.yaml', () => {
  it('covers every town with an all-domain entry and has a fallback', () => {
    for (const t of TOWNS) {
      expect(roster.some((e) => e.town === t && e.domains.includes('*')), t).toBe(true);
    }
    expect(roster.some((e) => e.town === '*' && e.domains.includes('*'))).toBe(true);
  });

  it('has day and night shifts covering all 24 hours for each all-domain entry', () => {
    for (const e of roster.filter((x) => x.domains.includes('*'))) {
      const spans = e.shifts.map((s) => `${s.from}-${s.to}`);
      expect(spans, e.town).toEqual(expect.arrayContaining(['08:00-20:00', '20:00-08:00']));
    }
  });
});

describe('deploy/reference/calendar.yaml', () => {
  it('holds a special period covering 2024-07-16 that escalates and forbids hot work', () => {
    const at = Date.parse('2024-07-16T09:05:00+08:00');
    const p = calendar.find((c) => c.from <= at && at < c.to);
    expect(p).toBeDefined();
    expect(p?.effects).toEqual(expect.arrayContaining(['escalate', 'forbid_high_risk_work']));
    for (const c of calendar) expect(c.from, c.name).toBeLessThan(c.to);
  });
});

describe('deploy/demo/scenario.ndjson', () => {
  const lines = read('deploy/demo/scenario.ndjson').split('\n').filter((l) => l.trim() !== '');

  it('has a short scenario', () => {
    expect(lines.length).toBeGreaterThanOrEqual(40);
    expect(lines.length).toBeLessThanOrEqual(80);
  });

  it('validates every line, references known sites and sensors, in time order', () => {
    let prev = -Infinity;
    let first = Infinity;
    lines.forEach((line, i) => {
      const r = Event.safeParse(JSON.parse(line));
      expect(r.success, `line ${i + 1}: ${r.success ? '' : r.error.message}`).toBe(true);
      if (!r.success) return;
      const e = r.data;
      if (e.type !== 'weather.warning' && e.type !== 'weather.nowcast') {
        const site = siteById.get(e.siteId);
        expect(site, `line ${i + 1}: site ${e.siteId}`).toBeDefined();
        if (e.type === 'mine.reading') {
          const sensor = site?.sensors?.find((x) => x.id === e.sensorId);
          expect(sensor, `line ${i + 1}: sensor ${e.siteId}/${e.sensorId}`).toBeDefined();
          expect(sensor?.sensorType, `line ${i + 1}`).toBe(e.sensorType);
          expect(sensor?.location, `line ${i + 1}`).toBe(e.location);
          if (e.areaId !== undefined) expect(sensor?.areaId, `line ${i + 1}`).toBe(e.areaId);
        }
      } else if (e.type === 'weather.warning') {
        for (const t of e.area.towns ?? []) expect(TOWNS, `line ${i + 1}`).toContain(t);
      }
      const t = eventTime(e);
      expect(t, `line ${i + 1} goes back in time`).toBeGreaterThanOrEqual(prev);
      prev = t;
      first = Math.min(first, t);
    });
    expect(prev - first).toBeLessThanOrEqual(10 * 60_000);
  });
});
