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
  key: z.string().min(1).describe('idempotency key of the text (alert, transition, recipient): a text is sent once per key'),
  alertId: z.string().min(1).describe('the alert texted about (report: the duty report id)'),
  kind: z.enum(['fired', 'escalated', 'resolved', 'unconfirmed', 'report']).describe('fired (new alert), escalated (sent up the duty chain), resolved, unconfirmed (企业未反馈 reminder to the duty officer), report (值班日报)'),
  severity: z.string().optional().describe('severity of the alert when texted: blue, yellow, orange, red'),
  level: z.number().int().nonnegative().describe('escalation level of the text (0 = first text)'),
  to: z.string().describe('phone number texted (masked in logs)'),
  name: z.string().describe('name of the recipient'),
  role: z.enum(['officer', 'leader', 'site']).describe('officer (值班员), leader (带班领导) or site (the company\'s own contact)'),
  at: z.number().describe('when it was sent, epoch milliseconds'),
  smsId: z.string().describe('id the SMS provider gave the text'),
  status: z.enum(['sent', 'failed', 'delivered', 'undelivered']).describe('sent, failed, delivered or undelivered (from delivery receipts)'),
  providerIds: z.array(z.string()).optional().describe('provider ids of the parts of a long text'),
  error: z.string().optional().describe('why sending failed'),
});
