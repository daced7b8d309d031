import type { WarningImpactRule } from '../../contracts/rules.ts';
import type { AlertTransition } from '../../domain/transition.ts';
import { SEVERITY_ZH, severityRank, type Severity } from '../../domain/severity.ts';
import type { ActiveWarning, WarningChange } from '../../enrich/context.ts';
import type { EvalContext } from '../../enrich/eval-context.ts';
import { formatTs } from '../../domain/time.ts';
import { Emitter, flaggedSite, infoOfSite, type EngineEnv, type Evaluator } from '../evaluator.ts';

const SEP = '\u001f';
const DRILL: Record<string, string> = { Exercise: '演练', Test: '测试' };

/**
 * WarningImpactEvaluator: a weather warning in force raises one alert per exposed site inside its
 * area, with the actions for that kind of site; an Update re-targets them, Cancel or expiry resolves.
 * Exercise and Test warnings raise alerts labelled as drills (never texted as real).
 */
export class WarningImpactEvaluator implements Evaluator {
  readonly matchers = [];
  readonly acceptsLate = true;
  /** rootId → siteId → severity of the open alert */
  private readonly byRoot = new Map<string, Map<string, Severity>>();
  private readonly emitter: Emitter;

  readonly rule: WarningImpactRule;
  private readonly env?: EngineEnv;
  constructor(
    rule: WarningImpactRule,
    env?: EngineEnv,
  ) {
    this.rule = rule;
    this.env = env;
    this.emitter = new Emitter(rule, env);
  }

  evaluate(_ctx: EvalContext, _out: AlertTransition[]): void {
    // driven by warning changes from the context, not by events directly
  }

  private qualifies(w: ActiveWarning): boolean {
    return this.rule.events.includes(w.event) && severityRank(w.level) >= severityRank(this.rule.minLevel);
  }

  onWarnings(changes: readonly WarningChange[], now: number, out: AlertTransition[]): void {
    const env = this.env;
    if (!env) return;
    for (const ch of changes) {
      const w = ch.warning;
      const open = this.byRoot.get(w.rootId) ?? new Map<string, Severity>();
      const targets = new Map<string, Severity>();
      if (ch.kind === 'upsert' && this.qualifies(w)) {
        for (const siteId of w.siteIds) {
          const site = env.reference.sites.get(siteId);
          if (site && this.rule.siteKinds[site.kind] && flaggedSite(site, this.rule.siteFlags)) targets.set(siteId, w.level);
        }
      }
      const at = ch.kind === 'upsert' ? Math.max(w.source.sent, Math.min(now, w.expires)) : ch.reason === 'expired' ? w.expires : now;
      for (const [siteId, sev] of open) {
        if (targets.has(siteId)) continue;
        open.delete(siteId);
        this.emit(out, 'resolve', w, siteId, sev, at);
      }
      for (const [siteId, sev] of targets) {
        if (open.get(siteId) === sev) continue;
        open.set(siteId, sev);
        this.emit(out, 'fire', w, siteId, sev, at);
      }
      if (open.size > 0) this.byRoot.set(w.rootId, open);
      else this.byRoot.delete(w.rootId);
    }
  }

  private emit(out: AlertTransition[], action: 'fire' | 'resolve', w: ActiveWarning, siteId: string, severity: Severity, at: number): void {
    const env = this.env!;
    const site = env.reference.sites.get(siteId);
    const info = site
      ? infoOfSite(env.reference, site, 'risk.weather.warnings', { warningId: w.id, event: w.event, headline: w.headline, sender: w.sender })
      : { topic: 'risk.weather.warnings', event: { siteId, warningId: w.id } };
    info.key = w.id;
    // warningRoot: the first message of the warning's chain, the same for every update (screens group by it)
    const labels: Record<string, string> = { warningId: w.id, warningRoot: w.rootId, warningEvent: w.event, warningLevel: w.level };
    if (DRILL[w.status]) labels.drill = DRILL[w.status]!;
    if ((w.source as { simulated?: unknown }).simulated === true) labels.simulated = 'true';
    this.emitter.push(out, action, this.rule.id + SEP + w.rootId + SEP + siteId, info, {
      severity,
      at,
      labels,
      actions: site ? (this.rule.siteKinds[site.kind] ?? this.rule.actions) : this.rule.actions,
      vars: { warningEvent: w.event, level: w.level, levelZh: SEVERITY_ZH[w.level], expires: w.expires, validZh: validityZh(w.onset, w.expires), siteKind: site?.kind },
    });
  }

  seed(subjectKey: string, severity: Severity): void {
    const [, rootId, siteId] = subjectKey.split(SEP);
    if (!rootId || !siteId) return;
    const m = this.byRoot.get(rootId) ?? new Map<string, Severity>();
    m.set(siteId, severity);
    this.byRoot.set(rootId, m);
  }

  forget(subjectKey: string): void {
    const [, rootId, siteId] = subjectKey.split(SEP);
    if (rootId && siteId) this.byRoot.get(rootId)?.delete(siteId);
  }

  size(): number {
    let n = 0;
    for (const m of this.byRoot.values()) n += m.size;
    return n;
  }
}

/** validityZh: a warning's validity in local time, "13:20至19:20", the end with its date when it falls on another day ("22:00至7月17日06:00"). */
export function validityZh(onset: number, expires: number): string {
  const a = formatTs(onset);
  const b = formatTs(expires);
  const end = a.slice(0, 10) === b.slice(0, 10) ? b.slice(11, 16) : `${Number(b.slice(5, 7))}月${Number(b.slice(8, 10))}日${b.slice(11, 16)}`;
  return `${a.slice(11, 16)}至${end}`;
}
