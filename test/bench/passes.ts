// Bench helper for engine.ts: the measured passes over a chunk of event bytes, and engine state
// for the report.
import { performance } from 'node:perf_hooks';
import { AlertBook } from '../../src/alerts/book.ts';
import type { Rule } from '../../src/contracts/rules.ts';
import type { AlertTransition } from '../../src/domain/transition.ts';
import type { ReferenceData } from '../../src/enrich/reference.ts';
import { validateEvent } from '../../src/ingest/validate.ts';
import { Stepper } from '../../src/rules/stepper.ts';
import { TOPICS, type Chunk } from './synth.ts';

/** Engine: one stepper and alert book, as the pipeline holds them. */
export interface Engine {
  stepper: Stepper;
  book: AlertBook;
}

export function createEngine(ref: ReferenceData, rules: readonly Rule[]): Engine {
  // maxResolved as in the live pipeline default: the resolved tail is bounded
  const book = new AlertBook({ maxResolved: 5000 });
  const stepper = new Stepper(ref, rules, (siteId) => book.openAlerts().filter((a) => a.siteId === siteId));
  return { stepper, book };
}

/** PassResult: one pass over a chunk. */
export interface PassResult {
  ms: number;
  /** process CPU time (user + system, all threads): steadier than wall time on a shared machine */
  cpuMs: number;
  rejected: number;
  transitions: number;
  alertEvents: number;
  kinds: Record<string, number>;
  late: number;
}

/** sink: keeps JSON.parse results observable so the baseline loop cannot be optimised away. */
export let sink = 0;

export function emptyResult(ms: number, cpuMs = 0, rejected = 0): PassResult {
  return { ms, cpuMs, rejected, transitions: 0, alertEvents: 0, kinds: {}, late: 0 };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** parsePass: the baseline, bytes → string → JSON.parse. */
export function parsePass(c: Chunk, batch: number, lat: Float64Array | undefined, latAt: number): PassResult {
  const { data, offsets, count } = c;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let b = 0;
  for (let start = 0; start < count; start += batch) {
    const tb = performance.now();
    const end = Math.min(count, start + batch);
    for (let i = start; i < end; i++) {
      const text = data.toString('utf8', offsets[i], offsets[i + 1]);
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        continue;
      }
      if (obj === null) sink++;
    }
    if (lat) lat[latAt + b] = ((performance.now() - tb) * 1000) / (end - start);
    b++;
  }
  return emptyResult(performance.now() - t0, cpuSince(c0));
}

/** validatePass: bytes → JSON.parse → validateEvent (the decode stage alone). */
export function validatePass(c: Chunk, batch: number, lat: Float64Array | undefined, latAt: number): PassResult {
  const { data, offsets, topics, count } = c;
  let rejected = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let b = 0;
  for (let start = 0; start < count; start += batch) {
    const tb = performance.now();
    const end = Math.min(count, start + batch);
    for (let i = start; i < end; i++) {
      const text = data.toString('utf8', offsets[i], offsets[i + 1]);
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        rejected++;
        continue;
      }
      const r = validateEvent(obj, TOPICS[topics[i]!], i, text);
      if (!r.ok) rejected++;
    }
    if (lat) lat[latAt + b] = ((performance.now() - tb) * 1000) / (end - start);
    b++;
  }
  return emptyResult(performance.now() - t0, cpuSince(c0), rejected);
}

/** enginePass: bytes → JSON.parse → validateEvent → Stepper.event; per batch tick + AlertBook.apply. */
export function enginePass(c: Chunk, eng: Engine, batch: number, lat: Float64Array | undefined, latAt: number, res?: PassResult): PassResult {
  const { data, offsets, topics, count } = c;
  const { stepper, book } = eng;
  const out: AlertTransition[] = [];
  const r0 = res ?? emptyResult(0);
  let rejected = 0;
  let transitions = 0;
  let alertEvents = 0;
  let late = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let b = 0;
  for (let start = 0; start < count; start += batch) {
    const tb = performance.now();
    const end = Math.min(count, start + batch);
    for (let i = start; i < end; i++) {
      const text = data.toString('utf8', offsets[i], offsets[i + 1]);
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        rejected++;
        continue;
      }
      const topic = TOPICS[topics[i]!]!;
      const r = validateEvent(obj, topic, i, text);
      if (!r.ok) {
        rejected++;
        continue;
      }
      if (stepper.event(topic, r.event, out).late) late++;
    }
    // event time is the clock: timers fire as the watermark passes them (as in the pipeline's batch)
    stepper.tick(stepper.watermark(), out);
    if (out.length > 0) {
      transitions += out.length;
      const stored = book.apply(out);
      alertEvents += stored.length;
      for (const s of stored) r0.kinds[s.event.kind] = (r0.kinds[s.event.kind] ?? 0) + 1;
      out.length = 0;
    }
    if (lat) lat[latAt + b] = ((performance.now() - tb) * 1000) / (end - start);
    b++;
  }
  r0.ms += performance.now() - t0;
  r0.cpuMs += cpuSince(c0);
  r0.rejected += rejected;
  r0.transitions += transitions;
  r0.alertEvents += alertEvents;
  r0.late += late;
  return r0;
}

/** stateByRule: rule-state subjects and open alerts per rule, largest first (what a growing heap holds). */
export function stateByRule(eng: Engine, top = 12): Array<{ rule: string; kind: string; subjects: number; openAlerts: number }> {
  const open = new Map<string, number>();
  for (const a of eng.book.openAlerts()) open.set(a.ruleId, (open.get(a.ruleId) ?? 0) + 1);
  // bench-only peek at the engine's evaluators (private): sizes per rule, for the report
  const evs = (eng.stepper.engine as unknown as { evaluators?: Array<{ rule: Rule; size(): number }> }).evaluators ?? [];
  return evs
    .map((e) => ({ rule: e.rule.id, kind: e.rule.kind, subjects: e.size(), openAlerts: open.get(e.rule.id) ?? 0 }))
    .sort((a, b) => b.subjects + b.openAlerts - (a.subjects + a.openAlerts))
    .slice(0, top);
}

export function stateOf(eng: Engine): Record<string, number> {
  const ctx = eng.stepper.context;
  return {
    ruleSubjects: eng.stepper.engine.stateSize(),
    openAlerts: eng.book.openRecords().length,
    heldAlerts: eng.book.all().length,
    openHazards: ctx.openHazards.size,
    openPermits: ctx.openPermits.size,
    openAccidents: ctx.openAccidents.size,
    warnings: ctx.warnings.size,
  };
}
