import type { FieldCondition, Matcher, Rule } from '../contracts/rules.ts';
import type { Site, SiteFlag } from '../contracts/reference.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { raiseSeverity, SEVERITY_ZH, type Severity } from '../domain/severity.ts';
import { WORK_ZH } from '../domain/permit-work.ts';
import { compileTemplate, type Template } from '../domain/template.ts';
import type { ContextState, WarningChange } from '../enrich/context.ts';
import { escalatingPeriod, type ReferenceData } from '../enrich/reference.ts';
import type { EvalContext } from '../enrich/eval-context.ts';
import { LOCATION_ZH as LOCATIONS } from '../contracts/catalogue.ts';
import { compileWhere, type Predicate } from './match.ts';

/** EngineEnv: what evaluators may consult besides the event: reference data, context, other alerts. */
export interface EngineEnv {
  reference: ReferenceData;
  context: ContextState;
  /** highest severity among open alerts at a site (optionally of some domains) */
  siteAlertSeverity(siteId: string, domains?: readonly string[]): Severity | undefined;
}

/** specialPeriodAt names the active special period with the `escalate` effect at an instant, if any. */
export function specialPeriodAt(env: EngineEnv | undefined, at: number): string | undefined {
  return env ? escalatingPeriod(env.reference.calendar, at) : undefined;
}

/** flaggedSite: no flags asked for, or the site has at least one of them set in the reference data. */
export function flaggedSite(site: Site | undefined, flags: readonly SiteFlag[] | undefined): boolean {
  if (flags === undefined) return true;
  return site !== undefined && flags.some((f) => site[f] === true);
}

/** Evaluator: one rule's state and decisions; time is always passed in. */
export interface Evaluator {
  readonly rule: Rule;
  /** event conditions the rule index registers this evaluator under */
  readonly matchers: readonly Matcher[];
  /** whether events later than the watermark still reach it (stateless rules) */
  readonly acceptsLate: boolean;
  evaluate(ctx: EvalContext, out: AlertTransition[]): void;
  /**
   * the rule engine only passes events whose `fields` already meet the single matcher's conditions
   * on them (the rule index looked them up): the evaluator may leave those out of its own check
   */
  narrow?(fields: readonly string[]): void;
  /** fire timers due at or before `now` */
  advance?(now: number, out: AlertTransition[]): void;
  /** react to warnings coming into force, changing or ending */
  onWarnings?(changes: readonly WarningChange[], now: number, out: AlertTransition[]): void;
  /**
   * drop the state this rule keeps for the subject `info.event` names (an idle subject the registry
   * stops tracking), when the rule's subject or scope fields include `field`. Absence resolves its
   * open alert, saying why (stoppedEmission): silence is what it watched. Other kinds keep the state
   * of a firing subject, so a red reading followed by silence is never closed by the eviction.
   */
  evict?(field: SubjectField, info: SubjectInfo, at: number, out: AlertTransition[]): void;
  seed(subjectKey: string, severity: Severity): void;
  forget(subjectKey: string): void;
  size(): number;
  /** events the rule could not judge because the item has no reference limit (rules with `ref` levels) */
  readonly unconfigured?: number;
}

/** SubjectField: what identifies a measured thing of a site (mine sensor, grid equipment, site metric), or the site itself. */
export type SubjectField = 'sensorId' | 'equipmentId' | 'metric' | 'siteId';

/** STOPPED_LABEL: the label an alert resolved by eviction carries (`tracking: stopped`). */
export const STOPPED_LABEL = { tracking: 'stopped' } as const;

/** stoppedEmission: the resolve of an alert whose subject stopped being tracked (idle and not in the reference data). */
export function stoppedEmission(field: SubjectField, severity: Severity, at: number): Emission {
  return {
    severity,
    at,
    evidenceTs: at,
    summary: field === 'siteId' ? '非登记场所长时间无数据，已停止跟踪' : '非登记测点长时间无数据，已停止跟踪',
    labels: { ...STOPPED_LABEL },
  };
}

/** SubjectInfo: what an alert about a subject is built from (the latest event and its site). */
export interface SubjectInfo {
  topic: string;
  key?: string;
  event: Record<string, unknown>;
  site?: Site;
  town?: string;
  townName?: string;
  /** the area the enrich stage found (from the event, or its sensor in the reference data) */
  areaId?: string;
}

/** infoOf keeps what a later (timer) transition needs from an event context. */
export function infoOf(ctx: EvalContext): SubjectInfo {
  return {
    topic: ctx.topic,
    ...(ctx.key !== undefined ? { key: ctx.key } : {}),
    event: ctx.event as unknown as Record<string, unknown>,
    ...(ctx.site ? { site: ctx.site } : {}),
    ...(ctx.town ? { town: ctx.town } : {}),
    ...(ctx.townName ? { townName: ctx.townName } : {}),
    ...(ctx.areaId !== undefined ? { areaId: ctx.areaId } : {}),
  };
}

/** infoOfSite builds subject info for a site that sent nothing (expected sensors, exposed sites). */
export function infoOfSite(ref: ReferenceData, site: Site, topic: string, fields: Record<string, unknown>): SubjectInfo {
  return { topic, key: site.id, event: { siteId: site.id, ...fields }, site, town: site.town, townName: ref.townNames[site.town] ?? site.town };
}

const SEP = '\u001f'; // ids may not contain control characters, so keys cannot collide

/** subjectKeyOf joins a rule id and subject field values; undefined when a field is missing. */
export function subjectKeyOf(ruleId: string, fields: readonly string[], e: Record<string, unknown>): string | undefined {
  let key = ruleId;
  for (const f of fields) {
    const v = e[f];
    if (v === undefined || v === null) return undefined;
    key += SEP + String(v);
  }
  return key;
}

// Per-event cache of subject parts, one slot per distinct field list: the rules of one event that
// share subject fields (most mine rules: siteId, sensorId) build and hash the key string once.
// A slot is valid for the event object it was computed from (events are not mutated once parsed).
const SLOTS = new Map<string, number>();
const slotEvent: unknown[] = [];
const slotPart: (string | undefined)[] = [];
/** whether the slot's part holds a null field value (as "null"): rules that do not keep nulls see undefined */
const slotNull: boolean[] = [];

/**
 * SubjectKeys computes a rule's subject key in two parts: `part` (the field values, each after a
 * separator; shared between rules and cached per event) keys the evaluator's own maps, and `full`
 * (rule id + part, what subjectKeyOf returns) is only built when a transition is emitted.
 */
export class SubjectKeys {
  private readonly slot: number;

  private readonly prefix: string;
  private readonly fields: readonly string[];
  private readonly nullOk: boolean;
  /** `prefix`: what precedes the part in a full key (the rule id); `nullOk`: a null field value is kept as "null" rather than leaving the subject undefined */
  constructor(
    prefix: string,
    fields: readonly string[],
    nullOk = false,
  ) {
    this.prefix = prefix;
    this.fields = fields;
    this.nullOk = nullOk;
    // one slot per field list, whether nulls are kept or not: the part is built keeping them, and
    // a rule that does not keep them sees undefined when one was null
    const sig = fields.join(SEP);
    let slot = SLOTS.get(sig);
    if (slot === undefined) SLOTS.set(sig, (slot = SLOTS.size));
    this.slot = slot;
  }

  /** part: the subject without the rule id, or undefined when a field is missing. */
  part(e: Record<string, unknown>): string | undefined {
    const slot = this.slot;
    if (slotEvent[slot] !== e) {
      let key: string | undefined = '';
      let hadNull = false;
      for (let i = 0; i < this.fields.length; i++) {
        const v = e[this.fields[i]!];
        if (v === undefined) {
          key = undefined;
          break;
        }
        if (v === null) hadNull = true;
        key += SEP + String(v);
      }
      slotEvent[slot] = e;
      slotPart[slot] = key;
      slotNull[slot] = hadNull;
    }
    return slotNull[slot] && !this.nullOk ? undefined : slotPart[slot];
  }

  /** full: the subject key of a part (as subjectKeyOf builds it). */
  full(part: string): string {
    // a key seeded from outside this rule's key space is kept as given (marked by a NUL)
    return part.charCodeAt(0) === 0 ? part.slice(1) : this.prefix + part;
  }

  /** partOf: the part of a full subject key (seed, forget). */
  partOf(key: string): string {
    const n = this.prefix.length;
    return key.startsWith(this.prefix) && (key.length === n || key.charCodeAt(n) === 0x1f) ? key.slice(n) : '\u0000' + key;
  }
}

/** LABEL_FIELDS: identifiers copied from the event into alert labels (CONTRACT.md §4). */
export const LABEL_FIELDS = ['sensorId', 'areaId', 'equipmentId', 'cellId', 'hazardId', 'permitId', 'accidentId', 'signalId', 'location', 'sensorType', 'quantity', 'metric', 'itemId', 'vehicleId', 'controllerId'] as const;

/**
 * scopedInfo drops the event's label fields when the subject is coarser than a sensor or piece of
 * equipment (a whole site): an alert about a mine must not be labelled with whichever sensor spoke last.
 */
export function scopedInfo(info: SubjectInfo, subject: readonly string[]): SubjectInfo {
  if (subject.includes('sensorId') || subject.includes('equipmentId')) return info;
  const event = { ...info.event };
  for (const f of LABEL_FIELDS) if (!subject.includes(f)) delete event[f];
  const { areaId, ...rest } = info;
  return { ...rest, ...(areaId !== undefined && subject.includes('areaId') ? { areaId } : {}), event };
}

/** LOCATION_ZH: Chinese names of the sensor locations (the contract owns the table: src/contracts/catalogue.ts). */
export const LOCATION_ZH: Record<string, string> = LOCATIONS;

/** METRIC_ZH: Chinese names of the gas metrics of site.reading, for titles and texts (other metrics show as sent). */
export const METRIC_ZH: Record<string, string> = {
  lel_pct: '可燃气体',
  h2s_ppm: '硫化氢',
  co_ppm: '一氧化碳',
  cl2_ppm: '氯气',
  nh3_ppm: '氨气',
  o2_pct: '氧气',
};

/** SOURCE_ZH: Chinese names of the sources of a casualty signal (signal.casualty), for texts. */
export const SOURCE_ZH: Record<string, string> = {
  emergency_120: '120急救调度',
  hospital: '医院接诊',
  public_opinion: '舆情监测',
  police_110: '110接警',
  other: '其他渠道',
};

/** CATEGORY_ZH: Chinese names of accident categories (enforcement.accident), for texts. */
export const CATEGORY_ZH: Record<string, string> = {
  road_traffic: '道路交通事故',
  fire: '火灾事故',
  mining: '矿山事故',
  chemical: '危险化学品事故',
  construction: '建筑施工事故',
  other: '生产安全事故',
};

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Emission: the per-transition parts of an alert. */
export interface Emission {
  severity: Severity;
  at: number;
  value?: number;
  threshold?: number;
  vars?: Record<string, unknown>;
  labels?: Record<string, string>;
  actions?: string[];
  /** evidence timestamp when it differs from `at` (a timer firing on an older event) */
  evidenceTs?: number;
  /** the special period in force (from the event's context); timers leave it out and the calendar is asked */
  specialPeriod?: string;
  /** replaces the rule's summary (an alert resolved because its subject stopped being tracked) */
  summary?: string;
  /** replaces the rule's title (a level's own title) */
  title?: Template;
}

/** Emitter renders a rule's transitions: templates, labels, special-period escalation. */
export class Emitter {
  private readonly title: Template;
  private readonly summary: Template;
  private readonly choices?: { where?: Predicate; severity: Severity }[];

  private readonly rule: Rule;
  private readonly env: EngineEnv | undefined;
  constructor(
    rule: Rule,
    env: EngineEnv | undefined,
  ) {
    this.rule = rule;
    this.env = env;
    this.title = compileTemplate(rule.title);
    this.summary = compileTemplate(rule.summary);
    const sev = (rule as { severities?: { where?: Record<string, FieldCondition>; severity: Severity }[] }).severities;
    if (sev) this.choices = sev.map((c) => ({ ...(c.where ? { where: compileWhere(c.where) } : {}), severity: c.severity }));
  }

  /** severityFor picks the rule's severity for an event (`severity`, or the first matching `severities` entry). */
  severityFor(e: Record<string, unknown>): Severity | undefined {
    if (this.choices) {
      for (const c of this.choices) if (!c.where || c.where(e)) return c.severity;
      return undefined;
    }
    return (this.rule as { severity?: Severity }).severity;
  }

  /** push appends one transition to `out`. */
  push(out: AlertTransition[], action: 'fire' | 'resolve', subjectKey: string, info: SubjectInfo, em: Emission): void {
    const e = info.event;
    let severity = em.severity;
    const labels: Record<string, string> = { ...this.rule.labels };
    for (const f of LABEL_FIELDS) {
      const v = e[f];
      if (v !== undefined && v !== null) labels[f] = String(v);
    }
    // a reading may leave its area out: the one enrich found from the reference sensor still labels the alert
    if (labels.areaId === undefined && info.areaId !== undefined) labels.areaId = info.areaId;
    if (em.labels) Object.assign(labels, em.labels);
    // raised from simulated data (the demo day, a replayed demo file): said on every screen and text
    if (e.simulated === true) labels.simulated = 'true';
    let raisedBy: string | undefined;
    if (this.rule.escalateInSpecialPeriods && action === 'fire') {
      const period = em.specialPeriod ?? specialPeriodAt(this.env, em.at);
      if (period) {
        severity = raiseSeverity(severity);
        labels.specialPeriod = period;
        // the level that was crossed: its actions are the ones that apply (a 100 % load raised to
        // red is not the 130 % emergency)
        if (severity !== em.severity) labels.raisedFrom = em.severity;
        raisedBy = period;
      }
    }
    const location = typeof e.location === 'string' ? e.location : undefined;
    const vars = {
      ...e,
      ...(e.areaId === undefined && info.areaId !== undefined ? { areaId: info.areaId } : {}),
      ...em.vars,
      threshold: em.threshold,
      // the colour of the level that was crossed; a special period's raise is said separately
      severityZh: SEVERITY_ZH[em.severity],
      // "·特殊时期按红色响应" when a special period raised the level, else empty (a title says both colours)
      responseZh: raisedBy && severity !== em.severity ? `·特殊时期按${SEVERITY_ZH[severity]}响应` : '',
      locationZh: location === undefined ? undefined : (LOCATION_ZH[location] ?? location),
      workZh: typeof e.work === 'string' ? (WORK_ZH[e.work] ?? e.work) : undefined,
      metricZh: typeof e.metric === 'string' ? (METRIC_ZH[e.metric] ?? e.metric) : undefined,
      sourceZh: typeof e.source === 'string' ? (SOURCE_ZH[e.source] ?? e.source) : undefined,
      categoryZh: e.type === 'enforcement.accident' ? (CATEGORY_ZH[typeof e.category === 'string' ? e.category : 'other'] ?? e.category) : undefined,
      siteName: info.site?.name ?? e.siteId,
      townName: info.townName ?? info.town,
    };
    const siteId = typeof e.siteId === 'string' ? e.siteId : info.site?.id;
    out.push({
      action,
      ruleId: this.rule.id,
      subjectKey,
      at: em.at,
      severity,
      domain: this.rule.domain,
      title: (em.title ?? this.title)(vars),
      summary: em.summary ?? (raisedBy ? `${this.summary(vars)}（特殊时期“${raisedBy}”提级为${SEVERITY_ZH[severity]}）` : this.summary(vars)),
      actions: em.actions ?? this.rule.actions,
      ...(siteId ? { siteId } : {}),
      ...(info.town ? { town: info.town } : {}),
      ...(em.value !== undefined ? { value: round3(em.value) } : {}),
      ...(em.threshold !== undefined ? { threshold: round3(em.threshold) } : {}),
      labels,
      evidence: { topic: info.topic, ...(info.key !== undefined ? { key: info.key } : {}), ts: em.evidenceTs ?? em.at },
    });
  }
}
