import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Metrics: every riskstream_ metric; labels are bounded (topic, code, rule id, severity). */
export interface Metrics {
  registry: Registry;
  eventsIn: Counter<'topic'>;
  eventsRejected: Counter<'topic' | 'code'>;
  /** Kafka mode: transitions computed here for another instance's site (weather is evaluated everywhere) and left to it */
  notOwned: Counter<'domain'>;
  deadLetters: Counter<'source'>;
  alertEvents: Counter<'rule' | 'severity' | 'kind'>;
  pipelineSeconds: Histogram<never>;
  wsClients: Gauge<never>;
  wsClosed: Counter<'reason'>;
  lateEvents: Counter<'topic'>;
  unknownSite: Counter<'topic'>;
  openAlerts: Gauge<'severity'>;
  ruleState: Gauge<never>;
  textsSent: Counter<'kind' | 'role'>;
  textsFailed: Counter<'kind' | 'retryable'>;
  textsPending: Gauge<never>;
  textsSkipped: Counter<'stage'>;
  /** a bound was reached (limits.*): how often, per limit */
  limitReached: Counter<'limit'>;
  /** items held back by a bound (merged, folded, refused or evicted), per limit */
  limitOverflow: Counter<'limit'>;
  /** writes to a journal (alert events, snapshot, notification log, audit trail, dead letters) that failed */
  journalErrors: Counter<'journal'>;
}

/** JOURNALS: the durable logs whose failed writes count in riskstream_journal_errors_total{journal}. */
export type Journal = 'alerts' | 'snapshot' | 'notifications' | 'audit' | 'dead_letters';

/**
 * countFailures: the same object, with the named async methods counting a failure (rejection or
 * throw) through `onFail` before passing it on. A Proxy, so class instances (private fields) keep working.
 */
export function countFailures<T extends object>(target: T, methods: Partial<Record<keyof T & string, () => void>>): T {
  return new Proxy(target, {
    get(t, key, _receiver) {
      const v = Reflect.get(t, key, t) as unknown;
      if (typeof v !== 'function') return v;
      const onFail = typeof key === 'string' ? (methods as Record<string, (() => void) | undefined>)[key] : undefined;
      if (!onFail) return (v as (...a: unknown[]) => unknown).bind(t);
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => unknown).apply(t, args);
        } catch (err) {
          onFail();
          throw err;
        }
      };
    },
  });
}

/** registerReadiness exports /readyz as riskstream_ready (1 ready, 0 starting or recovering), for alerting on "not ready". */
export function registerReadiness(m: Metrics, isReady: () => boolean): void {
  new Gauge({
    name: 'riskstream_ready',
    help: '1 when GET /readyz answers 200 (state recovered; Kafka mode: caught up and partitions assigned), else 0',
    registers: [m.registry],
    collect() {
      this.set(isReady() ? 1 : 0);
    },
  });
}

/** registerSeriesStats exports a history store's counters as riskstream_history_points{state}. */
export function registerSeriesStats(m: Metrics, stats: () => object): void {
  new Gauge({
    name: 'riskstream_history_points',
    help: 'History store points by state (queued, inFlight, written, dropped, rejected, writeFailures)',
    labelNames: ['state'],
    registers: [m.registry],
    collect() {
      for (const [k, v] of Object.entries(stats())) if (typeof v === 'number') this.set({ state: k }, v);
    },
  });
}

/** registerRuleStats exports, per rule, events a limit-from-reference rule could not judge (the item has no such limit). */
export function registerRuleStats(m: Metrics, unconfigured: () => Record<string, number>): void {
  new Counter({
    name: 'riskstream_rule_unconfigured_total',
    help: 'Events a rule reading its limits from the reference data could not judge: the monitored item has no such limit (per rule)',
    labelNames: ['rule'],
    registers: [m.registry],
    collect() {
      this.reset();
      for (const [rule, n] of Object.entries(unconfigured())) if (n > 0) this.inc({ rule }, n);
    },
  });
}

/**
 * KAFKA_STATS: how each field of Kafka mode's stats() is exported. Counters (only ever grow while the
 * process runs) end in `_total`; gauges go up and down. A field not listed here is not exported.
 */
export const KAFKA_STATS: Readonly<Record<string, { name: string; type: 'counter' | 'gauge'; help: string }>> = {
  rebalances: { name: 'riskstream_kafka_rebalances_total', type: 'counter', help: 'Kafka mode: consumer group rebalances seen by this instance' },
  consumerRestarts: { name: 'riskstream_kafka_consumer_restarts_total', type: 'counter', help: 'Kafka mode: consumer restarts (crash or stall)' },
  producerRestarts: { name: 'riskstream_kafka_producer_restarts_total', type: 'counter', help: 'Kafka mode: producer reconnects after a failed send' },
  sendRetries: { name: 'riskstream_kafka_send_retries_total', type: 'counter', help: 'Kafka mode: produce attempts retried' },
  warmupEvents: { name: 'riskstream_kafka_warmup_events_total', type: 'counter', help: 'Kafka mode: events re-read to rebuild rule state after taking over partitions' },
  deadLetters: { name: 'riskstream_kafka_dead_letters_total', type: 'counter', help: 'Kafka mode: records written to the dead-letter topic' },
  commits: { name: 'riskstream_kafka_commits_total', type: 'counter', help: 'Kafka mode: consumer offset commits' },
  forwarded: { name: 'riskstream_kafka_forwarded_total', type: 'counter', help: 'Kafka mode: events forwarded to the repartition topic (keyed by their owner site)' },
  repartitioned: { name: 'riskstream_kafka_repartitioned_total', type: 'counter', help: 'Kafka mode: events read from the repartition topic' },
  assignedPartitions: { name: 'riskstream_kafka_assigned_partitions', type: 'gauge', help: 'Kafka mode: input partitions assigned to this instance' },
  keyedPartitions: { name: 'riskstream_kafka_keyed_partitions', type: 'gauge', help: 'Kafka mode: repartition-topic partitions assigned to this instance' },
  lag: { name: 'riskstream_kafka_consumer_lag', type: 'gauge', help: 'Kafka mode: records behind the high watermark on the assigned partitions, as of the last batch read from each' },
  alertLogPosition: { name: 'riskstream_kafka_alert_log_position', type: 'gauge', help: 'Kafka mode: offset this instance has read the shared alert log up to' },
};

/** registerClusterStats exports Kafka mode's state (KAFKA_STATS): counters as riskstream_kafka_*_total, gauges as riskstream_kafka_*. */
export function registerClusterStats(m: Metrics, stats: () => Record<string, number>): void {
  // one read of stats() per scrape, shared by every metric of that scrape
  let cached: { at: number; v: Record<string, number> } | undefined;
  const read = (key: string): number => {
    const t = performance.now();
    if (!cached || t - cached.at > 50) cached = { at: t, v: stats() };
    const v = cached.v[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : 0;
  };
  for (const [key, d] of Object.entries(KAFKA_STATS)) {
    if (d.type === 'counter') {
      new Counter({
        name: d.name,
        help: d.help,
        registers: [m.registry],
        collect() {
          this.reset();
          this.inc(Math.max(0, read(key)));
        },
      });
    } else {
      new Gauge({
        name: d.name,
        help: d.help,
        registers: [m.registry],
        collect() {
          this.set(read(key));
        },
      });
    }
  }
}

/** createMetrics builds a fresh registry (one per app, so tests can run several apps). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  // Node's default metrics under their standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …),
  // so stock Node.js dashboards and alerts work; everything riskstream's own starts with riskstream_
  collectDefaultMetrics({ register: registry });
  const r = { registers: [registry] };
  return {
    registry,
    eventsIn: new Counter({ name: 'riskstream_events_in_total', help: 'Events accepted, per topic', labelNames: ['topic'], ...r }),
    notOwned: new Counter({ name: 'riskstream_transitions_not_owned_total', help: 'Kafka mode: alert transitions computed here for a site another instance owns, left to that owner (every instance evaluates the weather for every site)', labelNames: ['domain'], ...r }),
    eventsRejected: new Counter({ name: 'riskstream_events_rejected_total', help: 'Input items rejected, per topic and error code', labelNames: ['topic', 'code'], ...r }),
    deadLetters: new Counter({ name: 'riskstream_dlq_total', help: 'Items written to the dead-letter sink', labelNames: ['source'], ...r }),
    alertEvents: new Counter({ name: 'riskstream_alert_events_total', help: 'Alert events, per rule, severity and kind', labelNames: ['rule', 'severity', 'kind'], ...r }),
    pipelineSeconds: new Histogram({ name: 'riskstream_pipeline_seconds', help: 'From receipt of a batch to durable alert events delivered', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5], ...r }),
    wsClients: new Gauge({ name: 'riskstream_ws_clients', help: 'Connected WebSocket clients', ...r }),
    wsClosed: new Counter({ name: 'riskstream_ws_closed_total', help: 'WebSocket connections closed by the server, per reason', labelNames: ['reason'], ...r }),
    lateEvents: new Counter({ name: 'riskstream_late_events_total', help: 'Events later than the allowed lateness', labelNames: ['topic'], ...r }),
    unknownSite: new Counter({ name: 'riskstream_events_unknown_site_total', help: 'Valid events naming a site missing from the reference data (still evaluated)', labelNames: ['topic'], ...r }),
    openAlerts: new Gauge({ name: 'riskstream_open_alerts', help: 'Open (firing or acknowledged) alerts per severity', labelNames: ['severity'], ...r }),
    ruleState: new Gauge({ name: 'riskstream_rule_state_subjects', help: 'Subjects held in rule state', ...r }),
    textsSent: new Counter({ name: 'riskstream_sms_sent_total', help: 'Alert transitions texted, per kind and recipient role', labelNames: ['kind', 'role'], ...r }),
    textsFailed: new Counter({ name: 'riskstream_sms_failed_total', help: 'Texts that failed after retries, per kind and whether they will be tried again', labelNames: ['kind', 'retryable'], ...r }),
    textsSkipped: new Counter({ name: 'riskstream_sms_skipped_total', help: 'Queued texts not sent, per notify stage: mute (acknowledged, resolved, silenced or inhibited during the group wait), dedup (texted already)', labelNames: ['stage'], ...r }),
    textsPending: new Gauge({ name: 'riskstream_sms_pending', help: 'Texts waiting in group wait or for a retry', ...r }),
    limitReached: new Counter({ name: 'riskstream_limit_reached_total', help: 'Times a configured bound (limits.*) was reached, per limit', labelNames: ['limit'], ...r }),
    journalErrors: new Counter({ name: 'riskstream_journal_errors_total', help: 'Failed writes to a journal, per journal: alerts (alert events; fatal), snapshot, notifications (what was texted), audit, dead_letters', labelNames: ['journal'], ...r }),
    limitOverflow: new Counter({ name: 'riskstream_limit_overflow_total', help: 'Items held back by a bound (merged, folded, refused or evicted), per limit', labelNames: ['limit'], ...r }),
  };
}
