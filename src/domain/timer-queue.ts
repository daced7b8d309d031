/** TimerQueue: a min-heap of (due, key) timers; stale entries are skipped by the caller's check. Keys are strings unless said otherwise (the subject registry keeps its entries themselves). */
export class TimerQueue<K = string> {
  private dues: number[] = [];
  private keys: K[] = [];

  get size(): number {
    return this.dues.length;
  }

  /** push schedules `key` at `due`. */
  push(due: number, key: K): void {
    const d = this.dues;
    const k = this.keys;
    let i = d.length;
    d.push(due);
    k.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (d[p]! <= due) break;
      d[i] = d[p]!;
      k[i] = k[p]!;
      i = p;
    }
    d[i] = due;
    k[i] = key;
  }

  /** peekDue returns the earliest due instant, or Infinity. */
  peekDue(): number {
    return this.dues.length > 0 ? this.dues[0]! : Infinity;
  }

  /** popDue removes and returns every key due at or before `now`, earliest first. */
  popDue(now: number, out: { due: number; key: K }[]): void {
    while (this.dues.length > 0 && this.dues[0]! <= now) out.push(this.pop());
  }

  private pop(): { due: number; key: K } {
    const d = this.dues;
    const k = this.keys;
    const top = { due: d[0]!, key: k[0]! };
    const lastD = d.pop()!;
    const lastK = k.pop()!;
    const n = d.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && d[r]! < d[l]! ? r : l;
        if (d[c]! >= lastD) break;
        d[i] = d[c]!;
        k[i] = k[c]!;
        i = c;
      }
      d[i] = lastD;
      k[i] = lastK;
    }
    return top;
  }

  /** clear drops every timer. */
  clear(): void {
    this.dues = [];
    this.keys = [];
  }
}
