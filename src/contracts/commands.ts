import { z } from 'zod';
import { Silence } from './silences.ts';

const At = z.iso.datetime({ offset: true });

/**
 * Command: an operator's decision made on one instance and applied by every instance (Kafka mode,
 * topic `risk.alerts.commands`, one partition, key = alert id or silence id). Acknowledgements and
 * manual resolves (and a company's confirmation) are applied by the instance that owns the alert (its site's partition); silences
 * by every instance.
 */
export const Command = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ack'), alertId: z.string().min(1), by: z.string().min(1), at: At, note: z.string().max(2000).optional() }),
  z.strictObject({ type: z.literal('resolve'), alertId: z.string().min(1), by: z.string().min(1), at: At, note: z.string().max(2000).optional() }),
  /** the company confirms the actions asked of it were carried out (an operator records the call, or the company's own token) */
  z.strictObject({ type: z.literal('confirm'), alertId: z.string().min(1), by: z.string().min(1), at: At, note: z.string().max(2000).optional() }),
  z.strictObject({ type: z.literal('silence'), silence: Silence }),
]);
export type Command = z.infer<typeof Command>;
