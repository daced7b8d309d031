import { z } from 'zod';
import { Domain, Id, TS_MAX_MS, TS_MIN_MS, TS_RANGE_MESSAGE } from './common.ts';

const OneOrMany = z.union([Id, z.array(Id).min(1)]);
const SilenceAt = z.iso.datetime({ offset: true });

/** SilenceMatchers: which alerts a silence covers; every given matcher must hold. */
export const SilenceMatchers = z
  .strictObject({
    ruleId: OneOrMany.optional().describe('rule id or ids, e.g. mine.ch4.threshold'),
    siteId: OneOrMany.optional().describe('site id or ids of the reference data'),
    town: OneOrMany.optional().describe('town id or ids'),
    domain: z.union([Domain, z.array(Domain).min(1)]).optional().describe('domain or domains: weather, mine, grid, enforcement, site, road, fire, system'),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'a silence needs at least one matcher (ruleId, siteId, town, domain)' });

/** SilenceTime: ISO-8601 with offset or epoch ms, inside 2000 .. 2200 (a 9e15 end would break every date shown). */
const SilenceTime = z.union([
  z.iso.datetime({ offset: true }).refine((t) => Date.parse(t) >= TS_MIN_MS && Date.parse(t) <= TS_MAX_MS, TS_RANGE_MESSAGE),
  z.number().int().min(TS_MIN_MS, TS_RANGE_MESSAGE).max(TS_MAX_MS, TS_RANGE_MESSAGE),
]);

/** SilenceInput: POST /api/v1/silences body. */
export const SilenceInput = z
  .strictObject({
    matchers: SilenceMatchers.describe('which alerts: every given matcher must hold'),
    startsAt: SilenceTime.optional().describe('start (ISO-8601 with offset or epoch ms); default now'),
    endsAt: SilenceTime.describe('end (ISO-8601 with offset or epoch ms), after startsAt'),
    /** ignored: the author is the token's `sub` (kept in the schema so older clients are not refused) */
    createdBy: z.string().min(1).max(200).optional().describe('ignored: the author is the token subject'),
    comment: z.string().min(1, 'say why (e.g. the maintenance work order)').max(2000).describe('why, e.g. the maintenance work order (required, up to 2000 characters)'),
  });
export type SilenceInput = z.infer<typeof SilenceInput>;

/** Silence: a time-bounded mute of notifications; silenced alerts stay on screens, marked. */
export const Silence = z.strictObject({
  id: Id.describe('silence id'),
  matchers: SilenceMatchers.describe('which alerts it covers: every given matcher must hold'),
  startsAt: SilenceAt.describe('start of the silence'),
  endsAt: SilenceAt.describe('end of the silence'),
  createdBy: z.string().describe('who created it (token subject)'),
  createdAt: SilenceAt.describe('when it was created'),
  comment: z.string().describe('why (e.g. the maintenance work order)'),
  expiredBy: z.string().optional().describe('who ended it early'),
  expiredAt: SilenceAt.optional().describe('when it was ended early'),
});
export type Silence = z.infer<typeof Silence>;
