// Engine benchmark (a script, not a vitest test): `npm run bench -- [--events N] [--soak N]`.
//
// Measures the engine alone on a synthetic, deterministic mix (see synth.ts), from bytes to alert
// events: per line utf8 decode → JSON.parse → validateEvent → Stepper.event, and per batch
// Stepper.tick(watermark) → AlertBook.apply. In the same run, baselines over the same bytes:
// decode + JSON.parse only, and decode + JSON.parse + validateEvent. Rounds alternate the modes;
// medians are reported. `--soak N` instead streams N generated events through one engine and
// samples heapUsed every 1M events to check that state stays bounded.
// Other flags: --rounds (3), --batch (1000 events per tick/apply and per latency sample),
// --warmup (300000), --seed, --only parse|validate|engine (for profiling one mode:
// `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/bench/engine.ts --events 500000 --only engine`,
// then `node --import tsx test/bench/profile-top.ts /tmp/prof/<file>.cpuprofile`). Marginal cost
// per rule kind: test/bench/kinds.ts. Heap is measured after a forced GC when one can be had
// (--expose-gc, or enabled at runtime); the JSON says which.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BUNDLED } from '../../src/config/paths.ts';
import type { Rule } from '../../src/contracts/rules.ts';
import { loadReference, type ReferenceData } from '../../src/enrich/reference.ts';
import { loadRulePack } from '../../src/rules/pack.ts';
import { createEngine, emptyResult, enginePass, parsePass, sink, stateByRule, stateOf, validatePass, type Engine, type PassResult } from './passes.ts';
import { Generator, type Chunk } from './synth.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    soak: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '20240716' },
    // for profiling: run only one mode (parse, validate or engine)
    only: { type: 'string' },
  },
  strict: true,
});

function int(name: string, v: string | undefined): number {
  const n = Number(String(v).replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  return n;
}

const BATCH = int('batch', args.batch);
const SEED = int('seed', args.seed);

/** gcFn: forced full GC when available (--expose-gc, or enabled at runtime through the V8 flag). */
function getGc(): { gc: (() => void) | undefined; how: string } {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return { gc: g, how: '--expose-gc' };
  try {
    v8.setFlagsFromString('--expose-gc');
    const f = vm.runInNewContext('gc') as unknown;
    if (typeof f === 'function') return { gc: f as () => void, how: 'v8.setFlagsFromString' };
  } catch {
    // fall through: report heap without a forced collection
  }
  return { gc: undefined, how: 'none (heap figures include garbage)' };
}
const { gc, how: gcHow } = getGc();

function heapUsed(): number {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function quantile(xs: Float64Array, q: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

function env(): Record<string, unknown> {
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg1mAtStart: round(loadavg()[0] ?? 0, 2),
    gc: gcHow,
  };
}

/**
 * engineRound runs one timed engine pass on a fresh engine. In its own function so that an earlier
 * round's engine is garbage by the time the last round measures heap growth (before: the fresh
 * engine; after: the same engine after every event, state kept alive).
 */
function engineRound(ref: ReferenceData, rules: readonly Rule[], chunk: Chunk, lat: Float64Array, latAt: number, measureHeap: boolean): { res: PassResult; eng?: Engine; heap?: { before: number; after: number } } {
  const eng = createEngine(ref, rules);
  const before = measureHeap ? heapUsed() : 0;
  const res = enginePass(chunk, eng, BATCH, lat, latAt);
  if (!measureHeap) return { res };
  return { res, eng, heap: { before, after: heapUsed() } };
}

function compare(ref: ReferenceData, rules: readonly Rule[]): Record<string, unknown> {
  const n = int('events', args.events);
  const rounds = int('rounds', args.rounds);
  const warm = Math.min(n, int('warmup', args.warmup));
  const started = performance.now();
  const gen = new Generator(ref, { seed: SEED });
  const tg = performance.now();
  const chunk = gen.chunk(n);
  const genSec = (performance.now() - tg) / 1000;
  const warmChunk: Chunk = { ...chunk, count: warm };

  // warm-up: every mode on the first events, twice, so the JIT has seen all paths
  for (let w = 0; w < 2; w++) {
    if (args.only === undefined || args.only === 'parse') parsePass(warmChunk, BATCH, undefined, 0);
    if (args.only === undefined || args.only === 'validate') validatePass(warmChunk, BATCH, undefined, 0);
    if (args.only === undefined || args.only === 'engine') enginePass(warmChunk, createEngine(ref, rules), BATCH, undefined, 0);
  }

  const batches = Math.ceil(n / BATCH);
  const lat = { parse: new Float64Array(batches * rounds), validate: new Float64Array(batches * rounds), engine: new Float64Array(batches * rounds) };
  const ms = { parse: [] as number[], validate: [] as number[], engine: [] as number[] };
  const cpu = { parse: [] as number[], validate: [] as number[], engine: [] as number[] };
  let last: PassResult | undefined;
  let lastEngine: Engine | undefined;
  let heapBefore = 0;
  let heapAfter = 0;
  const order: Array<Array<'parse' | 'validate' | 'engine'>> = [
    ['parse', 'validate', 'engine'],
    ['engine', 'validate', 'parse'],
  ];
  const only = args.only;
  if (only !== undefined && !['parse', 'validate', 'engine'].includes(only)) throw new Error(`--only: expected parse, validate or engine, got "${only}"`);
  for (let r = 0; r < rounds; r++) {
    for (const mode of order[r % 2]!) {
      if (only !== undefined && mode !== only) continue;
      if (mode === 'parse') {
        const p = parsePass(chunk, BATCH, lat.parse, r * batches);
        ms.parse.push(p.ms);
        cpu.parse.push(p.cpuMs);
      } else if (mode === 'validate') {
        const v = validatePass(chunk, BATCH, lat.validate, r * batches);
        if (v.rejected > 0) throw new Error(`${v.rejected} synthetic events were rejected`);
        ms.validate.push(v.ms);
        cpu.validate.push(v.cpuMs);
      } else {
        // a fresh engine per round: every round does the same work (same alerts)
        const round = engineRound(ref, rules, chunk, lat.engine, r * batches, r === rounds - 1);
        ms.engine.push(round.res.ms);
        cpu.engine.push(round.res.cpuMs);
        last = round.res;
        if (round.heap) {
          heapBefore = round.heap.before;
          heapAfter = round.heap.after;
          lastEngine = round.eng;
        }
      }
    }
  }
  const eps = (m: number[]) => (m.length === 0 ? 0 : Math.round(n / (median(m) / 1000)));
  const stats = (m: number[], c: number[], l: Float64Array) => ({
    eventsPerSec: eps(m),
    roundsEventsPerSec: m.map((x) => Math.round(n / (x / 1000))),
    eventsPerCpuSec: eps(c),
    perEventUs: { p50: round(quantile(l, 0.5), 3), p99: round(quantile(l, 0.99), 3), max: round(quantile(l, 1), 3) },
  });
  const engine = stats(ms.engine, cpu.engine, lat.engine);
  const baseline = stats(ms.parse, cpu.parse, lat.parse);
  const ratio = round(engine.eventsPerSec / baseline.eventsPerSec, 3);
  const ratioCpu = round(engine.eventsPerCpuSec / baseline.eventsPerCpuSec, 3);
  return {
    bench: 'engine',
    ...env(),
    events: n,
    bytes: chunk.bytes,
    avgEventBytes: round(chunk.bytes / n, 1),
    sensors: gen.sensorCount,
    gridPoints: gen.gridPoints,
    mix: gen.mix,
    rounds,
    batch: BATCH,
    engine,
    baseline: { what: 'utf8 decode + JSON.parse', ...baseline },
    decodeStage: { what: 'utf8 decode + JSON.parse + validateEvent', ...stats(ms.validate, cpu.validate, lat.validate) },
    ratio,
    ratioCpu,
    target: 0.5,
    meetsTarget: ratio >= 0.5,
    alerts: {
      transitionsPerRound: last?.transitions,
      alertEventsPerRound: last?.alertEvents,
      byKind: last?.kinds,
      lateEvents: last?.late,
    },
    heap: {
      beforeMB: mb(heapBefore),
      afterMB: mb(heapAfter),
      growthMB: mb(heapAfter - heapBefore),
      note: `last engine round, ${n} events, state kept alive; input bytes are off-heap (${mb(chunk.bytes)} MB)`,
      state: lastEngine ? stateOf(lastEngine) : undefined,
    },
    generateSec: round(genSec, 1),
    elapsedSec: round((performance.now() - started) / 1000, 1),
    sink: sink & 1,
  };
}

function soak(ref: ReferenceData, rules: readonly Rule[]): Record<string, unknown> {
  const total = int('soak', args.soak);
  const CHUNK = 100_000;
  const SAMPLE = 1_000_000;
  const started = performance.now();
  const gen = new Generator(ref, { seed: SEED });
  const eng = createEngine(ref, rules);
  const res = emptyResult(0);
  const series: Array<{ events: number; heapUsedMB: number; ruleSubjects: number; openAlerts: number; heldAlerts: number; historyEvents: number }> = [];
  const sample = (events: number) => {
    // alert events kept in the held records' histories (each capped at 200 by the book)
    let historyEvents = 0;
    for (const r of eng.book.exportState().records) historyEvents += r.history.length;
    series.push({ events, heapUsedMB: mb(heapUsed()), ruleSubjects: eng.stepper.engine.stateSize(), openAlerts: eng.book.openRecords().length, heldAlerts: eng.book.all().length, historyEvents });
  };
  sample(0);
  let chunk: Chunk | undefined;
  let done = 0;
  let genMs = 0;
  while (done < total) {
    const count = Math.min(CHUNK, total - done);
    const tg = performance.now();
    chunk = gen.chunk(count, chunk);
    genMs += performance.now() - tg;
    enginePass(chunk, eng, BATCH, undefined, 0, res);
    done += count;
    if (done % SAMPLE === 0 || done === total) sample(done);
  }
  const at2m = series.find((s) => s.events === 2 * SAMPLE);
  const lastS = series[series.length - 1]!;
  const bounded = at2m !== undefined && lastS.events > at2m.events ? lastS.heapUsedMB <= at2m.heapUsedMB * 1.2 : undefined;
  // growth over the second half of the run, per 1M events: ≈ 0 once every bounded structure is full
  const mid = series.find((x) => x.events >= total / 2) ?? series[0]!;
  const tailSlope = lastS.events > mid.events ? round((lastS.heapUsedMB - mid.heapUsedMB) / ((lastS.events - mid.events) / SAMPLE), 2) : undefined;
  return {
    bench: 'engine-soak',
    ...env(),
    events: total,
    sensors: gen.sensorCount,
    mix: gen.mix,
    engineEventsPerSec: Math.round(total / (res.ms / 1000)),
    engineEventsPerCpuSec: Math.round(total / (res.cpuMs / 1000)),
    alerts: { transitions: res.transitions, alertEvents: res.alertEvents, byKind: res.kinds, lateEvents: res.late, rejected: res.rejected },
    heapSeries: series,
    bounded,
    secondHalfGrowthMBPerMillion: tailSlope,
    verdict:
      bounded === undefined
        ? 'not judged: needs a soak of more than 2M events'
        : `${bounded ? 'bounded' : 'GROWING'}: heapUsed ${lastS.heapUsedMB} MB at ${lastS.events} events vs ${at2m!.heapUsedMB} MB at 2M (limit 1.2x = ${round(at2m!.heapUsedMB * 1.2, 1)} MB)`,
    state: stateOf(eng),
    stateByRule: stateByRule(eng),
    generateSec: round(genMs / 1000, 1),
    elapsedSec: round((performance.now() - started) / 1000, 1),
  };
}

const reference = loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
const rulePack = loadRulePack(BUNDLED.rules);
const report = args.soak !== undefined ? soak(reference, rulePack) : compare(reference, rulePack);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
