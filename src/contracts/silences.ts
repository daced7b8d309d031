import { z } from 'zod';
import { Domain, Id } from './common.ts';

const OneOrMany = z.union([Id, z.array(Id).min(1)]);

/** SilenceMatchers: which alerts a silence covers; every given matcher must hold. */
export const SilenceMatchers = z
  .strictObject({ ruleId: OneOrMany.optional(), siteId: OneOrMany.optional(), town: OneOrMany.optional(), domain: z.union([Domain, z.array(Domain).min(1)]).optional() })
  .refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'a silence needs at least one matcher (ruleId, siteId, town, domain)' });

/** SilenceInput: POST /api/v1/silences body. */
export const SilenceInput = z
  .strictObject({
    matchers: SilenceMatchers,
    startsAt: z.union([z.iso.datetime({ offset: true }), z.number().int()]).optional(),
    endsAt: z.union([z.iso.datetime({ offset: true }), z.number().int()]),
    createdBy: z.string().min(1).max(200).optional(),
    comment: z.string().min(1, 'say why (e.g. the maintenance work order)').max(2000),
  });
export type SilenceInput = z.infer<typeof SilenceInput>;

/** Silence: a time-bounded mute of notifications; silenced alerts stay on screens, marked. */
export const Silence = z.strictObject({
  id: Id,
  matchers: SilenceMatchers,
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  createdBy: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  comment: z.string(),
  expiredBy: z.string().optional(),
  expiredAt: z.iso.datetime({ offset: true }).optional(),
});
export type Silence = z.infer<typeof Silence>;
