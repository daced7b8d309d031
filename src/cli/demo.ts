import { closeSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { BUNDLED } from '../config/paths.ts';
import { loadReference } from '../enrich/reference.ts';
import { AppError } from '../errors.ts';
import { DAY_SPEC, generateDemoDay, loadDaySpec } from '../jobs/demo-day.ts';
import { reportProblems } from './report.ts';

const FLUSH_CHARS = 1 << 20;

/**
 * runDemo: `riskstream demo generate [--out FILE] [--spec FILE] [--sites FILE]` writes the SIMULATED
 * flood-season day (deploy/demo/day.yaml) as NDJSON, one bare event per line, in event-time order.
 * Deterministic: the same spec and sites give byte-identical output. Without --out it writes to stdout.
 */
export async function runDemo(values: { out?: string; spec?: string; sites?: string }): Promise<number> {
  let spec;
  let reference;
  try {
    spec = loadDaySpec(values.spec ?? DAY_SPEC);
    reference = loadReference({ sites: values.sites ?? BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
  } catch (err) {
    if (err instanceof AppError) {
      reportProblems(err);
      return 2;
    }
    throw err;
  }
  const fd = values.out !== undefined ? openSync(values.out, 'w') : undefined;
  let events = 0;
  let bytes = 0;
  let buf = '';
  const flush = async (): Promise<void> => {
    if (buf === '') return;
    const b = Buffer.from(buf, 'utf8');
    buf = '';
    bytes += b.length;
    if (fd !== undefined) {
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
    } else if (!process.stdout.write(b)) await once(process.stdout, 'drain'); // a pipe: respect back-pressure
  };
  try {
    for (const { event } of generateDemoDay(spec, reference)) {
      buf += JSON.stringify(event) + '\n';
      events++;
      if (buf.length >= FLUSH_CHARS) await flush();
    }
    await flush();
  } catch (err) {
    process.stderr.write(`riskstream demo generate: ${(err as Error).message}\n`);
    return 2;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (fd === undefined) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.stderr.write(`demo generate: ${events} SIMULATED events (${bytes} bytes) for ${spec.date}, ${spec.incidents.length} incidents${values.out !== undefined ? ` → ${values.out}` : ''}\n`);
  return 0;
}
