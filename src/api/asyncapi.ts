import { z } from 'zod';
import { Alert, AlertEvent } from '../contracts/alerts.ts';
import { Command } from '../contracts/commands.ts';
import { EVENT_SCHEMAS, TOPIC_TYPES, type EventType } from '../contracts/events.ts';
import { NotificationLogLine } from '../contracts/journal.ts';
import { WsClientFrame, WsServerFrame } from '../contracts/ws.ts';

// The message contract as AsyncAPI 3.0: the WebSocket protocol of the screens (/ws) and the Kafka
// topics (input topics from TOPIC_TYPES, the shared alert log, commands, the notification log, the
// dead-letter topic), payloads generated from the zod contracts. Checked in as schemas/asyncapi.json.

const DRAFT7 = 'application/schema+json;version=draft-07';
const schema = (s: z.ZodType, io: 'input' | 'output') => ({ schemaFormat: DRAFT7, schema: z.toJSONSchema(s, { target: 'draft-7', io, unrepresentable: 'any' }) });
const id = (topic: string) => topic.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));

interface Channel {
  address: string;
  description: string;
  server: 'kafka' | 'ws';
  messages: Record<string, { summary: string; payload: { schemaFormat: string; schema: unknown }; key?: string }>;
  /** what riskstream does on it: `receive` (consumes), `send` (produces), or both */
  actions: ('send' | 'receive')[];
}

/** renderAsyncApi builds the AsyncAPI 3.0 document of the WebSocket protocol and the Kafka topics. */
export function renderAsyncApi(version = '0.1.0'): Record<string, unknown> {
  const channels: Record<string, Channel> = {};
  for (const [topic, types] of Object.entries(TOPIC_TYPES)) {
    channels[id(topic)] = {
      address: topic,
      description: `input topic (prefix: kafka.topicPrefix); record key = siteId (warning id for warnings, cell id for nowcasts); events: ${types.join(', ')}`,
      server: 'kafka',
      actions: ['receive'],
      messages: Object.fromEntries(types.map((t: EventType) => [id(t), { summary: `a ${t} event`, payload: schema(EVENT_SCHEMAS[t], 'input'), key: t.startsWith('weather.') ? (t === 'weather.warning' ? 'id' : 'cellId') : 'siteId' }])),
    };
  }
  channels.riskAlerts = { address: 'risk.alerts', description: 'the shared alert log: every alert event of every instance (seq = offset + 1); one partition', server: 'kafka', actions: ['send', 'receive'], messages: { alertEvent: { summary: 'an alert event', payload: schema(AlertEvent, 'output'), key: 'alert id' } } };
  channels.riskAlertsState = { address: 'risk.alerts.state', description: 'compacted: the latest state of every alert, keyed by alert id (restart and takeover)', server: 'kafka', actions: ['send', 'receive'], messages: { alertState: { summary: 'an alert', payload: schema(Alert, 'output'), key: 'alert id' } } };
  channels.riskAlertsCommands = { address: 'risk.alerts.commands', description: 'operator commands (ack, resolve, confirm, silence) applied by the instance that holds the alert; one partition', server: 'kafka', actions: ['send', 'receive'], messages: { command: { summary: 'a command', payload: schema(Command, 'output'), key: 'alert id or silence id' } } };
  channels.riskNotifications = { address: 'risk.notifications', description: 'the notification log shared by every instance: what was texted to whom', server: 'kafka', actions: ['send', 'receive'], messages: { notification: { summary: 'one text to one person for one alert transition', payload: schema(NotificationLogLine, 'output') } } };
  channels.riskDlq = {
    address: 'risk.dlq',
    description: 'dead letters: the refused record as it came (value and key unchanged) with headers x-source-topic, x-source-partition, x-source-offset, x-error-code, x-error-message',
    server: 'kafka',
    actions: ['send'],
    messages: { deadLetter: { summary: 'a refused record', payload: { schemaFormat: DRAFT7, schema: { description: 'the original bytes' } } } },
  };
  channels.ws = {
    address: '/ws',
    description: 'screens: connect with ?token= (or the Authorization header) from an allowed Origin; the server sends a snapshot, then every alert event the token may see, and heartbeats',
    server: 'ws',
    actions: ['send', 'receive'],
    messages: { clientFrame: { summary: 'subscribe (filter, resume from seq) or ack', payload: schema(WsClientFrame, 'input') }, serverFrame: { summary: 'snapshot, alert, heartbeat or error', payload: schema(WsServerFrame, 'output') } },
  };

  const operations: Record<string, unknown> = {};
  const out: Record<string, unknown> = {};
  for (const [cid, c] of Object.entries(channels)) {
    out[cid] = {
      address: c.address,
      description: c.description,
      servers: [{ $ref: `#/servers/${c.server}` }],
      messages: Object.fromEntries(
        Object.entries(c.messages).map(([mid, m]) => [mid, { name: mid, summary: m.summary, contentType: 'application/json', payload: m.payload, ...(m.key ? { bindings: { kafka: { key: { type: 'string', description: m.key } } } } : {}) }]),
      ),
    };
    const msgs = Object.keys(c.messages);
    if (c.server === 'ws') {
      operations.wsClientSends = { action: 'receive', summary: 'frames a screen sends', channel: { $ref: '#/channels/ws' }, messages: [{ $ref: '#/channels/ws/messages/clientFrame' }] };
      operations.wsServerSends = { action: 'send', summary: 'frames the server sends', channel: { $ref: '#/channels/ws' }, messages: [{ $ref: '#/channels/ws/messages/serverFrame' }] };
      continue;
    }
    for (const action of c.actions) operations[`${action}${cid[0]!.toUpperCase()}${cid.slice(1)}`] = { action, channel: { $ref: `#/channels/${cid}` }, messages: msgs.map((m) => ({ $ref: `#/channels/${cid}/messages/${m}` })) };
  }
  return {
    asyncapi: '3.0.0',
    info: { title: 'riskstream messages', version, description: 'The WebSocket protocol of the control-room screens and the Kafka topics of riskstream (distributed mode). Topic names take the configured kafka.topicPrefix.' },
    servers: {
      kafka: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'the Kafka cluster (kafka.brokers); SASL/TLS as configured' },
      ws: { host: '127.0.0.1:8080', protocol: 'ws', description: 'the riskstream HTTP server' },
    },
    channels: out,
    operations,
  };
}
