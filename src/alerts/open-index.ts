import type { Alert } from '../contracts/alerts.ts';
import { severityRank } from '../domain/severity.ts';
import type { AlertRecord } from '../ports/index.ts';

/**
 * OpenWatcher: keeps an index of open alerts in step with the book. `opened` is called when a
 * record becomes open and again after every change to an open alert (`closed` first, with the
 * alert as it was), `closed` when it resolves or leaves; both with the record's current alert.
 */
export interface OpenWatcher {
  opened(rec: AlertRecord): void;
  closed(rec: AlertRecord): void;
}

/** OpenIndexes: the book's open alerts counted per severity and grouped per site, plus the watchers' own indexes. */
export class OpenIndexes {
  /** open alerts per severity rank (blue, yellow, orange, red) */
  readonly bySeverity = [0, 0, 0, 0];
  private readonly bySite = new Map<string, Set<AlertRecord>>();
  private readonly watchers: OpenWatcher[] = [];

  watch(w: OpenWatcher, open: Iterable<AlertRecord>): void {
    this.watchers.push(w);
    for (const rec of open) w.opened(rec);
  }

  openAt(siteId: string): Alert[] {
    const set = this.bySite.get(siteId);
    return set ? [...set].map((r) => r.alert) : [];
  }

  in(rec: AlertRecord): void {
    const a = rec.alert;
    this.bySeverity[severityRank(a.severity)]!++;
    if (a.siteId !== undefined) {
      let set = this.bySite.get(a.siteId);
      if (!set) this.bySite.set(a.siteId, (set = new Set()));
      set.add(rec);
    }
    for (const w of this.watchers) w.opened(rec);
  }

  out(rec: AlertRecord): void {
    const a = rec.alert;
    this.bySeverity[severityRank(a.severity)]!--;
    if (a.siteId !== undefined) {
      const set = this.bySite.get(a.siteId);
      set?.delete(rec);
      if (set?.size === 0) this.bySite.delete(a.siteId);
    }
    for (const w of this.watchers) w.closed(rec);
  }
}
