import type { Alert } from '../contracts/alerts.ts';
import { inhibitedBy, type InhibitRule } from './inhibit.ts';

/** MuteDeps: what decides whether an alert is muted (shown on screens, never texted or escalated). */
export interface MuteDeps {
  /** the silence covering an alert now, if any */
  silencedBy(alert: Alert, at: number): string | undefined;
  openAlerts(): Alert[];
  inhibitRules: readonly InhibitRule[];
}

/** muteReason: why an alert is not texted or escalated (a pure decision), or undefined. */
export function muteReason(alert: Alert, d: MuteDeps, at: number): string | undefined {
  if (alert.labels.drill) return `drill (${alert.labels.drill})`;
  // raised from an old event (back-fill, replay): on the screens, but nobody is paged for the past
  if (alert.labels.backfill === 'true') return 'back-filled (event older than notify.maxEventAge)';
  // the queued-texts bound is reached: a text about it would join the queue it warns of (screens only)
  if (alert.labels.limit === 'textsQueuedPerNumber') return 'about texts themselves (shown on screens only)';
  const s = d.silencedBy(alert, at);
  if (s) return `silenced by ${s}`;
  const inh = inhibitedBy(alert, d.openAlerts(), d.inhibitRules);
  return inh ? `inhibited by ${inh.by} (${inh.rule})` : undefined;
}
