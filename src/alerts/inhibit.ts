import type { Alert } from '../contracts/alerts.ts';
import { severityRank } from '../domain/severity.ts';

/** InhibitRule: an open `source` alert mutes `target` alerts that share the `equal` fields (Alertmanager style). */
export interface InhibitRule {
  name: string;
  source?: AlertMatch;
  target?: AlertMatch;
  /** fields that must be present and equal on both: siteId, town, domain, ruleId, or a label name */
  equal: string[];
  /** the source must be strictly more severe than the target */
  higherSeverity?: boolean;
}

/** AlertMatch: conditions on an alert; label values match exactly. */
export interface AlertMatch {
  ruleId?: string[];
  domain?: string[];
  labels?: Record<string, string>;
}

/** DEFAULT_INHIBIT_RULES: a more severe alert on the same sensor or equipment mutes less severe ones; a monitoring interruption mutes that sensor's value alerts. */
export const DEFAULT_INHIBIT_RULES: InhibitRule[] = [
  { name: 'higher-severity-same-sensor', higherSeverity: true, equal: ['siteId', 'sensorId'] },
  { name: 'higher-severity-same-equipment', higherSeverity: true, equal: ['siteId', 'equipmentId'] },
  { name: 'interruption-mutes-sensor-values', source: { ruleId: ['mine.monitoring.sensor-silent'] }, target: { domain: ['mine'] }, equal: ['siteId', 'sensorId'] },
];

function field(a: Alert, name: string): string | undefined {
  switch (name) {
    case 'siteId':
      return a.siteId;
    case 'town':
      return a.town;
    case 'domain':
      return a.domain;
    case 'ruleId':
      return a.ruleId;
    default:
      return a.labels[name];
  }
}

function matches(a: Alert, m: AlertMatch | undefined): boolean {
  if (!m) return true;
  if (m.ruleId && !m.ruleId.includes(a.ruleId)) return false;
  if (m.domain && !m.domain.includes(a.domain)) return false;
  if (m.labels) for (const [k, v] of Object.entries(m.labels)) if (a.labels[k] !== v) return false;
  return true;
}

/** inhibitedBy returns the rule and open alert that mute `target`, or undefined. A pure decision. */
export function inhibitedBy(target: Alert, open: readonly Alert[], rules: readonly InhibitRule[]): { rule: string; by: string } | undefined {
  for (const r of rules) {
    if (!matches(target, r.target)) continue;
    const keys = r.equal.map((f) => field(target, f));
    if (keys.some((k) => k === undefined)) continue;
    for (const s of open) {
      if (s.id === target.id || s.state === 'resolved' || !matches(s, r.source)) continue;
      // a source that is itself the same rule's lower level never mutes (one fingerprint, one alert)
      if (r.higherSeverity && severityRank(s.severity) <= severityRank(target.severity)) continue;
      if (r.source && matches(s, r.target) && s.ruleId === target.ruleId) continue;
      if (r.equal.every((f, i) => field(s, f) === keys[i])) return { rule: r.name, by: s.id };
    }
  }
  return undefined;
}
