import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { eventTime, TOPIC_TYPES, type Event } from '../contracts/events.ts';
import type { SpecialPeriod } from '../contracts/reference.ts';
import type { ReferenceData } from '../enrich/reference.ts';
import { decodeLine } from '../ingest/decode.ts';
import { validateEvent } from '../ingest/validate.ts';
import type { Pipeline } from '../pipeline.ts';
import { DAY_SPEC, dayStart, generateDemoDay, loadDaySpec, timeOfDay, type DemoItem } from './demo-day.ts';

/** TIME_FIELDS: event fields that hold instants; all shift together when a recording is rebased. */
export const TIME_FIELDS = ['ts', 'sent', 'onset', 'expires', 'foundAt', 'deadline', 'validFrom', 'validTo', 'occurredAt', 'reportedAt', 'forwardedAt', 'casualtiesChangedAt', 'followUpAt'] as const;

/** topicOfType maps an event type to its input topic. */
export function topicOfType(type: string): string {
  for (const [topic, types] of Object.entries(TOPIC_TYPES)) if ((types as readonly string[]).includes(type)) return topic;
  throw new Error(`no topic carries ${type}`);
}

/** shiftEvent moves every instant of an event by `delta` ms (a recorded deadline stays as far ahead). */
export function shiftEvent(e: Event, delta: number): Event {
  const out = { ...e } as Record<string, unknown>;
  for (const f of TIME_FIELDS) if (typeof out[f] === 'number') out[f] = (out[f] as number) + delta;
  return out as Event;
}

/**
 * startDemo replays the bundled SIMULATED scenario through the live pipeline, compressing gaps by
 * `speed` and rebasing event times to the moment each event is published. Returns a stop function.
 */
export function startDemo(deps: { file: string; pipeline: Pipeline; logger: Logger; now: () => number; speed?: number }): () => void {
  const speed = deps.speed ?? 10;
  const events: { topic: string; event: Event; t: number }[] = [];
  readFileSync(deps.file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const r = decodeLine(line, i);
      if (!r.ok) throw new Error(`${deps.file}:${i + 1}: ${r.rejection.path}: ${r.rejection.message}`);
      events.push({ topic: r.topic ?? topicOfType(r.event.type), event: r.event, t: eventTime(r.event) });
    });
  const t0 = events[0]?.t ?? 0;
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  // Publish in order: each timer waits for the previous publish, so a slow batch cannot reorder events.
  let chain: Promise<unknown> = Promise.resolve();
  for (const { topic, event, t } of events) {
    const timer = setTimeout(() => {
      chain = chain.then(async () => {
        if (stopped) return;
        const ev = shiftEvent(event, deps.now() - t);
        await deps.pipeline.process(topic, [ev], [], 'demo').catch((err: unknown) => deps.logger.error({ err }, 'demo event failed'));
      });
    }, (t - t0) / speed);
    timer.unref();
    timers.push(timer);
  }
  deps.logger.info({ events: events.length, seconds: Math.round((events.at(-1)!.t - t0) / speed / 1000) }, 'replaying SIMULATED demo scenario');
  return () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
  };
}

/** mapEventTimes applies `map` to every instant of an event (the one affine map of the live demo day). */
export function mapEventTimes(e: Event, map: (t: number) => number): Event {
  const out = { ...e } as Record<string, unknown>;
  for (const f of TIME_FIELDS) if (typeof out[f] === 'number') out[f] = map(out[f] as number);
  return out as Event;
}

/** DemoDayDeps: what the live replay of the simulated day needs. */
export interface DemoDayDeps {
  pipeline: Pipeline;
  logger: Logger;
  now: () => number;
  /** the live reference data: sites to generate for, and the calendar the special period is mapped into */
  reference: ReferenceData;
  /** day spec (default deploy/demo/day.yaml) */
  spec?: string;
  /** scenario seconds per wall second (default: the spec's replay.speed, 72 → 24 h in 20 min) */
  speed?: number;
  /** scenario time of day the replay starts at, "HH:MM" (default: the spec's replay.from) */
  from?: string;
  /** how often the replay publishes what is due (ms, default 100) */
  intervalMs?: number;
}

/**
 * startDemoDay replays the SIMULATED flood-season day (deploy/demo/day.yaml, src/jobs/demo-day.ts)
 * through the live pipeline. Scenario time maps onto the wall clock with ONE affine map,
 *
 *   wall(t) = demoStart + (t − t0) / speed        (t0 = the day at replay.from, e.g. 05:55)
 *
 * applied to EVERY timestamp field of each event (ts, sent, onset, expires, deadline, validFrom,
 * validTo, occurredAt, reportedAt, foundAt …), so deadlines, warning expiries and permit validity
 * compress consistently with the replay. The special periods of the live calendar that overlap the
 * day are mapped the same way (added to the calendar while the demo runs), so 提级管理 and the
 * hot-work ban apply in the live demo as they do in the backtest.
 *
 * Rule DURATIONS are NOT compressed: they are wall-clock time in the live demo. At 72× a sensor must
 * be silent 90 wall seconds (≈ 108 scenario minutes) to raise 监测中断, a whole mine 5 wall minutes
 * (6 scenario hours); the power-off grace of 10 s is ≈ 12 scenario minutes; the 60 min accident
 * report deadline, the 60 min flatline and the 2 h calibration are wall-clock hours. So the live
 * demo shows the 3-hour sensor outage (12:40–15:40) and the power-off failure (methane held above
 * the power-off value for 26 scenario minutes with no feedback: ≈ 12 wall seconds of red after the 10 s grace), but not the 20-minute sensor
 * outage, the 10-minute whole-mine outage, the frozen sensor, the long calibration or the late
 * accident report — `riskstream backtest` over `riskstream demo generate` shows those (event time
 * is the clock there). After the day ends, background telemetry goes on (the following days, no
 * incidents) so the screen is not flooded with silence alerts. Returns a stop function.
 */
export function startDemoDay(deps: DemoDayDeps): () => void {
  const spec = loadDaySpec(deps.spec ?? DAY_SPEC);
  const speed = deps.speed ?? spec.replay.speed;
  const t0 = timeOfDay(spec, deps.from ?? spec.replay.from);
  const wall0 = deps.now();
  const toWall = (t: number): number => Math.round(wall0 + (t - t0) / speed);
  const day0 = dayStart(spec);
  const gen: Iterator<DemoItem> = generateDemoDay(spec, deps.reference, { from: t0, continueBackground: true });
  let next = gen.next(); // throws here when the spec does not fit the reference data
  const calendar = deps.reference.calendar;
  const added: SpecialPeriod[] = [];
  for (const p of [...calendar]) {
    if (p.from >= day0 + 86_400_000 || p.to <= day0) continue;
    const mapped = { ...p, from: toWall(p.from), to: toWall(p.to) };
    calendar.push(mapped);
    added.push(mapped);
  }
  let stopped = false;
  let busy = false;
  let published = 0;
  const publish = async (topic: string, batch: Event[]): Promise<void> => {
    await deps.pipeline.process(topic, batch, [], 'demo').catch((err: unknown) => deps.logger.error({ err }, 'demo events failed'));
  };
  // Publish everything whose scenario time the (scaled) wall clock has reached, batched per topic run
  // so events keep their order; at most ~10 scenario seconds per pass so one pass stays short.
  const pump = async (): Promise<void> => {
    const horizon = t0 + (deps.now() - wall0) * speed;
    let topic: string | undefined;
    let batch: Event[] = [];
    for (let n = 0; !stopped && !next.done && next.value.t <= horizon && n < 5_000; n++) {
      const { topic: tp, event } = next.value;
      next = gen.next();
      const r = validateEvent(event, tp, published, '');
      if (!r.ok) {
        deps.logger.error({ rejection: r.rejection }, 'demo day event invalid');
        continue;
      }
      published++;
      if (tp !== topic && batch.length > 0) {
        await publish(topic!, batch);
        batch = [];
      }
      topic = tp;
      batch.push(mapEventTimes(r.event, toWall));
    }
    if (batch.length > 0 && !stopped) await publish(topic!, batch);
  };
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    pump()
      .catch((err: unknown) => deps.logger.error({ err }, 'demo replay failed'))
      .finally(() => (busy = false));
  }, deps.intervalMs ?? 100);
  timer.unref();
  deps.logger.info(
    { date: spec.date, from: deps.from ?? spec.replay.from, speed, minutesToMidnight: Math.round((day0 + 86_400_000 - t0) / speed / 60_000), incidents: spec.incidents.length },
    'replaying the SIMULATED demo day (模拟演示数据)',
  );
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const p of added) {
      const i = calendar.indexOf(p);
      if (i >= 0) calendar.splice(i, 1);
    }
  };
}

/**
 * startBundledDemo: the demo of `riskstream start --demo` — the simulated day, or the short
 * scenario (deploy/demo/scenario.ndjson) when the day cannot be generated for the loaded reference
 * data (e.g. `--sites` without the bundled mines).
 */
export function startBundledDemo(deps: Omit<DemoDayDeps, 'spec'> & { scenario: string }): () => void {
  try {
    return startDemoDay(deps);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'demo day unavailable for this reference data; replaying the short scenario');
    return startDemo({ file: deps.scenario, pipeline: deps.pipeline, logger: deps.logger, now: deps.now });
  }
}
