import type { AlertEvent, Alert } from '../contracts/alerts.ts';
import type { Event } from '../contracts/events.ts';
import type { ErrorCode, ErrorDetail } from '../errors.ts';
import type { ZodType } from 'zod';

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
  /** the original message bytes (Kafka source) */
  raw?: Buffer;
  /** the original message key (Kafka source) */
  key?: string;
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

/** AuditLog: the hash-chained audit trail (alert events, silences, texts); tamper evidence, not a store to load from. */
export interface AuditLog {
  append(kind: 'alert' | 'silence' | 'text', records: readonly unknown[]): Promise<void>;
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

/** StateFile: a small list kept across restarts (weather warnings in force, silences) in embedded mode. */
export interface StateFile {
  /** load returns the list as stored; throws AppError JOURNAL_CORRUPT when the file is not a JSON list */
  load(): unknown[];
  /** load with a schema returns the records that pass it; one that fails is dropped with a warning naming file and index */
  load<T>(schema: ZodType<T>): T[];
  save(warnings: readonly unknown[]): Promise<void>;
}

/** NotificationRecord: one text sent (or given up) to one person for one alert transition — the audit and the dedup key. */
export interface NotificationRecord {
  /** alertId/kind/severity/level/phone: the same key is never texted twice */
  key: string;
  alertId: string;
  kind: 'fired' | 'escalated' | 'resolved' | 'unconfirmed' | 'report';
  severity?: string;
  level: number;
  to: string;
  name: string;
  /** the duty officer, the leader on duty, or the site's own contact (sites.yaml `contacts`) */
  role: 'officer' | 'leader' | 'site';
  at: number;
  smsId: string;
  /** delivered/undelivered come from the provider's delivery receipts */
  status: 'sent' | 'failed' | 'delivered' | 'undelivered';
  providerIds?: string[];
  error?: string;
}

/** NotificationLog: the durable record of what was texted to whom (Alertmanager's nflog). */
export interface NotificationLog {
  load(): Promise<NotificationRecord[]>;
  /** resolves once the records are durable */
  append(records: readonly NotificationRecord[]): Promise<void>;
  /** a log shared by several instances (Kafka mode) tells of every record appended anywhere after load */
  subscribe?(fn: (r: NotificationRecord) => void): void;
  close(): Promise<void>;
}

/** SmsMessage: one text to one phone. */
export interface SmsMessage {
  /** idempotency key (e.g. alert id + transition + recipient); a retry reuses it */
  id: string;
  /** E.164 phone number such as +8613900000001 */
  to: string;
  text: string;
}

/** SmsResult: what the provider accepted for one message. */
export interface SmsResult {
  id: string;
  /** provider message ids, one per part where the provider gives them */
  providerIds: string[];
  /** number of SMS parts (UCS-2: 70 characters alone, 67 per part when concatenated) */
  parts: number;
}

/** SmsDeliveryReceipt: a provider's report on a sent part (SMPP `stat:` such as DELIVRD, UNDELIV). */
export interface SmsDeliveryReceipt {
  /** the SmsMessage id, when the gateway still knows which message the provider id belongs to */
  id?: string;
  providerId: string;
  status: string;
  at: number;
}

/**
 * SmsGateway: sends texts through one provider. Errors are AppError with `retryable` set:
 * network, timeout, throttling, 5xx, SMSC system errors → retryable; 4xx, invalid destination,
 * rejected credentials → permanent.
 */
export interface SmsGateway {
  send(msg: SmsMessage): Promise<SmsResult>;
  close(): Promise<void>;
  onDeliveryReceipt?(cb: (r: SmsDeliveryReceipt) => void): void;
}

/** SeriesPoint: one measurement of one series (a sensor, an equipment quantity, a site metric). */
export interface SeriesPoint {
  siteId: string;
  metric: string;
  ts: number;
  value: number;
  unit?: string;
}

/** SeriesStore: history for charts and the briefing (embedded: a bounded ring; distributed: InfluxDB). */
export interface SeriesStore {
  /** enqueue/record points; never throws and never waits on a server (history is best-effort) */
  write(points: readonly SeriesPoint[]): void;
  /** the site's metric names and, when `metric` is given, that series' points in [from, to], oldest first */
  query(q: { siteId: string; metric?: string; from?: number; to?: number }): Promise<{ metrics: string[]; points: SeriesPoint[] }>;
  size(): number;
  /** flush what is queued and release connections (app stop) */
  close?(): Promise<void>;
  /** numeric counters for /metrics (e.g. queued, written, dropped), when the adapter keeps any */
  stats?(): object;
}

/** PartitionMeta: where a batch came from. */
export interface BatchMeta {
  topic: string;
  partition: number;
  /** warm-up: events before the committed offset, replayed only to rebuild window state; emit nothing */
  warmup: boolean;
}

/**
 * ClusterHandlers: what the app does with what a cluster delivers. Calls for the keyed topics
 * (`events` with a partition) come one at a time; their offsets are committed only after the
 * returned promise resolves (effects durable).
 */
export interface ClusterHandlers {
  /**
   * the ingest gate (unknown sites, timestamps out of range), applied where each message is decoded
   * so that a refused event is dead-lettered with its message's partition, offset and key
   */
  gate(topic: string, events: readonly Event[]): { events: Event[]; rejections: Rejection[] };
  /** decoded events (and rejections, already dead-lettered) of one batch */
  events(topic: string, events: readonly Event[], meta: BatchMeta): Promise<void>;
  /** one alert event of the shared alert log, in log order; `seq` = offset + 1 */
  alertEvent(s: StoredAlertEvent): void;
  /** the latest stored state of one alert (compacted state topic), read once at start before the alert log */
  alertState(s: StoredAlertEvent): void;
  /** an operator command made on any instance; `live` false while catching up at start */
  command(c: unknown, live: boolean): Promise<void>;
  /**
   * the keyed partitions owned by this instance changed (a rebalance); resolves when the instance
   * is ready to process them (its view of the alert log caught up, open alerts adopted)
   */
  assigned(partitions: readonly number[]): Promise<void>;
  /** warm-up of a partition is over: later events are live */
  warmedUp(partition: number): void;
  /** records of `topic` (contract name) refused at decode and written to the DLQ: counted like HTTP refusals */
  deadLettered?(topic: string, items: readonly DeadLetter[]): void;
}

/** Cluster: the distributed adapters (Kafka) and the consumer loops that drive the app. */
export interface Cluster {
  store: AlertStore;
  deadLetters: DeadLetterSink;
  /** publishes accepted events (HTTP ingest) onto the input topics */
  sink: EventSink;
  /** the notification log shared by every instance (what was texted to whom), so a takeover repeats and misses no text */
  nflog: NotificationLog;
  /** the audit trail: this process's hash chain on risk.audit */
  audit: AuditLog;
  /** the keyed-topic partition of a key (same hash as producers: murmur2) */
  partitionOf(key: string): number;
  /** connects, catches up on the alert log, commands and weather, joins the group */
  start(h: ClusterHandlers): Promise<void>;
  publishCommand(key: string, c: object): Promise<void>;
  /** waits until this instance has read the alert log and the notification log up to their ends as of now; false on timeout */
  catchUpLogs(timeoutMs?: number): Promise<boolean>;
  /** stop fetching, finish the batch in hand, commit, flush, disconnect */
  stop(): Promise<void>;
  /** numeric state for /metrics and /readyz (assigned partitions, lag, rebalances, watchdog restarts) */
  stats(): Record<string, number>;
}
