import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AlertBook } from '../../../src/alerts/book.ts';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event } from '../../../src/contracts/events.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { createPipeline } from '../../../src/pipeline.ts';
import type { AlertStore, DeadLetter, StoredAlertEvent } from '../../../src/ports/index.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';

// issue #9 at the pipeline: events the stepper refuses (a new made-up sensor at a site at
// limits.subjectsPerSite) are dead-lettered, counted as rejected SUBJECT_LIMIT and returned, so the
// HTTP answer lists them; the one system alert goes through the alert book like any other.

const reference = loadReference(BUNDLED);
const SITE = 'cm-shm-01';
const T0 = Date.parse('2024-06-03T10:00:00+08:00');
const ch4 = (sensorId: string) => Event.parse({ type: 'mine.reading', siteId: SITE, sensorId, sensorType: 'CH4', location: 'coal_face', value: 0.3, unit: '%', ts: T0, status: 'ok' });

function setup() {
  const metrics = createMetrics();
  const book = new AlertBook();
  const letters: DeadLetter[] = [];
  const appended: StoredAlertEvent[] = [];
  const store: AlertStore = {
    load: async () => ({ snapshot: { seq: 0, records: [] }, tail: [] }),
    append: async (events) => void appended.push(...events),
    snapshot: async () => {},
    close: async () => {},
  };
  const stepper = new Stepper(reference, loadRulePack(BUNDLED.rules), () => [], {
    onLimit: (limit, what) => (what === 'reached' ? metrics.limitReached : metrics.limitOverflow).inc({ limit }),
  });
  const pipeline = createPipeline({
    stepper,
    live: false,
    book,
    store,
    deadLetters: { write: async (items) => void letters.push(...items), close: async () => {} },
    deliver: () => {},
    metrics,
    clock: { now: () => T0 },
    logger: pino({ level: 'silent' }),
  });
  return { pipeline, book, letters, appended, metrics };
}

describe('pipeline: SUBJECT_LIMIT refusals', () => {
  it('dead-letters, counts and returns the 500 events beyond the cap, with one system alert', async () => {
    const s = setup();
    const events = Array.from({ length: 2500 }, (_, i) => ch4(`FAKE-${i}`));
    const { stored, refused } = await s.pipeline.process('risk.mine.telemetry', events, [], 'http');
    expect(refused).toHaveLength(500);
    // `index` is the position in the batch given: the last 500
    expect(refused[0]).toMatchObject({ index: 2000, code: 'SUBJECT_LIMIT', path: 'sensorId' });
    expect(refused[0]!.message).toContain(SITE);
    expect(JSON.parse(refused[0]!.original)).toMatchObject({ sensorId: 'FAKE-2000' });
    expect(s.letters).toHaveLength(500);
    expect(s.letters[0]).toMatchObject({ code: 'SUBJECT_LIMIT', source: 'http:risk.mine.telemetry', failedAt: T0 });
    const sys = stored.filter((e) => e.event.alert.ruleId === 'system.limit.subjectsPerSite');
    expect(sys.map((e) => e.event.kind)).toEqual(['fired']);
    expect(s.book.openAlerts().filter((a) => a.domain === 'system')).toHaveLength(1);
    const text = await s.metrics.registry.metrics();
    expect(text).toContain('riskstream_events_rejected_total{topic="risk.mine.telemetry",code="SUBJECT_LIMIT"} 500');
    expect(text).toContain('riskstream_limit_reached_total{limit="subjectsPerSite"} 1');
    expect(text).toContain('riskstream_limit_overflow_total{limit="subjectsPerSite"} 500');
    expect(text).toContain('riskstream_events_in_total{topic="risk.mine.telemetry"} 2000');
  });

  it('resolves the alerts of evicted subjects in the book, saying they are no longer tracked', async () => {
    const s = setup();
    await s.pipeline.process('risk.mine.telemetry', [ch4('FAKE-1')], [], 'http');
    // event time is the clock (live: false): a reading of an expected sensor moves the watermark past 90 s, then past an hour
    const later = (ms: number) => Event.parse({ ...ch4('CH4-T1-1201'), ts: T0 + ms });
    await s.pipeline.process('risk.mine.telemetry', [later(5 * 60_000)], [], 'http');
    const silent = s.book.openAlerts().find((a) => a.ruleId === 'mine.monitoring.sensor-silent' && a.labels.sensorId === 'FAKE-1');
    expect(silent).toBeDefined();
    const { stored } = await s.pipeline.process('risk.mine.telemetry', [later(3_600_000 + 130_000)], [], 'http');
    const resolved = stored.find((e) => e.event.alert.id === silent!.id);
    expect(resolved?.event.kind).toBe('resolved');
    expect(resolved?.event.alert).toMatchObject({ state: 'resolved', summary: '非登记测点长时间无数据，已停止跟踪', labels: { tracking: 'stopped', sensorId: 'FAKE-1' } });
  });

  it('neither dead-letters nor counts refusals of a warm-up replay (the first pass did)', async () => {
    const s = setup();
    const events = Array.from({ length: 2100 }, (_, i) => ch4(`FAKE-${i}`));
    const r = await s.pipeline.process('risk.mine.telemetry', events, [], 'kafka', { emit: false });
    expect(r).toEqual({ stored: [], refused: [] });
    expect(s.letters).toEqual([]);
  });
});
