import { describe, expect, it } from 'vitest';
import { AlertBook } from '../../../src/alerts/book.ts';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event } from '../../../src/contracts/events.ts';
import type { Rule } from '../../../src/contracts/rules.ts';
import type { Severity } from '../../../src/domain/severity.ts';
import { formatTs } from '../../../src/domain/time.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';
import { RuleRun, type Raw, type Step } from '../../helpers/rule-run.ts';

// The WHOLE bundled pack on the bundled reference data, driven through the Stepper (enrich +
// evaluate + timers) with an AlertBook behind it, as the backtest and the live pipeline run it.
const reference = loadReference(BUNDLED);
const rules: Rule[] = loadRulePack(BUNDLED.rules);
const nonThreshold = rules.filter((r) => r.kind !== 'threshold');

// An ordinary working day outside every special period, and a day of the plenary session
// (2024-07-15..18: escalate + forbid_high_risk_work) and of the 草原村排 event (2024-07-20..28: escalate).
const DAY = Date.parse('2024-06-03T10:00:00+08:00');
const PLENARY = Date.parse('2024-07-16T10:00:00+08:00');
const CUNPAI = Date.parse('2024-07-22T10:00:00+08:00');
/** T: an instant `min` minutes (and `sec` seconds) after 10:00 of the ordinary day, as ISO +08:00. */
const T = (min: number, sec = 0): string => formatTs(DAY + min * 60_000 + sec * 1000);
const P = (min: number, sec = 0): string => formatTs(PLENARY + min * 60_000 + sec * 1000);
const C = (min: number): string => formatTs(CUNPAI + min * 60_000);
const HOUR = 60;
const DAYS = 24 * HOUR;



/** Run: one stepper with its alert book; every transition is applied to the book and logged. */
class Run extends RuleRun {
  constructor() {
    super(reference, rules);
  }

}

const run = (steps: readonly Step[]): Run => new Run().steps(steps);

// ── event builders (raw producer JSON; ISO strings become ms through Event.parse) ──

function sensorOf(siteId: string, sensorId: string): { sensorType: string; location: string; areaId?: string } {
  const s = reference.sites.get(siteId)?.sensors?.find((x) => x.id === sensorId);
  if (!s) throw new Error(`test uses unknown sensor ${siteId}/${sensorId}`);
  return s;
}

/** reading: a mine.reading of a reference sensor (type, location and area from sites.yaml). */
function reading(siteId: string, sensorId: string, value: number, ts: string, extra: Raw = {}): Raw {
  const s = sensorOf(siteId, sensorId);
  const unit = s.sensorType === 'CO' || s.sensorType === 'H2S' ? 'ppm' : '%';
  return { type: 'mine.reading', siteId, sensorId, sensorType: s.sensorType, location: s.location, value, unit, ts, ...(s.areaId ? { areaId: s.areaId } : {}), ...extra };
}
const calibrating = (siteId: string, sensorId: string, ts: string): Raw => reading(siteId, sensorId, 0.3, ts, { status: 'calibrating' });
const power = (siteId: string, areaId: string, state: 'on' | 'off', ts: string): Raw => ({ type: 'mine.power', siteId, areaId, state, ts });
/** fan: a local fan's state at a heading (mine.power with device local_fan). */
const fan = (siteId: string, areaId: string, state: 'on' | 'off', ts: string): Raw => ({ type: 'mine.power', siteId, areaId, state, ts, device: 'local_fan' });

type LatLon = [number, number];
/** box: a CAP polygon [lat, lon] from the south-west and north-east corners. */
const box = (s: number, w: number, n: number, e: number): LatLon[] => [[s, w], [s, e], [n, e], [n, w]];
// P1 covers the banner seat: ss-alz-110kv, cs-alz-01, sa-alz-01, cv-alz-01, cv-alz-02 (not lp-alz-01, nm-alz-01).
const P1 = box(38.15, 107.45, 38.22, 107.55);
// P2 moves west: keeps ss-alz-110kv and cv-alz-01, adds lp-alz-01, leaves cs-alz-01, sa-alz-01, cv-alz-02.
const P2 = box(38.15, 107.4, 38.22, 107.48);

interface WarningOpts {
  status?: string;
  msgType?: string;
  polygon?: LatLon[];
  towns?: string[];
  references?: string[];
  expires?: string;
}
/** warning: a CMA CAP warning (id like ZZZZZZDDDUUUXX_YYYYMMDDhhmmss). */
function warning(id: string, event: string, level: Severity, sent: string, o: WarningOpts = {}): Raw {
  return {
    type: 'weather.warning',
    id,
    sender: '鄂托克前旗气象台',
    sent,
    status: o.status ?? 'Actual',
    msgType: o.msgType ?? 'Alert',
    event,
    level,
    onset: sent,
    expires: o.expires ?? formatTs(Date.parse(sent) + 6 * 3_600_000),
    area: { ...(o.polygon ? { polygons: [o.polygon] } : {}), ...(o.towns ? { towns: o.towns } : {}) },
    ...(o.references ? { references: o.references } : {}),
  };
}
const W = (n: number): string => `15062341600000_2024060310${String(n).padStart(4, '0')}`;

/** cell: a radar nowcast cell; (37.762, 108.188) is the Chengchuan road works. */
function cell(cellId: string, ts: string, dbz: number, o: { lat?: number; lon?: number; radiusKm?: number; hail?: boolean } = {}): Raw {
  return { type: 'weather.nowcast', cellId, ts, lat: o.lat ?? 37.762, lon: o.lon ?? 108.188, radiusKm: o.radiusKm ?? 3, reflectivityDbz: dbz, ...(o.hail !== undefined ? { hail: o.hail } : {}) };
}
const gridEvent = (siteId: string, equipmentId: string, ts: string, event = 'breaker_trip'): Raw => ({ type: 'grid.event', siteId, equipmentId, event, ts });
/** busKv: a reading of the 110 kV bus of ss-alz-110kv, in kV. */
const busKv = (value: number, ts: string): Raw => ({ type: 'grid.reading', siteId: 'ss-alz-110kv', equipmentId: '110kV-I-bus', quantity: 'voltage', value, unit: 'kV', nominal: 110, ts });
const gridLoad = (siteId: string, equipmentId: string, value: number, ts: string): Raw => ({ type: 'grid.reading', siteId, equipmentId, quantity: 'load', value, unit: '%', ts });
function hazard(hazardId: string, siteId: string, level: 'general' | 'major', status: 'open' | 'rectified' | 'closed', ts: string, deadline: string): Raw {
  return { type: 'enforcement.hazard', hazardId, siteId, level, status, foundAt: T(-HOUR), deadline, ts };
}
const inspection = (inspectionId: string, siteId: string, violations: number, ts: string): Raw => ({ type: 'enforcement.inspection', inspectionId, siteId, result: violations > 0 ? 'violations' : 'pass', violations, ts });
function accident(accidentId: string, siteId: string, occurredAt: string, ts: string, reportedAt?: string): Raw {
  return { type: 'enforcement.accident', accidentId, siteId, occurredAt, ts, ...(reportedAt ? { reportedAt } : {}), injuries: 1 };
}
function permit(permitId: string, siteId: string, work: string, validFrom: string, validTo: string, escalatedApproval: boolean, ts: string): Raw {
  return { type: 'enforcement.permit', permitId, siteId, work, grade: '1', validFrom, validTo, escalatedApproval, ts };
}
/** gas: a site.reading of a chemical plant's detector or a confined-space gas test (extra: itemId, permitId, bypass). */
function gas(siteId: string, metric: string, value: number, ts: string, extra: Raw = {}): Raw {
  const unit = metric === 'lel_pct' ? '%LEL' : metric === 'o2_pct' ? '%' : 'ppm';
  return { type: 'site.reading', siteId, metric, value, unit, ts, ...extra };
}
const tick = (at: string): Step => ({ tick: at });
/** siteReading: a site.reading (gauge, rain gauge) of a reference site. */
const siteReading = (siteId: string, metric: string, value: number, unit: string, ts: string): Raw => ({ type: 'site.reading', siteId, metric, value, unit, ts });

// ── expectations ──

interface Pick {
  ruleId: string;
  siteId?: string;
  labels?: Record<string, string>;
}
const matches = (t: { ruleId: string; siteId?: string; labels: Record<string, string> }, p: Pick): boolean =>
  t.ruleId === p.ruleId && (p.siteId === undefined || t.siteId === p.siteId) && Object.entries(p.labels ?? {}).every(([k, v]) => t.labels[k] === v);
const firesOf = (r: Run, p: Pick): AlertTransition[] => r.log.filter((t) => t.action === 'fire' && matches(t, p));
const resolvesOf = (r: Run, p: Pick): AlertTransition[] => r.log.filter((t) => t.action === 'resolve' && matches(t, p));

interface FireCase extends Pick {
  severity: Severity;
  steps: Step[];
  /** a phrase one of the alert's actions must contain (kind-specific actions) */
  action?: string;
  /** label names the alert must NOT carry (a site-level alert is not about one sensor) */
  without?: string[];
}
interface QuietCase extends Pick {
  steps: Step[];
}

// Sensors of the bundled cm-shm-01, working face ws1201.
const SHM1 = 'cm-shm-01';
const T0S = 'CH4-T0-1201';
const T1S = 'CH4-T1-1201';
const T2S = 'CH4-T2-1201';
const SHS = 'CH4-SH-1201';
const T3S = 'CH4-T3-1201';
/** every10: readings of one sensor every 10 min from `from` to `to` minutes with the given values (cycled). */
const every10 = (siteId: string, sensorId: string, from: number, to: number, values: number[]): Raw[] =>
  Array.from({ length: (to - from) / 10 + 1 }, (_, i) => reading(siteId, sensorId, values[i % values.length]!, T(from + i * 10)));

/** veh: a vehicle.event of a transport operator's vehicle (plate from the id). */
const veh = (siteId: string, vehicleId: string, vehicleClass: string, event: string, ts: string, extra: Raw = {}): Raw => ({ type: 'vehicle.event', siteId, vehicleId, plate: `蒙K·${vehicleId}`, vehicleClass, event, ts, ...extra });
const fatigue = (siteId: string, vehicleId: string, vehicleClass: string, continuousDrivingMin: number, ts: string): Raw => veh(siteId, vehicleId, vehicleClass, 'fatigue', ts, { continuousDrivingMin });
const vehCleared = (siteId: string, vehicleId: string, vehicleClass: string, condition: string, ts: string): Raw => veh(siteId, vehicleId, vehicleClass, 'cleared', ts, { condition });
/** fireEv: a fire.event of a fire alarm controller. */
const fireEv = (siteId: string, controllerId: string, event: string, ts: string, extra: Raw = {}): Raw => ({ type: 'fire.event', siteId, controllerId, event, ts, ...extra });
const TR_DG = 'tr-edz-01';
const TR_COACH = 'tr-alz-01';
const TR_COAL = 'tr-shm-01';
/** ROAD: a stretch of road east of the development zone, away from every site; a vehicle at (38.05, 107.2) is inside it. */
const ROAD = box(38.0, 107.15, 38.1, 107.25);
const pos = (siteId: string, vehicleId: string, vehicleClass: string, ts: string, lat = 38.05, lon = 107.2): Raw => veh(siteId, vehicleId, vehicleClass, 'position', ts, { lat, lon });

const FIRE: [string, FireCase][] = [
  // ── mine-monitoring.yaml ──
  // coal face at the 1.5 % power-off value, no power-off feedback within 10 s
  ['power-off failure at a coal face', { ruleId: 'mine.power-off-failure', severity: 'red', siteId: SHM1, labels: { sensorId: T1S, areaId: 'ws1201' }, steps: [reading(SHM1, T1S, 1.6, T(0)), tick(T(0, 11))] }],
  // a face return powers off at 1.0 already (its own location group)
  ['power-off failure at a face return', { ruleId: 'mine.power-off-failure', severity: 'red', siteId: 'cm-shm-02', labels: { sensorId: 'CH4-T2-2103', areaId: 'ws2103' }, steps: [reading('cm-shm-02', 'CH4-T2-2103', 1.0, T(0)), tick(T(0, 11))] }],
  // intake of a high-gas mine powers off at 0.5
  ['power-off failure at an intake', { ruleId: 'mine.power-off-failure', severity: 'red', siteId: SHM1, labels: { sensorId: T3S }, steps: [reading(SHM1, T3S, 0.55, T(0)), tick(T(0, 11))] }],
  // normal readings of neighbours in the same face do not end the episode
  ['power-off failure despite normal neighbours', { ruleId: 'mine.power-off-failure', severity: 'red', siteId: SHM1, labels: { sensorId: T1S }, steps: [reading(SHM1, T1S, 1.6, T(0)), reading(SHM1, T0S, 0.4, T(0, 3)), reading(SHM1, T3S, 0.05, T(0, 4)), tick(T(0, 11))] }],
  // a power-off of another area is no feedback for this one
  ['power-off failure with another area powered off', { ruleId: 'mine.power-off-failure', severity: 'red', siteId: SHM1, labels: { areaId: 'ws1201' }, steps: [reading(SHM1, T1S, 1.6, T(0)), power(SHM1, 'hf1302', 'off', T(0, 5)), tick(T(0, 11))] }],
  // a reading without areaId gets its area from the reference sensor, and the label too
  ['power-off failure, area from sites.yaml', { ruleId: 'mine.power-off-failure', severity: 'red', siteId: SHM1, labels: { areaId: 'ws1201' }, steps: [{ ...reading(SHM1, T1S, 1.6, T(0)), areaId: undefined }, tick(T(0, 11))] }],
  // a sensor that reported, then stayed silent for more than 90 s
  ['sensor silent after reporting', { ruleId: 'mine.monitoring.sensor-silent', severity: 'orange', siteId: SHM1, labels: { sensorId: T1S }, steps: [tick(T(0)), reading(SHM1, T1S, 0.3, T(0)), tick(T(1, 31))] }],
  // an expected sensor that never reported is caught from the first tick
  ['expected sensor never reported', { ruleId: 'mine.monitoring.sensor-silent', severity: 'orange', siteId: SHM1, labels: { sensorId: 'CH4-HF-1302', areaId: 'hf1302', location: 'heading_face' }, steps: [tick(T(0)), tick(T(1, 31))] }],
  // a whole mine silent for 5 min
  ['whole mine silent', { ruleId: 'mine.monitoring.site-silent', severity: 'red', siteId: 'cm-alz-01', without: ['sensorId'], steps: [tick(T(0)), tick(T(5, 1))] }],
  // a mine that reported once: the site alert is not labelled with that sensor
  ['whole mine silent after a reading', { ruleId: 'mine.monitoring.site-silent', severity: 'red', siteId: 'cm-shm-02', without: ['sensorId', 'areaId', 'location'], steps: [tick(T(0)), reading('cm-shm-02', 'CO-2103', 6, T(1)), tick(T(6, 1))] }],
  // CH4 frozen within ±0.001 for 60 min
  ['methane frozen for an hour', { ruleId: 'mine.suspect.flatline', severity: 'yellow', siteId: SHM1, labels: { sensorId: T1S, suspected: 'true' }, steps: every10(SHM1, T1S, 0, 60, [0.3, 0.3005, 0.2995]) }],
  // calibrating for more than 2 h
  ['calibrating for over 2 h', { ruleId: 'mine.suspect.calibrating-long', severity: 'orange', siteId: SHM1, labels: { sensorId: T1S, suspected: 'true' }, steps: [calibrating(SHM1, T1S, T(0)), calibrating(SHM1, T1S, T(60)), tick(T(120, 1))] }],
  // three sensors of one mine put into calibrating within 10 min
  ['three sensors calibrating at once', { ruleId: 'mine.suspect.mass-calibration', severity: 'orange', siteId: SHM1, labels: { suspected: 'true' }, without: ['sensorId'], steps: [calibrating(SHM1, T0S, T(0)), calibrating(SHM1, T1S, T(3)), calibrating(SHM1, T2S, T(6))] }],
  // one face sensor at 0.1 % while its three neighbours read 0.6 %
  ['sensor far below its neighbours', { ruleId: 'mine.suspect.peer-low', severity: 'yellow', siteId: SHM1, labels: { sensorId: T1S, areaId: 'ws1201', suspected: 'true' }, steps: [reading(SHM1, T0S, 0.6, T(0)), reading(SHM1, T2S, 0.6, T(0, 10)), reading(SHM1, SHS, 0.6, T(0, 20)), reading(SHM1, T1S, 0.1, T(0, 30))] }],
  // +0.35 % within 4 min at the coal face
  ['methane rising fast', { ruleId: 'mine.ch4.rise', severity: 'yellow', siteId: SHM1, labels: { sensorId: T1S }, steps: [reading(SHM1, T1S, 0.2, T(0)), reading(SHM1, T1S, 0.55, T(4))] }],
  // ── weather.yaml ──
  // orange 雷雨大风 over the banner seat: the construction site stops cranes
  ['雷雨大风 orange at a construction site', { ruleId: 'weather.impact.convective', severity: 'orange', siteId: 'cs-alz-01', labels: { warningId: W(1), warningEvent: '雷雨大风' }, action: '塔吊', steps: [warning(W(1), '雷雨大风', 'orange', T(0), { polygon: P1 })] }],
  // red 冰雹 by town geocode: the scenic area suspends opening
  ['冰雹 red over a town', { ruleId: 'weather.impact.convective', severity: 'red', siteId: 'sa-ccn-01', labels: { warningId: W(2) }, action: '暂停开放', steps: [warning(W(2), '冰雹', 'red', T(0), { towns: ['chengchuan'] })] }],
  // an Exercise raises the alert, marked as a drill
  ['Exercise 大风 is a drill', { ruleId: 'weather.impact.convective', severity: 'orange', siteId: 'ss-alz-110kv', labels: { warningId: W(3), drill: '演练' }, action: '巡视', steps: [warning(W(3), '大风', 'orange', T(0), { polygon: P1, status: 'Exercise' })] }],
  // yellow 暴雨 already counts: coal mines check surface drainage
  ['暴雨 yellow at a coal mine', { ruleId: 'weather.impact.rainstorm', severity: 'yellow', siteId: SHM1, labels: { warningId: W(4), warningEvent: '暴雨' }, action: '排水', steps: [warning(W(4), '暴雨', 'yellow', T(0), { towns: ['shanghaimiao'] })] }],
  // 50 dBZ cell 1.8 km from the Chengchuan substation
  ['nowcast 50 dBZ near a substation', { ruleId: 'weather.nowcast.convective', severity: 'orange', siteId: 'ss-ccn-35kv', labels: { cellId: 'cell-7' }, action: '巡视', steps: [cell('cell-7', T(0), 50)] }],
  // hail makes a weaker cell red
  ['nowcast hail', { ruleId: 'weather.nowcast.convective', severity: 'red', siteId: 'sa-ccn-01', labels: { cellId: 'cell-8' }, steps: [cell('cell-8', T(0), 40, { hail: true })] }],
  // ── grid-correlation.yaml ──
  // a trip inside a (yellow) 雷电 warning is weather-related and linked to it
  ['trip inside a 雷电 warning', { ruleId: 'grid.trip.weather', severity: 'orange', siteId: 'ss-alz-110kv', labels: { warningId: W(5), equipmentId: 'CB-101' }, steps: [warning(W(5), '雷电', 'yellow', T(0), { polygon: P1 }), gridEvent('ss-alz-110kv', 'CB-101', T(10))] }],
  // two trips at one substation within 30 min
  ['two trips in 29 min', { ruleId: 'grid.trip.repeat', severity: 'red', siteId: 'ss-shm-220kv', steps: [gridEvent('ss-shm-220kv', 'CB-2211', T(0)), gridEvent('ss-shm-220kv', 'CB-2212', T(29))] }],
  // ── enforcement.yaml ──
  // a major hazard found open
  ['major hazard open', { ruleId: 'enforcement.hazard.major-open', severity: 'orange', siteId: 'cp-edz-01', labels: { hazardId: 'HZ-1' }, steps: [hazard('HZ-1', 'cp-edz-01', 'major', 'open', T(0), T(10 * DAYS))] }],
  // a major hazard past its deadline, still open
  ['major hazard overdue', { ruleId: 'enforcement.hazard.major-overdue', severity: 'red', siteId: 'cp-edz-01', labels: { hazardId: 'HZ-2' }, steps: [hazard('HZ-2', 'cp-edz-01', 'major', 'open', T(0), T(1 * DAYS)), tick(T(1 * DAYS, 1))] }],
  // rectified but not closed (销号) is still overdue
  ['major hazard rectified, not closed, overdue', { ruleId: 'enforcement.hazard.major-overdue', severity: 'red', siteId: 'cp-edz-01', labels: { hazardId: 'HZ-3' }, steps: [hazard('HZ-3', 'cp-edz-01', 'major', 'open', T(0), T(HOUR)), hazard('HZ-3', 'cp-edz-01', 'major', 'rectified', T(30), T(HOUR)), tick(T(HOUR, 1))] }],
  // a general hazard past its deadline
  ['general hazard overdue', { ruleId: 'enforcement.hazard.general-overdue', severity: 'orange', siteId: 'nm-alz-01', labels: { hazardId: 'HZ-4' }, steps: [hazard('HZ-4', 'nm-alz-01', 'general', 'open', T(0), T(HOUR)), tick(T(HOUR, 1))] }],
  // two hazards and one inspection with a violation within 30 days
  ['repeat offender: 2 hazards + 1 violation', { ruleId: 'enforcement.repeat-offender', severity: 'orange', siteId: 'cp-edz-03', without: ['hazardId'], steps: [hazard('HZ-5', 'cp-edz-03', 'general', 'open', T(0), T(5 * DAYS)), hazard('HZ-6', 'cp-edz-03', 'general', 'open', T(10 * DAYS), T(15 * DAYS)), inspection('IN-1', 'cp-edz-03', 1, T(20 * DAYS))] }],
  // one hazard plus an inspection that found two violations
  ['repeat offender: violations weigh', { ruleId: 'enforcement.repeat-offender', severity: 'orange', siteId: 'cp-edz-04', steps: [hazard('HZ-7', 'cp-edz-04', 'general', 'open', T(0), T(5 * DAYS)), inspection('IN-2', 'cp-edz-04', 2, T(3 * DAYS))] }],
  // no report 60 min after the accident
  ['accident not reported within 60 min', { ruleId: 'enforcement.accident.late-report', severity: 'red', siteId: 'cs-edz-01', labels: { accidentId: 'AC-1' }, steps: [accident('AC-1', 'cs-edz-01', T(0), T(10)), tick(T(60, 1))] }],
  // first heard of with a report 90 min after: late at once
  ['accident reported after 90 min', { ruleId: 'enforcement.accident.late-report', severity: 'red', siteId: 'cs-edz-01', labels: { accidentId: 'AC-2' }, steps: [accident('AC-2', 'cs-edz-01', T(0), T(90), T(90))] }],
  // hot work during the plenary without escalated approval: red
  ['hot work in the plenary, no escalated approval', { ruleId: 'enforcement.permit.special-period', severity: 'red', siteId: 'cp-edz-02', labels: { permitId: 'DH-1', specialPeriod: '二十届三中全会期间' }, steps: [permit('DH-1', 'cp-edz-02', 'hot_work', P(0), P(8 * HOUR), false, '2024-07-10T09:00:00+08:00')] }],
  // maintenance with escalated approval, issued during the period: orange (not escalated again)
  ['maintenance in the plenary, escalated approval', { ruleId: 'enforcement.permit.special-period', severity: 'orange', siteId: 'cp-edz-02', labels: { permitId: 'JX-1' }, steps: [permit('JX-1', 'cp-edz-02', 'maintenance', P(60), P(5 * HOUR), true, P(0))] }],
  // a night permit that only overlaps the start of the period
  ['hot work overlapping the start of the plenary', { ruleId: 'enforcement.permit.special-period', severity: 'orange', siteId: 'cp-edz-01', labels: { permitId: 'DH-2' }, steps: [permit('DH-2', 'cp-edz-01', 'hot_work', '2024-07-14T20:00:00+08:00', '2024-07-15T08:00:00+08:00', true, '2024-07-14T12:00:00+08:00')] }],
  // a permit at a substation with a red loading alert
  ['permit at a site with a red grid alert', { ruleId: 'enforcement.permit.site-red-alert', severity: 'red', siteId: 'ss-alz-110kv', labels: { permitId: 'GK-1' }, steps: [gridLoad('ss-alz-110kv', 'T1', 131, T(0)), permit('GK-1', 'ss-alz-110kv', 'work_at_height', T(30), T(4 * HOUR), false, T(5))] }],
  // a permit at a mine with a red methane alert
  ['permit at a mine with red methane', { ruleId: 'enforcement.permit.site-red-alert', severity: 'red', siteId: SHM1, labels: { permitId: 'DH-3' }, steps: [reading(SHM1, T1S, 1.6, T(0)), permit('DH-3', SHM1, 'hot_work', T(30), T(4 * HOUR), true, T(1))] }],
  // ── feeds.yaml: a declared feed (sites.yaml feeds) silent for 3 of its periods ──
  ['visitor count silent for 3 × 30 min', { ruleId: 'system.feed.site-silent', severity: 'blue', siteId: 'sa-alz-01', labels: { metric: 'visitors' }, steps: [tick(T(0)), siteReading('sa-alz-01', 'visitors', 800, '人', T(0)), tick(T(89)), tick(T(91))] }],
  ['grid feed that never reported', { ruleId: 'system.feed.grid-silent', severity: 'blue', siteId: 'pl-ags-35kv', steps: [tick(T(0)), tick(T(16))] }],
  // ── flood.yaml ──
  // the riverside gauge (warning 2.5 m) rises 0.35 m in 40 min to 2.15 m (≥ 2.0 m)
  ['gauge rising near its warning level', { ruleId: 'site.water-level.rising', severity: 'yellow', siteId: 'sa-ccn-01', steps: [siteReading('sa-ccn-01', 'water_level_m', 1.8, 'm', T(0)), siteReading('sa-ccn-01', 'water_level_m', 2.15, 'm', T(40))] }],
  // 8 + 7 + 6 = 21 mm within 40 min
  ['21 mm of rain within an hour', { ruleId: 'site.rain.short-heavy', severity: 'orange', siteId: 'cs-ccn-01', steps: [siteReading('cs-ccn-01', 'rain_mm', 8, 'mm', T(0)), siteReading('cs-ccn-01', 'rain_mm', 7, 'mm', T(20)), siteReading('cs-ccn-01', 'rain_mm', 6, 'mm', T(40))] }],
  // 20 + 20 + 15 = 55 mm within 2 h at the low-lying market (floodProne)
  ['55 mm in 3 h at a flood-prone site', { ruleId: 'site.rain.flood-prone', severity: 'red', siteId: 'cv-alz-02', steps: [siteReading('cv-alz-02', 'rain_mm', 20, 'mm', T(0)), siteReading('cv-alz-02', 'rain_mm', 20, 'mm', T(60)), siteReading('cv-alz-02', 'rain_mm', 15, 'mm', T(120))] }],
  // 山洪灾害 over the banner seat's town: the valley mine (floodProne) stops and withdraws
  ['山洪灾害 at a flood-prone coal mine', { ruleId: 'weather.impact.flash-flood', severity: 'yellow', siteId: 'cm-alz-01', labels: { warningEvent: '山洪灾害' }, action: '停产撤出', steps: [warning(W(51), '山洪灾害', 'yellow', T(0), { towns: ['aolezhaoqi'] })] }],
  // 地质灾害气象风险 over Shanghaimiao: the open-pit benches (geoHazard)
  ['地质灾害气象风险 at an open-pit mine', { ruleId: 'weather.impact.geohazard', severity: 'orange', siteId: 'op-shm-01', action: '边坡', steps: [warning(W(52), '地质灾害气象风险', 'orange', T(0), { towns: ['shanghaimiao'] })] }],
  // any 雷电 signal stops blasting at the limestone quarry
  ['雷电 yellow at a quarry', { ruleId: 'weather.impact.lightning', severity: 'yellow', siteId: 'nm-alz-01', action: '爆破', steps: [warning(W(53), '雷电', 'yellow', T(0), { towns: ['aolezhaoqi'] })] }],
  // 沙尘暴 orange: the construction site stops work at height
  ['沙尘暴 orange at a construction site', { ruleId: 'weather.impact.sandstorm', severity: 'orange', siteId: 'cs-edz-01', action: '高处作业', steps: [warning(W(54), '沙尘暴', 'orange', T(0), { towns: ['shanghaimiao-edz'] })] }],
  // 高温 red: outdoor work stops for the day
  ['高温 red at a construction site', { ruleId: 'weather.impact.heat', severity: 'red', siteId: 'cs-ccn-01', action: '停止当日室外露天作业', steps: [warning(W(55), '高温', 'red', T(0), { towns: ['chengchuan'] })] }],
  // cut at 1.6 %, switched back on while the face still reads 1.2 % (restore value 1.0 %)
  ['power back on above the restore value', { ruleId: 'mine.power-on-violation', severity: 'red', siteId: SHM1, labels: { sensorId: T1S, areaId: 'ws1201' }, steps: [reading(SHM1, T1S, 1.6, T(0)), power(SHM1, 'ws1201', 'off', T(0, 2)), reading(SHM1, T1S, 1.2, T(1)), power(SHM1, 'ws1201', 'on', T(1, 30))] }],
  // the heading's local fan stops
  ['local fan stopped', { ruleId: 'mine.local-fan.stopped', severity: 'orange', siteId: SHM1, labels: { areaId: 'hf1302' }, steps: [fan(SHM1, 'hf1302', 'off', T(0))] }],
  // the fan stops and the heading keeps its power past 10 s
  ['local fan stopped, heading not powered off', { ruleId: 'mine.local-fan.no-power-off', severity: 'red', siteId: SHM1, labels: { areaId: 'hf1302' }, steps: [fan(SHM1, 'hf1302', 'off', T(0)), tick(T(0, 11))] }],
  // a 35 dBZ cell with 3 flashes per 10 min over the Chengchuan road works: stop blasting and cranes
  ['lightning over the road works', { ruleId: 'weather.nowcast.lightning', severity: 'orange', siteId: 'cs-ccn-01', action: '塔吊', steps: [{ ...cell('NC-L1', T(0), 35), lightningPer10Min: 3 }] }],
  // the committee letter's case: a 110 kV bus +6 % (116.6 kV), then −5 % (104.5 kV) half an hour later: 11 %
  ['110 kV bus +6 % then −5 %', { ruleId: 'grid.voltage.transmission-band', severity: 'orange', siteId: 'ss-alz-110kv', labels: { equipmentId: '110kV-I-bus' }, steps: [busKv(116.6, T(0)), busKv(104.5, T(30))] }],
  // ── chemicals.yaml, enforcement.yaml (special work) ──
  // work at height and confined-space entry are banned in the plenary like hot work
  ['work at height in the plenary', { ruleId: 'enforcement.permit.special-period', severity: 'red', siteId: 'cp-edz-04', labels: { permitId: 'GC-1', specialPeriod: '二十届三中全会期间' }, steps: [permit('GC-1', 'cp-edz-04', 'work_at_height', P(0), P(4 * HOUR), false, P(-60))] }],
  ['confined space in the plenary', { ruleId: 'enforcement.permit.special-period', severity: 'red', siteId: 'cp-edz-02', labels: { permitId: 'YK-2' }, steps: [permit('YK-2', 'cp-edz-02', 'confined_space', P(0), P(4 * HOUR), false, P(-60))] }],
  // a detector bypassed past cp-edz-01's 4 h allowance (limits.bypass.maxHours), re-read every hour
  ['detector bypassed past the site allowance', { ruleId: 'site.detector.bypass', severity: 'orange', siteId: 'cp-edz-01', labels: { itemId: 'GT-101' }, steps: [gas('cp-edz-01', 'lel_pct', 2, T(0), { itemId: 'GT-101', bypass: true }), gas('cp-edz-01', 'lel_pct', 2, T(HOUR), { itemId: 'GT-101', bypass: true }), gas('cp-edz-01', 'lel_pct', 2, T(3 * HOUR), { itemId: 'GT-101', bypass: true }), tick(T(4 * HOUR + 1))] }],
  // a site without its own allowance: 8 h
  ['detector bypassed past the default 8 h', { ruleId: 'site.detector.bypass', severity: 'orange', siteId: 'cp-edz-02', labels: { itemId: 'GT-201' }, steps: [gas('cp-edz-02', 'h2s_ppm', 0, T(0), { itemId: 'GT-201', bypass: true }), tick(T(8 * HOUR + 1))] }],
  // a confined-space permit whose gas tests stopped: last reading at 10:05, nothing by 10:35
  ['confined space without gas readings for 30 min', { ruleId: 'site.confined.gas-missing', severity: 'orange', siteId: 'cp-edz-02', labels: { permitId: 'YK-3' }, steps: [{ ...permit('YK-3', 'cp-edz-02', 'confined_space', T(0), T(4 * HOUR), false, T(0)), status: 'in_progress' }, gas('cp-edz-02', 'o2_pct', 20.8, T(5), { permitId: 'YK-3' }), tick(T(36))] }],
  // a grade-1 hot-work permit issued for 10 h (≤ 8 h)
  ['grade-1 hot work permit for 10 h', { ruleId: 'enforcement.permit.hot-work-validity', severity: 'orange', siteId: 'cp-edz-01', labels: { permitId: 'DH-41', spanHours: '10' }, steps: [permit('DH-41', 'cp-edz-01', 'hot_work', T(0), T(10 * HOUR), false, T(-10))] }],
  // a grade-2 hot-work permit issued for 4 days (≤ 72 h)
  ['grade-2 hot work permit for 96 h', { ruleId: 'enforcement.permit.hot-work-validity-2', severity: 'orange', siteId: 'cp-edz-03', labels: { permitId: 'DH-42' }, steps: [{ ...permit('DH-42', 'cp-edz-03', 'hot_work', T(0), T(96 * HOUR), false, T(-10)), grade: '2' }] }],
  // a permit still in progress past its validTo
  ['work past the permit', { ruleId: 'enforcement.permit.overrun', severity: 'orange', siteId: 'cp-edz-04', labels: { permitId: 'DZ-1' }, steps: [{ ...permit('DZ-1', 'cp-edz-04', 'lifting', T(0), T(4 * HOUR), false, T(0)), status: 'issued' }, { ...permit('DZ-1', 'cp-edz-04', 'lifting', T(0), T(4 * HOUR), false, T(3 * HOUR)), status: 'in_progress' }, tick(T(4 * HOUR + 1))] }],
  // ── reporting.yaml ──
  // received by the county at 10:30, not forwarded to the city by 12:30
  ['report not forwarded within 2 h', { ruleId: 'enforcement.accident.forward-late', severity: 'red', siteId: 'cs-edz-01', labels: { accidentId: 'RP-1' }, steps: [acc('RP-1', 'cs-edz-01', { ts: T(30), reportedAt: T(30) }), tick(T(150, 1))] }],
  // injuries 2 → 4 on day 3 of a construction accident, no follow-up report within the hour
  ['casualty change without a follow-up', { ruleId: 'enforcement.accident.follow-up-missing', severity: 'orange', siteId: 'cs-edz-01', labels: { accidentId: 'RP-2' }, steps: [acc('RP-2', 'cs-edz-01', { ts: T(3 * DAYS), reportedAt: T(30), forwardedAt: T(60), followUpAt: T(1 * DAYS), casualtiesChangedAt: T(3 * DAYS), injuries: 4 }), tick(T(3 * DAYS + HOUR, 1))] }],
  // a road traffic accident whose injured died on day 6
  ['road traffic casualty change on day 6', { ruleId: 'enforcement.accident.follow-up-missing-7d', severity: 'orange', siteId: 'lp-edz-01', labels: { accidentId: 'RP-3' }, steps: [acc('RP-3', 'lp-edz-01', { category: 'road_traffic', ts: T(6 * DAYS), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(6 * DAYS), deaths: 1, injuries: 1 }), tick(T(6 * DAYS + HOUR, 1))] }],
  // a 120 dispatch at a mine, no accident report of the mine within 1 h: suspected, to verify
  ['casualty signal without an accident report', { ruleId: 'enforcement.accident.suspected-concealment', severity: 'red', siteId: SHM1, labels: { signalId: '120-1', suspected: 'true' }, steps: [casualty('120-1', SHM1, T(0)), tick(T(HOUR, 1))] }],
  // ── road.yaml ──
  // a coal truck driver 4 h 10 min without a rest
  ['fatigue of a heavy truck driver', { ruleId: 'road.fatigue', severity: 'orange', siteId: TR_COAL, labels: { vehicleId: 'A3021' }, steps: [fatigue(TR_COAL, 'A3021', 'heavy_truck', 250, T(0))] }],
  // a tanker driver over 4 h: red (dangerous goods one level up)
  ['fatigue of a tanker driver', { ruleId: 'road.fatigue', severity: 'red', siteId: TR_DG, labels: { vehicleId: 'W1001' }, steps: [fatigue(TR_DG, 'W1001', 'dangerous_goods', 245, T(0))] }],
  // a coach at 23:30 after 2 h 15 min of driving
  ['coach over 2 h at night', { ruleId: 'road.fatigue.coach-night', severity: 'orange', siteId: TR_COACH, labels: { vehicleId: 'C2001' }, steps: [fatigue(TR_COACH, 'C2001', 'coach', 135, T(13 * HOUR + 30))] }],
  // the same after midnight (the window wraps): 04:00
  ['coach over 2 h after midnight', { ruleId: 'road.fatigue.coach-night', severity: 'orange', siteId: TR_COACH, steps: [fatigue(TR_COACH, 'C2001', 'coach', 150, T(18 * HOUR))] }],
  ['tanker off its route', { ruleId: 'road.dg.route-deviation', severity: 'orange', siteId: TR_DG, labels: { vehicleId: 'W1001' }, steps: [veh(TR_DG, 'W1001', 'dangerous_goods', 'route_deviation', T(0), { lat: 38.1, lon: 107.2 })] }],
  ['tanker stopped in a restricted place', { ruleId: 'road.dg.stop-restricted', severity: 'orange', siteId: TR_DG, labels: { vehicleId: 'W1002' }, steps: [veh(TR_DG, 'W1002', 'dangerous_goods', 'stop_restricted', T(0))] }],
  ['sos from a coach', { ruleId: 'road.sos', severity: 'red', siteId: TR_COACH, labels: { vehicleId: 'C2002' }, steps: [veh(TR_COACH, 'C2002', 'coach', 'sos', T(0))] }],
  // a tanker reporting its position inside a red 沙尘暴 polygon
  ['tanker inside a red sandstorm warning', { ruleId: 'road.dg.in-warning', severity: 'orange', siteId: TR_DG, labels: { vehicleId: 'W1001', warningEvent: '沙尘暴' }, steps: [warning(W(71), '沙尘暴', 'red', T(0), { polygon: ROAD }), pos(TR_DG, 'W1001', 'dangerous_goods', T(5))] }],
  // ── fire.yaml ──
  ['fire alarm at the market', { ruleId: 'fire.alarm', severity: 'red', siteId: 'cv-alz-02', labels: { controllerId: 'FAC-1' }, steps: [fireEv('cv-alz-02', 'FAC-1', 'fire', T(0), { deviceId: 'SD-2-031' })] }],
  // no confirm or reset within 3 min
  ['fire alarm not confirmed in 3 min', { ruleId: 'fire.alarm.unconfirmed', severity: 'red', siteId: 'hb-alz-01', labels: { controllerId: 'FAC-A' }, steps: [fireEv('hb-alz-01', 'FAC-A', 'fire', T(0), { deviceId: 'SD-18-004' }), tick(T(3, 1))] }],
  // a confirm from another controller of the site is no answer for this one
  ['confirm of another controller', { ruleId: 'fire.alarm.unconfirmed', severity: 'red', siteId: 'hb-alz-01', labels: { controllerId: 'FAC-A' }, steps: [fireEv('hb-alz-01', 'FAC-A', 'fire', T(0), { deviceId: 'SD-18-004' }), fireEv('hb-alz-01', 'FAC-B', 'confirm', T(1), { confirmed: 'false_alarm' }), tick(T(3, 1))] }],
  // ── supplies (sites.yaml): an outage at the substation feeding a mine's main fan and pumps ──
  ['outage of the substation feeding a main fan', { ruleId: 'mine.main-fan.supply-outage', severity: 'red', siteId: 'cm-shm-01', labels: { equipmentId: '35kV-I-feeder' }, steps: [gridEvent('ss-shm-220kv', '35kV-I-feeder', T(0), 'outage')] }],
  ['outage of the substation feeding the drainage pumps', { ruleId: 'mine.drainage.supply-outage', severity: 'orange', siteId: 'cm-shm-01', steps: [gridEvent('ss-shm-220kv', '35kV-I-feeder', T(0), 'outage')] }],
];

const QUIET: [string, QuietCase][] = [
  // ── mine-monitoring.yaml ──
  // the power-off feedback arrives 5 s after the reading
  ['power-off in time', { ruleId: 'mine.power-off-failure', steps: [reading(SHM1, T1S, 1.6, T(0)), power(SHM1, 'ws1201', 'off', T(0, 5)), tick(T(0, 11))] }],
  // after a power-off, the next polls still above 1.5 % belong to the same episode
  ['power stays off while methane stays high', { ruleId: 'mine.power-off-failure', steps: [reading(SHM1, T1S, 1.6, T(0)), power(SHM1, 'ws1201', 'off', T(0, 2)), reading(SHM1, T1S, 1.62, T(0, 30)), tick(T(0, 45)), reading(SHM1, T0S, 1.55, T(1)), reading(SHM1, T1S, 1.64, T(1)), tick(T(1, 30))] }],
  // the power-off is stamped one second before the reading that caused it
  ['power-off stamped before the reading', { ruleId: 'mine.power-off-failure', steps: [power(SHM1, 'ws1201', 'off', T(0)), reading(SHM1, T1S, 1.6, T(0, 1)), tick(T(0, 12))] }],
  // the power-off (stamped 2 s after the reading) is read first: the reading was delayed on its way
  // (another partition, a takeover) — it was answered in event time, so no 断电失效
  ['power-off read before the reading it answers', { ruleId: 'mine.power-off-failure', steps: [power(SHM1, 'ws1201', 'off', T(0, 2)), reading(SHM1, T1S, 1.6, T(0)), tick(T(0, 12))] }],
  // the same, with the reading arriving 40 s late (the wall clock well past the window meanwhile)
  ['power-off read 40 s before its late reading', { ruleId: 'mine.power-off-failure', steps: [power(SHM1, 'ws1201', 'off', T(0, 2)), tick(T(0, 30)), reading(SHM1, T1S, 1.6, T(0)), tick(T(0, 42))] }],
  // 1.4 % at a coal face is an alarm, not a power-off value
  ['below the power-off value', { ruleId: 'mine.power-off-failure', steps: [reading(SHM1, T1S, 1.4, T(0)), tick(T(0, 11))] }],
  // a sensor that reports every 60 s is not silent
  ['sensor reporting every 60 s', { ruleId: 'mine.monitoring.sensor-silent', siteId: SHM1, labels: { sensorId: T1S }, steps: [tick(T(0)), reading(SHM1, T1S, 0.3, T(0)), reading(SHM1, T1S, 0.3, T(1)), tick(T(1, 31)), reading(SHM1, T1S, 0.3, T(2)), tick(T(2, 31))] }],
  // one reading every 2 min keeps the whole mine alive
  ['mine reporting every 2 min', { ruleId: 'mine.monitoring.site-silent', siteId: 'cm-shm-02', steps: [tick(T(0)), reading('cm-shm-02', 'CO-2103', 6, T(2)), tick(T(3)), reading('cm-shm-02', 'CO-2103', 6, T(4)), tick(T(5, 1)), reading('cm-shm-02', 'CO-2103', 6, T(6)), tick(T(7))] }],
  // constant for 50 min only
  ['frozen for 50 min only', { ruleId: 'mine.suspect.flatline', steps: every10(SHM1, T1S, 0, 50, [0.3]) }],
  // a value that moves by 0.02 % is alive
  ['fluctuating methane', { ruleId: 'mine.suspect.flatline', steps: every10(SHM1, T1S, 0, 70, [0.3, 0.32]) }],
  // intake air legitimately reads a constant 0.00 %
  ['constant intake air', { ruleId: 'mine.suspect.flatline', steps: every10(SHM1, T3S, 0, 70, [0]) }],
  // calibrating for 1 h, then back to ok
  ['calibrating only 1 h', { ruleId: 'mine.suspect.calibrating-long', steps: [calibrating(SHM1, T1S, T(0)), reading(SHM1, T1S, 0.3, T(60), { status: 'ok' }), tick(T(121))] }],
  // two sensors calibrating at once
  ['2 sensors only', { ruleId: 'mine.suspect.mass-calibration', steps: [calibrating(SHM1, T0S, T(0)), calibrating(SHM1, T1S, T(3)), calibrating(SHM1, T1S, T(6))] }],
  // three sensors, one after another over 24 min
  ['3 sensors spread over 24 min', { ruleId: 'mine.suspect.mass-calibration', steps: [calibrating(SHM1, T0S, T(0)), calibrating(SHM1, T1S, T(12)), calibrating(SHM1, T2S, T(24))] }],
  // neighbours at 0.45 % are too low to judge (median < 0.5 %)
  ['neighbours below 0.5 %', { ruleId: 'mine.suspect.peer-low', steps: [reading(SHM1, T0S, 0.45, T(0)), reading(SHM1, T2S, 0.45, T(0, 10)), reading(SHM1, SHS, 0.45, T(0, 20)), reading(SHM1, T1S, 0.05, T(0, 30))] }],
  // intake air is not compared with the face
  ['intake sensor not compared', { ruleId: 'mine.suspect.peer-low', steps: [reading(SHM1, T0S, 0.6, T(0)), reading(SHM1, T2S, 0.6, T(0, 10)), reading(SHM1, SHS, 0.6, T(0, 20)), reading(SHM1, T3S, 0.02, T(0, 30))] }],
  // +0.35 % over 6 min is slower than 0.3 % in 5 min
  ['slow rise', { ruleId: 'mine.ch4.rise', steps: [reading(SHM1, T1S, 0.2, T(0)), reading(SHM1, T1S, 0.55, T(6))] }],
  // ── weather.yaml ──
  // yellow 雷雨大风 is below the orange floor
  ['yellow 雷雨大风', { ruleId: 'weather.impact.convective', steps: [warning(W(11), '雷雨大风', 'yellow', T(0), { polygon: P1 })] }],
  // a Draft raises nothing
  ['Draft 雷雨大风', { ruleId: 'weather.impact.convective', steps: [warning(W(12), '雷雨大风', 'red', T(0), { polygon: P1, status: 'Draft' })] }],
  // a System message raises nothing
  ['System 冰雹', { ruleId: 'weather.impact.convective', steps: [warning(W(13), '冰雹', 'red', T(0), { polygon: P1, status: 'System' })] }],
  // the limestone quarry lies outside the polygon
  ['site outside the polygon', { ruleId: 'weather.impact.convective', siteId: 'nm-alz-01', steps: [warning(W(14), '雷雨大风', 'orange', T(0), { polygon: P1 })] }],
  // 雷电 is not one of the convective-impact events
  ['雷电 orange', { ruleId: 'weather.impact.convective', steps: [warning(W(15), '雷电', 'orange', T(0), { polygon: P1 })] }],
  // blue 暴雨 is below the yellow floor
  ['blue 暴雨', { ruleId: 'weather.impact.rainstorm', steps: [warning(W(16), '暴雨', 'blue', T(0), { towns: ['shanghaimiao'] })] }],
  // a Draft 暴雨 raises nothing
  ['Draft 暴雨', { ruleId: 'weather.impact.rainstorm', steps: [warning(W(17), '暴雨', 'red', T(0), { towns: ['shanghaimiao'], status: 'Draft' })] }],
  // 44 dBZ is below 45
  ['nowcast 44 dBZ', { ruleId: 'weather.nowcast.convective', steps: [cell('cell-9', T(0), 44)] }],
  // a strong cell 40 km from every site
  ['nowcast far away', { ruleId: 'weather.nowcast.convective', steps: [cell('cell-10', T(0), 60, { lat: 37.5, lon: 108.6, radiusKm: 5 })] }],
  // ── grid-correlation.yaml ──
  // the Chengchuan substation is outside the warning
  ['trip outside the warning', { ruleId: 'grid.trip.weather', steps: [warning(W(21), '雷雨大风', 'orange', T(0), { polygon: P1 }), gridEvent('ss-ccn-35kv', 'CB-301', T(10))] }],
  // an Exercise warning is not real weather
  ['trip inside an Exercise', { ruleId: 'grid.trip.weather', steps: [warning(W(22), '雷电', 'orange', T(0), { polygon: P1, status: 'Exercise' }), gridEvent('ss-alz-110kv', 'CB-101', T(10))] }],
  // 暴雨 is not a wind or lightning warning
  ['trip inside a 暴雨 warning', { ruleId: 'grid.trip.weather', steps: [warning(W(23), '暴雨', 'red', T(0), { polygon: P1 }), gridEvent('ss-alz-110kv', 'CB-101', T(10))] }],
  // a reclose is not a trip
  ['reclose inside a warning', { ruleId: 'grid.trip.weather', steps: [warning(W(24), '雷雨大风', 'orange', T(0), { polygon: P1 }), gridEvent('ss-alz-110kv', 'CB-101', T(10), 'reclose')] }],
  // two trips 31 min apart
  ['two trips 31 min apart', { ruleId: 'grid.trip.repeat', steps: [gridEvent('ss-shm-220kv', 'CB-2211', T(0)), gridEvent('ss-shm-220kv', 'CB-2211', T(31))] }],
  // one trip at each of two substations
  ['trips at two substations', { ruleId: 'grid.trip.repeat', steps: [gridEvent('ss-shm-220kv', 'CB-2211', T(0)), gridEvent('ss-edz-110kv', 'CB-1', T(5))] }],
  // ── enforcement.yaml ──
  // a general hazard is not major
  ['general hazard open', { ruleId: 'enforcement.hazard.major-open', steps: [hazard('HZ-11', 'cp-edz-01', 'general', 'open', T(0), T(10 * DAYS))] }],
  // first heard of already rectified
  ['major hazard already rectified', { ruleId: 'enforcement.hazard.major-open', steps: [hazard('HZ-12', 'cp-edz-01', 'major', 'rectified', T(0), T(10 * DAYS))] }],
  // closed before the deadline
  ['major hazard closed in time', { ruleId: 'enforcement.hazard.major-overdue', steps: [hazard('HZ-13', 'cp-edz-01', 'major', 'open', T(0), T(HOUR)), hazard('HZ-13', 'cp-edz-01', 'major', 'closed', T(50), T(HOUR)), tick(T(2 * HOUR))] }],
  // the deadline was extended before it passed
  ['major hazard deadline extended', { ruleId: 'enforcement.hazard.major-overdue', steps: [hazard('HZ-14', 'cp-edz-01', 'major', 'open', T(0), T(HOUR)), hazard('HZ-14', 'cp-edz-01', 'major', 'open', T(30), T(3 * HOUR)), tick(T(2 * HOUR))] }],
  // a general hazard closed in time
  ['general hazard closed in time', { ruleId: 'enforcement.hazard.general-overdue', steps: [hazard('HZ-15', 'nm-alz-01', 'general', 'open', T(0), T(HOUR)), hazard('HZ-15', 'nm-alz-01', 'general', 'closed', T(59), T(HOUR)), tick(T(2 * HOUR))] }],
  // the same hazard re-sent three times is one hazard
  ['one hazard re-sent', { ruleId: 'enforcement.repeat-offender', steps: [hazard('HZ-16', 'cp-edz-03', 'general', 'open', T(0), T(5 * DAYS)), hazard('HZ-16', 'cp-edz-03', 'general', 'open', T(60), T(6 * DAYS)), hazard('HZ-16', 'cp-edz-03', 'general', 'open', T(120), T(7 * DAYS))] }],
  // an inspection re-sent counts its two violations once
  ['one inspection re-sent', { ruleId: 'enforcement.repeat-offender', steps: [inspection('IN-11', 'cp-edz-04', 2, T(0)), inspection('IN-11', 'cp-edz-04', 2, T(60))] }],
  // three hazards spread over 32 days
  ['3 hazards over 32 days', { ruleId: 'enforcement.repeat-offender', steps: [hazard('HZ-17', 'cp-edz-02', 'general', 'open', T(0), T(5 * DAYS)), hazard('HZ-18', 'cp-edz-02', 'general', 'open', T(16 * DAYS), T(20 * DAYS)), hazard('HZ-19', 'cp-edz-02', 'general', 'open', T(32 * DAYS), T(40 * DAYS))] }],
  // passed inspections do not count
  ['passed inspections', { ruleId: 'enforcement.repeat-offender', steps: [inspection('IN-12', 'cp-edz-04', 0, T(0)), inspection('IN-13', 'cp-edz-04', 0, T(60)), inspection('IN-14', 'cp-edz-04', 0, T(120))] }],
  // reported 50 min after the accident
  ['accident reported within 60 min', { ruleId: 'enforcement.accident.late-report', steps: [accident('AC-11', 'cs-edz-01', T(0), T(10)), accident('AC-11', 'cs-edz-01', T(0), T(50), T(50)), tick(T(2 * HOUR))] }],
  // confined-space work that ends before the plenary (the ban covers every special work type now)
  ['confined space ending before the plenary', { ruleId: 'enforcement.permit.special-period', steps: [permit('YK-1', 'cp-edz-02', 'confined_space', '2024-07-14T08:00:00+08:00', '2024-07-14T12:00:00+08:00', false, '2024-07-13T18:00:00+08:00')] }],
  // 草原村排 escalates but does not forbid hot work
  ['hot work during 草原村排', { ruleId: 'enforcement.permit.special-period', steps: [permit('DH-11', 'cp-edz-02', 'hot_work', C(0), C(4 * HOUR), false, C(-60))] }],
  // hot work that ends before the plenary begins
  ['hot work ending before the plenary', { ruleId: 'enforcement.permit.special-period', steps: [permit('DH-12', 'cp-edz-02', 'hot_work', '2024-07-14T08:00:00+08:00', '2024-07-14T18:00:00+08:00', false, '2024-07-13T18:00:00+08:00')] }],
  // an orange loading alert is not red
  ['permit at a site with an orange alert', { ruleId: 'enforcement.permit.site-red-alert', steps: [gridLoad('ss-alz-110kv', 'T1', 105, T(0)), permit('GK-11', 'ss-alz-110kv', 'work_at_height', T(30), T(4 * HOUR), false, T(5))] }],
  // a red enforcement alert (late accident report) does not count
  ['permit at a site with a red enforcement alert', { ruleId: 'enforcement.permit.site-red-alert', steps: [accident('AC-12', 'cs-edz-01', T(0), T(90), T(90)), permit('GK-12', 'cs-edz-01', 'work_at_height', T(100), T(4 * HOUR), false, T(95))] }],
  // a red drill (Exercise 冰雹) is never a real red alert
  ['permit at a site with a red drill alert', { ruleId: 'enforcement.permit.site-red-alert', steps: [warning(W(31), '冰雹', 'red', T(0), { polygon: P1, status: 'Exercise' }), permit('GK-13', 'cs-alz-01', 'work_at_height', T(30), T(4 * HOUR), false, T(5))] }],
  // a visitor count every 30 min, as declared
  ['visitor count every 30 min', { ruleId: 'system.feed.site-silent', siteId: 'sa-alz-01', steps: [tick(T(0)), ...[0, 30, 60, 90, 120].map((m) => siteReading('sa-alz-01', 'visitors', 800, '人', T(m))), tick(T(150))] }],
  // a metric no site declares as a feed is not watched, however long it is silent
  ['an undeclared metric silent for hours', { ruleId: 'system.feed.site-silent', siteId: 'cp-edz-01', labels: { metric: 'pressure_P201_mpa' }, steps: [tick(T(0)), siteReading('cp-edz-01', 'pressure_P201_mpa', 1.2, 'MPa', T(0)), tick(T(5 * HOUR))] }],
  ['grid feed every 5 min', { ruleId: 'system.feed.grid-silent', siteId: 'pl-ags-35kv', steps: [tick(T(0)), ...[0, 5, 10, 15, 20].map((m) => gridLoad('pl-ags-35kv', 'L3512', 50, T(m))), tick(T(30))] }],
  // ── flood.yaml ──
  // rising 0.4 m, but still below warning − 0.5 m (2.0 m)
  ['gauge rising far below its warning level', { ruleId: 'site.water-level.rising', steps: [siteReading('sa-ccn-01', 'water_level_m', 1.5, 'm', T(0)), siteReading('sa-ccn-01', 'water_level_m', 1.9, 'm', T(40))] }],
  // near the warning level but rising only 0.25 m in the hour
  ['gauge near its warning level, rising slowly', { ruleId: 'site.water-level.rising', steps: [siteReading('sa-ccn-01', 'water_level_m', 2.0, 'm', T(0)), siteReading('sa-ccn-01', 'water_level_m', 2.25, 'm', T(60))] }],
  // 21 mm, but the first 8 mm fell 61 min before the last reading: 13 mm in the hour
  // a gateway re-sending the same 12 mm reading (same instant) must not count it twice
  ['the same 12 mm reading sent twice', { ruleId: 'site.rain.short-heavy', steps: [siteReading('cs-ccn-01', 'rain_mm', 12, 'mm', T(0)), siteReading('cs-ccn-01', 'rain_mm', 12, 'mm', T(0))] }],
  ['21 mm spread over more than an hour', { ruleId: 'site.rain.short-heavy', steps: [siteReading('cs-ccn-01', 'rain_mm', 8, 'mm', T(0)), siteReading('cs-ccn-01', 'rain_mm', 7, 'mm', T(30)), siteReading('cs-ccn-01', 'rain_mm', 6, 'mm', T(61))] }],
  // the same 55 mm at a construction site not flagged floodProne
  ['55 mm in 3 h at a site not flood-prone', { ruleId: 'site.rain.flood-prone', steps: [siteReading('cs-alz-01', 'rain_mm', 20, 'mm', T(0)), siteReading('cs-alz-01', 'rain_mm', 20, 'mm', T(60)), siteReading('cs-alz-01', 'rain_mm', 15, 'mm', T(120))] }],
  // the same 山洪 warning does not reach the construction site of the town (not floodProne)
  ['山洪灾害 at a site not flood-prone', { ruleId: 'weather.impact.flash-flood', siteId: 'cs-alz-01', steps: [warning(W(61), '山洪灾害', 'yellow', T(0), { towns: ['aolezhaoqi'] })] }],
  // nor a 地质灾害 warning the underground mine of Shanghaimiao (not geoHazard)
  ['地质灾害气象风险 at a site not geoHazard', { ruleId: 'weather.impact.geohazard', siteId: SHM1, steps: [warning(W(62), '地质灾害气象风险', 'orange', T(0), { towns: ['shanghaimiao'] })] }],
  // 雷电 over the banner seat: the construction site does not blast
  ['雷电 at a construction site', { ruleId: 'weather.impact.lightning', siteId: 'cs-alz-01', steps: [warning(W(63), '雷电', 'orange', T(0), { towns: ['aolezhaoqi'] })] }],
  // a yellow 沙尘暴 is under the rule's orange
  ['沙尘暴 yellow', { ruleId: 'weather.impact.sandstorm', steps: [warning(W(64), '沙尘暴', 'yellow', T(0), { towns: ['shanghaimiao-edz'] })] }],
  // 高温 at a scenic area: not an outdoor-work kind of this rule
  ['高温 at a scenic area', { ruleId: 'weather.impact.heat', siteId: 'sa-ccn-01', steps: [warning(W(65), '高温', 'red', T(0), { towns: ['chengchuan'] })] }],
  // switched back on once methane is down to 0.9 %, under the 1.0 % restore value
  ['power back on below the restore value', { ruleId: 'mine.power-on-violation', steps: [reading(SHM1, T1S, 1.6, T(0)), power(SHM1, 'ws1201', 'off', T(0, 2)), reading(SHM1, T1S, 0.9, T(1)), power(SHM1, 'ws1201', 'on', T(1, 30))] }],
  // the fan reports running: no stop
  ['local fan running', { ruleId: 'mine.local-fan.stopped', steps: [fan(SHM1, 'hf1302', 'on', T(0))] }],
  // 风电闭锁 cuts the heading's power 2 s after the fan stops
  ['local fan stopped, heading powered off in time', { ruleId: 'mine.local-fan.no-power-off', steps: [fan(SHM1, 'hf1302', 'off', T(0)), power(SHM1, 'hf1302', 'off', T(0, 2)), tick(T(0, 11))] }],
  // a 50 dBZ cell without a flash count, and one with 0 flashes: not lightning
  ['cells without lightning', { ruleId: 'weather.nowcast.lightning', steps: [cell('NC-L2', T(0), 50), { ...cell('NC-L3', T(0), 40), lightningPer10Min: 0 }] }],
  // +6 % and −3.9 %: 9.9 %, inside the 10 % band; and −5 % more than an hour after the +6 %
  ['110 kV bus within the band', { ruleId: 'grid.voltage.transmission-band', steps: [busKv(116.6, T(0)), busKv(105.7, T(30)), busKv(114.4, T(90)), busKv(104.5, T(151))] }],
  // ── chemicals.yaml, enforcement.yaml (special work) ──
  // bypassed 3 h at cp-edz-01 (allowance 4 h), then back in service
  ['detector bypass ended within the allowance', { ruleId: 'site.detector.bypass', steps: [gas('cp-edz-01', 'lel_pct', 2, T(0), { itemId: 'GT-101', bypass: true }), gas('cp-edz-01', 'lel_pct', 2, T(3 * HOUR), { itemId: 'GT-101', bypass: false }), tick(T(5 * HOUR))] }],
  // 7 h at a site with the default 8 h
  ['detector bypassed 7 h, default allowance', { ruleId: 'site.detector.bypass', steps: [gas('cp-edz-02', 'h2s_ppm', 0, T(0), { itemId: 'GT-201', bypass: true }), tick(T(7 * HOUR))] }],
  // gas tests every 20 min during the permit
  ['confined space tested every 20 min', { ruleId: 'site.confined.gas-missing', steps: [permit('YK-4', 'cp-edz-02', 'confined_space', T(0), T(2 * HOUR), false, T(0)), ...[10, 30, 50, 70, 90, 110].map((m) => gas('cp-edz-02', 'o2_pct', 20.8, T(m), { permitId: 'YK-4' })), tick(T(2 * HOUR + 40))] }],
  // the permit closed after 20 min: no more readings expected
  ['confined space permit closed', { ruleId: 'site.confined.gas-missing', steps: [permit('YK-5', 'cp-edz-02', 'confined_space', T(0), T(4 * HOUR), false, T(0)), gas('cp-edz-02', 'o2_pct', 20.8, T(5), { permitId: 'YK-5' }), { ...permit('YK-5', 'cp-edz-02', 'confined_space', T(0), T(4 * HOUR), false, T(20)), status: 'closed' }, tick(T(2 * HOUR))] }],
  // readings of a permit not heard of (or a plant's own detectors) are no confined-space watch
  ['gas readings without a permit', { ruleId: 'site.confined.gas-missing', steps: [gas('cp-edz-02', 'o2_pct', 20.8, T(0), { permitId: 'YK-6' }), tick(T(2 * HOUR))] }],
  // grade-1 hot work for exactly 8 h
  ['grade-1 hot work permit for 8 h', { ruleId: 'enforcement.permit.hot-work-validity', steps: [permit('DH-43', 'cp-edz-01', 'hot_work', T(0), T(8 * HOUR), false, T(-10))] }],
  // 10 h is fine for grade 2
  ['grade-2 hot work permit for 72 h', { ruleId: 'enforcement.permit.hot-work-validity-2', steps: [{ ...permit('DH-44', 'cp-edz-03', 'hot_work', T(0), T(72 * HOUR), false, T(-10)), grade: '2' }, { ...permit('DH-45', 'cp-edz-03', 'hot_work', T(0), T(10 * HOUR), false, T(-10)), grade: '2' }] }],
  // a permit closed before its validTo
  ['permit closed in time', { ruleId: 'enforcement.permit.overrun', steps: [{ ...permit('DZ-2', 'cp-edz-04', 'lifting', T(0), T(4 * HOUR), false, T(0)), status: 'issued' }, { ...permit('DZ-2', 'cp-edz-04', 'lifting', T(0), T(4 * HOUR), false, T(3 * HOUR)), status: 'closed' }, tick(T(5 * HOUR))] }],
  // a permit without a lifecycle status is not judged
  ['permit without status', { ruleId: 'enforcement.permit.overrun', steps: [permit('DZ-3', 'cp-edz-04', 'lifting', T(0), T(4 * HOUR), false, T(0)), tick(T(5 * HOUR))] }],
  // ── reporting.yaml ──
  // forwarded 1 h 50 min after the county received it
  ['report forwarded within 2 h', { ruleId: 'enforcement.accident.forward-late', steps: [acc('RP-11', 'cs-edz-01', { ts: T(30), reportedAt: T(30) }), acc('RP-11', 'cs-edz-01', { ts: T(140), reportedAt: T(30), forwardedAt: T(140) }), tick(T(4 * HOUR))] }],
  // the follow-up report came 40 min after the change
  ['casualty change followed up', { ruleId: 'enforcement.accident.follow-up-missing', steps: [acc('RP-12', 'cs-edz-01', { ts: T(3 * DAYS), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(3 * DAYS), injuries: 4 }), acc('RP-12', 'cs-edz-01', { ts: T(3 * DAYS + 40), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(3 * DAYS), followUpAt: T(3 * DAYS + 40), injuries: 4 }), tick(T(3 * DAYS + 2 * HOUR))] }],
  // a road traffic casualty change on day 8 is past the 7 days
  ['road traffic casualty change on day 8', { ruleId: 'enforcement.accident.follow-up-missing-7d', steps: [acc('RP-13', 'lp-edz-01', { category: 'road_traffic', ts: T(8 * DAYS), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(8 * DAYS), deaths: 1 }), tick(T(8 * DAYS + 2 * HOUR))] }],
  // the accident report came 30 min after the 120 dispatch
  ['accident reported after the casualty signal', { ruleId: 'enforcement.accident.suspected-concealment', steps: [casualty('120-11', SHM1, T(0)), acc('RP-14', SHM1, { ts: T(30), reportedAt: T(30) }), tick(T(2 * HOUR))] }],
  // the accident report came first, the hospital admission 3 h later
  ['accident reported before the casualty signal', { ruleId: 'enforcement.accident.suspected-concealment', steps: [acc('RP-15', SHM1, { ts: T(0), reportedAt: T(0) }), casualty('HS-11', SHM1, T(3 * HOUR), 'hospital'), tick(T(5 * HOUR))] }],
  // ── road.yaml ──
  // exactly 4 h is not "more than 4 h"
  ['4 h of driving', { ruleId: 'road.fatigue', steps: [fatigue(TR_COAL, 'A3021', 'heavy_truck', 240, T(0))] }],
  // a coach 2 h 15 min in the daytime
  ['coach over 2 h in the daytime', { ruleId: 'road.fatigue.coach-night', steps: [fatigue(TR_COACH, 'C2001', 'coach', 135, T(0))] }],
  // a heavy truck at night: the 2 h limit is for coaches
  ['heavy truck over 2 h at night', { ruleId: 'road.fatigue.coach-night', steps: [fatigue(TR_COAL, 'A3021', 'heavy_truck', 150, T(13 * HOUR + 30))] }],
  // a coal truck off its route is not a dangerous-goods vehicle
  ['heavy truck off its route', { ruleId: 'road.dg.route-deviation', steps: [veh(TR_COAL, 'A3021', 'heavy_truck', 'route_deviation', T(0))] }],
  ['coach stopped in a restricted place', { ruleId: 'road.dg.stop-restricted', steps: [veh(TR_COACH, 'C2001', 'coach', 'stop_restricted', T(0))] }],
  // a `cleared` without an sos before it raises nothing
  ['cleared sos alone', { ruleId: 'road.sos', steps: [vehCleared(TR_COACH, 'C2002', 'coach', 'sos', T(0))] }],
  // an orange 大风 warning is below the rule's red
  ['tanker inside an orange gale warning', { ruleId: 'road.dg.in-warning', steps: [warning(W(72), '大风', 'orange', T(0), { polygon: ROAD }), pos(TR_DG, 'W1001', 'dangerous_goods', T(5))] }],
  // a position outside the polygon
  ['tanker outside the red warning', { ruleId: 'road.dg.in-warning', steps: [warning(W(73), '暴雨', 'red', T(0), { polygon: ROAD }), pos(TR_DG, 'W1001', 'dangerous_goods', T(5), 38.2, 107.2)] }],
  // a coal truck inside: the rule is for dangerous goods
  ['coal truck inside the red warning', { ruleId: 'road.dg.in-warning', steps: [warning(W(74), '暴雨', 'red', T(0), { polygon: ROAD }), pos(TR_COAL, 'A3021', 'heavy_truck', T(5))] }],
  // a red drill is no real warning
  ['tanker inside a red drill', { ruleId: 'road.dg.in-warning', steps: [warning(W(75), '沙尘暴', 'red', T(0), { polygon: ROAD, status: 'Exercise' }), pos(TR_DG, 'W1001', 'dangerous_goods', T(5))] }],
  // ── fire.yaml ──
  // a device fault is not a fire
  ['device fault', { ruleId: 'fire.alarm', steps: [fireEv('cv-alz-02', 'FAC-1', 'fault', T(0), { deviceId: 'SD-2-031' })] }],
  // the site confirms a false alarm after 2 min
  ['false alarm confirmed in 2 min', { ruleId: 'fire.alarm.unconfirmed', steps: [fireEv('cv-alz-02', 'FAC-1', 'fire', T(0), { deviceId: 'SD-2-031' }), fireEv('cv-alz-02', 'FAC-1', 'confirm', T(2), { confirmed: 'false_alarm' }), tick(T(5))] }],
  // reset within 3 min counts as handled
  ['reset in 1 min', { ruleId: 'fire.alarm.unconfirmed', steps: [fireEv('cv-alz-02', 'FAC-1', 'fire', T(0), { deviceId: 'SD-2-031' }), fireEv('cv-alz-02', 'FAC-1', 'reset', T(1)), tick(T(5))] }],
  // a breaker trip is not an outage; a substation that supplies no mine raises nothing at a mine
  ['a breaker trip at the supplying substation', { ruleId: 'mine.main-fan.supply-outage', steps: [gridEvent('ss-shm-220kv', '35kV-I-feeder', T(0))] }],
  ['an outage at a substation supplying no mine', { ruleId: 'mine.drainage.supply-outage', steps: [gridEvent('ss-ccn-35kv', '35kV-I-bus', T(0), 'outage')] }],
];

describe('every non-threshold rule of the pack fires and has a near miss', () => {
  it('has a fire case and a quiet case for every rule id', () => {
    const fired = new Set(FIRE.map(([, c]) => c.ruleId));
    const quiet = new Set(QUIET.map(([, c]) => c.ruleId));
    const missing = nonThreshold.flatMap((r) => [...(fired.has(r.id) ? [] : [`${r.id}: no fire case`]), ...(quiet.has(r.id) ? [] : [`${r.id}: no quiet case`])]);
    expect(missing).toEqual([]);
    // and every case names a rule of the pack
    for (const id of [...fired, ...quiet]) expect(rules.map((r) => r.id)).toContain(id);
  });

  it.each(FIRE)('fires: %s', (_name, c) => {
    const r = run(c.steps);
    const hits = firesOf(r, c);
    expect(hits.length, JSON.stringify(r.log.map((t) => [t.action, t.ruleId, t.siteId, t.labels]))).toBeGreaterThan(0);
    const t = hits[0]!;
    expect(t.severity).toBe(c.severity);
    expect(t.domain).toBe(rules.find((x) => x.id === c.ruleId)!.domain);
    // every placeholder of the title and summary resolved (a missing field renders as "—")
    expect(t.title).not.toContain('—');
    expect(t.summary).not.toContain('—');
    expect(t.title).toMatch(/[\u4e00-\u9fff]/);
    if (c.siteId) {
      expect(t.summary).toContain(reference.sites.get(c.siteId)!.name);
      expect(t.town).toBe(reference.sites.get(c.siteId)!.town);
    }
    if (c.action) expect(t.actions.some((a) => a.includes(c.action!)), t.actions.join(' | ')).toBe(true);
    for (const l of c.without ?? []) expect(t.labels[l], l).toBeUndefined();
    // the alert book opened it
    expect(r.book.openAlerts().some((a) => a.ruleId === c.ruleId && (c.siteId === undefined || a.siteId === c.siteId))).toBe(true);
  });

  it.each(QUIET)('quiet: %s', (_name, c) => {
    const r = run(c.steps);
    expect(firesOf(r, c).map((t) => [t.ruleId, t.siteId, t.labels])).toEqual([]);
  });
});

describe('resolve paths', () => {
  it('Cancel resolves every impact alert of the warning', () => {
    // Five sites of the banner seat inside P1; the Cancel references the warning.
    const r = run([warning(W(41), '雷雨大风', 'orange', T(0), { polygon: P1 })]);
    const fired = firesOf(r, { ruleId: 'weather.impact.convective' }).map((t) => t.siteId).sort();
    expect(fired).toEqual(['cs-alz-01', 'cv-alz-01', 'cv-alz-02', 'sa-alz-01', 'ss-alz-110kv']);
    r.step(warning(`${W(41)}c`, '雷雨大风', 'orange', T(30), { polygon: P1, msgType: 'Cancel', references: [W(41)] }));
    expect(resolvesOf(r, { ruleId: 'weather.impact.convective' }).map((t) => t.siteId).sort()).toEqual(fired);
    expect(r.book.openAlerts().filter((a) => a.domain === 'weather')).toEqual([]);
  });

  it('expiry resolves at the warning\'s expires instant', () => {
    // The clock passes `expires`: the alerts end at expires, not at the tick.
    const r = run([warning(W(42), '暴雨', 'orange', T(0), { towns: ['chengchuan'], expires: T(60) }), tick(T(75))]);
    const resolved = resolvesOf(r, { ruleId: 'weather.impact.rainstorm' });
    expect(resolved.map((t) => t.siteId).sort()).toEqual(['cs-ccn-01', 'nm-ccn-01', 'sa-ccn-01', 'ss-ccn-35kv']);
    for (const t of resolved) expect(t.at).toBe(Date.parse(T(60)));
  });

  it('an Update that moves the polygon resolves sites left outside and keeps the rest with one fingerprint', () => {
    // P1 → P2: cs-alz-01, sa-alz-01, cv-alz-02 leave; ss-alz-110kv, cv-alz-01 stay; lp-alz-01 joins.
    const r = run([warning(W(43), '大风', 'orange', T(0), { polygon: P1 })]);
    const before = new Map(r.book.openAlerts().filter((a) => a.ruleId === 'weather.impact.convective').map((a) => [a.siteId!, a]));
    const out = r.step(warning(`${W(43)}u`, '大风', 'orange', T(20), { polygon: P2, msgType: 'Update', references: [W(43)] }));
    expect(out.filter((t) => t.action === 'resolve').map((t) => t.siteId).sort()).toEqual(['cs-alz-01', 'cv-alz-02', 'sa-alz-01']);
    expect(out.filter((t) => t.action === 'fire').map((t) => t.siteId)).toEqual(['lp-alz-01']);
    const after = new Map(r.book.openAlerts().filter((a) => a.ruleId === 'weather.impact.convective').map((a) => [a.siteId!, a]));
    expect([...after.keys()].sort()).toEqual(['cv-alz-01', 'lp-alz-01', 'ss-alz-110kv']);
    for (const kept of ['ss-alz-110kv', 'cv-alz-01']) {
      expect(after.get(kept)!.id).toBe(before.get(kept)!.id);
      expect(after.get(kept)!.fingerprint).toBe(before.get(kept)!.fingerprint);
    }
    // a Cancel of the update ends the whole chain, including the site it added
    r.step(warning(`${W(43)}c`, '大风', 'orange', T(40), { polygon: P2, msgType: 'Cancel', references: [`${W(43)}u`] }));
    expect(r.book.openAlerts().filter((a) => a.ruleId === 'weather.impact.convective')).toEqual([]);
  });

  it('a back-dated reading does not end a feed\'s silence; a fresh one does; a feed never heard says so', () => {
    const r = run([tick(T(0)), gridLoad('pl-ags-35kv', 'L3512', 50, T(0)), tick(T(16))]);
    const open = () => r.book.openAlerts().filter((a) => a.ruleId === 'system.feed.grid-silent' && a.siteId === 'pl-ags-35kv');
    expect(open()).toHaveLength(1);
    r.step(gridLoad('pl-ags-35kv', 'L3512', 50, T(-5)));
    expect(open()).toHaveLength(1);
    r.step(gridLoad('pl-ags-35kv', 'L3512', 50, T(17)));
    expect(open()).toHaveLength(0);
    const never = r.book.openAlerts().find((a) => a.ruleId === 'system.feed.grid-silent' && a.siteId === 'ss-alz-110kv')!;
    expect(never.summary).toContain('最后一次 从未');
  });

  it('a drill never cancels or downgrades a real warning (nor a real message a drill)', () => {
    const r = run([warning(W(47), '雷电', 'red', T(0), { towns: ['chengchuan'] })]);
    const real = r.book.openAlerts().filter((a) => a.ruleId === 'weather.impact.lightning' || a.ruleId === 'weather.impact.convective');
    expect(real.length).toBeGreaterThan(0);
    // an Exercise Cancel and an Exercise Update naming the real warning change nothing of it
    r.step(warning(`${W(47)}x`, '雷电', 'yellow', T(10), { towns: ['chengchuan'], status: 'Exercise', msgType: 'Update', references: [W(47)] }));
    r.step(warning(`${W(47)}c`, '雷电', 'red', T(20), { towns: ['chengchuan'], status: 'Exercise', msgType: 'Cancel', references: [W(47)] }));
    const after = r.book.openAlerts().filter((a) => real.some((x) => x.id === a.id));
    expect(after.map((a) => [a.id, a.severity, a.labels.drill])).toEqual(real.map((a) => [a.id, a.severity, a.labels.drill]));
    // the real Cancel still ends it
    r.step(warning(`${W(47)}rc`, '雷电', 'red', T(30), { towns: ['chengchuan'], msgType: 'Cancel', references: [W(47)] }));
    expect(r.book.openAlerts().filter((a) => real.some((x) => x.id === a.id))).toEqual([]);
  });

  it('an Update that raises the level updates the kept sites in place', () => {
    // orange → red: same alerts, severity raised.
    const r = run([warning(W(44), '冰雹', 'orange', T(0), { towns: ['chengchuan'] })]);
    const ids = r.book.openAlerts().map((a) => a.id).sort();
    r.step(warning(`${W(44)}u`, '冰雹', 'red', T(10), { towns: ['chengchuan'], msgType: 'Update', references: [W(44)] }));
    const open = r.book.openAlerts().filter((a) => a.ruleId === 'weather.impact.convective');
    expect(open.map((a) => a.id).sort()).toEqual(ids);
    expect(new Set(open.map((a) => a.severity))).toEqual(new Set(['red']));
  });

  it.each<[string, Step[], Step[], Pick]>([
    // power-off feedback after the alert resolves it; the next high poll is the same episode
    ['power-off feedback', [reading(SHM1, T1S, 1.6, T(0)), tick(T(0, 11))], [power(SHM1, 'ws1201', 'off', T(0, 20)), reading(SHM1, T1S, 1.62, T(0, 30)), tick(T(0, 45))], { ruleId: 'mine.power-off-failure' }],
    // methane back below the restore value at that sensor
    ['methane back below 1.0 %', [reading(SHM1, T1S, 1.6, T(0)), tick(T(0, 11))], [reading(SHM1, T1S, 0.9, T(0, 30)), tick(T(0, 45))], { ruleId: 'mine.power-off-failure' }],
    // a silent sensor reports again
    ['sensor reports again', [tick(T(0)), reading(SHM1, T1S, 0.3, T(0)), tick(T(1, 31))], [reading(SHM1, T1S, 0.3, T(2))], { ruleId: 'mine.monitoring.sensor-silent', labels: { sensorId: T1S } }],
    // calibration ends after the alert
    ['calibration ends', [calibrating(SHM1, T1S, T(0)), tick(T(121))], [reading(SHM1, T1S, 0.3, T(125), { status: 'ok' })], { ruleId: 'mine.suspect.calibrating-long' }],
    // the frozen value moves again
    ['frozen value moves', every10(SHM1, T1S, 0, 60, [0.3]), [reading(SHM1, T1S, 0.35, T(70))], { ruleId: 'mine.suspect.flatline' }],
    // the low sensor reads like its neighbours again
    ['low sensor recovers', [reading(SHM1, T0S, 0.6, T(0)), reading(SHM1, T2S, 0.6, T(0, 10)), reading(SHM1, SHS, 0.6, T(0, 20)), reading(SHM1, T1S, 0.1, T(0, 30))], [reading(SHM1, T1S, 0.55, T(1))], { ruleId: 'mine.suspect.peer-low' }],
    // calibrations drain out of the 10 min window
    ['mass calibration drains', [calibrating(SHM1, T0S, T(0)), calibrating(SHM1, T1S, T(3)), calibrating(SHM1, T2S, T(6))], [tick(T(14))], { ruleId: 'mine.suspect.mass-calibration' }],
    // the cell weakens below 45 dBZ
    ['nowcast cell weakens', [cell('cell-11', T(0), 50)], [cell('cell-11', T(6), 30)], { ruleId: 'weather.nowcast.convective' }],
    // the breaker recloses
    ['breaker recloses', [warning(W(45), '雷雨大风', 'orange', T(0), { polygon: P1 }), gridEvent('ss-alz-110kv', 'CB-101', T(10))], [gridEvent('ss-alz-110kv', 'CB-101', T(11), 'reclose')], { ruleId: 'grid.trip.weather' }],
    // no reclose: 2 h after the trip
    ['weather trip after 2 h', [warning(W(46), '雷雨大风', 'orange', T(0), { polygon: P1 }), gridEvent('ss-alz-110kv', 'CB-101', T(10))], [tick(T(2 * HOUR + 11))], { ruleId: 'grid.trip.weather' }],
    // a major hazard reported rectified
    ['major hazard rectified', [hazard('HZ-21', 'cp-edz-01', 'major', 'open', T(0), T(10 * DAYS))], [hazard('HZ-21', 'cp-edz-01', 'major', 'rectified', T(3 * DAYS), T(10 * DAYS))], { ruleId: 'enforcement.hazard.major-open' }],
    // a hazard closed after it went overdue
    ['overdue hazard closed', [hazard('HZ-22', 'cp-edz-01', 'major', 'open', T(0), T(HOUR)), tick(T(HOUR, 1))], [hazard('HZ-22', 'cp-edz-01', 'major', 'closed', T(3 * HOUR), T(HOUR))], { ruleId: 'enforcement.hazard.major-overdue' }],
    // an overdue hazard given a new deadline
    ['overdue hazard deadline extended', [hazard('HZ-23', 'nm-alz-01', 'general', 'open', T(0), T(HOUR)), tick(T(HOUR, 1))], [hazard('HZ-23', 'nm-alz-01', 'general', 'open', T(2 * HOUR), T(5 * DAYS))], { ruleId: 'enforcement.hazard.general-overdue' }],
    // a report made at 55 min that reached us after the deadline fired
    ['report in time, learned late', [accident('AC-21', 'cs-edz-01', T(0), T(10)), tick(T(61))], [accident('AC-21', 'cs-edz-01', T(0), T(70), T(55))], { ruleId: 'enforcement.accident.late-report' }],
    // the permit ends
    ['permit ends', [permit('DH-21', 'cp-edz-02', 'hot_work', P(0), P(8 * HOUR), false, P(-60))], [tick(P(8 * HOUR))], { ruleId: 'enforcement.permit.special-period' }],
    // a silent feed reports again
    // the supply is restored
    ['main fan supply restored', [gridEvent('ss-shm-220kv', '35kV-I-feeder', T(0), 'outage')], [gridEvent('ss-shm-220kv', '35kV-I-feeder', T(8), 'restore')], { ruleId: 'mine.main-fan.supply-outage' }],
    ['grid feed reports again', [tick(T(0)), gridLoad('pl-ags-35kv', 'L3512', 50, T(0)), tick(T(16))], [gridLoad('pl-ags-35kv', 'L3512', 50, T(20))], { ruleId: 'system.feed.grid-silent', siteId: 'pl-ags-35kv' }],
    ['visitor count reports again', [tick(T(0)), tick(T(91))], [siteReading('sa-ccn-01', 'visitors', 300, '人', T(95))], { ruleId: 'system.feed.site-silent', siteId: 'sa-ccn-01' }],
    // ── chemicals.yaml, enforcement.yaml (special work) ──
    // a banned work-at-height permit closed early
    ['special-period permit closed', [permit('GC-21', 'cp-edz-04', 'work_at_height', P(0), P(4 * HOUR), false, P(-60))], [{ ...permit('GC-21', 'cp-edz-04', 'work_at_height', P(0), P(4 * HOUR), false, P(60)), status: 'closed' }], { ruleId: 'enforcement.permit.special-period' }],
    // the bypassed detector is put back in service
    ['bypass ends', [gas('cp-edz-01', 'lel_pct', 2, T(0), { itemId: 'GT-101', bypass: true }), tick(T(4 * HOUR + 1))], [gas('cp-edz-01', 'lel_pct', 2, T(5 * HOUR), { itemId: 'GT-101', bypass: false }), tick(T(6 * HOUR))], { ruleId: 'site.detector.bypass' }],
    // gas tests resume
    ['confined-space gas readings resume', [permit('YK-21', 'cp-edz-02', 'confined_space', T(0), T(4 * HOUR), false, T(0)), tick(T(31))], [gas('cp-edz-02', 'o2_pct', 20.8, T(40), { permitId: 'YK-21' })], { ruleId: 'site.confined.gas-missing' }],
    // the silent permit reaches its validTo: the watch ends
    ['confined-space permit expires while silent', [permit('YK-22', 'cp-edz-02', 'confined_space', T(0), T(HOUR), false, T(0)), tick(T(31))], [tick(T(HOUR + 1)), tick(T(3 * HOUR))], { ruleId: 'site.confined.gas-missing' }],
    // the over-long permit is closed
    ['over-long hot work permit closed', [permit('DH-51', 'cp-edz-01', 'hot_work', T(0), T(10 * HOUR), false, T(-10))], [{ ...permit('DH-51', 'cp-edz-01', 'hot_work', T(0), T(10 * HOUR), false, T(3 * HOUR)), status: 'closed' }], { ruleId: 'enforcement.permit.hot-work-validity' }],
    ['over-long grade-2 permit ends', [{ ...permit('DH-52', 'cp-edz-03', 'hot_work', T(0), T(96 * HOUR), false, T(-10)), grade: '2' }], [tick(T(96 * HOUR))], { ruleId: 'enforcement.permit.hot-work-validity-2' }],
    // the overrunning work is closed
    ['overrunning permit closed', [{ ...permit('DZ-21', 'cp-edz-04', 'lifting', T(0), T(4 * HOUR), false, T(0)), status: 'in_progress' }, tick(T(4 * HOUR + 1))], [{ ...permit('DZ-21', 'cp-edz-04', 'lifting', T(0), T(4 * HOUR), false, T(5 * HOUR)), status: 'closed' }], { ruleId: 'enforcement.permit.overrun' }],
    // the county forwards the report after the alert
    ['report forwarded late', [acc('RP-21', 'cs-edz-01', { ts: T(30), reportedAt: T(30) }), tick(T(151))], [acc('RP-21', 'cs-edz-01', { ts: T(170), reportedAt: T(30), forwardedAt: T(170) })], { ruleId: 'enforcement.accident.forward-late' }],
    // the follow-up report arrives after the alert
    ['follow-up report arrives late', [acc('RP-22', 'cs-edz-01', { ts: T(3 * DAYS), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(3 * DAYS), injuries: 4 }), tick(T(3 * DAYS + 61))], [acc('RP-22', 'cs-edz-01', { ts: T(3 * DAYS + 90), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(3 * DAYS), followUpAt: T(3 * DAYS + 90), injuries: 4 })], { ruleId: 'enforcement.accident.follow-up-missing' }],
    ['fire follow-up arrives late', [acc('RP-23', 'lp-edz-01', { category: 'fire', ts: T(2 * DAYS), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(2 * DAYS), deaths: 1 }), tick(T(2 * DAYS + 61))], [acc('RP-23', 'lp-edz-01', { category: 'fire', ts: T(2 * DAYS + 80), reportedAt: T(30), forwardedAt: T(60), casualtiesChangedAt: T(2 * DAYS), followUpAt: T(2 * DAYS + 80), deaths: 1 })], { ruleId: 'enforcement.accident.follow-up-missing-7d' }],
    // the accident report of the mine arrives after the suspicion was raised
    ['accident report after the suspicion', [casualty('120-21', SHM1, T(0)), tick(T(61))], [acc('RP-24', SHM1, { ts: T(75), reportedAt: T(75) })], { ruleId: 'enforcement.accident.suspected-concealment' }],
  ])('%s', (_name, fire, after, pick) => {
    const r = run(fire);
    const fired = firesOf(r, pick);
    expect(fired.length).toBeGreaterThan(0);
    const keys = new Set(fired.map((t) => t.subjectKey));
    r.steps(after);
    // every alert the case fired is resolved, in the transitions and in the book, and nothing re-fired
    expect(new Set(resolvesOf(r, pick).map((t) => t.subjectKey))).toEqual(keys);
    expect(r.book.openAlerts().filter((a) => matches(a, pick))).toEqual([]);
    expect(firesOf(r, pick)).toHaveLength(fired.length);
  });
});

describe('late events', () => {
  it('are counted, still reach threshold rules, but not windowed rules', () => {
    // The watermark is max event time − 2 min: after a reading at 10:10, one stamped 10:00 is late.
    const r = new Run();
    r.step(reading('cm-shm-02', 'CO-2103', 6, T(10)));
    r.step(reading('cm-shm-02', 'CO-2103', 6, T(9))); // 1 min old: within the lateness
    expect(r.stepper.engine.lateCount).toBe(0);
    const out = r.step(reading(SHM1, T1S, 1.6, T(0)));
    expect(r.stepper.engine.lateCount).toBe(1);
    // the threshold rule acts on the late reading …
    expect(out.map((t) => [t.ruleId, t.severity])).toEqual([['mine.ch4.face', 'red']]);
    // … but the power-off correlation never saw it
    r.step(tick(T(10, 30)));
    expect(firesOf(r, { ruleId: 'mine.power-off-failure' })).toEqual([]);
    // late calibrations do not fill the count window
    r.steps([calibrating(SHM1, T0S, T(1)), calibrating(SHM1, T1S, T(2)), calibrating(SHM1, T2S, T(3))]);
    expect(r.stepper.engine.lateCount).toBe(4);
    expect(firesOf(r, { ruleId: 'mine.suspect.mass-calibration' })).toEqual([]);
    // the same three in time do
    r.steps([calibrating(SHM1, T0S, T(11)), calibrating(SHM1, T1S, T(12)), calibrating(SHM1, T2S, T(13))]);
    expect(firesOf(r, { ruleId: 'mine.suspect.mass-calibration' })).toHaveLength(1);
  });
});

describe('special periods (提级管理)', () => {
  it.each<[string, Step[], Pick, Severity, boolean]>([
    // enforcement escalates: an open major hazard during the plenary is red
    ['major hazard in the plenary', [hazard('HZ-31', 'cp-edz-01', 'major', 'open', P(0), P(10 * DAYS))], { ruleId: 'enforcement.hazard.major-open' }, 'red', true],
    // weather impact escalates, the title keeps the warning's own colour
    ['orange 雷雨大风 during 草原村排', [warning(W(51), '雷雨大风', 'orange', C(0), { polygon: P1 })], { ruleId: 'weather.impact.convective', siteId: 'cv-alz-01' }, 'red', true],
    // a weather trip during 保供电 is red
    ['weather trip in the plenary', [warning(W(52), '雷电', 'yellow', P(0), { polygon: P1 }), gridEvent('ss-alz-110kv', 'CB-101', P(5))], { ruleId: 'grid.trip.weather' }, 'red', true],
    // the permit rule is the special-period rule itself: approved work stays orange
    ['approved hot work issued in the plenary', [permit('DH-31', 'cp-edz-02', 'hot_work', P(60), P(5 * HOUR), true, P(0))], { ruleId: 'enforcement.permit.special-period' }, 'orange', true],
    // mine monitoring rules keep their severities
    ['sensor silent in the plenary', [tick(P(0)), tick(P(1, 31))], { ruleId: 'mine.monitoring.sensor-silent', siteId: SHM1, labels: { sensorId: T1S } }, 'orange', false],
    // falsification rules keep their severities
    ['three sensors calibrating in the plenary', [calibrating(SHM1, T0S, P(0)), calibrating(SHM1, T1S, P(1)), calibrating(SHM1, T2S, P(2))], { ruleId: 'mine.suspect.mass-calibration' }, 'orange', false],
  ])('%s', (_name, steps, pick, severity, labelled) => {
    const t = firesOf(run(steps), pick)[0];
    expect(t?.severity).toBe(severity);
    expect(t!.labels.specialPeriod !== undefined).toBe(labelled);
    if (pick.ruleId.startsWith('weather.impact')) expect(t!.title).toContain('橙色');
  });
});

describe('pack conventions of the non-threshold rules', () => {
  const ESCALATED_EXCEPT = new Set(['enforcement.permit.special-period']);
  const KIND_SUBSET = new Set(['weather.impact.lightning', 'weather.impact.sandstorm', 'weather.impact.heat']);
  it.each(nonThreshold.map((r) => [r.id, r] as const))('%s', (_id, r) => {
    expect(r.id.split('.')[0]).toBe(r.domain);
    expect(r.enabled).toBe(true);
    for (const text of [r.title, r.summary, r.source, ...r.actions]) expect(text).toMatch(/[\u4e00-\u9fff]/);
    expect(r.labels.category).toBeTruthy();
    if (r.kind === 'warning_impact' || r.kind === 'nowcast_impact') {
      // per-kind actions for every exposed kind, in Chinese
      // (the warnings that concern only some kinds — 雷电 blasting, 沙尘暴, 高温 — name those kinds)
      const ALL_KINDS = ['chemical_plant', 'coal_mine', 'construction_site', 'crowded_venue', 'logistics_park', 'non_coal_mine', 'open_pit_mine', 'power_line', 'scenic_area', 'substation'];
      if (KIND_SUBSET.has(r.id)) expect(ALL_KINDS).toEqual(expect.arrayContaining(Object.keys(r.siteKinds)));
      else expect(Object.keys(r.siteKinds).sort()).toEqual(ALL_KINDS);
      for (const acts of Object.values(r.siteKinds)) {
        expect(acts.length).toBeGreaterThanOrEqual(2);
        for (const a of acts) expect(a).toMatch(/[\u4e00-\u9fff]/);
      }
    } else expect(r.actions.length).toBeGreaterThanOrEqual(2);
    // suspected falsification is labelled as such, in the title and the labels
    if (r.labels.category === 'falsification') {
      expect(r.labels.suspected).toBe('true');
      expect(r.title).toContain('疑似');
    }
    // mine rules never escalate (nor system ones: a silent feed is not a hazard); weather, grid correlation and enforcement do (one documented exception)
    expect(r.escalateInSpecialPeriods).toBe(r.domain !== 'mine' && r.domain !== 'system' && !ESCALATED_EXCEPT.has(r.id));
  });
});

// ── reporting.yaml builders (function declarations: hoisted above the FIRE and QUIET tables) ──

/** acc: an accident record as it stands (occurred at 10:00 of the ordinary day, a construction accident with 2 injured, unless given). */
function acc(accidentId: string, siteId: string, o: Raw): Raw {
  return { type: 'enforcement.accident', accidentId, siteId, occurredAt: T(0), category: 'construction', deaths: 0, injuries: 2, ...o };
}

/** casualty: a casualty signal (a 120 dispatch unless given) of 1 injured at a site. */
function casualty(signalId: string, siteId: string, ts: string, source = 'emergency_120'): Raw {
  return { type: 'signal.casualty', signalId, source, siteId, ts, deaths: 0, injuries: 1, description: '（模拟）1 人受伤送医' };
}
