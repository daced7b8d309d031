import type { Logger } from 'pino';
import type { Event } from './contracts/events.ts';
import type { AlertTransition } from './domain/transition.ts';
import { enrich, keyOf } from './enrich/enrich.ts';
import type { ReferenceData } from './enrich/reference.ts';
import type { RuleEngine } from './rules/engine.ts';
import type { AlertBook } from './alerts/book.ts';
import type { AlertStore, Clock, DeadLetterSink, Rejection, StoredAlertEvent } from './ports/index.ts';
import type { Metrics } from './metrics.ts';
import type { AlertEvent } from './contracts/alerts.ts';

/** Deliver: where durable alert events go (WebSocket hub, and later SMS, Kafka, Influx). */
export type Deliver = (events: readonly AlertEvent[]) => void;

/** PipelineDeps: the stages and ports one pipeline runs through. */
export interface PipelineDeps {
  reference: () => ReferenceData;
  engine: () => RuleEngine;
  book: AlertBook;
  store: AlertStore;
  deadLetters: DeadLetterSink;
  deliver: Deliver;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  /** label put on every alert raised by this pipeline (demo scenario) */
  extraLabels?: Record<string, string>;
}

/** Pipeline: decode has happened; this runs enrich → evaluate → alerts → durable append → deliver. */
export interface Pipeline {
  process(topic: string, events: readonly Event[], rejections: readonly Rejection[], source: string): Promise<StoredAlertEvent[]>;
  commit(stored: StoredAlertEvent[]): Promise<void>;
}

/** createPipeline wires the stages in one straight line. Batches are applied in call order. */
export function createPipeline(d: PipelineDeps): Pipeline {
  async function commit(stored: StoredAlertEvent[]): Promise<void> {
    if (stored.length === 0) return;
    // Durable before delivered: a restart after this point keeps what screens have seen.
    await d.store.append(stored);
    const events = stored.map((s) => s.event);
    for (const e of events) d.metrics.alertEvents.inc({ rule: e.alert.ruleId, severity: e.alert.severity, kind: e.kind });
    d.deliver(events);
  }

  return {
    commit,
    async process(topic, events, rejections, source) {
      const started = performance.now();
      if (rejections.length > 0) {
        const failedAt = d.clock.now();
        for (const r of rejections) d.metrics.eventsRejected.inc({ topic, code: r.code });
        d.metrics.deadLetters.inc({ source }, rejections.length);
        await d.deadLetters.write(rejections.map((r) => ({ ...r, source: `${source}:${topic}`, failedAt })));
      }
      if (events.length === 0) return [];
      const ref = d.reference();
      const engine = d.engine();
      const transitions: AlertTransition[] = [];
      for (const event of events) {
        const { ctx, unknownSite } = enrich(ref, topic, event, keyOf(event));
        if (unknownSite) d.metrics.unknownSite.inc({ topic });
        engine.evaluate(ctx, transitions);
      }
      d.metrics.eventsIn.inc({ topic }, events.length);
      if (d.extraLabels) for (const t of transitions) Object.assign(t.labels, d.extraLabels);
      const stored = d.book.apply(transitions);
      await commit(stored);
      d.metrics.pipelineSeconds.observe((performance.now() - started) / 1000);
      return stored;
    },
  };
}
