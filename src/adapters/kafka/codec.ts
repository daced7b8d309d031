import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { keyOf, type Event } from '../../contracts/events.ts';
import { decodeBody } from '../../ingest/decode.ts';
import type { DeadLetter, Rejection } from '../../ports/index.ts';
import { partitionOf } from './client.ts';

// The message codec of Kafka mode: records → events (decoded, validated, gated), dead letters with
// the record's coordinates, and the records to forward to the owner of their site.

/** headerText: a header's value as text (the first one when repeated). */
export const headerText = (h: IHeaders | undefined, name: string): string | undefined => {
  const v = h?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
};

/** copyHeaders: a record's headers to send on (x-source-* ones are set anew by the forwarder) */
const copyHeaders = (h: IHeaders | undefined): IHeaders => {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined && !k.startsWith('x-source-')) out[k] = v;
  return out;
};

/**
 * Decoded: a batch's events in order, in runs of one contract topic (a repartition batch mixes
 * them); the dead letters; and the records to forward to the owner of their site.
 */
export interface Decoded {
  runs: { contract: string; events: Event[] }[];
  dead: DeadLetter[];
  forward: Message[];
}

/** CodecOptions: the topic names (prefixed → contract), the size limit, the clock, the gate and the keyed partition count. */
export interface CodecOptions {
  base: ReadonlyMap<string, string>;
  keyedTopics: readonly string[];
  repartitionTopic: string;
  /** the contract topics a repartitioned record may name in x-source-topic */
  sourceTopics: ReadonlySet<string>;
  maxBytes: number;
  now: () => number;
  gate: (contract: string, events: readonly Event[]) => { events: Event[]; rejections: Rejection[] };
  /** the keyed topics' partition count (0 until known: nothing is forwarded) */
  partitions: () => number;
}

/** createCodec returns decodeMessages for one cluster. */
export function createCodec(o: CodecOptions): (topic: string, partition: number, msgs: readonly KafkaMessage[]) => Decoded {
  /**
   * decodeMessages decodes, validates and gates a batch of one partition. On a keyed source topic
   * an event whose siteId belongs to another partition is not evaluated here but returned in
   * `forward` (its record's bytes and headers when the record held just that event); on the
   * repartition topic the contract topic comes from the x-source-topic header.
   */
  return function decodeMessages(topic: string, partition: number, msgs: readonly KafkaMessage[]): Decoded {
    const out: Decoded = { runs: [], dead: [], forward: [] };
    const fromRepartition = topic === o.repartitionTopic;
    const keyed = fromRepartition || o.keyedTopics.includes(topic);
    for (const m of msgs) {
      const value = m.value ?? Buffer.alloc(0);
      const source = fromRepartition ? headerText(m.headers, 'x-source-topic') : o.base.get(topic)!;
      const deadOf = (r: Rejection, raw: Buffer): DeadLetter => ({
        ...r,
        source: `kafka:${topic}`,
        partition,
        offset: m.offset,
        failedAt: o.now(),
        raw,
        ...(m.key ? { key: m.key.toString('utf8') } : {}),
      });
      if (source === undefined || (fromRepartition && !o.sourceTopics.has(source))) {
        out.dead.push(deadOf({ index: 0, code: 'VALIDATION_FAILED', path: 'x-source-topic', message: `a repartitioned record must name its contract topic in header x-source-topic (one of ${[...o.sourceTopics].join(', ')}), got ${JSON.stringify(source ?? null)}`, details: [], original: '' }, value));
        continue;
      }
      const d = decodeBody(source, value, headerText(m.headers, 'content-type'), { maxBytes: o.maxBytes });
      // the same gate as HTTP ingest (unknown site, timestamps out of range): refusals carry this message's coordinates
      const g = o.gate(source, d.events);
      let mine = g.events;
      const keyedPartitions = o.partitions();
      if (keyed && !fromRepartition && keyedPartitions > 0) {
        mine = [];
        const away: Event[] = [];
        for (const e of g.events) {
          const siteId = keyOf(e);
          if (siteId === undefined || partitionOf(siteId, keyedPartitions) === partition) mine.push(e);
          else away.push(e);
        }
        const whole = away.length === 1 && g.events.length === 1 && d.rejections.length === 0;
        for (const e of away) {
          const siteId = keyOf(e)!;
          out.forward.push({
            key: siteId,
            partition: partitionOf(siteId, keyedPartitions),
            value: whole ? value : JSON.stringify(e),
            headers: {
              ...(whole ? copyHeaders(m.headers) : { 'content-type': 'application/json' }),
              'x-source-topic': source,
              'x-source-partition': String(partition),
              'x-source-offset': m.offset,
            },
          });
        }
      }
      if (mine.length > 0) {
        const last = out.runs.at(-1);
        if (last && last.contract === source) last.events.push(...mine);
        else out.runs.push({ contract: source, events: [...mine] });
      }
      for (const r of [...d.rejections, ...g.rejections]) {
        // the whole message when nothing of it was accepted, else the refused item
        out.dead.push(deadOf(r, g.events.length === 0 ? value : Buffer.from(r.original)));
      }
    }
    return out;
  };
}
