import { z } from 'zod';
import { Domain, Id, Severity } from './common.ts';

/** IsoTs: a timestamp as emitted, ISO-8601 with offset +08:00. */
const IsoTs = z.iso.datetime({ offset: true });

/** Alert: one alert about one subject (CONTRACT.md §4). */
export const Alert = z.strictObject({
  id: Id.describe('alert id, unique and stable for the life of the alert; use it to acknowledge, resolve or confirm'),
  fingerprint: z.string().min(1).describe('hash of the rule and the subject (e.g. site and sensor): the same condition again gets the same fingerprint'),
  ruleId: Id.describe('id of the rule that raised the alert (deploy/rules/*.yaml), e.g. mine.ch4.threshold'),
  title: z.string().describe('short Chinese title, e.g. 甲烷超限'),
  severity: Severity.describe('current severity: blue < yellow < orange < red (蓝/黄/橙/红)'),
  domain: Domain.describe('domain of the rule: weather, mine, grid, enforcement, site, road, fire, system'),
  state: z.enum(['firing', 'acknowledged', 'resolved']).describe('firing (active, not yet acknowledged), acknowledged (someone took it on), resolved (the condition ended or an operator resolved it)'),
  siteId: Id.optional().describe('reference site the alert is about (absent for system alerts)'),
  town: Id.optional().describe('town of the site (aolezhaoqi, shanghaimiao, chengchuan, angsu, shanghaimiao-edz)'),
  startsAt: IsoTs.describe('event time the condition started (ISO-8601, +08:00)'),
  updatedAt: IsoTs.describe('event time of the latest change'),
  /** wall-clock instant riskstream raised or last changed the alert from an event (live mode); escalation counts from it, not from event time */
  receivedAt: IsoTs.optional().describe('wall-clock instant riskstream raised or last changed the alert from an event (live mode); escalation counts from it, not from event time'),
  endsAt: IsoTs.optional().describe('when the alert resolved (resolved alerts only)'),
  value: z.number().optional().describe('the measured number that triggered the current level, in the unit of the reading (e.g. 1.2 for CH4 1.2 %)'),
  threshold: z.number().optional().describe('the level value crossed, in the same unit as value'),
  summary: z.string().describe('one-paragraph Chinese text with site, place, value and time, as texted'),
  actions: z.array(z.string()).describe('what to do (处置措施), in order, as written in the rule'),
  evidence: z
    .array(
      z.strictObject({
        topic: z.string().describe('input topic of the event (without prefix), e.g. risk.mine.telemetry'),
        key: z.string().optional().describe('record key of the event (site id, warning id or cell id)'),
        ts: IsoTs.describe('event time of the event'),
      }),
    )
    .describe('the events that led to the alert (latest last, a bounded list)'),
  escalation: z.number().int().nonnegative().describe('escalation level: 0 = duty officer texted, 1 = leader texted after the red/orange wait, higher = repeats'),
  acks: z
    .array(
      z.strictObject({
        by: z.string().describe('who acknowledged (the token subject)'),
        at: IsoTs.describe('when it was acknowledged'),
        note: z.string().optional().describe('free text, e.g. 已通知矿调度撤人'),
      }),
    )
    .describe('acknowledgements, oldest first (at most limits.acksPerAlert)'),
  labels: z.record(z.string(), z.string()).describe('labels of the rule and subject (sensorId, areaId, metric, …) as strings'),
});
export type Alert = z.infer<typeof Alert>;

/** AlertEventKind: what happened to an alert. */
export const AlertEventKind = z.enum(['fired', 'updated', 'escalated', 'acknowledged', 'resolved']);
export type AlertEventKind = z.infer<typeof AlertEventKind>;

/** AlertEvent: one transition of one alert, with a strictly increasing `seq`. */
export const AlertEvent = z.strictObject({
  seq: z.number().int().positive().describe('sequence number, strictly increasing across all alerts; a screen resumes with subscribe.since = the last seq it saw'),
  kind: AlertEventKind.describe('what happened: fired (new), updated (value or level changed), escalated (texted up the chain), acknowledged, resolved'),
  at: IsoTs.describe('when the transition happened'),
  alert: Alert.describe('the alert as it stands after the transition'),
});
export type AlertEvent = z.infer<typeof AlertEvent>;
