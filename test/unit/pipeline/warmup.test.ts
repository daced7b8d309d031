import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AlertBook } from '../../../src/alerts/book.ts';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event } from '../../../src/contracts/events.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { createPipeline } from '../../../src/pipeline.ts';
import type { AlertStore } from '../../../src/ports/index.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';

// A takeover in Kafka mode replays a partition's recent events (warm-up, emit: false) into the new
// owner. A reading whose 10 s power-off window ran out while its old owner was dying must be raised
// by the new owner once the replay is over — not fired silently inside the replay — and a reading
// whose power-off comes later in the replay must raise nothing (found by the adversarial review:
// 38 missed and 43 false 断电失效 alerts after a kill -9).

const reference = loadReference(BUNDLED);
const SITE = 'cm-shm-01';
const SENSOR = 'CH4-T1-1201';
const T0 = Date.parse('2026-06-03T10:00:00+08:00');
const reading = (ts: number, areaId = 'ws1201', sensorId = SENSOR) => Event.parse({ type: 'mine.reading', siteId: SITE, sensorId, areaId, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts });
const powerOff = (ts: number, areaId = 'ws1201') => Event.parse({ type: 'mine.power', siteId: SITE, areaId, state: 'off', ts });

function setup() {
  let now = T0;
  const book = new AlertBook();
  const store: AlertStore = { load: async () => ({ snapshot: { seq: 0, records: [] }, tail: [] }), append: async () => {}, snapshot: async () => {}, close: async () => {} };
  const stepper = new Stepper(reference, loadRulePack(BUNDLED.rules).filter((r) => r.id === 'mine.power-off-failure'), () => []);
  const pipeline = createPipeline({ stepper, live: true, book, store, deadLetters: { write: async () => {}, close: async () => {} }, deliver: () => {}, metrics: createMetrics(), clock: { now: () => now }, logger: pino({ level: 'silent' }) });
  const fired = () => book.openAlerts().filter((a) => a.ruleId === 'mine.power-off-failure');
  return { pipeline, fired, advance: (ms: number) => (now += ms), at: () => now };
}

describe('pipeline: warm-up replay and the wall clock', () => {
  it('a replayed reading whose window ran out is raised once the replay is over, not lost inside it', async () => {
    const s = setup();
    // the old owner read it at T0 and died; the new owner replays it 20 s later
    s.advance(20_000);
    await s.pipeline.process('risk.mine.telemetry', [reading(T0)], [], 'kafka', { emit: false });
    expect(s.fired()).toEqual([]);
    // the replay is over (no warm-up batch for the lease): the timer fires on the wall clock
    s.advance(3000);
    await s.pipeline.tick();
    expect(s.fired().map((a) => a.labels.areaId)).toEqual(['ws1201']);
  });

  it('a replayed reading answered by a power-off later in the replay raises nothing', async () => {
    const s = setup();
    s.advance(20_000);
    await s.pipeline.process('risk.mine.telemetry', [reading(T0)], [], 'kafka', { emit: false });
    // the wall-clock tick in between (the app ticks every second) must not fire it mid-replay
    await s.pipeline.tick();
    await s.pipeline.process('risk.mine.telemetry', [powerOff(T0 + 2000)], [], 'kafka', { emit: false });
    s.advance(3000);
    await s.pipeline.tick();
    expect(s.fired()).toEqual([]);
  });
});
