import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AlertBook } from '../alerts/book.ts';
import { BUNDLED } from '../config/paths.ts';
import { loadReference } from '../enrich/reference.ts';
import { decodeLine } from '../ingest/decode.ts';
import { gateReason } from '../ingest/gate.ts';
import { topicOfType } from '../jobs/demo.ts';
import { Stepper } from '../rules/stepper.ts';
import { loadRulePack } from '../rules/pack.ts';
import type { AlertTransition } from '../domain/transition.ts';
import { AppError } from '../errors.ts';
import { reportProblems } from './report.ts';

/** BacktestOptions: the options of `riskstream backtest`. */
export interface BacktestOptions {
  events?: string;
  rules?: string;
  sites?: string;
  calendar?: string;
  until?: string;
}

/**
 * runBacktest: evaluate rules offline over an NDJSON event file with event time as the clock.
 * Prints alert events (one JSON per line) on stdout and a summary on stderr; deterministic.
 */
export async function runBacktest(values: BacktestOptions): Promise<number> {
  if (!values.events) return fail('--events FILE is required');
  if (!existsSync(values.events)) return fail(`--events: no such file ${values.events}`);
  if (values.until !== undefined && Number.isNaN(Date.parse(values.until))) return fail(`--until: expected an ISO-8601 instant, got "${values.until}"`);
  const book = new AlertBook({ maxResolved: 0 });
  let stepper: Stepper;
  try {
    const reference = loadReference({ sites: values.sites ?? BUNDLED.sites, roster: BUNDLED.roster, calendar: values.calendar ?? BUNDLED.calendar });
    stepper = new Stepper(reference, loadRulePack(values.rules ?? BUNDLED.rules), (siteId) => book.openAt(siteId));
  } catch (err) {
    if (err instanceof AppError) {
      reportProblems(err);
      return 2;
    }
    throw err;
  }
  let lines = 0;
  let accepted = 0;
  let rejected = 0;
  let alertEvents = 0;
  let late = 0;
  const lateness = 120_000;
  const transitions: AlertTransition[] = [];
  const emit = () => {
    for (const s of book.apply(transitions)) {
      alertEvents++;
      process.stdout.write(JSON.stringify(s.event) + '\n');
    }
  };
  // the same gate as live ingest: reference sites and sane times (the clock here is the wall clock)
  const gate = { sites: stepper.reference.sites, unknownSites: 'refuse' as const, now: Date.now() };
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
    const why = gateReason(r.event, gate);
    if (why) {
      rejected++;
      process.stderr.write(`${values.events}:${lines}: ${why.code}: ${why.message}\n`);
      continue;
    }
    transitions.length = 0;
    const step = stepper.event(r.topic ?? topicOfType(r.event.type), r.event, transitions);
    if (step.refused) {
      // not evaluated: a new subject at a site already at limits.subjectsPerSite
      rejected++;
      const why = stepper.refusal(r.event);
      process.stderr.write(`${values.events}:${lines}: SUBJECT_LIMIT: ${why.path}: ${why.message}\n`);
    } else accepted++;
    if (step.late) late++;
    // event time is the clock: timers fire as the watermark passes them
    stepper.tick(stepper.watermark(), transitions);
    emit();
  }
  // End of input: everything has arrived, so the clock runs to the last event, then to --until.
  transitions.length = 0;
  stepper.tick(stepper.watermark() + lateness, transitions);
  emit();
  if (values.until !== undefined) {
    transitions.length = 0;
    stepper.tick(Date.parse(values.until), transitions);
    emit();
  }
  process.stderr.write(`backtest: ${lines} lines, ${accepted} events, ${rejected} rejected, ${late} late, ${alertEvents} alert events, ${book.openAlerts().length} open at end\n`);
  return 0;
}

function fail(msg: string): number {
  process.stderr.write(`riskstream backtest: ${msg}\n`);
  return 2;
}
