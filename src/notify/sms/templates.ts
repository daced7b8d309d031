import type { Alert, AlertEventKind } from '../../contracts/alerts.ts';
import { TOWN_NAMES } from '../../contracts/common.ts';
import { SEVERITIES, SEVERITY_ZH, type Severity } from '../../domain/severity.ts';
import { formatTs, parseTs } from '../../domain/time.ts';
import { UCS2_PART_UNITS } from '../../domain/segments.ts';

/** TWO_PARTS: characters that fit two concatenated UCS-2 SMS; a fired text aims to stay within. */
export const TWO_PARTS = 2 * UCS2_PART_UNITS;
/** THREE_PARTS: a company's text says what to do and how to report back: it may take a third part rather than lose its instruction. */
const THREE_PARTS = 3 * UCS2_PART_UNITS;
const MIN_ACTION = 12;
const MIN_TITLE = 8;

/** SmsKind: the alert transitions that have a text, and the reminder that a company has not confirmed its actions. */
export type SmsKind = AlertEventKind | 'unconfirmed';

/** SmsContext: what the text needs beyond the alert itself. */
export interface SmsContext {
  /** the duty room's number a company calls back (the duty officer on the roster now) */
  dutyPhone?: string;
  siteName?: string;
  townName?: string;
  /** leader the alert was escalated to (for `escalated`) */
  escalatedTo?: string;
  /** the transition instant (epoch ms or ISO); default: startsAt for fired, endsAt for resolved, else updatedAt */
  at?: number | string;
  /** unit shown after value and threshold, e.g. "%" */
  unit?: string;
}

/** hhmm renders an instant as local time HH:mm (+08:00). */
export function hhmm(at: number | string): string {
  return formatTs(parseTs(at)).slice(11, 16);
}

/** shortAlertId is the first 8 characters of an alert id: enough to find it on the dashboard. */
export function shortAlertId(id: string): string {
  return id.slice(0, 8);
}

/** drillTag is "演练" or "测试" for drill alerts (labels.drill), else undefined. */
export function drillTag(alert: Alert): string | undefined {
  const d = alert.labels.drill;
  if (d === undefined || d === 'false') return undefined;
  return d === '测试' || d.toLowerCase() === 'test' ? '测试' : '演练';
}

const COLOUR_PREFIX = /^(蓝色|黄色|橙色|红色)(（[^）]*）)?[：:]\s*/;

/**
 * requiredAction picks the action for the alert's colour: rule packs list actions per colour
 * ("红色（断电浓度1.5%）：立即切断…"), so a red alert takes the first 红色 action, else the first
 * action without a colour, else the first. The colour prefix is dropped to save characters.
 */
export function requiredAction(alert: Alert): string | undefined {
  // a level raised in a special period keeps the actions of the level that was crossed
  const crossed = alert.labels.raisedFrom as Severity | undefined;
  const own = SEVERITY_ZH[crossed && SEVERITY_ZH[crossed] ? crossed : alert.severity];
  const pick =
    alert.actions.find((a) => a.startsWith(own)) ?? alert.actions.find((a) => !COLOUR_PREFIX.test(a)) ?? alert.actions[0];
  return pick?.replace(COLOUR_PREFIX, '').replace(/[。；;.\s]+$/u, '').trim();
}

/** num renders a measured value without float noise (at most 3 decimals). */
function num(v: number): string {
  return String(Number(v.toFixed(3)));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

function where(alert: Alert, ctx: SmsContext): string {
  const town = ctx.townName ?? (alert.town ? (TOWN_NAMES[alert.town] ?? alert.town) : '');
  const site = ctx.siteName ?? alert.siteId ?? '';
  return town && site ? `${town} ${site}` : town || site;
}

function measured(alert: Alert, unit: string): string {
  if (alert.value === undefined) return '';
  const u = unit || alert.labels.unit || '';
  const th = alert.threshold !== undefined ? `（阈值${num(alert.threshold)}${u}）` : '';
  // a deviation: the reading itself, then how far it is off (a 10 kV bus at 9.25 kV is 7.5 % low)
  if (alert.labels.reading) return `，实测${alert.labels.reading}，偏差${num(alert.value)}${u}${th}`;
  return `，实测${num(alert.value)}${u}${th}`;
}

function defaultAt(kind: SmsKind, alert: Alert): string {
  if (kind === 'fired') return alert.startsAt;
  if (kind === 'resolved') return alert.endsAt ?? alert.updatedAt;
  return alert.updatedAt;
}

function minutesBetween(from: string, to: number | string): number {
  return Math.max(0, Math.floor((parseTs(to) - parseTs(from)) / 60_000));
}

/** Parts of a text: `head` and `tail` are kept whole; title and action shrink to fit two SMS. */
interface Draft {
  head: string;
  /** "处置" or "处置（演练）" */
  actionLabel?: string;
  title: string;
  middle: string;
  action?: string;
  tail: string;
}

function compose(d: Draft, title: string, action: string | undefined): string {
  return `${d.head}${title}${d.middle}${action ? `。${d.actionLabel ?? '处置'}：${action}` : ''}。${d.tail}`;
}

/** fit shortens the action, then the title, until the text fits two SMS (when it can). */
function fit(d: Draft, max: number = TWO_PARTS): string {
  let text = compose(d, d.title, d.action);
  if (text.length <= max) return text;
  if (d.action) {
    const room = d.action.length - (text.length - max);
    text = compose(d, d.title, clip(d.action, Math.max(MIN_ACTION, room)));
    if (text.length <= max) return text;
  }
  const action = d.action ? clip(d.action, MIN_ACTION) : undefined;
  const room = d.title.length - (compose(d, d.title, action).length - max);
  return compose(d, clip(d.title, Math.max(MIN_TITLE, room)), action);
}

/**
 * renderAlertSms renders the Chinese text for one alert transition: colour, town and site, what
 * (title), value and threshold, the required action, local time HH:mm and the short alert id.
 * Drills (labels.drill) start with 【演练】/【测试】 and say they are not real. A fired text is kept
 * within two SMS parts (134 characters) by shortening the action and title when needed.
 *
 * @example renderAlertSms('fired', alert, { siteName: '上海庙示范一号煤矿', townName: '上海庙镇' })
 */
export function renderAlertSms(kind: SmsKind, alert: Alert, ctx: SmsContext = {}): string {
  // the text names the site once, before the title: a title that repeats it (「水位超警戒 某旅游区」) loses it
  alert = untitledSite(alert, ctx);
  const drill = drillTag(alert);
  const colour = SEVERITY_ZH[alert.severity];
  const at = ctx.at ?? defaultAt(kind, alert);
  const place = where(alert, ctx);
  const unit = ctx.unit ?? '';
  const pre = drill ? `【${drill}】` : '';
  const real = drill ? `${drill}信息，非真实警情。` : '';
  const tail = `${real}${hhmm(at)} 编号${shortAlertId(alert.id)}`;
  const action = requiredAction(alert);
  const what = measured(alert, unit);
  const actionLabel = drill ? `处置（${drill}）` : '处置';
  switch (kind) {
    case 'fired':
      return fit({ head: `${pre}【${colour}预警】${place}：`, title: alert.title, middle: what, action, actionLabel, tail });
    case 'updated':
      return fit({ head: `${pre}【预警变更·现为${colour}】${place}：`, title: alert.title, middle: what, action, actionLabel, tail });
    case 'escalated': {
      const mins = minutesBetween(alert.startsAt, at);
      const to = ctx.escalatedTo ? `${ctx.escalatedTo}：` : '';
      return fit({
        head: `${pre}【升级提醒】${to}${colour}预警${mins > 0 ? `${mins}分钟` : ''}未确认，请督办。${place}：`,
        title: alert.title,
        middle: what,
        action,
        actionLabel,
        tail,
      });
    }
    case 'unconfirmed': {
      const mins = minutesBetween(alert.startsAt, at);
      return fit({
        head: `${pre}【企业未反馈】${place}：`,
        title: alert.title,
        middle: `，${mins > 0 ? `${mins}分钟` : ''}未收到企业处置反馈`,
        action: '电话督促企业落实处置措施，核实后在指挥中心大屏登记企业反馈',
        actionLabel: '请',
        tail,
      });
    }
    case 'acknowledged': {
      const by = alert.acks.at(-1)?.by;
      return fit({ head: `${pre}【已确认】${place}：`, title: alert.title, middle: by ? `，已由${by}确认` : '', tail });
    }
    case 'resolved': {
      const mins = minutesBetween(alert.startsAt, at);
      return fit({ head: `${pre}【解除】${place}：`, title: alert.title, middle: `（${colour}）已解除，持续${mins}分钟`, tail });
    }
  }
}

/** untitledSite: the alert with its site's name taken out of the title (the text names the site before it). */
function untitledSite(alert: Alert, ctx: SmsContext): Alert {
  const name = ctx.siteName;
  if (!name || !alert.title.includes(name)) return alert;
  const title = alert.title.replace(name, '').replace(/\s{2,}/gu, ' ').trim();
  return title.length > 0 ? { ...alert, title } : alert;
}

/**
 * companyAction turns an action written for the duty officer into the company's part of it: the
 * call to the company's own dispatch room, the order to the company and the report back to the
 * bureau are the officer's; what must happen at the site is the company's.
 *
 * @example companyAction('立即电话联系矿调度室，确认已切断电源、撤出人员，处置结果回报县应急管理局值班室') // '立即切断电源、撤出人员'
 */
export function companyAction(action: string | undefined): string | undefined {
  if (action === undefined) return undefined;
  const out = action
    .replace(/^(立即)?电话(联系|通知)[^，,：:]*[，,：:](要求|确认已)?/u, '$1')
    .replace(/^(立即)?(责令|要求|督促|通知)(企业|矿方|单位|现场)?/u, '$1')
    .replace(/[，,；;]?\s*(处置结果|处置情况)?(回报|报告)[^，,；;。]*(值班室|应急管理局)[^，,；;。]*$/u, '')
    .trim();
  return out.length > 0 ? out : action;
}

/**
 * renderSiteSms renders the text to a site's own contact (the company): what was measured, what it
 * must do now (the action of the alert's colour), and that it must report back once done, calling
 * the duty room and quoting the alert number (the officer records it: POST /api/v1/alerts/{id}/confirm). `others`: more alerts of the site in the same text.
 *
 * @example renderSiteSms(alert, { siteName: '上海庙示范一号煤矿', townName: '上海庙镇' })
 */
export function renderSiteSms(alert: Alert, ctx: SmsContext = {}, others = 0): string {
  alert = untitledSite(alert, ctx);
  const drill = drillTag(alert);
  const pre = drill ? `【${drill}】` : '';
  const real = drill ? `${drill}信息，非真实警情。` : '';
  const town = ctx.townName ?? (alert.town ? (TOWN_NAMES[alert.town] ?? alert.town) : '');
  const site = ctx.siteName ?? alert.siteId ?? '';
  return fit({
    head: `${pre}【${town}应急指挥中心·${SEVERITY_ZH[alert.severity]}预警】${site}：`,
    title: alert.title,
    middle: measured(alert, ctx.unit ?? ''),
    action: companyAction(requiredAction(alert)),
    actionLabel: '请立即',
    tail: `${others > 0 ? `另有${others}条预警，详询值班室。` : ''}${real}处置完成后请致电值班室${ctx.dutyPhone ? `（${ctx.dutyPhone}）` : ''}反馈（本号码不接收短信回复），编号${shortAlertId(alert.id)}，${hhmm(ctx.at ?? alert.startsAt)}`,
  }, THREE_PARTS);
}

/** DutyReportSummary: the counts a daily duty report (值班日报) header states. */
export interface DutyReportSummary {
  /** the report instant, normally 08:00 local; the report covers the 24 h before it */
  at: number;
  /** alerts fired in the period, per severity */
  fired: Partial<Record<Severity, number>>;
  /** alerts still open at `at` */
  open: number;
  /** of the fired ones, how many were escalated to a leader */
  escalated?: number;
  /** drill alerts in the period (not counted in `fired`) */
  drills?: number;
}

/**
 * renderDutyReportHeader renders the first text of the daily duty report (值班日报), e.g.
 * "【值班日报】7月16日08:00 过去24小时预警：红色1 橙色2 黄色0 蓝色0，升级1，未解除1。详见指挥中心大屏。"
 */
export function renderDutyReportHeader(s: DutyReportSummary): string {
  const local = formatTs(s.at);
  const date = `${Number(local.slice(5, 7))}月${Number(local.slice(8, 10))}日${local.slice(11, 16)}`;
  const counts = [...SEVERITIES].reverse().map((sev) => `${SEVERITY_ZH[sev]}${s.fired[sev] ?? 0}`).join(' ');
  const esc = s.escalated ? `，升级${s.escalated}` : '';
  const drills = s.drills ? `，演练${s.drills}` : '';
  return `【值班日报】${date} 过去24小时预警：${counts}${esc}${drills}，未解除${s.open}。详见指挥中心大屏。`;
}
