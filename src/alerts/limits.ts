import type { AlertTransition } from '../domain/transition.ts';

/** LimitName: every bound that raises a system alert when reached (the `limit` metric label). */
export type LimitName = 'subjectsPerSite' | 'recordsPerSite' | 'openAlertsPerSite' | 'openAlertsPerRule' | 'warnings' | 'silences' | 'textsQueuedPerNumber' | 'wsSubscribePerSecond';

/** LIMIT_ZH: what each bound is called on the screens and in texts. */
export const LIMIT_ZH: Record<LimitName, string> = {
  subjectsPerSite: '测点数超过上限，新测点暂不评估',
  recordsPerSite: '未关闭的隐患/作业票/事故记录超过上限，新记录暂不评估',
  openAlertsPerSite: '告警超过上限，已合并',
  openAlertsPerRule: '同类告警超过上限，已合并',
  warnings: '生效预警超过上限，新预警未处理',
  silences: '静默规则超过上限，新静默被拒绝',
  textsQueuedPerNumber: '待发短信超过上限，已合并为汇总短信',
  wsSubscribePerSecond: '大屏订阅请求过于频繁，连接已关闭',
};

/** LimitScope: where a bound was reached (a site, a rule, or the whole instance). */
export interface LimitScope {
  siteId?: string;
  siteName?: string;
  town?: string;
  /** the rule whose alerts overflowed (openAlertsPerRule) */
  ruleId?: string;
}

/**
 * limitTransition builds the one system alert that says a bound was reached (fire) or is no
 * longer reached (resolve). Its subject is the limit plus its scope, so each site (or rule) has at
 * most one such alert open; `count` is how many items the bound has held back so far.
 *
 * @example
 * limitTransition('fire', 'openAlertsPerSite', 200, { siteId: 'cm-shm-01', siteName: '上海庙示范一号煤矿', town: 'shanghaimiao' }, 17, now)
 */
export function limitTransition(action: 'fire' | 'resolve', limit: LimitName, cap: number, scope: LimitScope, count: number, at: number): AlertTransition {
  const where = scope.siteName ?? scope.siteId ?? scope.ruleId ?? '系统';
  const subject = scope.siteId ?? scope.ruleId ?? '*';
  return {
    action,
    ruleId: `system.limit.${limit}`,
    subjectKey: `system.limit.${limit}|${subject}`,
    at,
    severity: 'orange',
    domain: 'system',
    title: `${where}：${LIMIT_ZH[limit]}`,
    summary: `${where}：${LIMIT_ZH[limit]}（上限 ${cap}，已合并或拒绝 ${count} 条）。请核查数据源是否异常。`,
    actions: ['核查数据源与接入配置', '在大屏查看合并的告警'],
    ...(scope.siteId ? { siteId: scope.siteId } : {}),
    ...(scope.town ? { town: scope.town } : {}),
    value: count,
    threshold: cap,
    labels: { limit, ...(scope.ruleId ? { limitRule: scope.ruleId } : {}) },
    evidence: { topic: 'system', ts: at },
  };
}
