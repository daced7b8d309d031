import type { Alert } from '../contracts/alerts.ts';
import { formatTs } from '../domain/time.ts';
import type { AlertTransition } from '../domain/transition.ts';

// What an alert keeps about its past: its evidence (the events behind it) and its acknowledgements, bounded.

const MAX_EVIDENCE = 20;

export function evidenceOf(t: AlertTransition): Alert['evidence'][number] {
  return { topic: t.evidence.topic, ...(t.evidence.key ? { key: t.evidence.key } : {}), ts: formatTs(t.evidence.ts) };
}

/** keepAcks appends an ack, keeping the first and the most recent ones within `max`. */
export function keepAcks(list: Alert['acks'], ack: Alert['acks'][number], max: number): Alert['acks'] {
  const next = [...list, ack];
  if (next.length <= max) return next;
  return max <= 1 ? [next[0]!] : [next[0]!, ...next.slice(next.length - (max - 1))];
}

export function addEvidence(list: Alert['evidence'], t: AlertTransition): Alert['evidence'] {
  const next = [...list, evidenceOf(t)];
  return next.length > MAX_EVIDENCE ? next.slice(next.length - MAX_EVIDENCE) : next;
}
