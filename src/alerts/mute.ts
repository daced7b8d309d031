import type { Alert } from '../contracts/alerts.ts';

/** MuteDeps: what decides whether an alert is muted (shown on screens, never texted or escalated). */
export interface MuteDeps {
  /** the silence covering an alert now, if any */
  silencedBy(alert: Alert, at: number): string | undefined;
  /** the open alert that inhibits this one, looked up through an index (InhibitIndex) */
  inhibitedBy(alert: Alert): { rule: string; by: string } | undefined;
}

/**
 * muteReason: why an alert is not texted or escalated, or undefined — the one Muter of drills,
 * back-fill, silences and inhibition. Costs two index lookups, whatever the number of open alerts.
 */
export function muteReason(alert: Alert, d: MuteDeps, at: number): string | undefined {
  if (alert.labels.drill) return `drill (${alert.labels.drill})`;
  // raised from an old event (back-fill, replay): on the screens, but nobody is paged for the past
  if (alert.labels.backfill === 'true') return 'back-filled (event older than notify.maxEventAge)';
  // the queued-texts bound is reached: a text about it would join the queue it warns of (screens only)
  if (alert.labels.limit === 'textsQueuedPerNumber') return 'about texts themselves (shown on screens only)';
  const s = d.silencedBy(alert, at);
  if (s) return `silenced by ${s}`;
  const inh = d.inhibitedBy(alert);
  return inh ? `inhibited by ${inh.by} (${inh.rule})` : undefined;
}
