import { z } from 'zod';
import { Domain, Id, Severity } from './common.ts';
import { Alert, AlertEvent } from './alerts.ts';

/** WsFilter: what a screen wants to see. */
export const WsFilter = z.strictObject({
  minSeverity: Severity.optional(),
  towns: z.array(Id).optional(),
  domains: z.array(Domain).optional(),
});
export type WsFilter = z.infer<typeof WsFilter>;

/** WsClientFrame: frames a client may send. */
export const WsClientFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), filter: WsFilter.optional(), since: z.number().int().nonnegative().optional() }),
  z.strictObject({ type: z.literal('ack'), alertId: Id, note: z.string().max(2000).optional() }),
]);
export type WsClientFrame = z.infer<typeof WsClientFrame>;

/** WsServerFrame: frames the server sends. */
export const WsServerFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('snapshot'), seq: z.number().int().nonnegative(), alerts: z.array(Alert), demo: z.boolean().optional() }),
  AlertEvent.extend({ type: z.literal('alert') }),
  z.strictObject({ type: z.literal('heartbeat'), seq: z.number().int().nonnegative(), at: z.iso.datetime({ offset: true }) }),
  z.strictObject({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type WsServerFrame = z.infer<typeof WsServerFrame>;
