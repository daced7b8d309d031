// Bench helper: marginal cost of each rule kind in Stepper.event (+ tick per batch), on the same
// synthetic stream as engine.ts, from already validated events (so parse/validate cost is out).
// Usage: node --import tsx test/bench/kinds.ts [--events N] [--rounds R]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BUNDLED } from '../../src/config/paths.ts';
import type { Event } from '../../src/contracts/events.ts';
import type { Rule } from '../../src/contracts/rules.ts';
import type { AlertTransition } from '../../src/domain/transition.ts';
import { loadReference } from '../../src/enrich/reference.ts';
import { validateEvent } from '../../src/ingest/validate.ts';
import { loadRulePack } from '../../src/rules/pack.ts';
import { Stepper } from '../../src/rules/stepper.ts';
import { Generator, TOPICS } from './synth.ts';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '300000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.events);
const ROUNDS = Number(args.rounds);
const ref = loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
const pack = loadRulePack(BUNDLED.rules);
const c = new Generator(ref).chunk(N);
const topics: string[] = [];
const events: Event[] = [];
for (let i = 0; i < N; i++) {
  const text = c.data.toString('utf8', c.offsets[i], c.offsets[i + 1]);
  const topic = TOPICS[c.topics[i]!]!;
  const r = validateEvent(JSON.parse(text), topic, i, text);
  if (!r.ok) throw new Error(r.rejection.message);
  topics.push(topic);
  events.push(r.event);
}

function run(rules: readonly Rule[]): number {
  const s = new Stepper(ref, rules, () => []);
  const out: AlertTransition[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    s.event(topics[i]!, events[i]!, out);
    if (i % 1000 === 999) {
      s.tick(s.watermark(), out);
      out.length = 0;
    }
  }
  return performance.now() - t0;
}

const kinds = [...new Set(pack.map((r) => r.kind))];
const configs: Array<[string, Rule[]]> = [['(no rules: enrich only)', []], ...kinds.map((k): [string, Rule[]] => [k, pack.filter((r) => r.kind === k)]), ['(whole pack)', pack]];
const ms = new Map<string, number[]>();
for (let r = 0; r < ROUNDS + 1; r++) {
  for (const [name, rules] of r % 2 ? [...configs].reverse() : configs) {
    const t = run(rules);
    if (r > 0) ms.set(name, [...(ms.get(name) ?? []), t]); // round 0 warms up
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const base = med(ms.get('(no rules: enrich only)')!);
const rows = configs.map(([name, rules]) => {
  const m = med(ms.get(name)!);
  return { config: name, rules: rules.length, usPerEvent: Math.round((m * 1000) / N * 1000) / 1000, marginalUsPerEvent: Math.round(((m - base) * 1000) / N * 1000) / 1000 };
});
process.stdout.write(`${JSON.stringify({ node: process.version, events: N, rounds: ROUNDS, rows }, null, 2)}\n`);
