import type { Alert } from '../contracts/alerts.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { limitTransition, type LimitName, type LimitScope } from './limits.ts';

/** OpenCaps: the bounds on open alerts (limits.openAlertsPerSite / openAlertsPerRule). */
export interface OpenCapsLimits {
  openAlertsPerSite: number;
  openAlertsPerRule: number;
}

/** CapListener is told when a bound is reached and of every fire it holds back (riskstream_limit_*_total). */
export type CapListener = (limit: LimitName, what: 'reached' | 'overflow') => void;

type CapLimit = 'openAlertsPerSite' | 'openAlertsPerRule';

interface Overflow {
  limit: CapLimit;
  scope: LimitScope;
  /** fires held back since the bound was reached */
  count: number;
  /** the overflow alert is open */
  open: boolean;
  /** what the end of the batch should do: refresh (fire with the count) or resolve */
  pending?: 'fire' | 'resolve';
}

/**
 * OpenCaps keeps per-site and per-rule counts of open alerts (O(1) per event, no scans) and the
 * one overflow alert per site or rule a bound raises. System alerts are neither counted nor capped,
 * so the overflow alert itself is always shown.
 */
export class OpenCaps {
  private readonly perSite = new Map<string, number>();
  private readonly perRule = new Map<string, number>();
  private readonly overflows = new Map<string, Overflow>();
  private readonly dirty = new Set<string>();

  private readonly limits: OpenCapsLimits;
  private readonly siteName: (siteId: string) => string | undefined;
  private readonly onLimit?: CapListener;
  constructor(
    limits: OpenCapsLimits,
    siteName: (siteId: string) => string | undefined = () => undefined,
    onLimit?: CapListener,
  ) {
    this.limits = limits;
    this.siteName = siteName;
    this.onLimit = onLimit;
  }

  /** exceeded names the bound a new alert from this transition would pass, or undefined. */
  exceeded(t: AlertTransition): CapLimit | undefined {
    if (t.domain === 'system') return undefined;
    if (t.siteId !== undefined && (this.perSite.get(t.siteId) ?? 0) >= this.limits.openAlertsPerSite) return 'openAlertsPerSite';
    if ((this.perRule.get(t.ruleId) ?? 0) >= this.limits.openAlertsPerRule) return 'openAlertsPerRule';
    return undefined;
  }

  /** holdBack counts a fire that was not opened; the batch's end fires or refreshes the scope's overflow alert. */
  holdBack(t: AlertTransition, limit: CapLimit): void {
    const key = limit === 'openAlertsPerSite' ? `site|${t.siteId}` : `rule|${t.ruleId}`;
    let o = this.overflows.get(key);
    if (!o) {
      const scope: LimitScope =
        limit === 'openAlertsPerSite'
          ? { siteId: t.siteId!, ...optional('siteName', this.siteName(t.siteId!) ?? t.labels.siteName), ...optional('town', t.town) }
          : { ruleId: t.ruleId };
      this.overflows.set(key, (o = { limit, scope, count: 0, open: false }));
    }
    if (!o.open && o.count === 0) this.onLimit?.(limit, 'reached');
    this.onLimit?.(limit, 'overflow');
    o.count++;
    o.pending = 'fire';
    this.dirty.add(key);
  }

  /** opened counts an alert that became open (or registers an overflow alert found open, e.g. after a restart). */
  opened(a: Alert): void {
    const key = overflowKey(a);
    if (key) {
      const o = this.overflows.get(key);
      if (o) o.open = true;
      else this.overflows.set(key, { limit: a.ruleId.slice('system.limit.'.length) as CapLimit, scope: scopeOf(a), count: a.value ?? 0, open: true });
      return;
    }
    if (a.domain === 'system') return;
    if (a.siteId !== undefined) this.perSite.set(a.siteId, (this.perSite.get(a.siteId) ?? 0) + 1);
    this.perRule.set(a.ruleId, (this.perRule.get(a.ruleId) ?? 0) + 1);
  }

  /** closed uncounts an alert that is no longer open; a scope at or below 90% of its cap resolves its overflow alert. */
  closed(a: Alert): void {
    const key = overflowKey(a);
    if (key) {
      this.overflows.delete(key);
      this.dirty.delete(key);
      return;
    }
    if (a.domain === 'system') return;
    if (a.siteId !== undefined) this.decrement(this.perSite, a.siteId, `site|${a.siteId}`, this.limits.openAlertsPerSite);
    this.decrement(this.perRule, a.ruleId, `rule|${a.ruleId}`, this.limits.openAlertsPerRule);
  }

  private decrement(counts: Map<string, number>, id: string, key: string, cap: number): void {
    const n = (counts.get(id) ?? 1) - 1;
    if (n <= 0) counts.delete(id);
    else counts.set(id, n);
    const o = this.overflows.get(key);
    // some room below the cap before the all-clear, so a site hovering at its cap does not re-page on every alert
    if (o?.open && n <= Math.floor(cap * 0.9)) {
      o.pending = 'resolve';
      this.dirty.add(key);
    } else if (o && !o.open && o.pending !== 'fire') this.overflows.delete(key);
  }

  /** drain returns the overflow transitions the batch calls for: one fire (with the count so far) or resolve per scope touched. */
  drain(at: number): AlertTransition[] {
    if (this.dirty.size === 0) return [];
    const out: AlertTransition[] = [];
    for (const key of this.dirty) {
      const o = this.overflows.get(key);
      if (!o?.pending) continue;
      const cap = this.limits[o.limit];
      if (o.pending === 'fire' || o.open) out.push(limitTransition(o.pending, o.limit, cap, o.scope, o.count, at));
      o.pending = undefined;
    }
    this.dirty.clear();
    return out;
  }

  /** openAt is how many alerts are open at a site (tests and the overflow summary). */
  openAt(siteId: string): number {
    return this.perSite.get(siteId) ?? 0;
  }
}

function overflowKey(a: Alert): string | undefined {
  if (a.ruleId === 'system.limit.openAlertsPerSite') return `site|${a.siteId}`;
  if (a.ruleId === 'system.limit.openAlertsPerRule') return `rule|${a.labels.limitRule}`;
  return undefined;
}

function scopeOf(a: Alert): LimitScope {
  if (a.ruleId === 'system.limit.openAlertsPerRule') return { ruleId: a.labels.limitRule! };
  // the title starts with the site's name (limitTransition): keep it for the refreshed alert
  const name = a.title.split('：')[0];
  return { siteId: a.siteId!, ...optional('siteName', name), ...optional('town', a.town) };
}

function optional<K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined || v === '' ? {} : ({ [k]: v } as Record<K, string>);
}
