import { readFileSync } from 'node:fs';
import { eventTime, keyOf, type Event } from '../contracts/events.ts';
import { decodeLine } from '../ingest/decode.ts';
import { topicOfType } from '../jobs/demo.ts';
import { createKafkaClient } from '../adapters/kafka/client.ts';
import { createLogger } from '../logger.ts';

/** Publisher: where replayed events go; resolves to an error text, or undefined when taken. */
type Publisher = { send(topic: string, event: Event): Promise<string | undefined>; close(): Promise<void> };

/** httpPublisher posts each event to a running instance (202 = accepted). */
function httpPublisher(base: string, token: string | undefined): Publisher {
  return {
    async send(topic, event) {
      const res = await fetch(`${base}/api/v1/events/${topic}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(event),
      });
      return res.status === 202 ? undefined : `HTTP ${res.status}: ${await res.text()}`;
    },
    async close() {},
  };
}

/**
 * kafkaPublisher produces each event onto its topic (prefix from RISKSTREAM_KAFKA_TOPIC_PREFIX),
 * keyed like every producer must key it (siteId; warning id; cell id), idempotent, acks=all.
 */
async function kafkaPublisher(brokers: string[]): Promise<Publisher> {
  const prefix = process.env.RISKSTREAM_KAFKA_TOPIC_PREFIX ?? '';
  const kafka = createKafkaClient({ brokers, clientId: 'riskstream-replay', logger: createLogger(process.env.RISKSTREAM_LOG_LEVEL ?? 'warn') });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    async send(topic, event) {
      try {
        await producer.send({ topic: prefix + topic, acks: -1, messages: [{ key: keyOf(event) ?? null, value: JSON.stringify(event) }] });
        return undefined;
      } catch (err) {
        return `kafka ${prefix + topic}: ${(err as Error).message}`;
      }
    },
    close: () => producer.disconnect(),
  };
}

/** runReplay: publish a recorded NDJSON event file to a running instance over HTTP, keeping gaps ÷ speed. */
export async function runReplay(file: string | undefined, values: { speed?: string; to?: string; kafka?: string; token?: string }): Promise<number> {
  const speed = Number(values.speed ?? '1');
  if (!file || !(speed > 0)) {
    process.stderr.write('riskstream replay: FILE and a positive --speed are required\n');
    return 2;
  }
  if (values.kafka && values.to) {
    process.stderr.write('riskstream replay: give --to URL or --kafka BROKERS, not both\n');
    return 2;
  }
  let out: Publisher;
  try {
    out = values.kafka
      ? await kafkaPublisher(values.kafka.split(',').map((s) => s.trim()).filter(Boolean))
      : httpPublisher(values.to ?? 'http://127.0.0.1:8080', values.token ?? process.env.RISKSTREAM_TOKEN);
  } catch (err) {
    process.stderr.write(`riskstream replay: cannot connect to Kafka ${values.kafka}: ${(err as Error).message}\n`);
    return 1;
  }
  let prev: number | undefined;
  let sent = 0;
  let failed = 0;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const r = decodeLine(line, i);
    if (!r.ok) {
      process.stderr.write(`${file}:${i + 1}: ${r.rejection.code}: ${r.rejection.message}\n`);
      failed++;
      continue;
    }
    const t = eventTime(r.event);
    if (prev !== undefined && t > prev) await new Promise((res) => setTimeout(res, (t - prev!) / speed));
    prev = t;
    const topic = r.topic ?? topicOfType(r.event.type);
    const problem = await out.send(topic, r.event);
    if (problem === undefined) sent++;
    else {
      failed++;
      process.stderr.write(`${file}:${i + 1}: ${problem}\n`);
    }
  }
  await out.close();
  process.stderr.write(`replay: ${sent} sent, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}
