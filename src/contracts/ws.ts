import { z } from 'zod';
import { Domain, Id, Severity } from './common.ts';
import { Alert, AlertEvent } from './alerts.ts';

/** WsFilter: what a screen wants to see. */
export const WsFilter = z.strictObject({
  minSeverity: Severity.optional().describe('least severe alert to show (blue < yellow < orange < red); absent: all'),
  towns: z.array(Id).optional().describe('only alerts of these towns; absent: all'),
  domains: z.array(Domain).optional().describe('only alerts of these domains (weather, mine, grid, enforcement, site, road, fire, system); absent: all'),
});
export type WsFilter = z.infer<typeof WsFilter>;

/** WsClientFrame: frames a client may send. */
export const WsClientFrame = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe').describe('subscribe (or change the filter): the server answers with a snapshot, then alert frames'),
    filter: WsFilter.optional().describe('what to see; absent: every alert'),
    since: z.number().int().nonnegative().optional().describe('resume after this seq: the server replays the alert frames after it (from its replay buffer) instead of a fresh snapshot'),
  }),
  z.strictObject({
    type: z.literal('ack').describe('acknowledge an alert (operator role)'),
    alertId: Id.describe('id of the alert to acknowledge'),
    note: z.string().max(2000).optional().describe('free text, up to 2000 characters'),
  }),
]);
export type WsClientFrame = z.infer<typeof WsClientFrame>;

/** WsServerFrame: frames the server sends. */
export const WsServerFrame = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('snapshot').describe('every open alert matching the filter, sent after subscribe'),
    seq: z.number().int().nonnegative().describe('seq of the latest alert event included; alert frames follow from seq + 1'),
    alerts: z.array(Alert).describe('the open alerts (firing and acknowledged)'),
    demo: z.boolean().optional().describe('true when the server runs the demo day (screens show 演示)'),
  }),
  AlertEvent.extend({ type: z.literal('alert').describe('one alert transition') }),
  z.strictObject({
    type: z.literal('heartbeat').describe('sent every ws.heartbeat; a screen that misses several reconnects'),
    seq: z.number().int().nonnegative().describe('latest seq of the server'),
    at: z.iso.datetime({ offset: true }).describe('server time'),
  }),
  z.strictObject({
    type: z.literal('error').describe('a refused frame'),
    code: z.string().describe('machine-readable code, e.g. BAD_FRAME, FORBIDDEN, RATE_LIMITED'),
    message: z.string().describe('what was wrong, in English'),
  }),
]);
export type WsServerFrame = z.infer<typeof WsServerFrame>;
