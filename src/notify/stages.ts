import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert } from '../contracts/alerts.ts';
import type { Muter } from '../alerts/mute.ts';
import type { TextRecords } from './records.ts';

/** Person: someone on the duty roster. */
export interface Person {
  name: string;
  phone: string;
}

/** Intent: one text one person should get about one alert transition. */
export interface Intent {
  key: string;
  alert: Alert;
  /** `unconfirmed`: the company has not confirmed its actions in time (to the duty officer) */
  kind: 'fired' | 'escalated' | 'resolved' | 'unconfirmed';
  level: number;
  to: Person;
  /** `site`: the company's own contact, texted the actions meant for the site */
  role: 'officer' | 'leader' | 'site';
}

/** Batch: the intents of one group for one number, on their way through the flush stages to one text. */
export interface Batch {
  /** the group (`phone|site|kind`, or `summary|phone`) */
  key: string;
  phone: string;
  /** a number's fold past its queue bound: one summary text */
  summary: boolean;
  intents: Intent[];
  /** when the group was flushed */
  at: number;
  /** set by the render stage */
  text?: string;
  /** set by the send stage */
  sent?: { at: number; smsId: string; providerIds?: string[] };
}

/**
 * Stage: one step of the notification pipeline (Alertmanager's `notify.Stage`): it returns the
 * batch to go on with, or undefined when nothing is left to do.
 */
export interface Stage {
  readonly name: string;
  exec(b: Batch): Batch | undefined | Promise<Batch | undefined>;
}

/**
 * runStages runs a batch through the stages in order until one ends it or nothing is left; says
 * how many intents each stage dropped (`dropped(stage, n)`), so nothing leaves unseen.
 */
export async function runStages(stages: readonly Stage[], batch: Batch, dropped?: (stage: string, n: number) => void): Promise<void> {
  let b: Batch | undefined = batch;
  for (const s of stages) {
    const before = b.intents.length;
    b = await s.exec(b);
    const after = b?.intents.length ?? 0;
    if (after < before && b !== undefined) dropped?.(s.name, before - after);
    if (!b || b.intents.length === 0) return;
  }
}

/** FILTER_SLICE: intents a stage looks at per turn of the event loop (a summary can stand for 20,000). */
const FILTER_SLICE = 500;

/**
 * filterSliced keeps the intents `keep` accepts, yielding a turn of the event loop between slices:
 * a fold of 20,000 intents checked at once would hold up the alerts arriving meanwhile.
 */
async function filterSliced(intents: readonly Intent[], keep: (i: Intent) => boolean): Promise<Intent[]> {
  const out: Intent[] = [];
  for (let k = 0; k < intents.length; k += FILTER_SLICE) {
    if (k > 0) await new Promise<void>((r) => setImmediate(r));
    const end = Math.min(intents.length, k + FILTER_SLICE);
    for (let j = k; j < end; j++) if (keep(intents[j]!)) out.push(intents[j]!);
  }
  return out;
}

/**
 * summaryText: the one text that stands for the intents folded for a number — new or escalated
 * alerts, and resolutions said apart (180 alerts clearing must not read as 180 waiting).
 */
export const summaryText = (n: number, resolved = 0): string => {
  const open = n - resolved;
  if (resolved === 0) return `【风险告警汇总】另有 ${n} 条告警未单独发送，请查看指挥中心大屏。`;
  if (open === 0) return `【风险告警汇总】另有 ${resolved} 条告警已解除（未单独发送），请查看指挥中心大屏。`;
  return `【风险告警汇总】另有 ${open} 条告警未单独发送，${resolved} 条告警已解除，请查看指挥中心大屏。`;
};

/**
 * muteStage: drops what became muted during the group wait — the alert acknowledged, resolved or
 * gone (fired and escalated texts are only for a firing alert), silenced or inhibited since. A resolution is
 * always told to whoever was told it fired.
 */
export function muteStage(muter: Muter, openAlert: (id: string) => Alert | undefined): Stage {
  return {
    name: 'mute',
    async exec(b) {
      const keep = await filterSliced(b.intents, (i) => {
        if (i.kind === 'resolved') return true;
        const cur = openAlert(i.alert.id);
        if (!cur) return false;
        // the company acts whether or not the command centre has acknowledged; a reminder that it
        // has not confirmed ends once it does
        if (i.role === 'site' || i.kind === 'unconfirmed') {
          if (i.kind === 'unconfirmed' && cur.labels.confirmedAt !== undefined) return false;
          return muter.mutes(cur, b.at) === undefined;
        }
        // fired and escalated texts are about an alert nobody has acknowledged yet: an
        // acknowledgement during the group wait ends them (the leader is not chased for a handled alert)
        if (cur.state !== 'firing') return false;
        return muter.mutes(cur, b.at) === undefined;
      });
      return { ...b, intents: keep };
    },
  };
}

/** dedupStage: drops what the notification log shows as texted already (by this instance or another). */
export function dedupStage(records: TextRecords): Stage {
  return { name: 'dedup', exec: async (b) => ({ ...b, intents: await filterSliced(b.intents, (i) => !records.wasSent(i.key)) }) };
}

/** renderStage: the text — one alert, many alerts of one site, or a number's summary. */
export function renderStage(render: (intents: readonly Intent[]) => string): Stage {
  return { name: 'render', exec: (b) => ({ ...b, text: b.summary ? summaryText(b.intents.length, b.intents.filter((i) => i.kind === 'resolved').length) : render(b.intents) }) };
}

/**
 * sendStage: sends the text (the sender owns rate limit and retries). The text's id is a hash of
 * its intents' keys, so a repeat after a crash reuses it. A failure goes to `failed`, which
 * records it and decides whether it is tried again; the batch ends there.
 */
export function sendStage(o: {
  send(msg: { id: string; to: string; text: string }): Promise<{ providerIds?: string[] }>;
  now(): number;
  logger: Logger;
  failed(b: Batch, smsId: string, err: unknown): Promise<void>;
}): Stage {
  return {
    name: 'send',
    async exec(b) {
      const smsId = createHash('sha256').update(b.intents.map((i) => i.key).join('\n')).digest('hex').slice(0, 24);
      try {
        const res = await o.send({ id: smsId, to: b.phone, text: b.text ?? '' });
        return { ...b, sent: { at: o.now(), smsId, ...(res.providerIds ? { providerIds: res.providerIds } : {}) } };
      } catch (err) {
        o.logger.error({ err, to: b.phone, group: b.key, alerts: b.intents.length }, 'text not sent');
        await o.failed(b, smsId, err);
        return undefined;
      }
    },
  };
}

/** recordStage: writes what was sent to the notification log (before anything else happens to it). */
export function recordStage(record: (b: Batch) => Promise<void>): Stage {
  return {
    name: 'record',
    async exec(b) {
      await record(b);
      return b;
    },
  };
}
