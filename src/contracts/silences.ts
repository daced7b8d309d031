import { z } from 'zod';
import { Domain, Id, TS_MAX_MS, TS_MIN_MS, TS_RANGE_MESSAGE } from './common.ts';

const OneOrMany = z.union([Id, z.array(Id).min(1)]);

/** SilenceMatchers: which alerts a silence covers; every given matcher must hold. */
export const SilenceMatchers = z
  .strictObject({ ruleId: OneOrMany.optional(), siteId: OneOrMany.optional(), town: OneOrMany.optional(), domain: z.union([Domain, z.array(Domain).min(1)]).optional() })
  .refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'a silence needs at least one matcher (ruleId, siteId, town, domain)' });

/** SilenceTime: ISO-8601 with offset or epoch ms, inside 2000 .. 2200 (a 9e15 end would break every date shown). */
const SilenceTime = z.union([
  z.iso.datetime({ offset: true }).refine((t) => Date.parse(t) >= TS_MIN_MS && Date.parse(t) <= TS_MAX_MS, TS_RANGE_MESSAGE),
  z.number().int().min(TS_MIN_MS, TS_RANGE_MESSAGE).max(TS_MAX_MS, TS_RANGE_MESSAGE),
]);

/** SilenceInput: POST /api/v1/silences body. */
export const SilenceInput = z
  .strictObject({
    matchers: SilenceMatchers,
    startsAt: SilenceTime.optional(),
    endsAt: SilenceTime,
    /** ignored: the author is the token's `sub` (kept in the schema so older clients are not refused) */
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
