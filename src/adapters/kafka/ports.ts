import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import { keyOf } from '../../contracts/events.ts';
import { AppError } from '../../errors.ts';
import type { AlertStore, DeadLetterSink, EventSink, NotificationLog, NotificationRecord, StoredAlertEvent } from '../../ports/index.ts';
import { createKafkaAuditLog } from './audit.ts';
import { TOPIC } from './topics.ts';

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** KafkaPortsOptions: the instance's bounded send, its topic names and id, and its counters. */
export interface KafkaPortsOptions {
  send: (tm: { topic: string; messages: Message[] }[]) => Promise<void>;
  disconnect: () => Promise<void>;
  /** the prefixed name of a contract topic */
  t: (base: string) => string;
  /** this process's id (x-instance header, the audit chain's writer) */
  instance: string;
  now: () => number;
  log: Logger;
  stat: { deadLetters: number };
}

/**
 * createKafkaPorts: the app's ports in Kafka mode — the dead-letter sink (risk.dlq with x-source-*
 * and x-error-* headers), the alert store (risk.alerts and the compacted risk.alerts.state), the
 * shared notification log (risk.notifications, fed by the instance's full reader through
 * `ledger.receive`), the ingest sink (the input topics) and the audit trail (risk.audit).
 */
export function createKafkaPorts(o: KafkaPortsOptions) {
  const deadLetters: DeadLetterSink = {
    async write(items) {
      if (items.length === 0) return;
      o.stat.deadLetters += items.length;
      await o.send([
        {
          topic: o.t(TOPIC.dlq),
          messages: items.map((d) => ({
            key: d.key ?? null,
            value: d.raw ?? Buffer.from(d.original),
            headers: {
              'x-source-topic': d.source.startsWith('kafka:') ? d.source.slice(6) : d.source,
              ...(d.partition !== undefined ? { 'x-source-partition': String(d.partition) } : {}),
              ...(d.offset !== undefined ? { 'x-source-offset': d.offset } : {}),
              'x-error-code': d.code,
              'x-error-message': d.message,
              ...(d.path ? { 'x-error-path': d.path } : {}),
              'x-failed-at': new Date(d.failedAt).toISOString(),
            },
          })),
        },
      ]);
    },
    async close() {},
  };

  const store: AlertStore = {
    async load() {
      // the owner's book starts empty: open alerts are adopted from the shared view per partition
      return { snapshot: { seq: 0, records: [] }, tail: [] };
    },
    async append(events) {
      if (events.length === 0) return;
      const headers = (s: StoredAlertEvent) => ({ 'x-subject-key': s.subjectKey, 'x-kind': s.event.kind, 'x-instance': o.instance });
      try {
        await o.send([
          { topic: o.t(TOPIC.alerts), messages: events.map((s) => ({ key: s.event.alert.fingerprint, value: JSON.stringify(s.event), headers: headers(s) })) },
          { topic: o.t(TOPIC.alertsState), messages: events.map((s) => ({ key: s.event.alert.fingerprint, value: JSON.stringify(s.event.alert), headers: headers(s) })) },
        ]);
      } catch (err) {
        throw new AppError('UNAVAILABLE', `alert events could not be written to Kafka: ${errText(err)}`, { retryable: true });
      }
    },
    async snapshot() {},
    async close() {
      await o.disconnect();
    },
  };

  // ------------------------------------------------------------------ the shared notification log
  /** records read from risk.notifications until the notifier loads them; then they go to its listener */
  let ledger: NotificationRecord[] = [];
  let ledgerListener: ((r: NotificationRecord) => void) | undefined;
  const nflog: NotificationLog = {
    async load() {
      // read by the feed, which start() has caught up to the end
      const out = ledger;
      ledger = [];
      return out;
    },
    async append(records) {
      if (records.length === 0) return;
      await o.send([{ topic: o.t(TOPIC.notifications), messages: records.map((r) => ({ key: r.key, value: JSON.stringify(r), headers: { 'x-instance': o.instance } })) }]);
    },
    subscribe(fn) {
      ledgerListener = fn;
      for (const r of ledger) fn(r);
      ledger = [];
    },
    async close() {},
  };

  const sink: EventSink = {
    async publish(contractTopic, events) {
      await o.send([{ topic: o.t(contractTopic), messages: events.map((e) => ({ key: keyOf(e) ?? null, value: JSON.stringify(e) })) }]);
    },
  };

  return {
    deadLetters,
    store,
    nflog,
    sink,
    audit: createKafkaAuditLog({ send: o.send, topic: o.t(TOPIC.audit), writer: o.instance, now: o.now, logger: o.log }),
    /** records read from risk.notifications: held until the notifier loads them, then passed to its listener */
    ledger: {
      receive(r: NotificationRecord): void {
        if (ledgerListener) ledgerListener(r);
        else ledger.push(r);
      },
    },
  };
}
