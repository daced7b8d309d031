import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { AlertEvent as AlertEventSchema, Alert as AlertSchema, type Alert, type AlertEvent } from '../../contracts/alerts.ts';
import { NotificationLogLine } from '../../contracts/journal.ts';
import type { ClusterHandlers, NotificationRecord } from '../../ports/index.ts';
import { headerText } from './codec.ts';
import type { FullReader } from './readers.ts';
import { TOPIC } from './topics.ts';

// What every instance reads in full, decoded into the app's handlers: the compacted alert states
// (once, at start), then the alert log, the commands and the notification log (for as long as it runs).

type ReadFull = (name: string, topics: string[], each: (topic: string, partition: number, msgs: KafkaMessage[]) => void | Promise<void>) => Promise<FullReader>;

/** safeJson: a record's JSON value, or undefined when it is not JSON. */
export function safeJson(v: Buffer | null): unknown {
  if (!v) return undefined;
  try {
    return JSON.parse(v.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** readAlertStates reads the compacted state topic to its end once and hands every alert's latest state over; returns how many. */
export async function readAlertStates(readFull: ReadFull, topic: string, log: Logger, h: ClusterHandlers): Promise<number> {
  let n = 0;
  const reader = await readFull('state', [topic], (_topic, _p, msgs) => {
    for (const m of msgs) {
      if (!m.value) continue; // a tombstone
      const a = AlertSchema.safeParse(safeJson(m.value));
      const subjectKey = headerText(m.headers, 'x-subject-key');
      if (!a.success || !subjectKey) {
        log.warn({ offset: m.offset }, 'unreadable alert state record skipped');
        continue;
      }
      n++;
      const kind = (headerText(m.headers, 'x-kind') ?? 'updated') as AlertEvent['kind'];
      h.alertState({ subjectKey, event: { seq: 0, kind, at: a.data.updatedAt, alert: a.data as Alert } });
    }
  });
  await reader.caughtUp;
  await reader.close();
  return n;
}

/** feedHandler: the alert log (seq = offset + 1), the commands (`live` once caught up) and the notification log, in order per topic. */
export function feedHandler(o: { t: (base: string) => string; log: Logger; h: ClusterHandlers; ledger: { receive(r: NotificationRecord): void }; catching: () => boolean }) {
  return async (topic: string, _p: number, msgs: KafkaMessage[]): Promise<void> => {
    for (const m of msgs) {
      if (topic === o.t(TOPIC.notifications)) {
        const r = NotificationLogLine.safeParse(safeJson(m.value));
        if (!r.success) {
          o.log.warn({ offset: m.offset }, 'unreadable notification record skipped');
          continue;
        }
        o.ledger.receive(r.data as unknown as NotificationRecord);
      } else if (topic === o.t(TOPIC.alerts)) {
        const ev = AlertEventSchema.safeParse(safeJson(m.value));
        const subjectKey = headerText(m.headers, 'x-subject-key') ?? '';
        if (!ev.success) {
          o.log.warn({ offset: m.offset }, 'unreadable alert event skipped');
          continue;
        }
        o.h.alertEvent({ subjectKey, event: { ...(ev.data as AlertEvent), seq: Number(m.offset) + 1 } });
      } else {
        await o.h.command(safeJson(m.value), !o.catching());
      }
    }
  };
}
