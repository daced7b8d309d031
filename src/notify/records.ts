import type { NotificationRecord } from '../ports/index.ts';

/**
 * TextRecords: what was texted, in memory — the notification log's view the dedup stage reads
 * (Alertmanager's nflog). Indexed by text key (dedup), by alert (audit, who to tell of a
 * resolution) and by smsId (delivery receipts); records of alerts no longer held leave after
 * retention (`prune`), the durable log keeps them.
 */
export class TextRecords {
  private readonly sent = new Map<string, NotificationRecord>();
  /** the keys of the records of each text sent (smsId → keys), for delivery receipts */
  private readonly bySmsId = new Map<string, Set<string>>();
  private readonly byAlert = new Map<string, NotificationRecord[]>();

  /** note remembers a record (loaded, written here, or by another sender such as the duty report or another instance). */
  note(r: NotificationRecord): void {
    if (r.status === 'sent') {
      this.sent.set(r.key, r);
      if (r.smsId) {
        let keys = this.bySmsId.get(r.smsId);
        if (!keys) this.bySmsId.set(r.smsId, (keys = new Set()));
        keys.add(r.key);
      }
    }
    let list = this.byAlert.get(r.alertId);
    if (!list) this.byAlert.set(r.alertId, (list = []));
    // a shared log echoes this instance's own records back: keep one of each
    if (list.some((x) => x.key === r.key && x.status === r.status && x.at === r.at && x.smsId === r.smsId)) return;
    list.push(r);
  }

  /** wasSent: a text with this key went out (the dedup stage's question). */
  wasSent(key: string): boolean {
    return this.sent.has(key);
  }

  /** bySms: the sent records of the text with this smsId (a delivery receipt names it). */
  bySms(smsId: string): NotificationRecord[] {
    const out: NotificationRecord[] = [];
    for (const k of this.bySmsId.get(smsId) ?? []) {
      const r = this.sent.get(k);
      if (r) out.push(r);
    }
    return out;
  }

  /** of lists what was texted about an alert (audit). */
  of(alertId: string): NotificationRecord[] {
    return this.byAlert.get(alertId) ?? [];
  }

  /**
   * prune forgets the records of alerts no longer held (`held` false) whose last record is older
   * than `before`. Returns how many alerts.
   */
  prune(before: number, held: (alertId: string) => boolean): number {
    let n = 0;
    for (const [alertId, list] of this.byAlert) {
      if (held(alertId) || list.some((r) => r.at >= before)) continue;
      for (const r of list) {
        if (this.sent.get(r.key) === r) this.sent.delete(r.key);
        const keys = this.bySmsId.get(r.smsId);
        keys?.delete(r.key);
        if (keys?.size === 0) this.bySmsId.delete(r.smsId);
      }
      this.byAlert.delete(alertId);
      n++;
    }
    return n;
  }

  /** alerts: how many alerts have records in memory. */
  get alerts(): number {
    return this.byAlert.size;
  }
}
