import type { AlertEvent, Alert } from '../contracts/alerts.ts';
import type { Event } from '../contracts/events.ts';
import type { ErrorCode, ErrorDetail } from '../errors.ts';

/** Rejection: why one input item was refused, and its original bytes. */
export interface Rejection {
  /** index of the item inside the request/batch (0 for a single item) */
  index: number;
  code: ErrorCode;
  /** field path such as "value" or "area.polygons.0"; "" for the whole item */
  path: string;
  message: string;
  details: ErrorDetail[];
  /** the item's original text (or the whole body when it could not be split) */
  original: string;
}

/** DeadLetter: a rejected input kept with its reason (CONTRACT.md §5 headers). */
export interface DeadLetter extends Rejection {
  source: string;
  partition?: number;
  offset?: string;
  failedAt: number;
}

/** DeadLetterSink: where rejected input goes; nothing invalid is silently dropped. */
export interface DeadLetterSink {
  write(items: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** StoredAlertEvent: an alert event plus the rule subject it belongs to (to restore rule state). */
export interface StoredAlertEvent {
  subjectKey: string;
  event: AlertEvent;
}

/** AlertRecord: one alert with its subject and recent history. */
export interface AlertRecord {
  subjectKey: string;
  alert: Alert;
  history: AlertEvent[];
}

/** AlertStoreState: what is recovered at start: the last seq and the held alerts (open and recently resolved). */
export interface AlertStoreState {
  seq: number;
  records: AlertRecord[];
}

/** AlertStore: durable alert transitions; `append` resolves only once the events are durable. */
export interface AlertStore {
  /** load returns the snapshot plus the journal written after it, in seq order */
  load(): Promise<{ snapshot: AlertStoreState; tail: StoredAlertEvent[] }>;
  append(events: readonly StoredAlertEvent[]): Promise<void>;
  snapshot(state: AlertStoreState): Promise<void>;
  close(): Promise<void>;
}

/** EventSink: publish accepted events into the pipeline (embedded bus or Kafka). */
export interface EventSink {
  publish(topic: string, events: readonly Event[]): Promise<void>;
}

/** Clock: the only place the current time comes from. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** ContextStore: the weather warnings in force, kept so a restart still knows them (embedded mode). */
export interface ContextStore {
  load(): unknown[];
  save(warnings: readonly unknown[]): Promise<void>;
}
