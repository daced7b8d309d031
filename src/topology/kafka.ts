import type { Alert, AlertEvent } from '../contracts/alerts.ts';
import { Command } from '../contracts/commands.ts';
import { AlertBook } from '../alerts/book.ts';
import { fingerprintOf } from '../domain/fingerprint.ts';
import { AppError } from '../errors.ts';
import { registerClusterStats } from '../metrics.ts';
import type { Cluster, ClusterHandlers, StoredAlertEvent } from '../ports/index.ts';
import type { AlertCommand, Topology, TopologyDeps, TopologyFactory } from './types.ts';

/** COMMAND_WAIT_MS: how long an ack or resolve waits for its owner's change to come back through the shared log. */
const COMMAND_WAIT_MS = 10_000;
/** PENDING_MS / PENDING_MAX: commands held for alerts no instance holds — a day old at most, 10,000 at most. */
const PENDING_MS = 24 * 3_600_000;
const PENDING_MAX = 10_000;
/** PENDING_PER_ALERT: commands kept per alert meanwhile (as many as the acks an alert keeps) */
const PENDING_PER_ALERT = 20;

/** appliedAlready: whether an alert already carries the effect of a command (the same ack, or resolved). */
const appliedAlready = (a: Alert, cmd: AlertCommand): boolean =>
  a.state === 'resolved' ||
  (cmd.type === 'ack' && a.acks.some((x) => x.by === cmd.by && (x.at === cmd.at || a.state === 'acknowledged'))) ||
  (cmd.type === 'confirm' && a.labels.confirmedBy === cmd.by && a.labels.confirmedAt === cmd.at);

/**
 * kafkaTopology: instances share a consumer group. `d.book` holds the alerts of the sites whose
 * partitions this instance owns and decides their lifecycle; `log.view` is every alert of the
 * shared log `risk.alerts` (seq = offset + 1), what screens and the API see. Operator commands go
 * through `risk.alerts.commands` to the owner; HTTP ingest goes onto the input topics.
 */
export function kafkaTopology(cluster: Cluster): TopologyFactory {
  return (d: TopologyDeps): Topology => {
    const { book, engine, logger } = d;
    const view = new AlertBook();
    registerClusterStats(d.metrics, () => cluster.stats());
    let owned = new Set<number>();
    const ownerOf = (siteId: string | undefined, fingerprint: string): number => cluster.partitionOf(siteId ?? fingerprint);
    const subscribers: ((events: readonly AlertEvent[]) => void)[] = [];
    const viewWaiters = new Set<(s: StoredAlertEvent) => void>();

    /** viaCommand publishes a command and answers with the alert once the owner's change is back in the shared log (or as it is after 10 s). */
    async function viaCommand(id: string, cmd: Command, done: (s: StoredAlertEvent) => boolean): Promise<Alert> {
      const rec = view.get(id);
      if (!rec) throw new AppError('NOT_FOUND', `alert ${id} not found`);
      if (rec.alert.state === 'resolved') throw new AppError('CONFLICT', `alert ${id} is already resolved`);
      let timer: NodeJS.Timeout | undefined;
      let waiter: ((s: StoredAlertEvent) => void) | undefined;
      const applied = new Promise<Alert | undefined>((resolve) => {
        waiter = (s) => {
          if (s.event.alert.id === id && done(s)) resolve(s.event.alert);
        };
        viewWaiters.add(waiter);
        timer = setTimeout(() => resolve(undefined), COMMAND_WAIT_MS);
      });
      try {
        await cluster.publishCommand(id, cmd);
        const a = await applied;
        if (!a) logger.warn({ alertId: id, cmd: cmd.type }, 'command published but not yet applied by the alert owner (no owner right now?); it applies when one takes over');
        return a ?? view.get(id)!.alert;
      } finally {
        clearTimeout(timer);
        viewWaiters.delete(waiter!);
      }
    }

    /**
     * pending: acks and resolves for alerts this instance does not hold (yet), by alert id, applied
     * when it adopts the alert — made during a rebalance, or while no instance held the alert live
     * (read back from the commands topic at start). Bounded (the oldest go first, logged).
     */
    const pending = new Map<string, { cmds: AlertCommand[]; at: number }>();
    function holdForOwner(cmd: AlertCommand): void {
      const at = Date.parse(cmd.at);
      // every command made meanwhile is kept, in order (a second ack must not erase the first one's time)
      const held = pending.get(cmd.alertId)?.cmds ?? [];
      if (held.some((c) => c.type === cmd.type && c.by === cmd.by && c.at === cmd.at)) return; // read back twice
      pending.delete(cmd.alertId);
      pending.set(cmd.alertId, { cmds: [...held, cmd].slice(-PENDING_PER_ALERT), at: Number.isFinite(at) ? at : d.clock.now() });
      for (const [k, v] of pending) {
        if (pending.size <= PENDING_MAX && d.clock.now() - v.at <= PENDING_MS) break;
        if (pending.size > PENDING_MAX) logger.warn({ alertId: k, cmds: v.cmds.length }, 'pending operator commands dropped: more than 10,000 alerts held for while no instance owns them');
        pending.delete(k);
      }
    }
    async function applyCommand(cmd: Command): Promise<void> {
      if (cmd.type === 'silence') return d.putSilence(cmd.silence);
      const rec = book.get(cmd.alertId);
      if (!rec) {
        // not ours, or not adopted yet (a rebalance in progress): keep it for the next owner
        if (view.get(cmd.alertId)?.alert.state !== 'resolved') holdForOwner(cmd);
        return;
      }
      if (rec.alert.state === 'resolved') return;
      await d.apply(cmd);
    }

    /** assigned: a rebalance gave this instance `partitions`; drop the alerts it lost, adopt the open ones it gained. */
    async function assigned(partitions: readonly number[]): Promise<void> {
      if (!(await cluster.catchUpLogs())) logger.warn('the alert and notification logs were not read to their ends within 30 s; adopting open alerts from what was read');
      const next = new Set(partitions);
      let dropped = 0;
      let adopted = 0;
      for (const rec of book.openRecords()) {
        if (!next.has(ownerOf(rec.alert.siteId, rec.alert.fingerprint))) {
          book.drop(rec.alert.id);
          dropped++;
        }
      }
      owned = next;
      for (const rec of view.openRecords()) {
        if (!next.has(ownerOf(rec.alert.siteId, rec.alert.fingerprint))) continue;
        if (!book.adopt(rec)) continue;
        adopted++;
        engine.seed(rec.alert.ruleId, rec.subjectKey, rec.alert.severity);
        const p = pending.get(rec.alert.id);
        if (!p) continue;
        pending.delete(rec.alert.id);
        for (const cmd of p.cmds) {
          const cur = book.get(rec.alert.id)?.alert;
          if (!cur || appliedAlready(cur, cmd)) continue;
          logger.info({ alertId: rec.alert.id, cmd: cmd.type, by: cmd.by }, 'operator command made while no instance held the alert: applied on adoption');
          await applyCommand(cmd);
        }
      }
      // texts the old owner did not get to send (the shared notification log does not show them) go out now
      const owed = d.recover(book.openAlerts().filter((a) => next.has(ownerOf(a.siteId, a.fingerprint))));
      if (owed > 0) logger.warn({ texts: owed }, 'texts for taken-over alerts were not sent by their old owner; sending them now');
      logger.info({ partitions, adopted, dropped, open: book.openAlerts().length }, 'ownership changed');
      d.changed();
    }

    const handlers: ClusterHandlers = {
      // the same gate as HTTP ingest, for any producer (the adapter dead-letters the refusals)
      gate: (_topic, events) => d.gate(events),
      async events(topic, events, meta) {
        await d.process(topic, events, [], 'kafka', { emit: !meta.warmup });
      },
      alertEvent(s) {
        // a send retried after a timeout may land twice: the repeat of the alert's last event is dropped
        const last = view.get(s.event.alert.id)?.history.at(-1);
        if (last && last.kind === s.event.kind && last.at === s.event.at && JSON.stringify(last.alert) === JSON.stringify(s.event.alert)) return;
        view.replay(s);
        for (const fn of subscribers) fn([s.event]);
        for (const w of viewWaiters) w(s);
      },
      alertState(s) {
        view.adopt({ subjectKey: s.subjectKey, alert: s.event.alert, history: [] });
      },
      async command(raw, live) {
        const c = Command.safeParse(raw);
        if (!c.success) {
          logger.warn({ issues: c.error.issues.slice(0, 3) }, 'unreadable command skipped');
          return;
        }
        // while catching up at start, an ack or resolve may or may not have reached the alert log yet
        // (its owner may have died first): hold it; whoever adopts the alert applies it unless it shows
        if (!live && c.data.type !== 'silence') return holdForOwner(c.data);
        await applyCommand(c.data);
      },
      assigned,
      deadLettered: (topic, items) => d.rejected(topic, items),
      warmedUp(partition) {
        // the warm-up rebuilt windows from events; the alerts that are open decide the rule state
        for (const rec of book.openRecords()) {
          if (ownerOf(rec.alert.siteId, rec.alert.fingerprint) === partition) engine.seed(rec.alert.ruleId, rec.subjectKey, rec.alert.severity);
        }
      },
    };

    return {
      log: {
        view,
        // screens get alert events from the shared log (handlers.alertEvent), whoever wrote them
        published: () => undefined,
        subscribe: (fn) => void subscribers.push(fn),
      },
      commands: {
        send(cmd) {
          const by = cmd.by;
          // a repeated ack makes no event for the owner to send back: answer at once
          const cur = view.get(cmd.alertId)?.alert;
          if (cmd.type === 'ack' && cur?.state === 'acknowledged' && cur.acks.some((a) => a.by === by)) return Promise.resolve(cur);
          // the same confirmation again makes no event either
          if (cmd.type === 'confirm' && cur && cur.state !== 'resolved' && cur.labels.confirmedBy === by && cur.labels.confirmNote === cmd.note) return Promise.resolve(cur);
          const applied =
            cmd.type === 'ack'
              ? (s: StoredAlertEvent) => s.event.kind === 'acknowledged' && s.event.alert.acks.some((a) => a.by === by && a.at === cmd.at)
              : cmd.type === 'confirm'
                ? (s: StoredAlertEvent) => s.event.alert.labels.confirmedBy === by && s.event.alert.labels.confirmedAt === cmd.at
                : (s: StoredAlertEvent) => s.event.kind === 'resolved' && s.event.alert.labels.resolvedBy === by;
          return viaCommand(cmd.alertId, cmd, applied);
        },
        shareSilence: (s) => cluster.publishCommand(s.id, { type: 'silence', silence: s }),
      },
      ownership: {
        owns: (t) => owned.has(ownerOf(t.siteId, fingerprintOf(t.subjectKey))),
        // the daily duty report: the owner of partition 0
        sendsReport: () => owned.has(0),
      },
      intake: {
        async ingest(topic, events, rejections) {
          // rejections are dead-lettered here; accepted events go onto their topic for the partition's
          // owner (which gates, refuses and dead-letters there)
          await d.process(topic, [], rejections, 'http');
          if (events.length > 0) await cluster.sink.publish(topic, events);
          return [];
        },
      },
      // catch up on the alert log, commands and weather, then join the group
      start: () => cluster.start(handlers),
      // stop fetching, finish the batch in hand, commit its offsets; the producer stays for what follows
      stop: () => cluster.stop(),
    };
  };
}
