import type { Alert } from '../contracts/alerts.ts';
import { severityRank } from '../domain/severity.ts';
import type { AlertRecord } from '../ports/index.ts';
import type { OpenWatcher } from './open-index.ts';

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

/**
 * InhibitIndex: the inhibition decision of `inhibitedBy` without scanning open alerts (as
 * Alertmanager's inhibitor does): per rule, the open alerts that match its source, keyed by the
 * values of its `equal` fields. A target looks at the one bucket its own values name, so the
 * cost per alert event does not grow with the open alerts. Kept in step by the alert book.
 */
export class InhibitIndex implements OpenWatcher {
  private readonly buckets: Map<string, Set<AlertRecord>>[];
  /** candidate sources looked at so far (a guard that the cost stays flat; see the unit test) */
  examined = 0;

  private readonly rules: readonly InhibitRule[];
  constructor(rules: readonly InhibitRule[]) {
    this.rules = rules;
    this.buckets = rules.map(() => new Map());
  }

  private static key(r: InhibitRule, a: Alert): string | undefined {
    let k = '';
    for (const f of r.equal) {
      const v = field(a, f);
      if (v === undefined) return undefined;
      k += `${v}\u0000`;
    }
    return k;
  }

  opened(rec: AlertRecord): void {
    this.rules.forEach((r, i) => {
      if (!matches(rec.alert, r.source)) return;
      const k = InhibitIndex.key(r, rec.alert);
      if (k === undefined) return;
      const b = this.buckets[i]!;
      let set = b.get(k);
      if (!set) b.set(k, (set = new Set()));
      set.add(rec);
    });
  }

  closed(rec: AlertRecord): void {
    this.rules.forEach((r, i) => {
      const k = InhibitIndex.key(r, rec.alert);
      if (k === undefined) return;
      const b = this.buckets[i]!;
      const set = b.get(k);
      if (!set?.delete(rec)) return;
      if (set.size === 0) b.delete(k);
    });
  }

  /** inhibitedBy: the same decision as the pure `inhibitedBy` over every open alert. */
  inhibitedBy(target: Alert): { rule: string; by: string } | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i]!;
      if (!matches(target, r.target)) continue;
      const k = InhibitIndex.key(r, target);
      if (k === undefined) continue;
      for (const rec of this.buckets[i]!.get(k) ?? []) {
        this.examined++;
        const s = rec.alert;
        if (s.id === target.id || s.state === 'resolved') continue;
        if (r.higherSeverity && severityRank(s.severity) <= severityRank(target.severity)) continue;
        if (r.source && matches(s, r.target) && s.ruleId === target.ruleId) continue;
        return { rule: r.name, by: s.id };
      }
    }
    return undefined;
  }
}
