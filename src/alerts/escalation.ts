import type { Alert } from '../contracts/alerts.ts';
import { severityRank, type Severity } from '../domain/severity.ts';

/** EscalationPolicy: how long a red or orange alert may stay unacknowledged, and the repeat interval after that. */
export interface EscalationPolicy {
  red: number;
  orange: number;
  repeat: number;
}

/**
 * escalationDue returns the instant an unacknowledged alert escalates next, or undefined when it
 * never does (acknowledged, resolved, yellow/blue, a drill, back-filled). Derived from the durable
 * alert alone (the later of updatedAt and receivedAt, and the escalation count), so the timer
 * survives a restart. receivedAt is wall-clock: an alert from an event minutes old still gives
 * people the full delay after riskstream raised it.
 */
export function escalationDue(a: Alert, p: EscalationPolicy): number | undefined {
  if (a.state !== 'firing' || a.labels.drill || a.labels.backfill === 'true') return undefined;
  const base = a.severity === 'red' ? p.red : a.severity === 'orange' ? p.orange : undefined;
  if (base === undefined) return undefined;
  const from = a.receivedAt === undefined ? Date.parse(a.updatedAt) : Math.max(Date.parse(a.updatedAt), Date.parse(a.receivedAt));
  return from + (a.escalation === 0 ? base : p.repeat);
}

/** ConfirmPolicy: which alerts a company must confirm (notify.siteContacts) and how soon. */
export interface ConfirmPolicy {
  enabled: boolean;
  minSeverity: Severity;
  confirmWithin: number;
}

/**
 * asksCompany: whether an alert asks the site's own company to act — not the regulator's casework
 * (enforcement: late reports, overdue hazards are the bureau's to pursue), not riskstream's own
 * system alerts (limits, feeds), not a subject riskstream merely stopped tracking.
 */
export function asksCompany(a: Alert): boolean {
  return a.siteId !== undefined && a.domain !== 'enforcement' && a.domain !== 'system' && a.labels.tracking !== 'stopped';
}

/**
 * confirmDue returns the instant an alert texted to its site's contacts is marked 企业未反馈 when
 * the company has not confirmed its actions, or undefined when it never is (no contacts, below
 * `minSeverity`, confirmed or marked already, resolved, a drill, back-filled). Derived from the
 * durable alert alone, so it survives a restart.
 */
export function confirmDue(a: Alert, p: ConfirmPolicy, hasContacts: (siteId: string) => boolean): number | undefined {
  if (!p.enabled || a.state === 'resolved' || a.labels.drill || a.labels.backfill === 'true') return undefined;
  if (a.labels.confirmedAt !== undefined || a.labels.confirmOverdue !== undefined) return undefined;
  if (!asksCompany(a) || severityRank(a.severity) < severityRank(p.minSeverity) || !hasContacts(a.siteId!)) return undefined;
  // from when the company was asked at this level: the alert's start, or its last change of level
  // (receivedAt: wall clock in live mode — an alert raised from an older event, or a deadline that
  // passed before it was read, still gives the company the whole window)
  const from = a.receivedAt === undefined ? Date.parse(a.startsAt) : Math.max(Date.parse(a.startsAt), Date.parse(a.receivedAt));
  return from + p.confirmWithin;
}

/** escalationTarget: who an escalation goes to — the leader on duty for red, the duty officer again for orange. */
export const escalationTarget = (a: Alert): 'leader' | 'officer' => (a.severity === 'red' ? 'leader' : 'officer');

/** dueEscalations lists the open alerts whose escalation is due at `now`, with who they go to. */
export function dueEscalations(open: readonly Alert[], now: number, p: EscalationPolicy, muted: (a: Alert) => boolean): { alert: Alert; to: 'leader' | 'officer' }[] {
  const out: { alert: Alert; to: 'leader' | 'officer' }[] = [];
  for (const a of open) {
    const due = escalationDue(a, p);
    if (due === undefined || due > now || muted(a)) continue;
    out.push({ alert: a, to: escalationTarget(a) });
  }
  return out;
}
