import cron from 'node-cron';
import type { Logger } from 'pino';
import type { Alert } from '../contracts/alerts.ts';
import type { Config } from '../contracts/config.ts';
import type { RosterEntry } from '../contracts/reference.ts';
import { Silence, type SilenceInput } from '../contracts/silences.ts';
import type { Metrics } from '../metrics.ts';
import type { Clock, StateFile, StoredAlertEvent } from '../ports/index.ts';
import type { AlertBook } from './book.ts';
import { confirmDue, escalationDue, escalationTarget } from './escalation.ts';
import { TimerQueue } from '../domain/timer-queue.ts';
import { DEFAULT_INHIBIT_RULES, InhibitIndex } from './inhibit.ts';
import { createMuter } from './mute.ts';
import { onDuty } from './roster.ts';
import { Silences } from './silences.ts';

/** LifecycleDeps: the alert book, a way to commit alert events, the roster and the silences file. */
export interface LifecycleDeps {
  config: Config;
  book: AlertBook;
  commit: (stored: StoredAlertEvent[]) => Promise<void>;
  roster: readonly RosterEntry[];
  /** whether a site has contacts of its own (sites.yaml `contacts`): its alerts wait for the company's confirmation */
  hasContacts?: (siteId: string) => boolean;
  logger: Logger;
  clock: Clock;
  silencesFile?: StateFile;
  metrics?: Metrics;
  /** a demo server: simulated alerts are texted (to the demo's provider) like real ones */
  demo?: boolean;
  /** a silence was made or ended here (Kafka mode: tell the other instances; the audit trail) */
  onSilence?: (s: Silence) => Promise<void>;
}

/**
 * createLifecycle: what happens to an open alert over time, whoever is told about it — silence
 * marks (a silence starting, ending or deleted), escalation of unacknowledged alerts, retention of
 * resolved alerts and ended silences, and the mute decision (drills, back-fill, silences,
 * inhibition) that notify obeys. Its state survives a restart: silences in their file, escalation
 * levels and marks in the alert events themselves.
 */
export function createLifecycle(d: LifecycleDeps) {
  const { config, book, logger, clock } = d;
  const silences = new Silences(d.silencesFile?.load(Silence) ?? [], {
    max: config.limits.silences,
    retention: config.retention,
    onLimit: (what) => (what === 'reached' ? d.metrics?.limitReached : d.metrics?.limitOverflow)?.inc({ limit: 'silences' }),
  });
  const inhibition = new InhibitIndex(DEFAULT_INHIBIT_RULES);
  book.watch(inhibition);
  const muter = createMuter({
    demo: d.demo ?? false,
    silencedBy: (a: Alert, at: number) => silences.activeFor(a, at)?.id,
    inhibitedBy: (a: Alert) => inhibition.inhibitedBy(a),
  });
  const jobs: { stop(): void }[] = [];

  // Escalation timers: a heap of (due, alert id), pushed whenever an open alert changes, so the 1-s
  // tick looks at what is due, not at every open alert. `due` holds each alert's current entry; an
  // older entry popped later is stale and skipped.
  const timers = new TimerQueue<string>();
  const due = new Map<string, number>();
  const schedule = (id: string, at: number) => {
    due.set(id, at);
    timers.push(at, id);
  };
  // The company's confirmation (企业反馈): the same, one entry per alert texted to its site's contacts.
  const confirmPolicy = config.notify.siteContacts;
  const hasContacts = d.hasContacts ?? (() => false);
  const confirmTimers = new TimerQueue<string>();
  const confirmAt = new Map<string, number>();
  book.watch({
    opened(rec) {
      const at = escalationDue(rec.alert, config.escalation);
      if (at === undefined) due.delete(rec.alert.id);
      else schedule(rec.alert.id, at);
      const c = confirmDue(rec.alert, confirmPolicy, hasContacts);
      if (c === undefined) confirmAt.delete(rec.alert.id);
      else if (confirmAt.get(rec.alert.id) !== c) {
        confirmAt.set(rec.alert.id, c);
        confirmTimers.push(c, rec.alert.id);
      }
    },
    closed(rec) {
      due.delete(rec.alert.id);
      confirmAt.delete(rec.alert.id);
    },
  });
  /** SLICE: alert events made by one timer step before they are committed and the event loop gets a turn */
  const SLICE = 50;
  /** MUTED_RECHECK_MS: an alert due to escalate but muted (silenced, inhibited) is looked at again this often */
  const MUTED_RECHECK_MS = 5000;
  /** silence marks are reconciled when a silence starts or ends (and at once when one is made, ended or received) */
  let nextSilenceChange = silences.nextChange(clock.now());

  function saveSilences(): void {
    d.silencesFile?.save(silences.list()).catch((err: unknown) => logger.error({ err }, 'saving silences failed'));
  }

  function sweep(now: number): void {
    if (silences.sweep(now, config.retention)) saveSilences();
    const n = book.prune(now - config.retention);
    if (n > 0) logger.info({ pruned: n }, 'resolved alerts past retention dropped');
  }

  /** reconcileSilences marks and unmarks silenced open alerts on the screens (a silence started, ended or was deleted). */
  async function reconcileSilences(now: number): Promise<void> {
    nextSilenceChange = silences.nextChange(now);
    const stored: StoredAlertEvent[] = [];
    for (const a of book.openAlerts()) {
      const mark = decorate(a, now);
      if ((mark && a.labels.silenceId !== mark.silenceId) || (!mark && a.labels.silenced)) {
        const ev = book.relabel(a.id, mark ?? { silenced: undefined, silenceId: undefined }, now);
        if (ev) stored.push(ev);
        if (stored.length >= SLICE) await commitSlice(stored);
      }
    }
    await d.commit(stored);
  }

  async function escalate(now: number): Promise<void> {
    const popped: { due: number; key: string }[] = [];
    timers.popDue(now, popped);
    const stored: StoredAlertEvent[] = [];
    for (const { due: at, key: id } of popped) {
      if (due.get(id) !== at) continue; // superseded by a later change of the alert
      const alert = book.getOpen(id);
      const when = alert && escalationDue(alert, config.escalation);
      if (!alert || when === undefined || when > now) continue;
      if (muter.mutes(alert, now) !== undefined) {
        schedule(id, now + MUTED_RECHECK_MS);
        continue;
      }
      due.delete(id);
      const to = escalationTarget(alert);
      const duty = onDuty(d.roster, alert.town, alert.domain, now);
      const who = to === 'leader' ? duty?.leader.name : duty?.officer.name;
      // the escalated alert changes: its next escalation is scheduled by the watcher above
      stored.push(book.escalate(alert.id, now, who ? `${to}:${who}` : to));
      if (stored.length >= SLICE) await commitSlice(stored);
    }
    await d.commit(stored);
  }

  /** unconfirmed marks the alerts whose company has not confirmed its actions in time (企业未反馈); notify texts the duty officer. */
  async function unconfirmed(now: number): Promise<void> {
    const popped: { due: number; key: string }[] = [];
    confirmTimers.popDue(now, popped);
    const stored: StoredAlertEvent[] = [];
    for (const { due: at, key: id } of popped) {
      if (confirmAt.get(id) !== at) continue; // superseded
      const alert = book.getOpen(id);
      if (!alert || confirmDue(alert, confirmPolicy, hasContacts) === undefined) continue;
      if (muter.mutes(alert, now) !== undefined) {
        confirmAt.set(id, now + MUTED_RECHECK_MS);
        confirmTimers.push(now + MUTED_RECHECK_MS, id);
        continue;
      }
      confirmAt.delete(id);
      const ev = book.relabel(id, { confirmOverdue: 'true' }, now);
      if (ev) stored.push(ev);
      if (stored.length >= SLICE) await commitSlice(stored);
    }
    await d.commit(stored);
  }

  /**
   * commitSlice commits what a storm-sized change has made so far and yields a turn of the event
   * loop: a storm that escalates (or a silence that covers) 20,000 alerts at once must not hold up
   * the readings arriving meanwhile.
   */
  async function commitSlice(stored: StoredAlertEvent[]): Promise<void> {
    await d.commit(stored.splice(0));
    await new Promise<void>((r) => setImmediate(r));
  }

  /** decorate marks an alert covered by a silence as it fires or changes (and reconcileSilences as silences change) */
  function decorate(a: Alert, at: number): { silenced: string; silenceId: string } | undefined {
    const s = silences.activeFor(a, at);
    return s ? { silenced: 'true', silenceId: s.id } : undefined;
  }

  /** silenceChanged: a silence was made, ended or received — kept, told to the others, marked on the screens */
  async function silenceChanged(s: Silence, local: boolean): Promise<Silence> {
    saveSilences();
    if (local) await d.onSilence?.(s);
    await reconcileSilences(clock.now());
    return s;
  }

  return {
    silences,
    /** the one mute decision (drills, back-fill, silences, inhibition), shared with notify */
    muter,
    decorate,
    start(): void {
      // housekeeping: resolved alerts and ended silences past retention (silence marks follow every tick)
      jobs.push(cron.schedule('*/10 * * * *', () => sweep(clock.now()), { timezone: 'Asia/Shanghai' }));
    },
    /** tick runs every second: silence marks, then escalations */
    async tick(): Promise<void> {
      const now = clock.now();
      if (now >= nextSilenceChange) await reconcileSilences(now);
      await escalate(now);
      await unconfirmed(now);
    },
    addSilence: (input: SilenceInput, by: string): Promise<Silence> => silenceChanged(silences.add(input, by, clock.now()), true),
    expireSilence: (id: string, by: string): Promise<Silence> => silenceChanged(silences.expire(id, by, clock.now()), true),
    /** putSilence applies a silence made or ended on another instance */
    putSilence: async (s: Silence): Promise<void> => {
      silences.put(s);
      await silenceChanged(s, false);
    },
    stop(): void {
      for (const j of jobs) j.stop();
    },
  };
}

/** Lifecycle: the running alert lifecycle. */
export type Lifecycle = ReturnType<typeof createLifecycle>;
