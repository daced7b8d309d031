/** SEVERITIES: China's four warning colours, lowest first (level IV..I). */
export const SEVERITIES = ['blue', 'yellow', 'orange', 'red'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** severityRank returns 0 for blue up to 3 for red. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** raiseSeverity moves a severity up by `steps` levels, capped at red. */
export function raiseSeverity(s: Severity, steps = 1): Severity {
  return SEVERITIES[Math.min(SEVERITIES.length - 1, severityRank(s) + steps)] as Severity;
}

/** SEVERITY_ZH: the Chinese colour names shown to users. */
export const SEVERITY_ZH: Record<Severity, string> = { blue: '蓝色', yellow: '黄色', orange: '橙色', red: '红色' };
