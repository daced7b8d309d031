import { z } from 'zod';

/**
 * LOCATION_ZH: the sensor locations of a coal-mine safety-monitoring system (AQ 1029 / 煤矿安全规程
 * 第498条 ff.) and their Chinese names. `mine.reading.location` and a reference sensor's `location`
 * are one of these keys: the rules match them exactly, and titles and texts show the Chinese name.
 */
export const LOCATION_ZH = {
  coal_face_upper_corner: '工作面上隅角',
  coal_face: '采煤工作面',
  coal_face_return: '工作面回风巷',
  intake: '进风巷',
  heading_face: '掘进工作面',
  heading_return: '掘进回风巷',
  shearer: '采煤机',
  drainage_roadway: '专用排瓦斯巷',
  total_return: '总回风巷',
  district_return: '采区回风巷',
  wing_return: '一翼回风巷',
  series_intake: '被串工作面进风巷',
  coal_bunker: '煤仓上方',
  belt_drum: '胶带输送机滚筒上方',
} as const satisfies Record<string, string>;

/** listing renders `key 名称` pairs for a description. */
export function listing(table: Record<string, string>): string {
  return Object.entries(table).map(([k, v]) => `${k} (${v})`).join(', ');
}

/** MineLocation: where in the mine a sensor hangs (one of LOCATION_ZH's keys). */
export const MineLocation = z
  .enum(Object.keys(LOCATION_ZH) as [keyof typeof LOCATION_ZH, ...(keyof typeof LOCATION_ZH)[]])
  .describe(`where in the mine the sensor hangs: ${listing(LOCATION_ZH)}`)
  .meta({ anyOf: Object.entries(LOCATION_ZH).map(([k, zh]) => ({ const: k, description: zh })) });

/** MetricSpec: what a known site.reading metric measures, its unit(s) and its physical range. */
export interface MetricSpec {
  /** Chinese name shown in titles and texts */
  zh: string;
  /** what it measures */
  description: string;
  /** accepted units; the first is the canonical one */
  units: readonly string[];
  min?: number;
  max?: number;
  integer?: boolean;
}

/**
 * METRICS: the catalogue of known `site.reading` metrics. A reading of a known metric must carry
 * one of its units and lie in its range; any other metric matching METRIC_PATTERN is accepted as
 * sent (an item's own metric such as `tank_level_T101` or `pressure_P201_mpa`).
 */
export const METRICS: Record<string, MetricSpec> = {
  lel_pct: { zh: '可燃气体', description: 'combustible gas of a fixed detector, % of the lower explosive limit (GB/T 50493)', units: ['%LEL'], min: 0, max: 100 },
  o2_pct: { zh: '氧气', description: 'oxygen concentration by volume (confined-space gas test, detector)', units: ['%', '%vol'], min: 0, max: 100 },
  h2s_ppm: { zh: '硫化氢', description: 'hydrogen sulphide concentration', units: ['ppm'], min: 0 },
  co_ppm: { zh: '一氧化碳', description: 'carbon monoxide concentration', units: ['ppm'], min: 0 },
  cl2_ppm: { zh: '氯气', description: 'chlorine concentration', units: ['ppm'], min: 0 },
  nh3_ppm: { zh: '氨气', description: 'ammonia concentration', units: ['ppm'], min: 0 },
  rain_mm: { zh: '降雨量', description: 'rain at a gauge since its previous reading (rain rules sum it over a window)', units: ['mm'], min: 0, max: 2000 },
  water_level_m: { zh: '水位', description: 'river or reservoir water level at a gauge, in metres on the gauge datum (compared with the site limits warning/guaranteed)', units: ['m'], min: -1000, max: 10000 },
  visitors: { zh: '在场人数', description: 'people present at a venue or scenic area (compared with the site limit capacity)', units: ['人', 'persons'], min: 0, integer: true },
  sump_level_pct: { zh: '水仓水位', description: 'water level of a mine sump, % of its capacity', units: ['%'], min: 0, max: 100 },
  mine_water_inflow_m3h: { zh: '矿井涌水量', description: 'mine water inflow', units: ['m³/h', 'm3/h'], min: 0 },
  slope_disp_mm_d: { zh: '边坡位移速率', description: 'displacement rate of a monitored slope or bench (open pit, dump), signed', units: ['mm/d'] },
};

/** METRIC_PATTERN: the shape of any metric name (known or not): lower case, digits and `_` (an item tag may be upper case, e.g. tank_level_T101). */
export const METRIC_PATTERN = /^[a-z][A-Za-z0-9_]*$/;

/** metricCatalogueText: the catalogue as one sentence, for the JSON Schema and the docs. */
export function metricCatalogueText(): string {
  return Object.entries(METRICS)
    .map(([k, m]) => `${k} (${m.zh}, ${m.units[0]}${m.min !== undefined || m.max !== undefined ? `, ${m.min ?? '−∞'}..${m.max ?? '∞'}` : ''})`)
    .join('; ');
}

/** metricSchemaChoices: one JSON Schema choice per known metric (`const` with its description), for the schema of site.reading.metric. */
export function metricSchemaChoices(): { const: string; description: string }[] {
  return Object.entries(METRICS).map(([k, m]) => ({ const: k, description: `${m.zh}: ${m.description}; unit ${m.units.join(' or ')}${m.min !== undefined ? `, ≥ ${m.min}` : ''}${m.max !== undefined ? `, ≤ ${m.max}` : ''}${m.integer ? ', whole number' : ''}` }));
}

/** checkMetric returns the problems of a reading of a known metric (none for an unknown one), each with the field it is about. */
export function checkMetric(metric: string, value: number, unit: string): { path: 'unit' | 'value'; message: string }[] {
  const m = Object.hasOwn(METRICS, metric) ? METRICS[metric] : undefined;
  if (!m) return [];
  const out: { path: 'unit' | 'value'; message: string }[] = [];
  if (!m.units.includes(unit)) out.push({ path: 'unit', message: `${metric} is measured in ${m.units.join(' or ')}, not ${JSON.stringify(unit)}` });
  if (m.min !== undefined && value < m.min) out.push({ path: 'value', message: `${metric} must be ≥ ${m.min} ${m.units[0]} (got ${value})` });
  if (m.max !== undefined && value > m.max) out.push({ path: 'value', message: `${metric} must be ≤ ${m.max} ${m.units[0]} (got ${value})` });
  if (m.integer && !Number.isInteger(value)) out.push({ path: 'value', message: `${metric} is a whole number (got ${value})` });
  return out;
}

/**
 * renderCatalogueMarkdown: the location and metric tables of docs/CONTRACT.md §3 (between
 * `<!-- catalogue:begin -->` and `<!-- catalogue:end -->`; test/unit/contracts/docs.test.ts keeps
 * them equal).
 */
export function renderCatalogueMarkdown(): string {
  const range = (m: MetricSpec): string =>
    m.min === undefined && m.max === undefined ? 'any' : m.max === undefined ? `≥ ${m.min}` : m.min === undefined ? `≤ ${m.max}` : `${m.min} … ${m.max}`;
  return [
    '`mine.reading.location` and a reference sensor\'s `location` (closed set; rules match these values):',
    '',
    '| `location` | 位置 |',
    '|---|---|',
    ...Object.entries(LOCATION_ZH).map(([k, v]) => `| \`${k}\` | ${v} |`),
    '',
    `\`site.reading.metric\`: the known metrics below are checked — a reading in another unit or outside the range is refused (\`VALIDATION_FAILED\`, the detail names \`unit\` or \`value\`); any other metric matching \`${METRIC_PATTERN.source}\` is accepted as sent (an item's own metric such as \`tank_level_T101\`, \`pressure_P201_mpa\`).`,
    '',
    '| `metric` | 名称 | unit (accepted) | range | meaning |',
    '|---|---|---|---|---|',
    ...Object.entries(METRICS).map(
      ([k, m]) => `| \`${k}\` | ${m.zh} | ${m.units.map((u) => `\`${u}\``).join(', ')} | ${range(m)}${m.integer ? ', whole number' : ''} | ${m.description} |`,
    ),
    '',
  ].join('\n');
}
