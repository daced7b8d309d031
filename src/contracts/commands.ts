import { z } from 'zod';
import { Silence } from './silences.ts';

const At = z.iso.datetime({ offset: true }).describe('when the operator decided (ISO-8601 with offset)');
const AlertId = z.string().min(1).describe('id of the alert concerned');
const By = z.string().min(1).describe('who decided (the token subject)');
const Note = z.string().max(2000).optional().describe('free text, up to 2000 characters');

/**
 * Command: an operator's decision made on one instance and applied by every instance (Kafka mode,
 * topic `risk.alerts.commands`, one partition, key = alert id or silence id). Acknowledgements and
 * manual resolves (and a company's confirmation) are applied by the instance that owns the alert (its site's partition); silences
 * by every instance.
 */
export const Command = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ack').describe('acknowledge an alert'), alertId: AlertId, by: By, at: At, note: Note }),
  z.strictObject({ type: z.literal('resolve').describe('resolve an alert by hand'), alertId: AlertId, by: By, at: At, note: Note }),
  /** the company confirms the actions asked of it were carried out (an operator records the call, or the company's own token) */
  z.strictObject({ type: z.literal('confirm').describe('the company confirms the actions asked of it'), alertId: AlertId, by: By, at: At, note: Note }),
  z.strictObject({ type: z.literal('silence').describe('create or expire a silence'), silence: Silence.describe('the silence as it stands (expiredAt set when it was ended early)') }),
]);
export type Command = z.infer<typeof Command>;
