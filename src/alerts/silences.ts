import { randomUUID } from 'node:crypto';
import type { Alert } from '../contracts/alerts.ts';
import type { Silence, SilenceInput } from '../contracts/silences.ts';
import { formatTs } from '../domain/time.ts';
import { AppError } from '../errors.ts';

type Matchable = Pick<Alert, 'ruleId' | 'domain'> & { siteId?: string; town?: string };

/** Window: a silence with its start and end parsed once. */
interface Window {
  s: Silence;
  from: number;
  to: number;
}

function hit(want: string | string[] | undefined, got: string | undefined): boolean {
  if (want === undefined) return true;
  if (got === undefined) return false;
  return Array.isArray(want) ? want.includes(got) : want === got;
}

/** silenceMatches: every matcher the silence gives holds for the alert. */
export function silenceMatches(s: Pick<Silence, 'matchers'>, a: Matchable): boolean {
  const m = s.matchers;
  return hit(m.ruleId, a.ruleId) && hit(m.siteId, a.siteId) && hit(m.town, a.town) && hit(m.domain, a.domain);
}

/** SilenceBounds: how many silences may be held (limits.silences) and how long ended ones are kept (retention). */
export interface SilenceBounds {
  max?: number;
  retention?: number;
  /** the bound was reached ('reached', once until there is room again) and a silence refused ('overflow') */
  onLimit?: (what: 'reached' | 'overflow') => void;
}

/** Silences holds silences (active, pending and recently ended), with who made and ended each. */
export class Silences {
  private readonly byId = new Map<string, Silence>();
  /**
   * the index activeFor looks through (Alertmanager indexes silences by matcher): silences naming
   * sites, by site, and the rest (no siteId matcher), each with its window parsed once
   */
  private readonly bySite = new Map<string, Map<string, Window>>();
  private readonly wide = new Map<string, Window>();
  private atLimit = false;
  /** candidate silences looked at so far (a guard that the cost stays flat; see the unit test) */
  examined = 0;

  private readonly bounds: SilenceBounds;
  constructor(
    initial: readonly Silence[] = [],
    bounds: SilenceBounds = {},
  ) {
    this.bounds = bounds;
    for (const s of initial) this.set(s);
  }

  /** set stores a silence and (re)indexes it. */
  private set(s: Silence): void {
    this.remove(s.id);
    this.byId.set(s.id, s);
    const w: Window = { s, from: Date.parse(s.startsAt), to: Date.parse(s.endsAt) };
    const sites = s.matchers.siteId;
    if (sites === undefined) this.wide.set(s.id, w);
    else
      for (const site of Array.isArray(sites) ? sites : [sites]) {
        let m = this.bySite.get(site);
        if (!m) this.bySite.set(site, (m = new Map()));
        m.set(s.id, w);
      }
  }

  private remove(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    this.wide.delete(id);
    const sites = old.matchers.siteId;
    if (sites === undefined) return;
    for (const site of Array.isArray(sites) ? sites : [sites]) {
      const m = this.bySite.get(site);
      m?.delete(id);
      if (m?.size === 0) this.bySite.delete(site);
    }
  }

  /** nextChange: the first instant after `now` at which a held silence starts or ends (Infinity when none will). */
  nextChange(now: number): number {
    let next = Infinity;
    const see = (w: Window) => {
      if (w.from > now && w.from < next) next = w.from;
      else if (w.to > now && w.to < next) next = w.to;
    };
    for (const w of this.wide.values()) see(w);
    for (const m of this.bySite.values()) for (const w of m.values()) see(w);
    return next;
  }

  /** held counts the silences that count against the bound: all but ended ones past retention (which the sweep drops). */
  held(now: number): number {
    const cut = now - (this.bounds.retention ?? Infinity);
    let n = 0;
    for (const s of this.byId.values()) if (!(Date.parse(s.endsAt) < cut)) n++;
    return n;
  }

  /** list returns every held silence, newest first. */
  list(): Silence[] {
    return [...this.byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** get returns one held silence. */
  get(id: string): Silence | undefined {
    return this.byId.get(id);
  }

  /** add creates a silence; checks that it ends after it starts. */
  add(input: SilenceInput, by: string, now: number): Silence {
    const startsAt = input.startsAt === undefined ? now : typeof input.startsAt === 'number' ? input.startsAt : Date.parse(input.startsAt);
    const endsAt = typeof input.endsAt === 'number' ? input.endsAt : Date.parse(input.endsAt);
    if (!(endsAt > startsAt)) throw new AppError('BAD_REQUEST', `endsAt (${formatTs(endsAt)}) must be after startsAt (${formatTs(startsAt)})`, { details: [{ path: 'endsAt', message: 'must be after startsAt' }] });
    if (endsAt <= now) throw new AppError('BAD_REQUEST', 'endsAt is in the past', { details: [{ path: 'endsAt', message: 'must be in the future' }] });
    const max = this.bounds.max ?? Infinity;
    const held = max === Infinity ? 0 : this.held(now);
    if (held >= max) {
      if (!this.atLimit) this.bounds.onLimit?.('reached');
      this.atLimit = true;
      this.bounds.onLimit?.('overflow');
      throw new AppError('CONFLICT', `silence limit reached (${max}): ${held} silences are held, ended ones included until retention drops them; widen an existing silence's matchers instead`, { details: [{ path: 'matchers', message: `at most ${max} silences` }] });
    }
    this.atLimit = false;
    const s: Silence = {
      id: randomUUID(),
      matchers: input.matchers,
      startsAt: formatTs(startsAt),
      endsAt: formatTs(endsAt),
      createdBy: by,
      createdAt: formatTs(now),
      comment: input.comment,
    };
    this.set(s);
    return s;
  }

  /** put stores a silence made or ended on another instance (Kafka mode); the same id replaces it. */
  put(s: Silence): void {
    this.set(s);
  }

  /** expire ends a silence now (DELETE), recording who. */
  expire(id: string, by: string, now: number): Silence {
    const s = this.byId.get(id);
    if (!s) throw new AppError('NOT_FOUND', `silence ${id} not found`);
    if (Date.parse(s.endsAt) <= now) throw new AppError('CONFLICT', `silence ${id} has already ended`);
    const ended: Silence = { ...s, endsAt: formatTs(now), expiredBy: by, expiredAt: formatTs(now) };
    this.set(ended);
    return ended;
  }

  /** activeFor returns the first silence in force at `now` that covers the alert. */
  activeFor(a: Matchable, now: number): Silence | undefined {
    const site = a.siteId === undefined ? undefined : this.bySite.get(a.siteId);
    for (const group of site ? [site, this.wide] : [this.wide]) {
      for (const w of group.values()) {
        this.examined++;
        if (w.from <= now && now < w.to && silenceMatches(w.s, a)) return w.s;
      }
    }
    return undefined;
  }

  /** sweep drops silences that ended more than `retention` ago; returns whether anything changed. */
  sweep(now: number, retention: number): boolean {
    let changed = false;
    for (const [id, s] of this.byId) if (Date.parse(s.endsAt) < now - retention) {
      this.remove(id);
      changed = true;
    }
    return changed;
  }
}
