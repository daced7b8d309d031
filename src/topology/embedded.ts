import type { AlertEvent } from '../contracts/alerts.ts';
import type { Topology, TopologyDeps } from './types.ts';

/**
 * embeddedTopology: one instance owns everything. The alert log is the journal this instance
 * writes, fanned out in process once durable; commands are applied directly.
 */
export function embeddedTopology(d: TopologyDeps): Topology {
  const subscribers: ((events: readonly AlertEvent[]) => void)[] = [];
  return {
    log: {
      view: d.book,
      published(events) {
        for (const fn of subscribers) fn(events);
      },
      subscribe: (fn) => void subscribers.push(fn),
    },
    commands: {
      send: (cmd) => d.apply(cmd),
      // the silence is already in force here, and there is nobody else to tell
      shareSilence: async () => undefined,
    },
    ownership: { owns: () => true, sendsReport: () => true },
    intake: { ingest: async (topic, events, rejections) => (await d.process(topic, events, rejections, 'http')).refused },
    start: async () => undefined,
    stop: async () => undefined,
  };
}
