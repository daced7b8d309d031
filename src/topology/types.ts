import type { Logger } from 'pino';
import type { Alert, AlertEvent } from '../contracts/alerts.ts';
import type { Command } from '../contracts/commands.ts';
import type { Event } from '../contracts/events.ts';
import type { Silence } from '../contracts/silences.ts';
import type { AlertBook } from '../alerts/book.ts';
import type { AlertTransition } from '../domain/transition.ts';
import type { Metrics } from '../metrics.ts';
import type { Clock, Rejection } from '../ports/index.ts';
import type { RuleEngine } from '../rules/engine.ts';

/** AlertCommand: an operator's ack or resolve of one alert, or the company's confirmation of its actions. */
export type AlertCommand = Extract<Command, { type: 'ack' | 'resolve' | 'confirm' }>;

/**
 * AlertLog: every alert event of every instance, in one order — what screens and the API read.
 * Embedded: the journal this instance writes, fanned out in process. Kafka: `risk.alerts`.
 */
export interface AlertLog {
  /** every alert as the log shows it (the API and screens read this) */
  readonly view: AlertBook;
  /** alert events this instance made durable (embedded: fanned out at once; Kafka: they come back through the shared log) */
  published(events: readonly AlertEvent[]): void;
  /** the alert log's events as they arrive, in log order (the WebSocket hub subscribes) */
  subscribe(fn: (events: readonly AlertEvent[]) => void): void;
}

/** CommandBus: operator commands reach the instance that holds the alert (embedded: this one). */
export interface CommandBus {
  /** resolves with the alert once the holder has applied the command (or as it is, if none holds it yet) */
  send(cmd: AlertCommand): Promise<Alert>;
  /** a silence made here reaches every instance */
  shareSilence(s: Silence): Promise<void>;
}

/** Ownership: which transitions this instance decides (embedded: all of them). */
export interface Ownership {
  owns(t: AlertTransition): boolean;
  /** this instance sends the daily duty report (exactly one instance does) */
  sendsReport(): boolean;
}

/** Intake: where accepted ingest goes (embedded: evaluated here; Kafka: onto the input topics, for each partition's owner). */
export interface Intake {
  /** resolves to the events refused at evaluation (already dead-lettered; `index` = position in `events`) */
  ingest(topic: string, events: readonly Event[], rejections: readonly Rejection[]): Promise<Rejection[]>;
}

/** Topology: how this instance shares the work with others; app.ts wires it the same way in both modes. */
export interface Topology {
  log: AlertLog;
  commands: CommandBus;
  ownership: Ownership;
  intake: Intake;
  /** joins the others (Kafka: catches up and joins the group; readyz stays 503 until it resolves) */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** TopologyDeps: what a topology needs from the app (the lifecycle it drives; called late, after wiring). */
export interface TopologyDeps {
  /** the alerts this instance decides */
  book: AlertBook;
  engine: RuleEngine;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  /** applies an ack or resolve to an alert this instance holds */
  apply(cmd: AlertCommand): Promise<Alert>;
  putSilence(s: Silence): Promise<void>;
  /** sends what is owed for adopted alerts (texts an old owner did not send); returns how many */
  recover(alerts: readonly Alert[]): number;
  /** evaluate events here (decode has happened) */
  process(topic: string, events: readonly Event[], rejections: readonly Rejection[], source: string, opts?: { emit?: boolean }): Promise<{ refused: Rejection[] }>;
  /** the one ingest gate (unknown sites, timestamps) */
  gate(events: readonly Event[]): { events: Event[]; rejections: Rejection[] };
  /** open alerts changed outside a batch (adoption) */
  changed(): void;
  /** input refused where it was decoded (Kafka) and dead-lettered there: counted as refused */
  rejected(topic: string, items: readonly { code: string }[]): void;
}

/** TopologyFactory: builds a topology once the app's lifecycle exists. */
export type TopologyFactory = (d: TopologyDeps) => Topology;
