import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { eventTime, TOPIC_TYPES, type Event } from '../contracts/events.ts';
import { decodeLine } from '../ingest/decode.ts';
import type { Pipeline } from '../pipeline.ts';

/** TIME_FIELDS: event fields that hold instants; all shift together when a recording is rebased. */
export const TIME_FIELDS = ['ts', 'sent', 'onset', 'expires', 'foundAt', 'deadline', 'validFrom', 'validTo', 'occurredAt', 'reportedAt'] as const;

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
