import { asksCompany } from '../../../src/alerts/escalation.ts';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alerts.ts';
import { countSmsParts, splitUcs2 } from '../../../src/domain/segments.ts';
import { companyAction,
  TWO_PARTS,
  drillTag,
  hhmm,
  renderAlertSms,
  renderDutyReportHeader,
  requiredAction,
  shortAlertId,
} from '../../../src/notify/sms/templates.ts';

const CTX = { siteName: '上海庙示范一号煤矿（虚构）', townName: '上海庙镇', unit: '%' };

/** alert: a red methane alert at the upper corner of ws1201, fired at 14:05 local. */
function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: '3f9a1c2b7d4e5f60-lyq0k2a8',
    fingerprint: '3f9a1c2b7d4e5f60',
    ruleId: 'mine.ch4.t0',
    title: '甲烷超限 上隅角T0',
    severity: 'red',
    domain: 'mine',
    state: 'firing',
    siteId: 'cm-shm-01',
    town: 'shanghaimiao',
    startsAt: '2024-07-16T14:05:12.000+08:00',
    updatedAt: '2024-07-16T14:05:12.000+08:00',
    value: 1.62,
    threshold: 1.5,
    summary: '…',
    actions: [
      '黄色（预警）：通知通风调度，瓦斯检查员现场复核，查明甲烷上升原因',
      '橙色（报警浓度1.0%）：停止电钻打眼，附近20m内严禁爆破，加强通风，撤出无关人员',
      '红色（断电浓度1.5%）：立即切断作业范围内全部非本质安全型电气设备电源，停止作业、撤出人员',
    ],
    evidence: [],
    escalation: 0,
    acks: [],
    labels: { sensorId: 'CH4-T0-1201' },
    ...over,
  };
}

describe('renderAlertSms fired', () => {
  const text = renderAlertSms('fired', alert(), CTX);

  it.each<[string, string]>([
    // colour of the alert
    ['severity', '红色预警'],
    ['site', '上海庙示范一号煤矿（虚构）'],
    ['town', '上海庙镇'],
    ['title', '甲烷超限 上隅角T0'],
    ['value with unit', '实测1.62%'],
    ['threshold', '阈值1.5%'],
    // the red action, without its colour prefix
    ['action', '处置：立即切断作业范围内全部非本质安全型电气设备电源'],
    // local time of startsAt
    ['time', '14:05'],
    ['short id', '编号3f9a1c2b'],
  ])('names the %s', (_what, fragment) => {
    expect(text).toContain(fragment);
  });

  it('fits two SMS parts and is not marked as a drill', () => {
    expect(text.length).toBeLessThanOrEqual(TWO_PARTS);
    expect(countSmsParts(text)).toBeLessThanOrEqual(2);
    expect(text).not.toMatch(/演练|测试/);
  });

  it('shortens an overlong action and title to stay within two parts, keeping site, value and id', () => {
    const long = alert({ title: '甲烷超限'.repeat(10), actions: [`红色：${'立即撤出全部人员并切断电源'.repeat(8)}`] });
    const t = renderAlertSms('fired', long, CTX);
    expect(t.length).toBeLessThanOrEqual(TWO_PARTS);
    expect(t).toContain('…');
    expect(t).toContain('上海庙示范一号煤矿（虚构）');
    expect(t).toContain('实测1.62%');
    expect(t).toContain('编号3f9a1c2b');
  });

  it('omits value and threshold when the alert has none (weather)', () => {
    const w = alert({ value: undefined, threshold: undefined, title: '雷雨大风橙色预警', severity: 'orange', actions: ['停止高边坡作业和爆破'] });
    const t = renderAlertSms('fired', w, CTX);
    expect(t).not.toContain('实测');
    expect(t).toContain('橙色预警');
    expect(t).toContain('处置：停止高边坡作业和爆破');
  });

  it('falls back to the town id name table and site id without context', () => {
    const t = renderAlertSms('fired', alert());
    expect(t).toContain('上海庙镇');
    expect(t).toContain('cm-shm-01');
  });
});

describe('drills', () => {
  it.each<[string, string]>([
    // CAP Exercise
    ['演练', '【演练】'],
    // CAP Test
    ['测试', '【测试】'],
    // any other truthy label is a drill
    ['true', '【演练】'],
  ])('labels.drill=%s → prefix %s, and says it is not real', (label, prefix) => {
    const a = alert({ labels: { drill: label } });
    for (const kind of ['fired', 'updated', 'escalated', 'resolved'] as const) {
      const t = renderAlertSms(kind, a, CTX);
      expect(t.startsWith(prefix)).toBe(true);
      expect(t).toContain('非真实警情');
    }
    expect(renderAlertSms('fired', a, CTX)).toContain(`处置（${prefix.slice(1, 3)}）`);
  });

  it('labels.drill=false is not a drill', () => {
    expect(drillTag(alert({ labels: { drill: 'false' } }))).toBeUndefined();
  });
});

describe('other kinds', () => {
  it('escalated names the leader, minutes unacknowledged and the action', () => {
    const a = alert({ escalation: 1, updatedAt: '2024-07-16T14:10:30.000+08:00' });
    const t = renderAlertSms('escalated', a, { ...CTX, escalatedTo: '陈志明' });
    expect(t).toContain('【升级提醒】陈志明');
    expect(t).toContain('5分钟未确认');
    expect(t).toContain('14:10');
    expect(t).toContain('处置：立即切断');
    expect(t.length).toBeLessThanOrEqual(TWO_PARTS);
  });

  it('updated states the current colour', () => {
    const t = renderAlertSms('updated', alert({ severity: 'orange' }), CTX);
    expect(t).toContain('现为橙色');
    expect(t).toContain('停止电钻打眼');
  });

  it('resolved states the duration and end time, without an action', () => {
    const a = alert({ state: 'resolved', endsAt: '2024-07-16T14:47:00.000+08:00' });
    const t = renderAlertSms('resolved', a, CTX);
    expect(t).toContain('【解除】');
    expect(t).toContain('持续41分钟');
    expect(t).toContain('14:47');
    expect(t).not.toContain('处置');
  });

  it('an explicit `at` overrides the alert times', () => {
    expect(renderAlertSms('fired', alert(), { ...CTX, at: Date.parse('2024-07-16T23:59:00+08:00') })).toContain('23:59');
  });
});

describe('helpers', () => {
  it.each<[string, string]>([
    // UTC instant rendered in +08:00
    ['2024-07-16T16:30:00Z', '00:30'],
    ['2024-07-16T08:05:00+08:00', '08:05'],
  ])('hhmm(%s) = %s', (ts, expected) => {
    expect(hhmm(ts)).toBe(expected);
  });

  it('requiredAction prefers the own colour, then an uncoloured action, then the first', () => {
    expect(requiredAction(alert({ severity: 'orange' }))).toMatch(/^停止电钻打眼/);
    expect(requiredAction(alert({ severity: 'blue', actions: ['黄色：甲', '向县应急管理局报告。'] }))).toBe('向县应急管理局报告');
    expect(requiredAction(alert({ severity: 'blue', actions: ['黄色：甲'] }))).toBe('甲');
    expect(requiredAction(alert({ actions: [] }))).toBeUndefined();
  });

  it('shortAlertId keeps 8 characters', () => {
    expect(shortAlertId('3f9a1c2b7d4e5f60-lyq0k2a8')).toBe('3f9a1c2b');
  });

  it('splitUcs2: 70 fit one part, 71 need two of ≤ 67, surrogate pairs are not cut', () => {
    expect(splitUcs2('甲'.repeat(70))).toHaveLength(1);
    expect(splitUcs2('甲'.repeat(71)).map((p) => p.length)).toEqual([67, 4]);
    const emoji = `${'甲'.repeat(66)}😀${'乙'.repeat(10)}`;
    const parts = splitUcs2(emoji);
    expect(parts.join('')).toBe(emoji);
    expect(parts[0]).toHaveLength(66);
  });
});

describe('renderDutyReportHeader', () => {
  it('states date, counts per colour (red first), escalations, drills and open alerts', () => {
    const t = renderDutyReportHeader({ at: Date.parse('2024-07-16T08:00:00+08:00'), fired: { red: 1, orange: 2 }, open: 1, escalated: 1, drills: 3 });
    expect(t).toBe('【值班日报】7月16日08:00 过去24小时预警：红色1 橙色2 黄色0 蓝色0，升级1，演练3，未解除1。详见指挥中心大屏。');
    expect(countSmsParts(t)).toBe(1);
  });
});

describe('texts say what was measured, in its unit, and the action of the level crossed', () => {
  it('a level raised in a special period keeps the actions of the level that was crossed (100 % load raised to red is not the 130 % emergency)', () => {
    const a = alert({ severity: 'red', labels: { sensorId: 'CH4-T0-1201', specialPeriod: '二十届三中全会期间', raisedFrom: 'orange' } });
    expect(requiredAction(a)).toBe('停止电钻打眼，附近20m内严禁爆破，加强通风，撤出无关人员');
    expect(requiredAction(alert())).toBe('立即切断作业范围内全部非本质安全型电气设备电源，停止作业、撤出人员');
  });

  it('gives the unit, and for a deviation the reading itself before how far off it is', () => {
    expect(renderAlertSms('fired', alert({ labels: { unit: '%' } }), { siteName: 's' })).toContain('实测1.62%（阈值1.5%）');
    const v = alert({ title: '电压偏差越限 10kV-I-bus', value: 7.5, threshold: 7, labels: { unit: '%', reading: '9.25kV' } });
    expect(renderAlertSms('fired', v, { siteName: 's' })).toContain('实测9.25kV，偏差7.5%（阈值7%）');
  });
});

describe('texts to a company (site contacts)', () => {
  it('companyAction keeps what must happen at the site and drops the officer\'s call and report', () => {
    expect(companyAction('立即电话联系矿调度室，确认已切断作业范围内全部非本质安全型电气设备电源、停止作业、撤出人员，处置结果回报县应急管理局值班室')).toBe('立即切断作业范围内全部非本质安全型电气设备电源、停止作业、撤出人员');
    expect(companyAction('电话联系矿调度室，要求瓦斯检查员现场复核回风流甲烷')).toBe('瓦斯检查员现场复核回风流甲烷');
    expect(companyAction('责令企业立即停止作业')).toBe('立即停止作业');
    expect(companyAction('立即电话联系矿调度室，确认主要通风机已切换至备用回路')).toBe('立即确认主要通风机已切换至备用回路');
    expect(companyAction('立即电话通知场所负责人和值班室：停止作业和营业')).toBe('立即停止作业和营业');
    expect(companyAction('停止露天作业')).toBe('停止露天作业');
    expect(companyAction(undefined)).toBeUndefined();
  });

  it('asksCompany: not the regulator\'s casework, not riskstream\'s own system alerts, not a subject no longer tracked', () => {
    const base = { siteId: 'cm-shm-01', domain: 'mine', labels: {} } as unknown as Parameters<typeof asksCompany>[0];
    expect(asksCompany(base)).toBe(true);
    expect(asksCompany({ ...base, domain: 'enforcement' })).toBe(false);
    expect(asksCompany({ ...base, domain: 'system' })).toBe(false);
    expect(asksCompany({ ...base, labels: { tracking: 'stopped' } })).toBe(false);
    expect(asksCompany({ ...base, siteId: undefined })).toBe(false);
  });
});
