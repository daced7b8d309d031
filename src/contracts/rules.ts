import { z } from 'zod';
import { Domain, Duration, Id, Severity } from './common.ts';
import { EVENT_SCHEMAS } from './events.ts';
import { SiteFlag, SpecialEffect } from './reference.ts';
import { severityRank } from '../domain/severity.ts';

const EventTypeName = z.enum(Object.keys(EVENT_SCHEMAS) as [keyof typeof EVENT_SCHEMAS, ...(keyof typeof EVENT_SCHEMAS)[]]);
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** FieldCondition: equality, one of a list, none of a list (`notIn`; an absent field passes), or a numeric range. */
export const FieldCondition = z.union([
  Scalar,
  z.array(Scalar).min(1),
  z.strictObject({ notIn: z.array(Scalar).min(1) }),
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
  // the event's `value`, or another numeric field (e.g. a fatigue event's continuousDrivingMin)
  z.strictObject({ kind: z.literal('value'), field: z.string().min(1).optional() }),
  // |value − from|, e.g. frequency deviation from 50 Hz
  z.strictObject({ kind: z.literal('abs_deviation'), from: z.number() }),
  // |value − nominal| / nominal × 100, e.g. voltage deviation in %
  z.strictObject({ kind: z.literal('deviation_pct'), nominalField: z.string().min(1) }),
  // (field − of) / of × 100, signed: how far a value is over a limit given in the event (speed over the speed limit, in %)
  z.strictObject({ kind: z.literal('excess_pct'), field: z.string().min(1), of: z.string().min(1) }),
  // (sum of fields) / of × 100: a share of a total given in the event (devices in fault or disabled of all devices, in %)
  z.strictObject({ kind: z.literal('share_pct'), fields: z.array(z.string().min(1)).min(1), of: z.string().min(1) }),
]);
export type Measure = z.infer<typeof Measure>;

/** Level: a severity and where it starts; `restore` is where it clears (hysteresis). */
export const Level = z.strictObject({ severity: Severity, value: z.number(), restore: z.number().optional() });

/**
 * ThresholdLevel: a Level whose value is either written here or read from the monitored item's
 * reference record (`ref`: a key of the site's `limits[<limitKey value>]`, times `factor`); a
 * level whose reference value is missing does not apply to that item. `title` replaces the rule's
 * title while the alert is at this level (甲烷预警 below the alarm value, 甲烷超限 above).
 */
export const ThresholdLevel = z
  .strictObject({
    severity: Severity,
    value: z.number().optional(),
    ref: z.string().min(1).optional(),
    factor: z.number().positive().optional(),
    restore: z.number().optional(),
    title: z.string().min(1).optional(),
  })
  .superRefine((l, ctx) => {
    if ((l.value === undefined) === (l.ref === undefined)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a level needs exactly one of value and ref (a key of the reference limits)' });
    if (l.ref === undefined && l.factor !== undefined) ctx.addIssue({ code: 'custom', path: ['factor'], message: 'factor applies to a ref level only' });
    if (l.ref !== undefined && l.restore !== undefined) ctx.addIssue({ code: 'custom', path: ['restore'], message: 'a ref level clears at its own value (restore applies to a written value)' });
  });

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
  /** event fields beyond the contract that this rule relies on (a producer's own field); other unknown fields are errors */
  extraFields: z.array(z.string().min(1)).optional(),
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
    levels: z.array(ThresholdLevel).min(1),
    /** the event field naming the monitored item whose reference `limits` a `ref` level reads (default `metric`) */
    limitKey: z.string().min(1).default('metric'),
    for: Duration.optional(),
    /** a later event of the subject matching `match` and this resolves the alert whatever its number (the source says the condition ended): `match` must admit such events */
    resolveWhen: z.record(z.string(), FieldCondition).optional(),
  })
  .superRefine((r, ctx) => {
    for (let i = 1; i < r.levels.length; i++) {
      const prev = r.levels[i - 1]!;
      const cur = r.levels[i]!;
      if (severityRank(cur.severity) < severityRank(prev.severity)) {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'severity'], message: `severities must not fall from one level to the next (${prev.severity} then ${cur.severity})` });
      }
      // levels read from the reference data are ordered per installation, when the event comes
      if (prev.value === undefined || cur.value === undefined) continue;
      const ordered = r.direction === 'above' ? cur.value >= prev.value : cur.value <= prev.value;
      if (!ordered) {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'value'], message: `levels must be ordered from least to most severe (${prev.value} then ${cur.value}, direction ${r.direction})` });
      }
    }
    r.levels.forEach((l, i) => {
      if (l.restore === undefined || l.value === undefined) return;
      const ok = r.direction === 'above' ? l.restore <= l.value : l.restore >= l.value;
      if (!ok) ctx.addIssue({ code: 'custom', path: ['levels', i, 'restore'], message: `restore (${l.restore}) must lie on the safe side of value (${l.value}) for direction ${r.direction}` });
    });
  });
export type ThresholdRule = z.infer<typeof ThresholdRule>;

/** Matcher: one event condition (a type and field conditions), used by multi-event rule kinds. */
export const Matcher = Match;
export type Matcher = z.infer<typeof Matcher>;
const Matchers = z.union([Matcher, z.array(Matcher).min(1)]).transform((m) => (Array.isArray(m) ? m : [m]));

/** Severities: a fixed severity, or the first entry whose `where` holds (last entry may omit `where`). */
const SeverityChoice = z.array(z.strictObject({ where: z.record(z.string(), FieldCondition).optional(), severity: Severity })).min(1);

const Single = { severity: Severity.optional(), severities: SeverityChoice.optional() };
function needsSeverity(r: { severity?: unknown; severities?: unknown }, ctx: z.RefinementCtx): void {
  if (r.severity === undefined && r.severities === undefined) ctx.addIssue({ code: 'custom', path: ['severity'], message: 'give `severity` or `severities`' });
}

/** RateRule: change of a value over a sliding window (e.g. methane rising 0.3 % in 5 min). */
export const RateRule = z
  .strictObject({
    ...Common,
    kind: z.literal('rate'),
    match: Match,
    subject: z.array(z.string().min(1)).min(1),
    window: Duration,
    /** rise: value − oldest; fall: oldest − value; band: (max(0, highest − nominal) + max(0, nominal − lowest)) / nominal × 100 over the window (GB/T 12325 ≥ 35 kV) */
    direction: z.enum(['rise', 'fall', 'band']).default('rise'),
    /** band: the event field holding the nominal value */
    nominalField: z.string().min(1).optional(),
    levels: z.array(Level).min(1),
    /**
     * judge the change only while the value is at or above the item's reference setting
     * `limits[<limitKey value>][ref]` + `offset` (a gauge rising near its warning level); below it
     * an active level resolves; an item without the setting is not judged
     */
    onlyAbove: z.strictObject({ ref: z.string().min(1), offset: z.number().default(0) }).optional(),
    /** the event field naming the monitored item whose reference `limits` `onlyAbove` reads (default `metric`) */
    limitKey: z.string().min(1).default('metric'),
  })
  .superRefine((r, ctx) => {
    if ((r.direction === 'band') !== (r.nominalField !== undefined)) ctx.addIssue({ code: 'custom', path: ['nominalField'], message: 'nominalField goes with direction band, and band needs it' });
  });
export type RateRule = z.infer<typeof RateRule>;

/** AbsenceRule (deadman): a subject silent longer than `period`; expected subjects come from reference data. */
export const AbsenceRule = z.strictObject({
  ...Common,
  kind: z.literal('absence'),
  match: Match,
  subject: z.array(z.string().min(1)).min(1),
  period: Duration,
  severity: Severity,
  /**
   * watch only while something is open: an event matching `start` opens the watch of its subject
   * (e.g. a confined-space permit) from the instant in its `from` field (default: the event's time),
   * which ends at the instant in its `until` field or at an event of the subject matching `stop`
   * (an open alert resolves then); `match` events only keep it fed
   */
  during: z
    .strictObject({
      start: Matcher,
      from: z.string().min(1).optional(),
      until: z.string().min(1).optional(),
      stop: z.record(z.string(), FieldCondition).optional(),
    })
    .optional(),
  /**
   * expected subjects: every reference sensor (of sites of these kinds, matching `where`), every site
   * of these kinds, or every feed a site declares (sites.yaml `feeds` of the matched event type; the
   * subject is silent after `periods` × the feed's `every`; only declared feeds are watched)
   */
  expected: z
    .strictObject({
      from: z.enum(['sensors', 'sites', 'feeds']),
      periods: z.number().positive().max(1000).default(3),
      siteKinds: z.array(z.string()).optional(),
      where: z.record(z.string(), FieldCondition).default({}),
    })
    .optional(),
}).superRefine((r, ctx) => {
  if (r.during && r.expected) ctx.addIssue({ code: 'custom', path: ['during'], message: 'give at most one of during (watches opened by an event) and expected (watches from the reference data)' });
});
export type AbsenceRule = z.infer<typeof AbsenceRule>;

/** FlatlineRule: a value constant within `epsilon` for `duration` (frozen or falsified data). */
export const FlatlineRule = z.strictObject({
  ...Common,
  kind: z.literal('flatline'),
  match: Match,
  subject: z.array(z.string().min(1)).min(1),
  epsilon: z.number().nonnegative(),
  duration: Duration,
  /** a reading below this never counts as frozen (a low-gas mine reads a steady 0.0x % legitimately); it ends a frozen stretch */
  minValue: z.number().optional(),
  severity: Severity,
});
export type FlatlineRule = z.infer<typeof FlatlineRule>;

/** CountRule: at least `threshold` matching events (or distinct values, or summed weights) per scope within `window`. */
export const CountRule = z.strictObject({
  ...Common,
  kind: z.literal('count'),
  match: Matchers,
  scope: z.array(z.string().min(1)).min(1),
  window: Duration,
  threshold: z.number().positive(),
  /** count distinct values: the first of these fields an event has */
  distinct: z.array(z.string().min(1)).optional(),
  /** add this numeric field instead of 1 (e.g. an inspection's `violations`, a rain gauge's `value` in mm) */
  weight: z.string().optional(),
  /** only events at a site with at least one of these reference flags (e.g. `floodProne`) */
  siteFlags: z.array(SiteFlag).min(1).optional(),
  severity: Severity,
});
export type CountRule = z.infer<typeof CountRule>;

/** Scope of a correlation: which A and B belong together. */
export const CorrelationScope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fields'), fields: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ kind: z.literal('site') }),
  z.strictObject({ kind: z.literal('area') }),
  z.strictObject({ kind: z.literal('town') }),
]);

/** CorrelationRule: condition A, then B (`followed_by`) or no B (`not_followed_by`) within `window`, in a scope. */
export const CorrelationRule = z
  .strictObject({
    ...Common,
    ...Single,
    kind: z.literal('correlation'),
    a: Matchers,
    b: Matchers,
    mode: z.enum(['followed_by', 'not_followed_by']),
    window: Duration,
    scope: CorrelationScope,
    /** not_followed_by: the alert also clears when an event matches this (e.g. methane back below the restore value) */
    clear: Matchers.optional(),
    /** not_followed_by: a B up to this long before A satisfies A too (the accident report came before the casualty signal) */
    lookback: Duration.optional(),
  })
  .superRefine(needsSeverity)
  .superRefine((r, ctx) => {
    if (r.lookback !== undefined && r.mode !== 'not_followed_by') ctx.addIssue({ code: 'custom', path: ['lookback'], message: `lookback applies to mode not_followed_by (the mode is ${r.mode})` });
    if (r.lookback !== undefined && r.clear !== undefined) ctx.addIssue({ code: 'custom', path: ['lookback'], message: 'lookback and clear do not go together (with clear, a B up to `window` before A already counts)' });
  });
export type CorrelationRule = z.infer<typeof CorrelationRule>;

/** DeadlineRule: a timestamp field plus an allowance passes before the subject is closed. */
export const DeadlineRule = z
  .strictObject({
    ...Common,
    ...Single,
    kind: z.literal('deadline'),
    match: Match,
    subject: z.array(z.string().min(1)).min(1),
    /** the instant that starts the clock, and the allowance after it */
    due: z.strictObject({
      field: z.string().min(1),
      plus: Duration.default(0),
      /** the allowance from the site's reference limits (`limits[limit][key]` × `unit`); `plus` when the site has none */
      plusRef: z.strictObject({ limit: z.string().min(1), key: z.string().min(1), unit: Duration }).optional(),
      /** the clock starts at the subject's first matching event and later ones do not move it (a state that persists, e.g. a bypass) */
      first: z.boolean().default(false),
    }),
    /** the subject is closed by an event matching this … */
    closedWhen: z.record(z.string(), FieldCondition).optional(),
    /** … or by a timestamp field being present (closed in time when it is ≤ the due instant, late otherwise) */
    closedBy: z.string().optional(),
    /** the start field moves on for each new round (a new casualty change): a closedBy stamped before the current start answers an earlier round and does not close */
    rounds: z.boolean().default(false),
    /** closedBy past the due instant: `keep` the alert open as the record of the lateness (迟报 of a unit), or `resolve` it (the pending duty is now done) */
    lateClose: z.enum(['keep', 'resolve']).default('keep'),
    /** the clock starts only when the start field lies at most `max` after this field (a casualty change within 30 days of the accident) */
    startWithin: z.strictObject({ field: z.string().min(1), max: Duration }).optional(),
  })
  .superRefine(needsSeverity)
  .superRefine((r, ctx) => {
    if (r.lateClose === 'resolve' && r.closedBy === undefined) ctx.addIssue({ code: 'custom', path: ['lateClose'], message: 'lateClose applies to closedBy (give closedBy or leave lateClose out)' });
    if (r.rounds && r.closedBy === undefined) ctx.addIssue({ code: 'custom', path: ['rounds'], message: 'rounds applies to closedBy (give closedBy or leave rounds out)' });
  });
export type DeadlineRule = z.infer<typeof DeadlineRule>;

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected local time HH:MM');

/** Requirement: context a `condition` rule needs at the moment its event arrives. */
export const Requirement = z.discriminatedUnion('kind', [
  // an active special period with this effect overlapping [fromField, toField] of the event (or its time)
  z.strictObject({ kind: z.literal('special_period'), effect: SpecialEffect, fromField: z.string().optional(), toField: z.string().optional() }),
  // the span from fromField to toField of the event is longer than `over` (a permit issued for longer than allowed)
  z.strictObject({ kind: z.literal('span_over'), fromField: z.string().min(1), toField: z.string().min(1), over: Duration }),
  // the event's site (or, with `at: event`, the event's own lat/lon: a vehicle) lies inside an
  // active weather warning of these events and at least this level
  z.strictObject({ kind: z.literal('inside_warning'), events: z.array(z.string()).min(1), minLevel: Severity.default('blue'), at: z.enum(['site', 'event']).default('site') }),
  // the event's local time (UTC+8) lies in [from, to); a window may wrap midnight (22:00–06:00)
  z.strictObject({ kind: z.literal('local_time'), from: HhMm, to: HhMm }),
  // the event's site has a firing alert of at least this severity (from another rule)
  z.strictObject({ kind: z.literal('site_alert'), minSeverity: Severity, domains: z.array(Domain).optional() }),
]);
export type Requirement = z.infer<typeof Requirement>;

/** ConditionRule: an event that matters by itself or in its context; resolves on a later event of the subject or a time. */
export const ConditionRule = z
  .strictObject({
    ...Common,
    ...Single,
    kind: z.literal('condition'),
    match: Match,
    subject: z.array(z.string().min(1)).min(1),
    require: z.array(Requirement).default([]),
    /** a later event of the same subject matching this resolves the alert */
    resolveWhen: z.record(z.string(), FieldCondition).optional(),
    /** resolve at the instant in this field (e.g. a permit's validTo) */
    resolveAt: z.string().optional(),
    /** resolve this long after firing */
    resolveAfter: Duration.optional(),
  })
  .superRefine(needsSeverity);
export type ConditionRule = z.infer<typeof ConditionRule>;

/** WarningImpactRule: an active weather warning raises one alert per exposed site inside it, with kind-specific actions. */
export const WarningImpactRule = z.strictObject({
  ...Common,
  kind: z.literal('warning_impact'),
  events: z.array(z.string().min(1)).min(1),
  minLevel: Severity,
  /** site kind → actions for that kind; only these kinds are exposed */
  siteKinds: z.record(z.string(), z.array(z.string())),
  /** only sites with at least one of these reference flags (山洪 → `floodProne`, 地质灾害 → `geoHazard`) */
  siteFlags: z.array(SiteFlag).min(1).optional(),
});
export type WarningImpactRule = z.infer<typeof WarningImpactRule>;

/** NowcastImpactRule: a radar cell within its radius + margin of an exposed site. */
export const NowcastImpactRule = z.strictObject({
  ...Common,
  kind: z.literal('nowcast_impact'),
  marginKm: z.number().nonnegative(),
  /** a level holds when the cell reaches `dbz`, or carries hail (`orHail`), or at least `lightning` flashes per 10 min */
  levels: z
    .array(
      z
        .strictObject({ severity: Severity, dbz: z.number().optional(), orHail: z.boolean().default(false), lightning: z.number().nonnegative().optional() })
        .refine((l) => l.dbz !== undefined || l.lightning !== undefined, { message: 'a nowcast level needs dbz or lightning' }),
    )
    .min(1),
  siteKinds: z.record(z.string(), z.array(z.string())),
  /** a cell not updated for this long is gone */
  ttl: Duration.default(1_800_000),
});
export type NowcastImpactRule = z.infer<typeof NowcastImpactRule>;

/** PeerRule: one sensor far below the median of its peers in the same group (suspected tampering). */
export const PeerRule = z.strictObject({
  ...Common,
  kind: z.literal('peer'),
  match: Match,
  subject: z.array(z.string().min(1)).min(1),
  group: z.array(z.string().min(1)).min(1),
  /** fire when value < ratio × median of the others … */
  ratio: z.number().positive(),
  /** … while that median is at least this */
  minPeerMedian: z.number(),
  minPeers: z.number().int().positive().default(2),
  /** peers' readings older than this are ignored */
  freshness: Duration.default(300_000),
  severity: Severity,
});
export type PeerRule = z.infer<typeof PeerRule>;

/** Rule: any rule kind. */
export const Rule = z.discriminatedUnion('kind', [
  ThresholdRule,
  RateRule,
  AbsenceRule,
  FlatlineRule,
  CountRule,
  CorrelationRule,
  DeadlineRule,
  ConditionRule,
  WarningImpactRule,
  NowcastImpactRule,
  PeerRule,
]);
export type Rule = z.infer<typeof Rule>;
export type RuleKind = Rule['kind'];

/** RuleFile: one YAML file of the rule pack. */
export const RuleFile = z.strictObject({ rules: z.array(z.unknown()).min(1) });
