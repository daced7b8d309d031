import { z } from 'zod';
import { Domain, Duration, Id, Severity } from './common.ts';
import { EVENT_SCHEMAS } from './events.ts';
import { severityRank } from '../domain/severity.ts';

const EventTypeName = z.enum(Object.keys(EVENT_SCHEMAS) as [keyof typeof EVENT_SCHEMAS, ...(keyof typeof EVENT_SCHEMAS)[]]);
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** FieldCondition: equality, one of a list, or a numeric range. */
export const FieldCondition = z.union([
  Scalar,
  z.array(Scalar).min(1),
  z
    .strictObject({ gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional() })
    .refine((o) => Object.keys(o).length > 0, { message: 'a range needs at least one of gt, gte, lt, lte' }),
]);
export type FieldCondition = z.infer<typeof FieldCondition>;

/** Match: which events a rule looks at. */
export const Match = z.strictObject({
  type: EventTypeName,
  where: z.record(z.string().min(1), FieldCondition).default({}),
});

/** Measure: what number a threshold compares. */
export const Measure = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('value') }),
  // |value − from|, e.g. frequency deviation from 50 Hz
  z.strictObject({ kind: z.literal('abs_deviation'), from: z.number() }),
  // |value − nominal| / nominal × 100, e.g. voltage deviation in %
  z.strictObject({ kind: z.literal('deviation_pct'), nominalField: z.string().min(1) }),
]);
export type Measure = z.infer<typeof Measure>;

/** Level: a severity and where it starts; `restore` is where it clears (hysteresis). */
export const Level = z.strictObject({ severity: Severity, value: z.number(), restore: z.number().optional() });

const Common = {
  id: Id.regex(/^[a-z0-9][a-z0-9._-]*$/, 'rule ids are lower-case letters, digits, ".", "_" and "-"'),
  title: z.string().min(1),
  domain: Domain,
  source: z.string().min(1, 'every rule cites its regulation or standard'),
  enabled: z.boolean().default(true),
  summary: z.string().min(1),
  actions: z.array(z.string()).default([]),
  labels: z.record(z.string(), z.string()).default({}),
  /** calendar effect: special periods raise this rule's severity one level */
  escalateInSpecialPeriods: z.boolean().default(false),
};

/** ThresholdRule: levels with hysteresis and an optional `for` duration. */
export const ThresholdRule = z
  .strictObject({
    ...Common,
    kind: z.literal('threshold'),
    match: Match,
    subject: z.array(z.string().min(1)).min(1),
    measure: Measure.default({ kind: 'value' }),
    direction: z.enum(['above', 'below']).default('above'),
    levels: z.array(Level).min(1),
    for: Duration.optional(),
  })
  .superRefine((r, ctx) => {
    for (let i = 1; i < r.levels.length; i++) {
      const prev = r.levels[i - 1]!;
      const cur = r.levels[i]!;
      const ordered = r.direction === 'above' ? cur.value >= prev.value : cur.value <= prev.value;
      if (severityRank(cur.severity) < severityRank(prev.severity)) {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'severity'], message: `severities must not fall from one level to the next (${prev.severity} then ${cur.severity})` });
      }
      if (!ordered) {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'value'], message: `levels must be ordered from least to most severe (${prev.value} then ${cur.value}, direction ${r.direction})` });
      }
    }
    r.levels.forEach((l, i) => {
      if (l.restore === undefined) return;
      const ok = r.direction === 'above' ? l.restore <= l.value : l.restore >= l.value;
      if (!ok) ctx.addIssue({ code: 'custom', path: ['levels', i, 'restore'], message: `restore (${l.restore}) must lie on the safe side of value (${l.value}) for direction ${r.direction}` });
    });
  });
export type ThresholdRule = z.infer<typeof ThresholdRule>;

/** Rule: any rule kind. */
export const Rule = ThresholdRule;
export type Rule = ThresholdRule;

/** RuleFile: one YAML file of the rule pack. */
export const RuleFile = z.strictObject({ rules: z.array(z.unknown()).min(1) });
