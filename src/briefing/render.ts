import type { Alert } from '../contracts/alerts.ts';
import { WORK_ZH } from '../domain/permit-work.ts';
import { SEVERITY_ZH, type Severity } from '../domain/severity.ts';
import type { Briefing, BriefingChanges, TownBriefing } from './model.ts';

/** TownWithChanges: a town's briefing and what changed since the previous one. */
export type TownWithChanges = TownBriefing & { changes?: BriefingChanges };
export type BriefingView = Omit<Briefing, 'towns'> & { towns: TownWithChanges[] };

const KIND_ZH: Record<string, string> = { coal_mine: '煤矿', open_pit_mine: '露天矿', non_coal_mine: '非煤矿山', substation: '变电站', power_line: '输电线路', construction_site: '建筑工地', scenic_area: '景区', crowded_venue: '人员密集场所', logistics_park: '物流园区', transport_operator: '道路运输企业', high_rise_building: '高层建筑', chemical_plant: '化工企业' };
const LEVEL_ROMAN: Record<Severity, string> = { red: 'Ⅰ级', orange: 'Ⅱ级', yellow: 'Ⅲ级', blue: 'Ⅳ级' };
const kindZh = (k: string) => KIND_ZH[k] ?? k;
const sevZh = (s: Severity) => SEVERITY_ZH[s] ?? s;
/** hm: "2026-07-16T14:00:00+08:00" → "07-16 14:00" */
const hm = (iso: string) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;

/**
 * md: text from events and reference data in Markdown — one line (a headline's newlines could
 * start a forged section), Markdown and inline-HTML characters backslash-escaped.
 */
const md = (v: unknown) => String(v ?? '').replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/[\\`*_[\]<>#|~]/g, (c) => `\\${c}`);

/** esc: text from events and reference data is escaped before it goes into HTML. */
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function responseText(t: TownBriefing): string {
  if (!t.response) return '无预警，未启动响应';
  const r = t.response;
  return `县级${LEVEL_ROMAN[r.level]}响应（${sevZh(r.level)}）${r.raisedBy ? `，特殊时期“${r.raisedBy}”提级` : ''}`;
}

const alertLine = (a: Alert) => `${sevZh(a.severity)} · ${md(a.title)}${a.state === 'acknowledged' ? '（已确认）' : ''}`;

/** briefingMarkdown: the briefing as Markdown (for a chat group or a document). */
export function briefingMarkdown(b: BriefingView): string {
  const L: string[] = [`# 联合会商材料 Joint consultation briefing`, '', `会商时间 ${hm(b.at)} · 生成 ${hm(b.generatedAt)}`, ''];
  if (hm(b.at) !== hm(b.generatedAt)) L.push('预警与值班按会商时间；告警、雷达回波、隐患与作业票为生成时的状态。', '');
  for (const t of b.towns) {
    L.push(`## ${md(t.name)}`, '', `**响应级别：${responseText(t)}**`, '');
    L.push('### 生效预警', '');
    if (!t.warnings.length) L.push('- 无');
    for (const w of t.warnings) L.push(`- ${md(w.event)}${sevZh(w.level)}预警${w.drill ? '（演练/测试）' : ''} · ${md(w.sender)} · 有效期 ${hm(w.onset)} 至 ${hm(w.expires)}${w.headline ? ` · ${md(w.headline)}` : ''}`);
    L.push('', `### 受影响场所（${t.exposedSites.length} 处）`, '');
    if (!t.exposedByKind.length) L.push('- 无');
    for (const k of t.exposedByKind) {
      L.push(`- **${md(kindZh(k.kind))} ${k.sites.length}**：${k.sites.map((s) => md(s.name)).join('、')}`);
      for (const a of k.actions) L.push(`  - ${md(a)}`);
    }
    if (t.peopleAtRisk.length) {
      L.push('', '### 涉险人员（最新客流）', '');
      for (const p of t.peopleAtRisk) L.push(`- ${md(p.name)}：${p.visitors} 人（${hm(p.at)}）`);
    }
    L.push('', '### 预警区内高危作业与重大隐患', '');
    if (!t.permits.length && !t.hazardsInWarnedArea.length) L.push('- 无');
    for (const p of t.permits) L.push(`- 作业票 ${md(p.permitId)} ${md(WORK_ZH[p.work] ?? p.work)}（${p.grade === 'special' ? '特级' : `${md(p.grade)}级`}）· ${md(p.siteName)} · ${hm(p.validFrom)}–${hm(p.validTo)}`);
    for (const h of t.hazardsInWarnedArea) L.push(`- 重大隐患 ${md(h.hazardId)} · ${md(h.siteName)} · 期限 ${hm(h.deadline)}${h.overdue ? '（已逾期，视同事故）' : ''}`);
    L.push('', '### 雷达回波', '');
    if (!t.cells.length) L.push('- 无');
    for (const c of t.cells) L.push(`- ${md(c.cellId)} ${c.reflectivityDbz} dBZ${c.hail ? ' 冰雹' : ''} · 距${md(c.nearestSite)} ${c.distanceKm} km${c.motion ? ` · ${c.motion.speedKmh} km/h 向 ${c.motion.bearingDeg}°` : ''}${c.arrivesInMin !== undefined ? ` · 约 ${c.arrivesInMin} 分钟后到达` : ''}`);
    L.push('', '### 气象相关告警', '');
    if (!t.weatherAlerts.length) L.push('- 无');
    for (const a of t.weatherAlerts) L.push(`- ${alertLine(a)}`);
    L.push('', '### 设备与其他告警', '');
    if (!t.otherAlerts.length) L.push('- 无');
    for (const a of t.otherAlerts) L.push(`- ${alertLine(a)}`);
    L.push('', '### 值班', '', t.duty ? `- 值班员 ${md(t.duty.officer.name)} ${md(t.duty.officer.phone)} · 带班领导 ${md(t.duty.leader.name)} ${md(t.duty.leader.phone)}` : '- 未排班');
    L.push('', '### 较上次会商变化', '');
    const c = t.changes;
    if (!c) L.push('- 首次会商材料（无上次记录）');
    else {
      L.push(`- 上次：${hm(c.since)}`);
      const item = (label: string, xs: string[]) => xs.length && L.push(`- ${label}：${xs.map(md).join('、')}`);
      item('新增预警', c.warningsAdded);
      item('解除预警', c.warningsEnded);
      item('新增受影响场所', c.sitesExposed);
      item('不再受影响', c.sitesCleared);
      item('新增告警', c.alertsNew);
      item('已解除告警', c.alertsEnded);
      if (![c.warningsAdded, c.warningsEnded, c.sitesExposed, c.sitesCleared, c.alertsNew, c.alertsEnded].some((x) => x.length)) L.push('- 无变化');
    }
    L.push('');
  }
  return L.join('\n');
}

/** briefingHtml: the briefing as a page (print CSS for A4); `css` is linked (served) or inlined (a standalone file, the PDF). */
export function briefingHtml(b: BriefingView, css: { href: string } | { inline: string }): string {
  const list = (items: string[], empty = '无') => (items.length ? `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : `<p class="none">${empty}</p>`);
  const alertItem = (a: Alert) => `<span class="sev sev-${a.severity}">${esc(sevZh(a.severity))}</span> ${esc(a.title)}${a.state === 'acknowledged' ? ' <small>已确认</small>' : ''}`;
  const town = (t: TownWithChanges) => {
    const c = t.changes;
    const changeItems = c
      ? ([['新增预警', c.warningsAdded], ['解除预警', c.warningsEnded], ['新增受影响场所', c.sitesExposed], ['不再受影响', c.sitesCleared], ['新增告警', c.alertsNew], ['已解除告警', c.alertsEnded]] as const)
          .filter(([, xs]) => xs.length)
          .map(([l, xs]) => `${esc(l)}：${xs.map(esc).join('、')}`)
      : [];
    return `<section class="town" data-town="${esc(t.town)}">
<h2>${esc(t.name)}</h2>
<p class="response${t.response ? ` sev-${t.response.level}` : ''}" data-level="${esc(t.response?.level ?? '')}">响应级别：${esc(responseText(t))}</p>
<h3>生效预警 <small>预警颜色与响应级别分开标注</small></h3>
${list(t.warnings.map((w) => `<span class="sev sev-${w.level}">${esc(sevZh(w.level))}预警</span> ${esc(w.event)}${w.drill ? ' <small>演练/测试</small>' : ''} · ${esc(w.sender)} · 有效期 ${esc(hm(w.onset))} 至 ${esc(hm(w.expires))}${w.headline ? ` · ${esc(w.headline)}` : ''}`))}
<h3>受影响场所 <small>${t.exposedSites.length} 处</small></h3>
${t.exposedByKind.length ? t.exposedByKind.map((k) => `<div class="kind" data-kind="${esc(k.kind)}"><h4>${esc(kindZh(k.kind))} ${k.sites.length}</h4><p>${k.sites.map((s) => esc(s.name)).join('、')}</p>${k.actions.length ? `<ol class="actions">${k.actions.map((a) => `<li>${esc(a)}</li>`).join('')}</ol>` : ''}</div>`).join('') : '<p class="none">无</p>'}
${t.peopleAtRisk.length ? `<h3>涉险人员 <small>最新客流</small></h3>${list(t.peopleAtRisk.map((p) => `${esc(p.name)}：<b>${p.visitors}</b> 人 <small>${esc(hm(p.at))}</small>`))}` : ''}
<h3>预警区内高危作业与重大隐患</h3>
${list([...t.permits.map((p) => `作业票 ${esc(p.permitId)} ${esc(WORK_ZH[p.work] ?? p.work)}（${p.grade === 'special' ? '特级' : `${esc(p.grade)}级`}）· ${esc(p.siteName)} · ${esc(hm(p.validFrom))}–${esc(hm(p.validTo))}`), ...t.hazardsInWarnedArea.map((h) => `重大隐患 ${esc(h.hazardId)} · ${esc(h.siteName)} · 期限 ${esc(hm(h.deadline))}${h.overdue ? ' <b class="bad">已逾期，视同事故</b>' : ''}`)])}
<h3>雷达回波</h3>
${list(t.cells.map((c) => `${esc(c.cellId)} ${c.reflectivityDbz} dBZ${c.hail ? ' 冰雹' : ''} · 距${esc(c.nearestSite)} ${c.distanceKm} km${c.motion ? ` · ${c.motion.speedKmh} km/h 向 ${c.motion.bearingDeg}°` : ''}${c.arrivesInMin !== undefined ? ` · <b>约 ${c.arrivesInMin} 分钟后到达</b>` : ''}`))}
<div class="cols"><div><h3>气象相关告警 <small>${t.weatherAlerts.length}</small></h3>${list(t.weatherAlerts.map(alertItem))}</div>
<div><h3>设备与其他告警 <small>${t.otherAlerts.length}</small></h3>${list(t.otherAlerts.map(alertItem))}</div></div>
<h3>值班</h3>
<p>${t.duty ? `值班员 ${esc(t.duty.officer.name)} ${esc(t.duty.officer.phone)} · 带班领导 ${esc(t.duty.leader.name)} ${esc(t.duty.leader.phone)}` : '未排班'}</p>
<h3>较上次会商变化</h3>
<div class="changes">${c ? `<p><small>上次 ${esc(hm(c.since))}</small></p>${list(changeItems, '无变化')}` : '<p class="none">首次会商材料（无上次记录）</p>'}</div>
</section>`;
  };
  const style = 'href' in css ? `<link rel="stylesheet" href="${esc(css.href)}">` : `<style>${css.inline}</style>`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self' 'unsafe-inline'; img-src data:">
<title>联合会商材料 ${esc(hm(b.at))}</title>${style}</head>
<body class="briefing"><header><h1>联合会商材料 <small>Joint consultation briefing</small></h1>
<p>会商时间 <b id="briefing-at">${esc(hm(b.at))}</b> · 生成 ${esc(hm(b.generatedAt))} · 鄂托克前旗应急指挥中心</p>
${hm(b.at) !== hm(b.generatedAt) ? `<p class="as-of">预警与值班按会商时间；告警、雷达回波、隐患与作业票为生成时的状态。</p>` : ''}</header>
${b.towns.map(town).join('\n')}
</body></html>`;
}
