import type { Alert } from '../contracts/alerts.ts';

/**
 * Muter: says why an alert is muted (shown on screens, never texted or escalated), or undefined —
 * Alertmanager's `types.Muter`. Drills, back-fill, silences and inhibition are each one Muter; the
 * lifecycle composes them into the one decision notify and escalation obey.
 */
export interface Muter {
  mutes(alert: Alert, at: number): string | undefined;
}

/** MuteDeps: the two index-backed lookups behind the silence and inhibition muters. */
export interface MuteDeps {
  /** the silence covering an alert now, if any (Silences: an index by site, then matchers) */
  silencedBy(alert: Alert, at: number): string | undefined;
  /** the open alert that inhibits this one (InhibitIndex: buckets keyed by the rule's equal labels) */
  inhibitedBy(alert: Alert): { rule: string; by: string } | undefined;
}

/** drills: Exercise/Test alerts and the demo are on the screens only. */
export const drillMuter: Muter = { mutes: (a) => (a.labels.drill ? `drill (${a.labels.drill})` : undefined) };

/** backfill: raised from an old event (back-fill, replay): on the screens, but nobody is paged for the past. */
export const backfillMuter: Muter = { mutes: (a) => (a.labels.backfill === 'true' ? 'back-filled (event older than notify.maxEventAge)' : undefined) };

/** textLimit: the queued-texts system alert; a text about it would join the queue it warns of. */
export const textLimitMuter: Muter = { mutes: (a) => (a.labels.limit === 'textsQueuedPerNumber' ? 'about texts themselves (shown on screens only)' : undefined) };

/** simulated: raised from simulated data outside demo mode (a demo file replayed into a live server): screens only, nobody is paged. */
export const simulatedMuter: Muter = { mutes: (a) => (a.labels.simulated === 'true' ? 'simulated data (not a demo server): shown on screens only' : undefined) };

export const silenceMuter = (silencedBy: MuteDeps['silencedBy']): Muter => ({
  mutes(a, at) {
    const s = silencedBy(a, at);
    return s ? `silenced by ${s}` : undefined;
  },
});

export const inhibitMuter = (inhibitedBy: MuteDeps['inhibitedBy']): Muter => ({
  mutes(a) {
    const inh = inhibitedBy(a);
    return inh ? `inhibited by ${inh.by} (${inh.rule})` : undefined;
  },
});

/** muters: the first reason any of them gives. */
export function muters(...list: readonly Muter[]): Muter {
  return {
    mutes(a, at) {
      for (const m of list) {
        const r = m.mutes(a, at);
        if (r !== undefined) return r;
      }
      return undefined;
    },
  };
}

/**
 * createMuter: the one Muter of drills, back-fill, the texts-limit alert, simulated data (unless the
 * server is a demo, whose texts are part of the show and go to the log provider), silences and inhibition.
 * Costs two index lookups, whatever the number of open alerts or silences.
 */
export const createMuter = (d: MuteDeps & { demo?: boolean }): Muter =>
  muters(drillMuter, backfillMuter, textLimitMuter, ...(d.demo ? [] : [simulatedMuter]), silenceMuter(d.silencedBy), inhibitMuter(d.inhibitedBy));
