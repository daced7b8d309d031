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
  z.strictObject({ notIn: z.array(Scalar).min(1).describe('the field is none of these values (an absent field passes)') }),
  z
    .strictObject({
      gt: z.number().optional().describe('the field is greater than this'),
      gte: z.number().optional().describe('the field is at least this'),
      lt: z.number().optional().describe('the field is less than this'),
      lte: z.number().optional().describe('the field is at most this'),
    })
    .refine((o) => Object.keys(o).length > 0, { message: 'a range needs at least one of gt, gte, lt, lte' }),
]);
export type FieldCondition = z.infer<typeof FieldCondition>;

/** Where: field conditions, all of which must hold. */
const Where = z
  .record(z.string().min(1), FieldCondition)
  .describe('conditions on event fields, all of which must hold: field → a value, a list of values (any of), {notIn: [...]}, or a range {gt, gte, lt, lte}; e.g. {sensorType: CH4, location: [coal_face, heading_face]}');
/** Subject: the event fields naming one subject. */
const Subject = z
  .array(z.string().min(1))
  .min(1)
  .describe('event fields whose values together name the subject; one alert per subject, e.g. [siteId, sensorId]');

/** Match: which events a rule looks at. */
export const Match = z.strictObject({
  type: EventTypeName.describe(`event type to look at: ${Object.keys(EVENT_SCHEMAS).join(', ')}`),
  where: Where.default({}),
});

/** Measure: what number a threshold compares. */
export const Measure = z.discriminatedUnion('kind', [
  // the event's `value`, or another numeric field (e.g. a fatigue event's continuousDrivingMin)
  z.strictObject({ kind: z.literal('value').describe('the number itself'), field: z.string().min(1).optional().describe('numeric event field to compare (default value)') }),
  // |value − from|, e.g. frequency deviation from 50 Hz
  z.strictObject({ kind: z.literal('abs_deviation').describe('|value − from|'), from: z.number().describe('reference value, e.g. 50 for 50 Hz') }),
  // |value − nominal| / nominal × 100, e.g. voltage deviation in %
  z.strictObject({ kind: z.literal('deviation_pct').describe('|value − nominal| / nominal × 100'), nominalField: z.string().min(1).describe('event field holding the nominal value, e.g. nominal') }),
  // (field − of) / of × 100, signed: how far a value is over a limit given in the event (speed over the speed limit, in %)
  z.strictObject({ kind: z.literal('excess_pct').describe('(field − of) / of × 100, signed'), field: z.string().min(1).describe('event field measured, e.g. speedKmh'), of: z.string().min(1).describe('event field holding the limit, e.g. limitKmh') }),
  // (sum of fields) / of × 100: a share of a total given in the event (devices in fault or disabled of all devices, in %)
  z.strictObject({ kind: z.literal('share_pct').describe('(sum of fields) / of × 100'), fields: z.array(z.string().min(1)).min(1).describe('event fields added up, e.g. [faultDevices, disabledDevices]'), of: z.string().min(1).describe('event field holding the total, e.g. totalDevices') }),
]);
export type Measure = z.infer<typeof Measure>;

/** Level: a severity and where it starts; `restore` is where it clears (hysteresis). */
export const Level = z.strictObject({
  severity: Severity.describe('severity of this level (blue < yellow < orange < red)'),
  value: z.number().describe('where the level starts, in the unit of the measured number'),
  restore: z.number().optional().describe('where the level clears (hysteresis), on the safe side of value; default value'),
});

/**
 * ThresholdLevel: a Level whose value is either written here or read from the monitored item's
 * reference record (`ref`: a key of the site's `limits[<limitKey value>]`, times `factor`); a
 * level whose reference value is missing does not apply to that item. `title` replaces the rule's
 * title while the alert is at this level (甲烷预警 below the alarm value, 甲烷超限 above).
 */
export const ThresholdLevel = z
  .strictObject({
    severity: Severity.describe('severity of this level (blue < yellow < orange < red)'),
    value: z.number().optional().describe('where the level starts, in the unit of the measured number (or give ref)'),
    ref: z.string().min(1).optional().describe('read the start from the item\'s reference limits: a key of the site\'s limits[<limitKey value>], e.g. high, warning, oel'),
    factor: z.number().positive().optional().describe('ref only: multiply the reference value, e.g. 2 for twice the OEL'),
    restore: z.number().optional().describe('where the level clears (hysteresis), on the safe side of value; written values only'),
    restoreFactor: z.number().positive().optional().describe('ref only: the level clears at the reference value times this (hysteresis: a meter hovering at the limit does not fire on every crossing), e.g. 1.4 against a factor of 1.5; default: the level\'s own value'),
    title: z.string().min(1).optional().describe('title of the alert while at this level, e.g. 甲烷预警 / 甲烷超限'),
  })
  .superRefine((l, ctx) => {
    if ((l.value === undefined) === (l.ref === undefined)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a level needs exactly one of value and ref (a key of the reference limits)' });
    if (l.ref === undefined && l.factor !== undefined) ctx.addIssue({ code: 'custom', path: ['factor'], message: 'factor applies to a ref level only' });
    if (l.ref !== undefined && l.restore !== undefined) ctx.addIssue({ code: 'custom', path: ['restore'], message: 'a ref level clears at its own value or at restoreFactor (restore applies to a written value)' });
    if (l.ref === undefined && l.restoreFactor !== undefined) ctx.addIssue({ code: 'custom', path: ['restoreFactor'], message: 'restoreFactor applies to a ref level only (a written level has restore)' });
  });

const Common = {
  id: Id.regex(/^[a-z0-9][a-z0-9._-]*$/, 'rule ids are lower-case letters, digits, ".", "_" and "-"').describe('rule id, unique across the pack: lower-case letters, digits, . _ -, e.g. mine.ch4.threshold'),
  title: z.string().min(1).describe('short Chinese title of the alert, e.g. 甲烷超限; may use {placeholders}'),
  domain: Domain.describe('domain: weather, mine, grid, enforcement, site, road, fire, system (screens and the roster filter by it)'),
  source: z.string().min(1, 'every rule cites its regulation or standard').describe('the regulation or standard the rule applies, e.g. 煤矿安全规程 第498条'),
  enabled: z.boolean().default(true).describe('false: the rule is loaded and checked but never evaluated'),
  summary: z.string().min(1).describe('Chinese text template of the alert (as texted), with {placeholders} such as {siteName}, {value}, {locationZh}'),
  actions: z.array(z.string()).default([]).describe('what to do (处置措施), in order; templates like summary'),
  labels: z.record(z.string(), z.string()).default({}).describe('extra labels copied to every alert of the rule'),
  escalateInSpecialPeriods: z.boolean().default(false).describe('calendar effect: special periods raise this rule\'s severity one level'),
  extraFields: z.array(z.string().min(1)).optional().describe('event fields beyond the contract that this rule relies on (a producer\'s own field); other unknown fields are errors'),
};

/** ThresholdRule: levels with hysteresis and an optional `for` duration. */
export const ThresholdRule = z
  .strictObject({
    ...Common,
    kind: z.literal('threshold').describe('threshold: levels on a number, with hysteresis and an optional `for`'),
    match: Match.describe('which events the rule looks at'),
    subject: Subject,
    measure: Measure.default({ kind: 'value' }).describe('what number is compared (default: the event value)'),
    direction: z.enum(['above', 'below']).default('above').describe('above: a level holds at or above its value; below: at or below (e.g. oxygen)'),
    levels: z.array(ThresholdLevel).min(1).describe('levels from least to most severe'),
    limitKey: z.string().min(1).default('metric').describe('the event field naming the monitored item whose reference `limits` a `ref` level reads (default `metric`)'),
    for: Duration.optional().describe('a level must hold this long before the alert fires, e.g. 2m'),
    resolveWhen: z.record(z.string(), FieldCondition).optional().describe('a later event of the subject matching `match` and this resolves the alert whatever its number (the source says the condition ended): `match` must admit such events'),
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
const SeverityChoice = z
  .array(z.strictObject({ where: Where.optional().describe('conditions on the event; absent (last entry): otherwise'), severity: Severity.describe('severity when where holds (blue < yellow < orange < red)') }))
  .min(1)
  .describe('the first entry whose where holds gives the severity');

const Single = { severity: Severity.optional().describe('fixed severity of the alert (or give severities) (blue < yellow < orange < red)'), severities: SeverityChoice.optional() };
function needsSeverity(r: { severity?: unknown; severities?: unknown }, ctx: z.RefinementCtx): void {
  if (r.severity === undefined && r.severities === undefined) ctx.addIssue({ code: 'custom', path: ['severity'], message: 'give `severity` or `severities`' });
}

/** RateRule: change of a value over a sliding window (e.g. methane rising 0.3 % in 5 min). */
export const RateRule = z
  .strictObject({
    ...Common,
    kind: z.literal('rate').describe('rate: change of a value over a sliding window'),
    match: Match.describe('which events the rule looks at'),
    subject: Subject,
    window: Duration.describe('sliding window, e.g. 5m, 24h'),
    direction: z.enum(['rise', 'fall', 'band']).default('rise').describe('rise: value − oldest; fall: oldest − value; band: (max(0, highest − nominal) + max(0, nominal − lowest)) / nominal × 100 over the window (GB/T 12325 ≥ 35 kV)'),
    nominalField: z.string().min(1).optional().describe('band: the event field holding the nominal value'),
    levels: z.array(Level).min(1).describe('levels of the change, from least to most severe'),
    onlyAbove: z.strictObject({ ref: z.string().min(1).describe('key of the item\'s reference limits, e.g. warning'), offset: z.number().default(0).describe('added to the setting, in its unit, e.g. -0.5') }).optional().describe('judge the change only while the value is at or above the item\'s reference setting `limits[<limitKey value>][ref]` + `offset` (a gauge rising near its warning level); below it an active level resolves; an item without the setting is not judged'),
    limitKey: z.string().min(1).default('metric').describe('the event field naming the monitored item whose reference `limits` `onlyAbove` reads (default `metric`)'),
  })
  .superRefine((r, ctx) => {
    if ((r.direction === 'band') !== (r.nominalField !== undefined)) ctx.addIssue({ code: 'custom', path: ['nominalField'], message: 'nominalField goes with direction band, and band needs it' });
  });
export type RateRule = z.infer<typeof RateRule>;

/** AbsenceRule (deadman): a subject silent longer than `period`; expected subjects come from reference data. */
export const AbsenceRule = z.strictObject({
  ...Common,
  kind: z.literal('absence').describe('absence (deadman): a subject silent longer than `period`'),
  match: Match.describe('which events the rule looks at'),
  subject: Subject,
  period: Duration.describe('silence longer than this raises the alert, e.g. 10m'),
  severity: Severity.describe('severity of the alert (blue < yellow < orange < red)'),
  during: z
    .strictObject({
      start: Matcher.describe('the event that opens a watch, e.g. a confined-space permit'),
      from: z.string().min(1).optional().describe('start field: the watch opens at this instant of the start event (default its time)'),
      until: z.string().min(1).optional().describe('end field: the watch ends at this instant of the start event, e.g. validTo'),
      stop: Where.optional().describe('a later event of the subject matching these conditions ends the watch'),
    })
    .optional().describe('watch only while something is open: an event matching `start` opens the watch of its subject (e.g. a confined-space permit) from the instant in its `from` field (default: the event\'s time), which ends at the instant in its `until` field or at an event of the subject matching `stop` (an open alert resolves then); `match` events only keep it fed'),
  expected: z
    .strictObject({
      from: z.enum(['sensors', 'sites', 'feeds']).describe('sensors: every sensor listed in sites.yaml; sites: every site of siteKinds; feeds: every feed a site declares'),
      periods: z.number().positive().max(1000).default(3).describe('feeds: silent after this many times the feed\'s every (default 3)'),
      siteKinds: z.array(z.string()).optional().describe('only sites of these kinds, e.g. [coal_mine]'),
      where: Where.default({}).describe('only reference sensors matching these conditions, e.g. {sensorType: CH4}'),
    })
    .optional().describe('expected subjects: every reference sensor (of sites of these kinds, matching `where`), every site of these kinds, or every feed a site declares (sites.yaml `feeds` of the matched event type; the subject is silent after `periods` × the feed\'s `every`; only declared feeds are watched)'),
}).superRefine((r, ctx) => {
  if (r.during && r.expected) ctx.addIssue({ code: 'custom', path: ['during'], message: 'give at most one of during (watches opened by an event) and expected (watches from the reference data)' });
});
export type AbsenceRule = z.infer<typeof AbsenceRule>;

/** FlatlineRule: a value constant within `epsilon` for `duration` (frozen or falsified data). */
export const FlatlineRule = z.strictObject({
  ...Common,
  kind: z.literal('flatline').describe('flatline: a value constant within `epsilon` for `duration` (frozen or falsified data)'),
  match: Match.describe('which events the rule looks at'),
  subject: Subject,
  epsilon: z.number().nonnegative().describe('readings within ± epsilon count as constant, in the unit of value'),
  duration: Duration.describe('constant this long raises the alert, e.g. 60m'),
  minValue: z.number().optional().describe('a reading below this never counts as frozen (a low-gas mine reads a steady 0.0x % legitimately); it ends a frozen stretch'),
  severity: Severity.describe('severity of the alert (blue < yellow < orange < red)'),
});
export type FlatlineRule = z.infer<typeof FlatlineRule>;

/** CountRule: at least `threshold` matching events (or distinct values, or summed weights) per scope within `window`. */
export const CountRule = z.strictObject({
  ...Common,
  kind: z.literal('count').describe('count: at least `threshold` matching events (or distinct values, or summed weights) per scope within `window`'),
  match: Matchers.describe('the events counted: one matcher or a list (any)'),
  scope: z.array(z.string().min(1)).min(1).describe('event fields grouping the count, e.g. [siteId]'),
  window: Duration.describe('sliding window, e.g. 5m, 24h'),
  threshold: z.number().positive().describe('count (or sum of weight) that raises the alert'),
  distinct: z.array(z.string().min(1)).optional().describe('count distinct values: the first of these fields an event has'),
  weight: z.string().optional().describe('add this numeric field instead of 1 (e.g. an inspection\'s `violations`, a rain gauge\'s `value` in mm)'),
  siteFlags: z.array(SiteFlag).min(1).optional().describe('only events at a site with at least one of these reference flags (floodProne 山洪/内涝易发, geoHazard 地质灾害易发)'),
  severity: Severity.describe('severity of the alert (blue < yellow < orange < red)'),
});
export type CountRule = z.infer<typeof CountRule>;

/** Scope of a correlation: which A and B belong together. */
export const CorrelationScope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fields').describe('A and B agree on these fields'), fields: z.array(z.string().min(1)).min(1).describe('event fields, e.g. [siteId, areaId]') }),
  z.strictObject({ kind: z.literal('site').describe('A and B at the same site') }),
  z.strictObject({ kind: z.literal('area').describe('A and B in the same mining area (areaId, or a sensor\'s reference area)') }),
  z.strictObject({ kind: z.literal('town').describe('A and B in the same town') }),
]);

/** CorrelationRule: condition A, then B (`followed_by`) or no B (`not_followed_by`) within `window`, in a scope. */
export const CorrelationRule = z
  .strictObject({
    ...Common,
    ...Single,
    kind: z.literal('correlation').describe('correlation: A then B (followed_by) or A without B (not_followed_by) within `window`'),
    a: Matchers.describe('condition A: one matcher or a list (any)'),
    b: Matchers.describe('condition B: one matcher or a list (any)'),
    mode: z.enum(['followed_by', 'not_followed_by']).describe('followed_by: A then B within window fires; not_followed_by: A without B within window fires'),
    window: Duration.describe('sliding window, e.g. 5m, 24h'),
    scope: CorrelationScope.describe('which A and B belong together'),
    clear: Matchers.optional().describe('not_followed_by: the alert also clears when an event matches this (e.g. methane back below the restore value)'),
    lookback: Duration.optional().describe('not_followed_by: a B up to this long before A satisfies A too (the accident report came before the casualty signal)'),
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
    kind: z.literal('deadline').describe('deadline: a timestamp field plus an allowance passes before the subject is closed'),
    match: Match.describe('which events the rule looks at'),
    subject: Subject,
    due: z.strictObject({
      field: z.string().min(1).describe('event field holding the start instant, e.g. deadline, reportedAt'),
      plus: Duration.default(0).describe('allowance after it, e.g. 2h'),
      plusRef: z.strictObject({ limit: z.string().min(1).describe('key of the site\'s limits, e.g. bypass'), key: z.string().min(1).describe('setting within it, e.g. maxHours'), unit: Duration.describe('what one unit of the setting is, e.g. 1h') }).optional().describe('the allowance from the site\'s reference limits (`limits[limit][key]` × `unit`); `plus` when the site has none'),
      first: z.boolean().default(false).describe('the clock starts at the subject\'s first matching event and later ones do not move it (a state that persists, e.g. a bypass)'),
    }).describe('the instant that starts the clock, and the allowance after it'),
    closedWhen: z.record(z.string(), FieldCondition).optional().describe('the subject is closed (the clock stops, an alert resolves) by a later event of it matching these conditions, e.g. {status: [rectified, closed]}'),
    closedBy: z.string().optional().describe('or closed by this timestamp field being present, e.g. forwardedAt: in time when it is ≤ the due instant, late otherwise'),
    rounds: z.boolean().default(false).describe('the start field moves on for each new round (a new casualty change): a closedBy stamped before the current start answers an earlier round and does not close'),
    lateClose: z.enum(['keep', 'resolve']).default('keep').describe('closedBy past the due instant: `keep` the alert open as the record of the lateness (迟报 of a unit), or `resolve` it (the pending duty is now done)'),
    startWithin: z.strictObject({ field: z.string().min(1).describe('event field of the earlier instant, e.g. occurredAt'), max: Duration.describe('longest gap, e.g. 30d') }).optional().describe('the clock starts only when the start field lies at most `max` after this field (a casualty change within 30 days of the accident)'),
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
  z.strictObject({
    kind: z.literal('special_period').describe('an active special period with this effect'),
    effect: SpecialEffect,
    fromField: z.string().optional().describe('event field: start of the span to test (default the event time)'),
    toField: z.string().optional().describe('event field: end of the span to test (default fromField)'),
  }),
  // the span from fromField to toField of the event is longer than `over` (a permit issued for longer than allowed)
  z.strictObject({
    kind: z.literal('span_over').describe('the span between two event fields is longer than over'),
    fromField: z.string().min(1).describe('event field of the span start, e.g. validFrom'),
    toField: z.string().min(1).describe('event field of the span end, e.g. validTo'),
    over: Duration.describe('longest allowed span, e.g. 8h'),
  }),
  // the event's site (or, with `at: event`, the event's own lat/lon: a vehicle) lies inside an
  // active weather warning of these events and at least this level
  z.strictObject({
    kind: z.literal('inside_warning').describe('inside an active weather warning'),
    events: z.array(z.string()).min(1).describe('warning events, e.g. [暴雨, 大风]'),
    minLevel: Severity.default('blue').describe('least warning level (blue < yellow < orange < red)'),
    at: z.enum(['site', 'event']).default('site').describe('site: the event\'s site; event: the event\'s own lat/lon (a vehicle)'),
  }),
  // the event's local time (UTC+8) lies in [from, to); a window may wrap midnight (22:00–06:00)
  z.strictObject({
    kind: z.literal('local_time').describe('the event\'s local time (UTC+8) lies in [from, to)'),
    from: HhMm.describe('window start, HH:MM'),
    to: HhMm.describe('window end, HH:MM (before from: wraps midnight)'),
  }),
  // the event's site has a firing alert of at least this severity (from another rule)
  z.strictObject({
    kind: z.literal('site_alert').describe('the event\'s site has a firing alert from another rule'),
    minSeverity: Severity.describe('least severity of that alert (blue < yellow < orange < red)'),
    domains: z.array(Domain).optional().describe('only alerts of these domains (weather, mine, grid, enforcement, site, road, fire, system)'),
  }),
]);
export type Requirement = z.infer<typeof Requirement>;

/** ConditionRule: an event that matters by itself or in its context; resolves on a later event of the subject or a time. */
export const ConditionRule = z
  .strictObject({
    ...Common,
    ...Single,
    kind: z.literal('condition').describe('condition: an event that matters by itself or in its context (`require`)'),
    match: Match.describe('which events the rule looks at'),
    subject: Subject,
    require: z.array(Requirement).default([]).describe('context that must hold when the event arrives (all of them)'),
    resolveWhen: z.record(z.string(), FieldCondition).optional().describe('a later event of the same subject matching this resolves the alert'),
    resolveAt: z.string().optional().describe('resolve at the instant in this field (e.g. a permit\'s validTo)'),
    resolveAfter: Duration.optional().describe('resolve this long after firing'),
    supplied: z
      .strictObject({ loads: z.array(z.enum(['main_fan', 'drainage_pumps', 'hoist', 'other']).describe('main_fan (主要通风机), drainage_pumps (主排水泵), hoist (提升机), other (other loads)')).min(1).describe('the supplied loads this rule is about') })
      .optional()
      .describe('raise the alert at every site the event\'s site supplies with one of these loads (sites.yaml `supplies`), not at the event\'s own site'),
  })
  .superRefine(needsSeverity);
export type ConditionRule = z.infer<typeof ConditionRule>;

/** WarningImpactRule: an active weather warning raises one alert per exposed site inside it, with kind-specific actions. */
export const WarningImpactRule = z.strictObject({
  ...Common,
  kind: z.literal('warning_impact').describe('warning_impact: an active weather warning raises one alert per exposed site inside it'),
  events: z.array(z.string().min(1)).min(1).describe('warning events, e.g. [暴雨, 雷电]'),
  minLevel: Severity.describe('least warning level that raises alerts (blue < yellow < orange < red)'),
  siteKinds: z.record(z.string(), z.array(z.string())).describe('site kind → actions for that kind; only these kinds are exposed'),
  siteFlags: z.array(SiteFlag).min(1).optional().describe('only sites with at least one of these reference flags (山洪 → `floodProne`, 地质灾害 → `geoHazard`)'),
});
export type WarningImpactRule = z.infer<typeof WarningImpactRule>;

/** NowcastImpactRule: a radar cell within its radius + margin of an exposed site. */
export const NowcastImpactRule = z.strictObject({
  ...Common,
  kind: z.literal('nowcast_impact').describe('nowcast_impact: a radar cell within its radius + margin of an exposed site'),
  marginKm: z.number().nonnegative().describe('km added to the cell radius'),
  levels: z
    .array(
      z
        .strictObject({
          severity: Severity.describe('severity of this level (blue < yellow < orange < red)'),
          dbz: z.number().optional().describe('reflectivity in dBZ at which the level holds'),
          orHail: z.boolean().default(false).describe('hail also makes the level hold'),
          lightning: z.number().nonnegative().optional().describe('flashes per 10 min at which the level holds'),
        })
        .refine((l) => l.dbz !== undefined || l.lightning !== undefined, { message: 'a nowcast level needs dbz or lightning' }),
    )
    .min(1).describe('a level holds when the cell reaches `dbz`, or carries hail (`orHail`), or at least `lightning` flashes per 10 min'),
  siteKinds: z.record(z.string(), z.array(z.string())).describe('site kind → actions for sites of that kind; only these kinds are exposed'),
  ttl: Duration.default(1_800_000).describe('a cell not updated for this long is gone'),
});
export type NowcastImpactRule = z.infer<typeof NowcastImpactRule>;

/** PeerRule: one sensor far below the median of its peers in the same group (suspected tampering). */
export const PeerRule = z.strictObject({
  ...Common,
  kind: z.literal('peer').describe('peer: one sensor far below the median of its peers (suspected tampering)'),
  match: Match.describe('which events the rule looks at'),
  subject: Subject,
  group: z.array(z.string().min(1)).min(1).describe('event fields naming the peer group, e.g. [siteId, areaId, sensorType]'),
  ratio: z.number().positive().describe('fire when value < ratio × the median of the peers, e.g. 0.3 (while that median is at least minPeerMedian)'),
  minPeerMedian: z.number().describe('judge only while the peers\' median is at least this, in the unit of value (a quiet mine is not judged)'),
  minPeers: z.number().int().positive().default(2).describe('fewer fresh peers: not judged'),
  freshness: Duration.default(300_000).describe('peers\' readings older than this are ignored'),
  severity: Severity.describe('severity of the alert (blue < yellow < orange < red)'),
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
