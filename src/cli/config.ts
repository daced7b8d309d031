import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED } from '../config/paths.ts';
import { CONFIG_ENV, loadConfig, sourceText, startFlagLayer, type LoadedConfig } from '../config/load.ts';
import { AppError } from '../errors.ts';
import { reportProblems } from './report.ts';

/** ConfigCheckOptions: the options of `riskstream config check` (the configuration flags of `start`). */
export interface ConfigCheckOptions {
  config?: string;
  port?: string;
  data?: string;
  sites?: string;
  rules?: string;
  calendar?: string;
  roster?: string;
  /** false with --no-reference: do not load the reference data and the rule pack */
  reference?: boolean;
}

/** SECRET_KEY: values never printed, only whether they are set. */
const SECRET_KEY = /secret|password|token|passphrase|privateKey/i;

function show(path: readonly string[], v: unknown): string {
  if (v === undefined) return '(not set)';
  if (SECRET_KEY.test(path.at(-1) ?? '')) return '(set, hidden)';
  return typeof v === 'string' ? (v === '' || /^\s|\s$/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
}

function get(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * effectiveValues: one `[path, value, source]` row per configuration key, in schema order; an
 * optional section that is not configured (e.g. influx) is one row. Secrets show as "(set, hidden)".
 */
export function effectiveValues(loaded: LoadedConfig): [string, string, string][] {
  const rows: [string, string, string][] = [];
  const absent = new Set<string>();
  for (const { path } of CONFIG_ENV.values()) {
    // the first missing enclosing section stands for all its keys
    const missingAt = path.findIndex((_, i) => i < path.length - 1 && get(loaded.config, path.slice(0, i + 1)) === undefined);
    if (missingAt >= 0) {
      const section = path.slice(0, missingAt + 1);
      const key = section.join('.');
      if (!absent.has(key)) {
        absent.add(key);
        rows.push([key, '(not set)', sourceText(loaded.sourceOf(section))]);
      }
      continue;
    }
    rows.push([path.join('.'), show(path, get(loaded.config, path)), sourceText(loaded.sourceOf(path))]);
  }
  return rows;
}

/**
 * runConfigCheck: `riskstream config check [--config FILE] [start's flags]` loads the configuration
 * as `start` does (flag > env > file > default) and prints each effective value with its source;
 * then loads the reference data and the rule pack it names. Exit 0 valid, 2 invalid (each problem
 * names its source: the file, the environment variable or the flag).
 */
export async function runConfigCheck(opts: ConfigCheckOptions): Promise<number> {
  let port: number | undefined;
  if (opts.port !== undefined) {
    port = Number(opts.port);
    if (opts.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`riskstream config check: flag --port: expected an integer 0..65535, got "${opts.port}"\n`);
      return 2;
    }
  }
  let loaded: LoadedConfig;
  try {
    const flags = startFlagLayer({ ...opts, ...(port !== undefined ? { port } : { port: undefined }) });
    loaded = loadConfig({ ...(opts.config ? { file: opts.config } : {}), flags });
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`riskstream config check: ${err.code}\n`);
      reportProblems(err, '  ');
      return 2;
    }
    throw err;
  }
  const rows = effectiveValues(loaded);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.min(48, Math.max(...rows.map((r) => r[1].length)));
  process.stdout.write(
    `configuration${loaded.file ? ` from ${loaded.file}` : ' (no file)'}, environment RISKSTREAM_* and flags: ok\n` +
      rows.map(([k, v, s]) => `  ${k.padEnd(w0)}  ${v.padEnd(w1)}  ${s}\n`).join(''),
  );
  const { config } = loaded;
  if (!config.secret) {
    const file = join(config.dataDir, 'secret');
    process.stdout.write(`  (tokens are signed with ${file}: ${existsSync(file) ? 'present' : 'generated at the first start'})\n`);
  }
  if (opts.reference === false) return 0;
  // the reference data and the rule pack the configuration names, loaded like start loads them
  try {
    const { loadReference } = await import('../enrich/reference.ts');
    const { loadRulePack } = await import('../rules/pack.ts');
    const files = { sites: config.reference.sites ?? BUNDLED.sites, roster: config.reference.roster ?? BUNDLED.roster, calendar: config.reference.calendar ?? BUNDLED.calendar };
    const reference = loadReference(files);
    process.stdout.write(`reference: ${reference.sites.size} sites (${files.sites}): ok\n`);
    const dir = config.rules.dir ?? BUNDLED.rules;
    const rules = loadRulePack(dir);
    process.stdout.write(`rules: ${rules.length} rules (${dir}): ok\n`);
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`riskstream config check: ${err.code}\n`);
      reportProblems(err, '  ');
      return 2;
    }
    throw err;
  }
  return 0;
}
