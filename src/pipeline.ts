import type { Logger } from 'pino';
import type { Event } from './contracts/events.ts';
import type { AlertTransition } from './domain/transition.ts';
import type { Stepper } from './rules/stepper.ts';
import type { AlertBook } from './alerts/book.ts';
import type { AlertStore, Clock, DeadLetterSink, Rejection, SeriesPoint, SeriesStore, StoredAlertEvent } from './ports/index.ts';
import { seriesPointOf } from './enrich/series.ts';
import type { Metrics } from './metrics.ts';
import type { AlertEvent } from './contracts/alerts.ts';

/** Deliver: where durable alert events go (WebSocket hub, and later SMS, Kafka, Influx). */
export type Deliver = (events: readonly AlertEvent[]) => void;

/** PipelineDeps: the stages and ports one pipeline runs through. */
export interface PipelineDeps {
  stepper: Stepper;
  /** live mode: timers also follow the wall clock, so a silent sensor is caught when nothing arrives */
  live: boolean;
  book: AlertBook;
  store: AlertStore;
  deadLetters: DeadLetterSink;
  deliver: Deliver;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  /** label put on every alert raised by this pipeline (demo scenario) */
  extraLabels?: Record<string, string>;
  /** history of readings (optional) */
  series?: SeriesStore;
  /** called after every batch and tick (e.g. to persist context that changed) */
  afterBatch?: () => void;
  /** Kafka mode: only transitions about subjects this instance owns become alert events */
  keep?: (t: AlertTransition) => boolean;
  /** called when alert events cannot be made durable: memory is then ahead of the journal, so the process must stop */
  onFatal?: (err: unknown) => void;
}

/** ProcessResult: the alert events a batch made durable, and the events refused at evaluation. */
export interface ProcessResult {
  stored: StoredAlertEvent[];
  /** events not evaluated (SUBJECT_LIMIT), already dead-lettered; `index` is the event's position in the `events` given */
  refused: Rejection[];
}

/** Pipeline: decode has happened; this runs enrich → evaluate → alerts → durable append → deliver. */
export interface Pipeline {
  /**
   * process runs a batch; `rejections` (from decode) and the events the stepper refuses are
   * dead-lettered. `emit: false` (a warm-up replay) updates rule state only: its transitions are
   * dropped and its refusals neither dead-lettered nor counted (the first pass did that).
   */
  process(topic: string, events: readonly Event[], rejections: readonly Rejection[], source: string, opts?: { emit?: boolean }): Promise<ProcessResult>;
  /** tick advances timers to the clock (live mode) and commits what they decide */
  tick(): Promise<StoredAlertEvent[]>;
  commit(stored: StoredAlertEvent[]): Promise<void>;
  /** counted: refusals dead-lettered elsewhere (Kafka decode, with the record's coordinates) are counted as this pipeline counts its own */
  counted(topic: string, refusals: readonly { code: string }[], source: string): void;
}

/** createPipeline wires the stages in one straight line. Batches are applied in call order. */
export function createPipeline(d: PipelineDeps): Pipeline {
  async function commit(stored: StoredAlertEvent[]): Promise<void> {
    if (stored.length === 0) return;
    // Durable before delivered: a restart after this point keeps what screens have seen.
    try {
      await d.store.append(stored);
    } catch (err) {
      // The book already holds these events; a restart recovers from the journal and the
      // producer, which got no 202, sends the input again (at-least-once).
      d.logger.fatal({ err }, 'alert events could not be made durable; stopping');
      d.onFatal?.(err);
      throw err;
    }
    const events = stored.map((s) => s.event);
    for (const e of events) d.metrics.alertEvents.inc({ rule: e.alert.ruleId, severity: e.alert.severity, kind: e.kind });
    d.deliver(events);
  }

  /**
   * timerNow: the instant timers fire up to — the watermark, and in live mode the wall clock too,
   * except while a warm-up replay is going on (`warmingUntil`): a replayed reading whose deadline
   * has passed must not fire while the rest of its window (the power-off that answered it) is still
   * being replayed, nor fire silently inside the replay and so never be raised. Once the replay
   * is over, the wall clock fires what is due and the book keeps what the old owner already raised.
   */
  let warmingUntil = 0;
  const WARM_LEASE_MS = 2000;
  function timerNow(): number {
    const wm = d.stepper.watermark();
    if (!d.live || d.clock.now() < warmingUntil) return wm;
    return Math.max(wm, d.clock.now());
  }

  function owned(transitions: AlertTransition[]): AlertTransition[] {
    if (!d.keep) return transitions;
    const kept: AlertTransition[] = [];
    for (const t of transitions) {
      if (d.keep(t)) kept.push(t);
      else d.metrics.notOwned.inc({ domain: t.domain });
    }
    return kept;
  }

  function counted(topic: string, refusals: readonly { code: string }[], source: string): void {
    for (const r of refusals) d.metrics.eventsRejected.inc({ topic, code: r.code });
    d.metrics.deadLetters.inc({ source }, refusals.length);
  }

  async function deadLetter(topic: string, rejections: readonly Rejection[], source: string): Promise<void> {
    const failedAt = d.clock.now();
    counted(topic, rejections, source);
    await d.deadLetters.write(rejections.map((r) => ({ ...r, source: `${source}:${topic}`, failedAt })));
  }

  const NONE: ProcessResult = Object.freeze({ stored: [], refused: [] }) as ProcessResult;

  return {
    commit,
    counted,
    async tick() {
      const transitions: AlertTransition[] = [];
      d.stepper.tick(timerNow(), transitions);
      d.afterBatch?.();
      if (transitions.length === 0) return [];
      if (d.extraLabels) for (const t of transitions) Object.assign(t.labels, d.extraLabels);
      const stored = d.book.apply(owned(transitions), d.live ? d.clock.now() : undefined);
      await commit(stored);
      return stored;
    },
    async process(topic, events, rejections, source, opts) {
      const started = performance.now();
      if (rejections.length > 0) await deadLetter(topic, rejections, source);
      if (events.length === 0) return NONE;
      const transitions: AlertTransition[] = [];
      const points: SeriesPoint[] = [];
      let refused: Rejection[] | undefined;
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        const r = d.stepper.event(topic, event, transitions);
        if (r.refused) {
          // not evaluated, so not history either: the producer is told and the event is kept as a dead letter
          const why = d.stepper.refusal(event);
          (refused ??= []).push({ index: i, code: 'SUBJECT_LIMIT', path: why.path, message: why.message, details: [], original: JSON.stringify(event) });
          continue;
        }
        if (d.series) {
          const p = seriesPointOf(event as never);
          if (p) points.push(p);
        }
        if (r.unknownSite) d.metrics.unknownSite.inc({ topic });
        if (r.late) d.metrics.lateEvents.inc({ topic });
      }
      if (points.length > 0) d.series!.write(points);
      if (opts?.emit === false) warmingUntil = d.clock.now() + WARM_LEASE_MS;
      d.stepper.tick(timerNow(), transitions);
      d.afterBatch?.();
      d.metrics.eventsIn.inc({ topic }, events.length - (refused?.length ?? 0));
      if (opts?.emit === false) return NONE;
      if (d.extraLabels) for (const t of transitions) Object.assign(t.labels, d.extraLabels);
      const stored = d.book.apply(owned(transitions), d.live ? d.clock.now() : undefined);
      await commit(stored);
      // after the commit: a dead-letter write that fails must not leave alerts applied but not durable
      if (refused) await deadLetter(topic, refused, source);
      d.metrics.pipelineSeconds.observe((performance.now() - started) / 1000);
      return { stored, refused: refused ?? [] };
    },
  };
}
