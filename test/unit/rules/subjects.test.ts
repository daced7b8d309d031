import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event } from '../../../src/contracts/events.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper, type StepperOptions } from '../../../src/rules/stepper.ts';

// issue #9: a producer inventing sensor ids must not grow rule state (and 监测中断 alerts) without
// bound. The whole bundled pack on the bundled reference data, driven through the Stepper.

const reference = loadReference(BUNDLED);
const rules = loadRulePack(BUNDLED.rules);
const SITE = 'cm-shm-01'; // a coal mine with 15 expected sensors in deploy/reference/sites.yaml
const T0 = Date.parse('2024-06-03T10:00:00+08:00'); // outside every special period
const HOUR = 3_600_000;
const SILENT = 'mine.monitoring.sensor-silent';
const SITE_SILENT = 'mine.monitoring.site-silent';
const LIMIT = 'system.limit.subjectsPerSite';

/** ch4: a normal methane reading at a working face (0.3 %). */
const ch4 = (siteId: string, sensorId: string, ts: number) =>
  Event.parse({ type: 'mine.reading', siteId, sensorId, sensorType: 'CH4', location: 'coal_face', value: 0.3, unit: '%', ts, status: 'ok' });
const fake = (i: number) => `FAKE-${String(i).padStart(5, '0')}`;

function setup(opts: StepperOptions = {}) {
  const limits: string[] = [];
  const st = new Stepper(reference, rules, () => [], { onLimit: (l, what) => limits.push(`${what} ${l}`), ...opts });
  const out: AlertTransition[] = [];
  return {
    st,
    out,
    limits,
    send(siteId: string, ids: readonly string[], ts: number) {
      let refused = 0;
      for (const id of ids) if (st.event('risk.mine.telemetry', ch4(siteId, id, ts), out).refused) refused++;
      return refused;
    },
    tick(now: number) {
      const from = out.length;
      st.tick(now, out);
      return out.slice(from);
    },
  };
}

const fakes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => fake(from + i));
const of = (ts: readonly AlertTransition[], ruleId: string, action: 'fire' | 'resolve') => ts.filter((t) => t.ruleId === ruleId && t.action === action);

describe('subjects per site (limits.subjectsPerSite)', () => {
  it('admits 2000 made-up sensors at a site, refuses the other 500 and raises one system alert', () => {
    const s = setup();
    expect(s.send(SITE, fakes(2500), T0)).toBe(500);
    expect(s.st.subjects.count(SITE)).toBe(2000);
    const alerts = of(s.out, LIMIT, 'fire');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ siteId: SITE, domain: 'system', severity: 'orange', threshold: 2000, town: 'shanghaimiao' });
    expect(alerts[0]!.title).toContain('上海庙示范一号煤矿');
    // counted once as reached, once per refused event
    expect(s.limits.filter((l) => l === 'reached subjectsPerSite')).toHaveLength(1);
    expect(s.limits.filter((l) => l === 'overflow subjectsPerSite')).toHaveLength(500);
  });

  it('says why an event was refused: path, site and cap', () => {
    const s = setup({ limits: { subjectsPerSite: 1 } });
    s.send(SITE, [fake(0)], T0);
    const e = ch4(SITE, fake(1), T0);
    expect(s.st.event('risk.mine.telemetry', e, s.out).refused).toBe(true);
    const why = s.st.refusal(e);
    expect(why.path).toBe('sensorId');
    expect(why.message).toContain(SITE);
    expect(why.message).toContain('limits.subjectsPerSite 1');
    expect(why.message).toContain(fake(1));
  });

  it('still admits the expected sensors of a site at the cap, and the subjects it already holds', () => {
    const s = setup({ limits: { subjectsPerSite: 10 } });
    s.send(SITE, fakes(20), T0);
    const expected = reference.sites.get(SITE)!.sensors!.map((x) => x.id);
    expect(s.send(SITE, expected, T0 + 1000)).toBe(0);
    expect(s.send(SITE, fakes(10), T0 + 2000)).toBe(0); // held already
    expect(s.send(SITE, [fake(10)], T0 + 3000)).toBe(1); // new: still refused
    expect(s.st.subjects.count(SITE)).toBe(10);
  });

  it('counts each site on its own', () => {
    const s = setup({ limits: { subjectsPerSite: 10 } });
    expect(s.send(SITE, fakes(15), T0)).toBe(5);
    expect(s.send('cm-shm-02', fakes(15), T0)).toBe(5);
    expect(of(s.out, LIMIT, 'fire').map((t) => t.siteId)).toEqual([SITE, 'cm-shm-02']);
  });

  it('under a flood, no more 监测中断 alerts than the cap', () => {
    const s = setup({ limits: { subjectsPerSite: 50 } });
    s.send(SITE, fakes(1000), T0);
    s.send('cm-shm-02', fakes(1000), T0);
    const fired = of(s.tick(T0 + 120_000), SILENT, 'fire').filter((t) => t.labels.sensorId?.startsWith('FAKE-'));
    expect(fired).toHaveLength(100);
  });
});

describe('idle subjects (limits.subjectIdle)', () => {
  it('evicts made-up sensors after an hour without events: 监测中断 resolved, rule state back down, system alert resolved', () => {
    const s = setup();
    // the expected sensors keep reporting; only the made-up ones fall silent
    const expected = reference.sites.get(SITE)!.sensors!.map((x) => x.id);
    s.send(SITE, expected, T0);
    s.tick(T0);
    const baseline = s.st.engine.stateSize();
    s.send(SITE, fakes(2500), T0);
    expect(s.st.engine.stateSize()).toBeGreaterThan(baseline + 2000);
    const silent = of(s.tick(T0 + 120_000), SILENT, 'fire').filter((t) => t.labels.sensorId?.startsWith('FAKE-'));
    expect(silent).toHaveLength(2000);
    for (let m = 5; m < 60; m += 5) {
      s.send(SITE, expected, T0 + m * 60_000);
      s.tick(T0 + m * 60_000);
    }
    expect(s.st.subjects.count(SITE)).toBe(2000);
    s.send(SITE, expected, T0 + HOUR);
    const after = s.tick(T0 + HOUR + 1000);
    const resolved = of(after, SILENT, 'resolve');
    expect(resolved).toHaveLength(2000);
    expect(new Set(resolved.map((t) => t.subjectKey))).toEqual(new Set(silent.map((t) => t.subjectKey)));
    expect(resolved[0]!.summary).toBe('非登记测点长时间无数据，已停止跟踪');
    expect(resolved[0]!.labels.tracking).toBe('stopped');
    expect(of(after, LIMIT, 'resolve')).toHaveLength(1);
    expect(s.st.subjects.count(SITE)).toBe(0);
    expect(s.st.engine.stateSize()).toBe(baseline);
    expect(s.st.engine.evictedCount).toBe(2000);
    // nothing about the expected sensors resolved, and a made-up sensor is admitted again
    expect(after.filter((t) => t.action === 'resolve' && expected.includes(t.labels.sensorId ?? ''))).toEqual([]);
    expect(s.send(SITE, [fake(4000)], T0 + HOUR + 2000)).toBe(0);
  });

  it('resolves the 监测中断 of an evicted sensor but never a methane alert it raised: silence after red is no all-clear', () => {
    const s = setup();
    const red = Event.parse({ ...ch4(SITE, fake(0), T0), value: 1.6 });
    s.st.event('risk.mine.telemetry', red, s.out);
    expect(of(s.out, 'mine.ch4.face', 'fire')).toHaveLength(1);
    s.tick(T0 + 120_000);
    const after = s.tick(T0 + HOUR + 1000);
    expect(of(after, SILENT, 'resolve')).toHaveLength(1);
    expect(after.filter((t) => t.ruleId !== SILENT && t.action === 'resolve')).toEqual([]);
    expect(s.st.subjects.tracked(SITE, 'sensorId', fake(0))).toBe(false);
    // the sensor comes back normal: admitted again, and its methane alert resolves as usual
    s.send(SITE, [fake(0)], T0 + HOUR + 2000);
    expect(of(s.out, 'mine.ch4.face', 'resolve')).toHaveLength(1);
  });

  it('keeps a made-up sensor that goes on reporting', () => {
    const s = setup({ limits: { subjectIdle: 600_000 } });
    for (let m = 0; m <= 30; m++) {
      s.send(SITE, [fake(0)], T0 + m * 60_000);
      s.tick(T0 + m * 60_000);
    }
    expect(s.st.subjects.tracked(SITE, 'sensorId', fake(0))).toBe(true);
    s.tick(T0 + 41 * 60_000);
    expect(s.st.subjects.tracked(SITE, 'sensorId', fake(0))).toBe(false);
  });

  it('never evicts an expected sensor, however long it is silent', () => {
    const s = setup();
    s.send(SITE, ['CH4-T1-1201'], T0);
    s.tick(T0 + 120_000);
    const later = s.tick(T0 + 5 * HOUR);
    expect(later.filter((t) => t.labels.tracking === 'stopped')).toEqual([]);
    expect(s.st.engine.evictedCount).toBe(0);
  });

  it('forgets a site missing from the reference data (ingest.unknownSites: accept) with its site-level alert', () => {
    const s = setup();
    s.send('zz-made-up', fakes(3), T0);
    const wholeSite = of(s.tick(T0 + 6 * 60_000), SITE_SILENT, 'fire').filter((t) => t.siteId === 'zz-made-up');
    expect(wholeSite).toHaveLength(1);
    const after = s.tick(T0 + HOUR + 1000);
    const resolved = of(after, SITE_SILENT, 'resolve');
    expect(resolved.map((t) => t.subjectKey)).toEqual([wholeSite[0]!.subjectKey]);
    expect(resolved[0]!.summary).toBe('非登记场所长时间无数据，已停止跟踪');
    expect(of(after, SILENT, 'resolve')).toHaveLength(3);
    expect(s.st.subjects.size).toBe(0);
  });

  it('tracks the subject of an open alert seeded after a restart, and resolves it when idle', () => {
    const s = setup();
    const key = `${SILENT}\u001f${SITE}\u001f${fake(7)}`;
    s.st.engine.seed(SILENT, key, 'orange');
    s.st.engine.seed(LIMIT, `${LIMIT}|${SITE}`, 'orange');
    const first = s.tick(T0);
    // the site is far below the cap after the restart: its recovered system alert resolves
    expect(of(first, LIMIT, 'resolve').map((t) => t.siteId)).toEqual([SITE]);
    expect(s.st.subjects.tracked(SITE, 'sensorId', fake(7))).toBe(true);
    const after = s.tick(T0 + HOUR);
    expect(of(after, SILENT, 'resolve').map((t) => t.subjectKey)).toEqual([key]);
  });

  it('lets the per-event path stay a map lookup: a held subject refreshes its time without a new timer', () => {
    // one timer per subject, whatever the number of its events (the heap does not grow with traffic)
    const s = setup({ limits: { subjectIdle: 600_000 } });
    for (let i = 0; i < 100; i++) s.send(SITE, [fake(0)], T0 + i * 1000);
    const timers = (s.st.subjects as unknown as { timers: { size: number } }).timers;
    expect(timers.size).toBe(1);
  });
});

describe('open enforcement records per site (limits.recordsPerSite)', () => {
  const hazard = (id: string, ts: number, status = 'open') =>
    Event.parse({ type: 'enforcement.hazard', hazardId: id, siteId: SITE, level: 'major', status, foundAt: ts - HOUR, deadline: ts + 24 * HOUR, ts });
  const permit = (id: string, ts: number, validTo: number) =>
    Event.parse({ type: 'enforcement.permit', permitId: id, siteId: SITE, work: 'hot_work', grade: '1', validFrom: ts, validTo, escalatedApproval: false, ts });
  const LIMIT_RECORDS = 'system.limit.recordsPerSite';

  it('refuses made-up hazard ids past the cap with one system alert, keeps updates of held ones, and releases on close', () => {
    const s = setup({ limits: { recordsPerSite: 50 } });
    let refused = 0;
    for (let i = 0; i < 80; i++) if (s.st.event('risk.enforcement.events', hazard(`H-${i}`, T0 + i), s.out).refused) refused++;
    expect(refused).toBe(30);
    expect(s.st.subjects.records(SITE)).toBe(50);
    expect(of(s.out, LIMIT_RECORDS, 'fire')).toHaveLength(1);
    expect(of(s.out, LIMIT_RECORDS, 'fire')[0]).toMatchObject({ siteId: SITE, threshold: 50, domain: 'system' });
    expect(s.limits.filter((l) => l === 'overflow recordsPerSite')).toHaveLength(30);
    // the refusal names the field, the site and the cap
    const why = s.st.refusal(hazard('H-999', T0 + 100));
    expect(why).toMatchObject({ path: 'hazardId' });
    expect(why.message).toContain('limits.recordsPerSite 50');
    // a held hazard is still updated (rectified), and never refused
    expect(s.st.event('risk.enforcement.events', hazard('H-3', T0 + 200, 'rectified'), s.out).refused).toBe(false);
    // closing one releases it: the cap alert resolves, and a new id is admitted again
    expect(s.st.event('risk.enforcement.events', hazard('H-4', T0 + 300, 'closed'), s.out).refused).toBe(false);
    expect(of(s.out, LIMIT_RECORDS, 'resolve')).toHaveLength(1);
    expect(s.st.event('risk.enforcement.events', hazard('H-NEW', T0 + 400), s.out).refused).toBe(false);
    // closing an id never held changes nothing
    expect(s.st.event('risk.enforcement.events', hazard('H-NEVER', T0 + 500, 'closed'), s.out).refused).toBe(false);
    expect(s.st.subjects.records(SITE)).toBe(50);
  });

  it('releases permits that have ended when the cap is reached, so a site with normal permit traffic never hits it', () => {
    const s = setup({ limits: { recordsPerSite: 10 } });
    for (let i = 0; i < 10; i++) s.st.event('risk.enforcement.events', permit(`P-${i}`, T0, T0 + HOUR), s.out);
    s.tick(T0 + 2 * HOUR); // every permit has ended
    expect(s.st.event('risk.enforcement.events', permit('P-NEXT', T0 + 2 * HOUR, T0 + 3 * HOUR), s.out).refused).toBe(false);
    expect(s.st.subjects.records(SITE)).toBe(1);
    expect(of(s.out, LIMIT_RECORDS, 'fire')).toHaveLength(0);
  });
});
