import { z } from 'zod';
import { Id, Measure, Timestamp } from './common.ts';
import { checkMetric, METRIC_PATTERN, metricCatalogueText, metricSchemaChoices, MineLocation } from './catalogue.ts';

const SiteId = Id.describe('site id of the reference data (sites.yaml `id`), e.g. cm-aolezhaoqi-01; the Kafka key');
const EventTs = Timestamp.describe('event time: ISO-8601 with offset (2024-07-16T09:30:00+08:00) or epoch milliseconds; 2000..2200 and not far ahead of the server clock');
const Unit = z.string().min(1);


// Producers may add fields; they are kept (looseObject) but not relied on.

const LatLon = z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)]).describe('a point [latitude, longitude] in degrees (WGS-84)');

/** WeatherWarning: a CMA/CAP weather warning (topic risk.weather.warnings). */
export const WeatherWarning = z.looseObject({
  type: z.literal('weather.warning').describe('event type `weather.warning`; selects this schema'),
  id: Id.describe('CAP identifier of the warning; an Update or Cancel names earlier ones in `references`'),
  sender: z.string().min(1).max(200).describe('issuing office, e.g. 鄂托克前旗气象台'),
  sent: Timestamp.describe('when the warning was issued; the event time of a warning'),
  status: z.enum(['Actual', 'Exercise', 'Test', 'System', 'Draft']).describe('CAP status: only Actual warnings raise alerts; Exercise, Test, System and Draft are accepted and ignored'),
  msgType: z.enum(['Alert', 'Update', 'Cancel']).describe('CAP message type: Alert (new), Update (replaces the warnings in `references`), Cancel (ends them)'),
  event: z.string().min(1).max(100).describe('warning event in Chinese as issued, e.g. 暴雨, 大风, 雷电, 沙尘暴; warning_impact rules match it'),
  level: z.enum(['blue', 'yellow', 'orange', 'red']).describe('warning colour: blue (蓝色) < yellow (黄色) < orange (橙色) < red (红色)'),
  onset: Timestamp.describe('when the warning takes effect'),
  expires: Timestamp.describe('when the warning ends unless updated or cancelled before'),
  area: z.strictObject({
    // bounded: each site is tested against every point of every polygon when a warning is applied
    polygons: z.array(z.array(LatLon).min(3).max(10_000)).max(100).optional().describe('warned areas as polygons of [lat, lon] points (3..10 000 points, at most 100 polygons); a site inside any is warned'),
    towns: z.array(Id).max(200).optional().describe('warned towns by id (aolezhaoqi, shanghaimiao, chengchuan, angsu, shanghaimiao-edz); every site of a town is warned'),
  }).describe('where the warning applies: polygons, towns, or both (a site in either is warned)'),
  references: z.array(Id).max(100).optional().describe('ids of the earlier warnings an Update or Cancel replaces'),
  headline: z.string().max(1_000).optional().describe('one-line headline as issued (shown on screens)'),
  description: z.string().max(20_000).optional().describe('full text of the warning as issued'),
  instruction: z.string().max(20_000).optional().describe('defence guidance (防御指南) as issued'),
});

/** WeatherNowcast: a radar nowcast cell (topic risk.weather.nowcast). */
export const WeatherNowcast = z.looseObject({
  type: z.literal('weather.nowcast').describe('event type `weather.nowcast`; selects this schema'),
  cellId: Id.describe('radar cell id, stable while the cell is tracked; a newer nowcast of the cell replaces the older'),
  ts: EventTs,
  lat: z.number().min(-90).max(90).describe('latitude of the cell centre, degrees (WGS-84)'),
  lon: z.number().min(-180).max(180).describe('longitude of the cell centre, degrees (WGS-84)'),
  radiusKm: z.number().nonnegative().max(10_000).describe('radius of the cell in km (0..10 000)'),
  reflectivityDbz: Measure.describe('maximum radar reflectivity of the cell in dBZ (≥ 45 dBZ: strong convection)'),
  lightningPer10Min: z.number().nonnegative().max(1e9).optional().describe('lightning flashes in the cell over the last 10 minutes'),
  hail: z.boolean().optional().describe('the cell carries hail'),
});

/** MINE_SENSOR_TYPES: gas and environment sensors of a coal-mine monitoring system. */
export const MineSensorType = z.enum(['CH4', 'CO', 'O2', 'CO2', 'H2S', 'TEMP', 'WIND', 'DUST', 'SMOKE']).describe('sensor type and its usual unit: CH4 甲烷 (%), CO 一氧化碳 (ppm), O2 氧气 (%), CO2 二氧化碳 (%), H2S 硫化氢 (ppm), TEMP 温度 (°C), WIND 风速 (m/s), DUST 粉尘 (mg/m³), SMOKE 烟雾 (0/1)');

/** MineReading: one coal-mine safety-monitoring sensor value (topic risk.mine.telemetry). */
export const MineReading = z.looseObject({
  type: z.literal('mine.reading').describe('event type `mine.reading`; selects this schema'),
  siteId: SiteId,
  sensorId: Id.describe('sensor id in the mine\'s monitoring system (e.g. T0101); with siteId the subject of the mine rules'),
  sensorType: MineSensorType,
  location: MineLocation,
  value: Measure.describe('measured value in `unit`'),
  unit: Unit.describe('unit of value as the monitoring system sends it: % for CH4, O2, CO2; ppm for CO, H2S; °C; m/s; mg/m³'),
  ts: EventTs,
  status: z.enum(['ok', 'calibrating', 'fault', 'maintenance']).optional().describe('sensor state: ok (default when absent); calibrating (标校), fault (故障) and maintenance (检修) readings are not judged against thresholds'),
  areaId: Id.optional().describe('mining area (工作面/掘进头) the sensor belongs to, e.g. 6201; ties sensors to mine.power of the area'),
}).superRefine((e, ctx) => {
  // a value in another unit would be judged as if it were in this one (CO 0.01 % is 100 ppm, not 0.01)
  const units = MINE_UNITS[e.sensorType];
  if (units && !units.includes(e.unit)) ctx.addIssue({ code: 'custom', path: ['unit'], message: `${e.sensorType} is sent in ${units.join(' or ')}, not ${JSON.stringify(e.unit)} (convert before sending)` });
  else if (units?.[0] === '%' && (e.value < 0 || e.value > 100)) ctx.addIssue({ code: 'custom', path: ['value'], message: `${e.sensorType} in % must be within 0–100, got ${e.value}` });
});

/** MINE_UNITS: the unit each sensor type's thresholds are written in (AQ 1029); SMOKE is a state and takes any unit. */
const MINE_UNITS: Partial<Record<string, readonly string[]>> = {
  CH4: ['%', '%CH4'],
  O2: ['%', '%O2'],
  CO2: ['%', '%CO2'],
  CO: ['ppm'],
  H2S: ['ppm'],
  TEMP: ['°C', '℃', 'C'],
  WIND: ['m/s'],
  DUST: ['mg/m³', 'mg/m3'],
};

/** GRID_UNITS: the unit each grid quantity's thresholds are written in. */
const GRID_UNITS: Record<string, readonly string[]> = {
  frequency: ['Hz'],
  voltage: ['kV', '%'],
  load: ['%'],
  oil_temp: ['°C', '℃', 'C'],
};

/** MinePower: power state of a mine area, the power-off feedback (断电/馈电). */
export const MinePower = z.looseObject({
  type: z.literal('mine.power').describe('event type `mine.power`; selects this schema'),
  siteId: SiteId,
  areaId: Id.describe('mining area whose power is reported, e.g. 6201'),
  state: z.enum(['on', 'off']).describe('on: powered (or the fan is running); off: cut off (断电) or stopped'),
  ts: EventTs,
  sensorId: Id.optional().describe('the feedback sensor (馈电传感器) that reported the state'),
  device: z
    .enum(['area_power', 'local_fan'])
    .optional()
    .describe('what `state` is about: area_power (default when absent) = the power of the area\'s non-intrinsically-safe equipment (断电/复电 feedback); local_fan = the local (auxiliary) fan ventilating the heading `areaId` (局部通风机 running = on, stopped = off; 风电闭锁)'),
});

/** GridReading: a power-grid measurement (topic risk.grid.telemetry). */
export const GridReading = z.looseObject({
  type: z.literal('grid.reading').describe('event type `grid.reading`; selects this schema'),
  siteId: SiteId,
  equipmentId: Id.describe('bus, line, transformer or breaker id within the site, e.g. T1'),
  quantity: z.enum(['frequency', 'voltage', 'load', 'oil_temp']).describe('what is measured: frequency (system frequency, Hz), voltage (bus voltage in kV with `nominal` in kV, or in % of nominal), load (load of a transformer or line, % of its rating), oil_temp (transformer top-oil temperature, °C)'),
  value: Measure.describe('measured value in `unit`'),
  unit: Unit.describe('unit of value: Hz (frequency), kV or % (voltage), % (load), °C (oil_temp)'),
  ts: EventTs,
  nominal: z.number().positive().max(1e12).optional().describe('nominal value in the same unit (voltage: the rated voltage, e.g. 35 kV); voltage-deviation rules need it'),
}).superRefine((e, ctx) => {
  const units = GRID_UNITS[e.quantity];
  if (units && !units.includes(e.unit)) ctx.addIssue({ code: 'custom', path: ['unit'], message: `${e.quantity} is sent in ${units.join(' or ')}, not ${JSON.stringify(e.unit)} (convert before sending)` });
});

/** GridEvent: a switching event on the grid. */
export const GridEvent = z.looseObject({
  type: z.literal('grid.event').describe('event type `grid.event`; selects this schema'),
  siteId: SiteId,
  equipmentId: Id.describe('breaker, line or transformer id within the site'),
  event: z.enum(['breaker_trip', 'reclose', 'outage', 'restore']).describe('breaker_trip (跳闸), reclose (重合闸), outage (停电), restore (恢复供电)'),
  ts: EventTs,
});

/** EnforcementHazard: a hidden hazard (隐患) and its rectification deadline. */
export const EnforcementHazard = z.looseObject({
  type: z.literal('enforcement.hazard').describe('event type `enforcement.hazard`; selects this schema'),
  hazardId: Id.describe('hazard id in the enforcement system, stable across updates'),
  siteId: SiteId,
  level: z.enum(['general', 'major']).describe('general (一般隐患) or major (重大隐患)'),
  status: z.enum(['open', 'rectified', 'closed']).describe('open (未整改), rectified (已整改, awaiting acceptance), closed (验收销号)'),
  foundAt: Timestamp.describe('when the hazard was found'),
  deadline: Timestamp.describe('rectification deadline; still open after it: overdue'),
  ts: EventTs,
  description: z.string().optional().describe('short description of the hazard (shown in the alert)'),
});

/** PermitWork: the special work types of GB 30871-2022 (特殊作业), plus maintenance (检维修) the committee's letter names. */
export const PermitWork = z.enum([
  'hot_work', 'confined_space', 'blind_plate', 'work_at_height', 'lifting', 'temporary_electricity', 'earthwork', 'road_breaking', 'maintenance',
]);

/** EnforcementPermit: a high-risk work permit (hot work etc.); re-sent as its status changes. */
export const EnforcementPermit = z.looseObject({
  type: z.literal('enforcement.permit').describe('event type `enforcement.permit`; selects this schema'),
  permitId: Id.describe('work permit number, e.g. DH-20240716-001; stable across its status updates'),
  siteId: SiteId,
  work: PermitWork.describe('work type (GB 30871-2022): 动火 hot_work, 受限空间 confined_space, 盲板抽堵 blind_plate, 高处 work_at_height, 吊装 lifting, 临时用电 temporary_electricity, 动土 earthwork, 断路 road_breaking, 检维修 maintenance'),
  grade: z.enum(['special', '1', '2']).describe('grade of the work (动火: 特级 special, 一级 1, 二级 2; 高处: I–IV mapped by the producer)'),
  validFrom: Timestamp.describe('start of the permit\'s validity'),
  validTo: Timestamp.describe('end of the permit\'s validity: work still open after it is work past its permit'),
  escalatedApproval: z.boolean().describe('approved one level higher (提级审批), required in special periods'),
  ts: EventTs,
  status: z
    .enum(['issued', 'in_progress', 'closed', 'cancelled'])
    .optional()
    .describe('lifecycle: issued, in_progress (作业中), closed (验收关闭), cancelled; a permit sent without status is not judged for work past validTo'),
});

/** AccidentCategory: the kind of accident; road traffic and fire accidents have the shorter 7-day follow-up period (条例 Art. 13). */
export const AccidentCategory = z.enum(['road_traffic', 'fire', 'mining', 'chemical', 'construction', 'other']).describe('road_traffic 道路交通, fire 火灾, mining 矿山, chemical 危险化学品, construction 建筑施工, other 其他');

/**
 * EnforcementAccident: an accident and its reporting chain (生产安全事故报告和调查处理条例 Art. 9–13):
 * the unit's report to the county (`reportedAt`, which is when the county received it), the
 * county's report on to the city (`forwardedAt`), and follow-up reports (续报) when the casualty
 * figures rise. Each event carries the record as it stands (the latest of every field).
 */
export const EnforcementAccident = z.looseObject({
  type: z.literal('enforcement.accident').describe('event type `enforcement.accident`; selects this schema'),
  accidentId: Id.describe('accident id, stable across every update of the record'),
  siteId: Id.describe('site where the accident happened (reference site id)'),
  occurredAt: Timestamp.describe('when the accident happened'),
  ts: Timestamp.describe('when this version of the record was produced'),
  category: AccidentCategory.optional().describe('kind of accident: road_traffic, fire, mining, chemical, construction, other (absent: other); road_traffic and fire have the 7-day follow-up period, the rest 30 days'),
  reportedAt: Timestamp.optional().describe('when the unit reported the accident to the county (应急管理部门), i.e. when the county received the report; absent while not reported'),
  forwardedAt: Timestamp.optional().describe('when the county passed the report on to the city (上报设区的市级); due within 2 h of reportedAt; absent while not forwarded'),
  deaths: z.number().int().nonnegative().max(1e6).optional().describe('deaths as known now (the latest figure, from any source)'),
  injuries: z.number().int().nonnegative().max(1e6).optional().describe('injured as known now (the latest figure, from any source)'),
  casualtiesChangedAt: Timestamp.optional().describe('when the county learned that deaths or injuries rose above the figures reported so far (first report or latest follow-up); absent while unchanged'),
  followUpAt: Timestamp.optional().describe('when the latest follow-up report (续报/补报) of the unit reached the county; one at or after casualtiesChangedAt answers the change'),
});

/** EnforcementInspection: the result of an inspection. */
export const EnforcementInspection = z.looseObject({
  type: z.literal('enforcement.inspection').describe('event type `enforcement.inspection`; selects this schema'),
  inspectionId: Id.describe('inspection id in the enforcement system'),
  siteId: SiteId,
  result: z.enum(['pass', 'violations']).describe('pass (无问题) or violations (发现违法行为)'),
  violations: z.number().int().nonnegative().max(1e6).describe('number of violations found (0 for pass)'),
  ts: EventTs,
  caseFiled: z.boolean().optional().describe('a case was filed (立案) on the violations'),
});

/** SiteReading: telemetry of other domains (tanks, gas detectors, dust, water level, crowds). */
export const SiteReading = z.looseObject({
  type: z.literal('site.reading').describe('event type `site.reading`; selects this schema'),
  siteId: SiteId,
  metric: z
    .string()
    .max(100)
    .regex(METRIC_PATTERN, 'a metric is a lower-case letter then letters, digits and _ (e.g. water_level_m, tank_level_T101)')
    .describe(`what is measured. Known metrics (unit and range checked): ${metricCatalogueText()}. Any other name of the pattern ^[a-z][A-Za-z0-9_]*$ is accepted as sent, e.g. an item's own metric tank_level_T101 or pressure_P201_mpa`)
    .meta({ anyOf: [...metricSchemaChoices(), { pattern: METRIC_PATTERN.source, description: 'any other metric, accepted as sent' }] }),
  value: Measure.describe('measured value in `unit`; a known metric must lie in its range'),
  unit: Unit.describe('unit of value; a known metric must use its unit (water_level_m in m, rain_mm in mm, lel_pct in %LEL, visitors in 人)'),
  ts: EventTs,
  itemId: Id.optional().describe('the monitored item within the site (位号 of a gas detector, SIS loop or tank, e.g. GT-101): several detectors of one site are distinct subjects; gas-detector rules judge only readings that carry it'),
  permitId: Id.optional().describe('the work permit (enforcement.permit) a reading belongs to: gas tests of a confined space during its permit'),
  bypass: z.boolean().optional().describe('the detector or safety-instrumented function is bypassed (旁路/摘除联锁); send false when it is put back'),
}).superRefine((e, ctx) => {
  // a known metric in the wrong unit or outside its physical range is refused (180 cm for water_level_m, rain_mm −9999)
  if (typeof e.metric !== 'string' || typeof e.value !== 'number' || typeof e.unit !== 'string') return;
  for (const p of checkMetric(e.metric, e.value, e.unit)) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
});

/** CasualtySource: where a casualty signal comes from. */
export const CasualtySource = z.enum(['emergency_120', 'hospital', 'public_opinion', 'police_110', 'other']).describe('emergency_120 (120急救调度), hospital (医院接诊), public_opinion (舆情监测), police_110 (110接警), other');

/**
 * SignalCasualty: a casualty signal from a source other than the unit's accident report (a 120
 * dispatch, a hospital admission, a public-opinion item, a 110 call), placed at the site it is at
 * or nearest to (topic risk.signals.casualty). Compared with accident reports of the site (疑似瞒报).
 */
export const SignalCasualty = z.looseObject({
  type: z.literal('signal.casualty').describe('event type `signal.casualty`; selects this schema'),
  signalId: Id.describe('id of the signal in its source system (dispatch number, admission number, item id)'),
  source: CasualtySource.describe('emergency_120 (120 dispatch), hospital (admission), public_opinion (舆情), police_110 (110 call), other'),
  siteId: Id.describe('the reference site the casualties are at, or the nearest one'),
  ts: Timestamp.describe('when the source recorded the signal'),
  deaths: z.number().int().nonnegative().max(1e6).optional().describe('deaths the signal reports'),
  injuries: z.number().int().nonnegative().max(1e6).optional().describe('injured the signal reports'),
  lat: z.number().min(-90).max(90).optional().describe('latitude of the scene, when the source gives one (WGS-84)'),
  lon: z.number().min(-180).max(180).optional().describe('longitude of the scene, when the source gives one (WGS-84)'),
  description: z.string().max(2_000).optional().describe('the source\'s own short text (e.g. the dispatch note)'),
});

/** VEHICLE_CLASSES: vehicle classes under dynamic monitoring (道路运输车辆动态监督管理办法). */
export const VehicleClass = z.enum(['heavy_truck', 'coach', 'dangerous_goods']).describe('heavy_truck 重型货车, coach 客车, dangerous_goods 危险货物运输车辆');

/** VEHICLE_CONDITIONS: the conditions a monitoring platform reports for a vehicle. */
export const VehicleCondition = z.enum(['speeding', 'fatigue', 'route_deviation', 'stop_restricted', 'sos']).describe('speeding 超速, fatigue 疲劳驾驶, route_deviation 偏离线路, stop_restricted 禁停区停车, sos 紧急报警');

/**
 * VehicleEvent: an alarm from a transport operator's vehicle monitoring platform (topic
 * risk.road.events). A condition is reported when it starts (and may be re-sent while it lasts,
 * with current figures); `cleared` with `condition` says it ended.
 */
export const VehicleEvent = z.looseObject({
  type: z.literal('vehicle.event').describe('event type `vehicle.event`; selects this schema'),
  siteId: Id.describe("the transport operator's site id in the reference data (the vehicle's company, not where the vehicle is)"),
  vehicleId: Id.describe("the vehicle's id on the operator's platform"),
  plate: z.string().min(1).max(20).describe('licence plate, e.g. 蒙K·A1234'),
  vehicleClass: VehicleClass.describe('heavy_truck (重型货车、半挂牵引车), coach (旅游客车、包车客车、班线客车), dangerous_goods (危险货物运输车辆)'),
  event: z
    .enum([...VehicleCondition.options, 'cleared', 'position'])
    .describe('the condition that started (speeding 超速, fatigue 疲劳驾驶, route_deviation 偏离线路, stop_restricted 禁停区停车, sos 紧急报警); `cleared`: the condition named in `condition` ended; `position`: a plain position report (lat, lon), e.g. of dangerous-goods vehicles every few minutes'),
  condition: VehicleCondition.optional().describe('cleared (required): which condition ended: speeding, fatigue, route_deviation, stop_restricted or sos'),
  speedKmh: z.number().nonnegative().max(400).optional().describe('speeding (required): the measured speed in km/h (the highest of the episode so far)'),
  limitKmh: z.number().positive().max(200).optional().describe('speeding (required): the speed limit in force there in km/h (road or the vehicle’s own, whichever is lower)'),
  continuousDrivingMin: z.number().nonnegative().max(10_000).optional().describe('fatigue (required): minutes of continuous driving without a rest of at least 20 min'),
  lat: z.number().min(-90).max(90).optional().describe('vehicle position, latitude (WGS84)'),
  lon: z.number().min(-180).max(180).optional().describe('vehicle position, longitude (WGS84)'),
  ts: Timestamp.describe('when the platform detected the condition (or its end)'),
}).superRefine((e, ctx) => {
  // an alarm the rules cannot judge is refused at the edge (the producer learns it), not silently ignored
  const need = (field: string, why: string): void => {
    if (e[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${why} needs ${field}` });
  };
  if (e.event === 'speeding') {
    need('speedKmh', 'speeding');
    need('limitKmh', 'speeding');
  } else if (e.event === 'fatigue') need('continuousDrivingMin', 'fatigue');
  else if (e.event === 'cleared') need('condition', 'cleared (which condition ended)');
  else if (e.event === 'position') {
    need('lat', 'position');
    need('lon', 'position');
  }
});

/** FireEvent: an event of a fire alarm controller (火灾报警控制器) at a building or venue (topic risk.fire.events). */
export const FireEvent = z.looseObject({
  type: z.literal('fire.event').describe('event type `fire.event`; selects this schema'),
  siteId: Id.describe('the building or venue in the reference data'),
  controllerId: Id.describe('the fire alarm controller (one site may have several)'),
  deviceId: Id.optional().describe('the detector, manual call point or module concerned (fire, fault, supervisory, disabled, restore)'),
  event: z
    .enum(['fire', 'fault', 'supervisory', 'disabled', 'restore', 'confirm', 'reset', 'status'])
    .describe(
      'fire: fire alarm (火警); fault: device fault (故障); supervisory: supervisory signal (监管, e.g. a closed valve); disabled: device disabled (屏蔽); restore: the device is back to normal; confirm: the site staff checked an alarm (see `confirmed`); reset: the controller was reset (复位); status: periodic summary of the controller (faultDevices, disabledDevices, totalDevices)',
    ),
  confirmed: z.enum(['real', 'false_alarm']).optional().describe('confirm (required): the check found a real fire (real) or a false alarm (false_alarm)'),
  faultDevices: z.number().int().nonnegative().max(1e6).optional().describe('status (required): devices currently in fault'),
  disabledDevices: z.number().int().nonnegative().max(1e6).optional().describe('status (required): devices currently disabled (屏蔽)'),
  totalDevices: z.number().int().positive().max(1e6).optional().describe('status (required): devices connected to the controller'),
  ts: Timestamp.describe('controller time of the event'),
}).superRefine((e, ctx) => {
  if (e.event === 'confirm' && e.confirmed === undefined) ctx.addIssue({ code: 'custom', path: ['confirmed'], message: 'confirm needs confirmed (real or false_alarm)' });
  if (e.event !== 'status') return;
  for (const f of ['faultDevices', 'disabledDevices', 'totalDevices'] as const) {
    if (e[f] === undefined) ctx.addIssue({ code: 'custom', path: [f], message: `status needs ${f}` });
  }
});

/** EVENT_SCHEMAS: every input event type and its schema. */
export const EVENT_SCHEMAS = {
  'weather.warning': WeatherWarning,
  'weather.nowcast': WeatherNowcast,
  'mine.reading': MineReading,
  'mine.power': MinePower,
  'grid.reading': GridReading,
  'grid.event': GridEvent,
  'enforcement.hazard': EnforcementHazard,
  'enforcement.permit': EnforcementPermit,
  'enforcement.accident': EnforcementAccident,
  'enforcement.inspection': EnforcementInspection,
  'site.reading': SiteReading,
  'signal.casualty': SignalCasualty,
  'vehicle.event': VehicleEvent,
  'fire.event': FireEvent,
} as const;
export type EventType = keyof typeof EVENT_SCHEMAS;

/** Event: any input event, discriminated by `type`. */
export const Event = z.discriminatedUnion('type', [
  WeatherWarning,
  WeatherNowcast,
  MineReading,
  MinePower,
  GridReading,
  GridEvent,
  EnforcementHazard,
  EnforcementPermit,
  EnforcementAccident,
  EnforcementInspection,
  SiteReading,
  SignalCasualty,
  VehicleEvent,
  FireEvent,
]);
export type Event = z.infer<typeof Event>;
export type EventOf<T extends EventType> = Extract<Event, { type: T }>;

/** TOPICS: input topics (without prefix) and the event types each carries. */
export const TOPIC_TYPES: Record<string, readonly EventType[]> = {
  'risk.weather.warnings': ['weather.warning'],
  'risk.weather.nowcast': ['weather.nowcast'],
  'risk.mine.telemetry': ['mine.reading', 'mine.power'],
  'risk.grid.telemetry': ['grid.reading', 'grid.event'],
  'risk.enforcement.events': ['enforcement.hazard', 'enforcement.permit', 'enforcement.accident', 'enforcement.inspection'],
  'risk.site.telemetry': ['site.reading'],
  'risk.signals.casualty': ['signal.casualty'],
  'risk.road.events': ['vehicle.event'],
  'risk.fire.events': ['fire.event'],
};
export type Topic = keyof typeof TOPIC_TYPES;

/** eventTime returns the event-time instant of an event (ms). */
export function eventTime(e: Event): number {
  return e.type === 'weather.warning' ? e.sent : e.ts;
}

/** keyOf returns the record key of an event (site id; warning id, cell id for weather): Kafka partitions by it and the owner of a site is decided by it. */
export function keyOf(event: Event): string | undefined {
  switch (event.type) {
    case 'weather.warning':
      return event.id;
    case 'weather.nowcast':
      return event.cellId;
    default:
      return event.siteId;
  }
}
