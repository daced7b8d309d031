import { z } from 'zod';
import { Alert, AlertEvent } from './alerts.ts';

// What the embedded adapters keep in the data directory. These files are read back only at start,
// where every line is checked against these schemas before anything is restored from it.

/** StoredAlertEventLine: one line of `alerts.journal.ndjson` — an alert event and its rule subject. */
export const StoredAlertEventLine = z.strictObject({
  subjectKey: z.string().min(1),
  event: AlertEvent,
});

/** AlertRecordEntry: one alert in the snapshot, with its subject and recent history. */
export const AlertRecordEntry = z.strictObject({
  subjectKey: z.string().min(1),
  alert: Alert,
  history: z.array(AlertEvent),
});

/**
 * AlertSnapshotFrame: `alerts.snapshot.json` with its records left unchecked, so that each record
 * can be checked (and, with --repair, quarantined) on its own.
 */
export const AlertSnapshotFrame = z.strictObject({
  seq: z.number().int().nonnegative(),
  records: z.array(z.unknown()),
});

/**
 * NotificationLogLine: one line of `notifications.ndjson`. Loose: a field added by a newer version
 * is kept, not a reason to drop what was texted.
 */
export const NotificationLogLine = z.looseObject({
  key: z.string().min(1),
  alertId: z.string().min(1),
  kind: z.enum(['fired', 'escalated', 'resolved', 'unconfirmed', 'report']),
  severity: z.string().optional(),
  level: z.number().int().nonnegative(),
  to: z.string(),
  name: z.string(),
  role: z.enum(['officer', 'leader', 'site']),
  at: z.number(),
  smsId: z.string(),
  status: z.enum(['sent', 'failed', 'delivered', 'undelivered']),
  providerIds: z.array(z.string()).optional(),
  error: z.string().optional(),
});
