import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AlertBook } from '../alerts/book.ts';
import { BUNDLED } from '../config/paths.ts';
import { enrich, keyOf } from '../enrich/enrich.ts';
import { loadReference } from '../enrich/reference.ts';
import { decodeLine } from '../ingest/decode.ts';
import { topicOfType } from '../jobs/demo.ts';
import { RuleEngine } from '../rules/engine.ts';
import { loadRulePack } from '../rules/pack.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { AppError } from '../errors.ts';

/**
 * runBacktest: evaluate rules offline over an NDJSON event file with event time as the clock.
 * Prints alert events (one JSON per line) on stdout and a summary on stderr; deterministic.
 */
export async function runBacktest(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { events: { type: 'string' }, rules: { type: 'string' }, sites: { type: 'string' }, calendar: { type: 'string' }, until: { type: 'string' } },
    strict: true,
  });
  if (!values.events) return fail('--events FILE is required');
  if (!existsSync(values.events)) return fail(`--events: no such file ${values.events}`);
  if (values.until !== undefined && Number.isNaN(Date.parse(values.until))) return fail(`--until: expected an ISO-8601 instant, got "${values.until}"`);
  let engine: RuleEngine;
  let reference;
  try {
    reference = loadReference({ sites: values.sites ?? BUNDLED.sites, roster: BUNDLED.roster, calendar: values.calendar ?? BUNDLED.calendar });
    engine = new RuleEngine(loadRulePack(values.rules ?? BUNDLED.rules));
  } catch (err) {
    if (err instanceof AppError) {
      for (const d of err.details) process.stderr.write(`${d.file ?? ''}: ${d.path}: ${d.message}\n`);
      if (err.details.length === 0) process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const book = new AlertBook({ maxResolved: 0 });
  let lines = 0;
  let accepted = 0;
  let rejected = 0;
  let alertEvents = 0;
  const transitions: AlertTransition[] = [];
  const rl = createInterface({ input: createReadStream(values.events, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    lines++;
    if (line.trim() === '') continue;
    const r = decodeLine(line, lines - 1);
    if (!r.ok) {
      rejected++;
      process.stderr.write(`${values.events}:${lines}: ${r.rejection.code}: ${r.rejection.path ? r.rejection.path + ': ' : ''}${r.rejection.message}\n`);
      continue;
    }
    accepted++;
    const topic = r.topic ?? topicOfType(r.event.type);
    transitions.length = 0;
    engine.evaluate(enrich(reference, topic, r.event, keyOf(r.event)).ctx, transitions);
    for (const s of book.apply(transitions)) {
      alertEvents++;
      process.stdout.write(JSON.stringify(s.event) + '\n');
    }
  }
  process.stderr.write(`backtest: ${lines} lines, ${accepted} events, ${rejected} rejected, ${alertEvents} alert events, ${book.openAlerts().length} open at end\n`);
  return 0;
}

function fail(msg: string): number {
  process.stderr.write(`riskstream backtest: ${msg}\n`);
  return 2;
}
