import type { Severity } from './severity.ts';

/** Evidence: which input an alert rests on. */
export interface Evidence {
  topic: string;
  key?: string;
  ts: number;
}

/** AlertTransition: what an evaluator decides; the alerts stage turns it into alert events. */
export interface AlertTransition {
  action: 'fire' | 'resolve';
  ruleId: string;
  /** stable key of rule + subject; hashed into the alert fingerprint */
  subjectKey: string;
  at: number;
  severity: Severity;
  domain: 'weather' | 'mine' | 'grid' | 'enforcement' | 'site' | 'road' | 'fire' | 'system';
  title: string;
  summary: string;
  actions: string[];
  siteId?: string;
  town?: string;
  value?: number;
  threshold?: number;
  labels: Record<string, string>;
  evidence: Evidence;
}
