import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { z } from 'zod';
import { Config, type ConfigInput } from '../contracts/config.ts';
import { AppError, whereOf, type ErrorDetail } from '../errors.ts';
import { issuesToDetails, readYamlDoc } from './yaml.ts';

type Leaf = { path: string[]; kind: 'string' | 'number' | 'boolean' | 'array' };

/** unwrap strips default/optional/pipe wrappers to reach the schema that describes the value. */
function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  let cur = s;
  for (;;) {
    const def = cur._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable', 'readonly'].includes(def.type)) cur = def.innerType;
    else if (def.type === 'pipe' && def.in) cur = def.in;
    else return cur;
  }
}

function leavesOf(schema: z.core.$ZodType, path: string[] = []): Leaf[] {
  const s = unwrap(schema);
  const def = s._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType> };
  if (def.type === 'object' && def.shape) return Object.entries(def.shape).flatMap(([k, v]) => leavesOf(v, [...path, k]));
  const kind = def.type === 'number' ? 'number' : def.type === 'boolean' ? 'boolean' : def.type === 'array' ? 'array' : 'string';
  return [{ path, kind }];
}

/** envNameOf maps a config path to its environment variable: kafka.topicPrefix → RISKSTREAM_KAFKA_TOPIC_PREFIX. */
export function envNameOf(path: readonly string[]): string {
  return 'RISKSTREAM_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** CONFIG_ENV: every environment override, by variable name. */
export const CONFIG_ENV: ReadonlyMap<string, Leaf> = new Map(leavesOf(Config).map((l) => [envNameOf(l.path), l]));

function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    if (typeof cur[seg] !== 'object' || cur[seg] === null) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[path[path.length - 1] as string] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** ConfigSource: where an effective configuration value came from (`riskstream config check`). */
export type ConfigSource = { kind: 'flag'; name: string } | { kind: 'env'; name: string } | { kind: 'file'; name: string } | { kind: 'default' };

/** sourceText: `flag --port`, `env RISKSTREAM_HTTP_PORT`, `file config.yaml` or `default`. */
export function sourceText(s: ConfigSource): string {
  return s.kind === 'default' ? 'default' : `${s.kind} ${s.name}`;
}

/** FLAG_NAMES: the command-line flags that set a configuration value, by config path. */
export const FLAG_NAMES: Readonly<Record<string, string>> = {
  'http.port': '--port',
  dataDir: '--data',
  'reference.sites': '--sites',
  'reference.roster': '--roster',
  'reference.calendar': '--calendar',
  'rules.dir': '--rules',
  'kafka.brokers': '--kafka',
};

/** StartConfigFlags: the flags of `riskstream start` (and `config check`) that override configuration values. */
export interface StartConfigFlags {
  port?: number;
  data?: string;
  sites?: string;
  roster?: string;
  calendar?: string;
  rules?: string;
}

/** startFlagLayer: the configuration layer of `start`'s flags (highest precedence). */
export function startFlagLayer(flags: StartConfigFlags): ConfigInput {
  const layer: ConfigInput = {};
  if (flags.port !== undefined) layer.http = { port: flags.port };
  if (flags.data) layer.dataDir = flags.data;
  if (flags.sites || flags.roster || flags.calendar) {
    layer.reference = { ...(flags.sites ? { sites: flags.sites } : {}), ...(flags.roster ? { roster: flags.roster } : {}), ...(flags.calendar ? { calendar: flags.calendar } : {}) };
  }
  if (flags.rules) layer.rules = { dir: flags.rules };
  return layer;
}

/**
 * envLayer reads the RISKSTREAM_* overrides; a value that cannot be what its key needs (a number,
 * true/false) is a problem naming the variable, not a value handed on to validation.
 */
function envLayer(env: NodeJS.ProcessEnv): { layer: Record<string, unknown>; names: Map<string, string>; problems: ErrorDetail[] } {
  const layer: Record<string, unknown> = {};
  const names = new Map<string, string>();
  const problems: ErrorDetail[] = [];
  for (const [name, leaf] of CONFIG_ENV) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const path = leaf.path.join('.');
    let v: unknown = raw;
    if (leaf.kind === 'number') {
      v = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(v)) {
        problems.push({ path, source: `env ${name}`, message: `expected a number, got "${raw}"` });
        continue;
      }
    } else if (leaf.kind === 'boolean') {
      const b = raw.trim().toLowerCase();
      if (!['true', 'false', '1', '0'].includes(b)) {
        problems.push({ path, source: `env ${name}`, message: `expected true or false, got "${raw}"` });
        continue;
      }
      v = b === 'true' || b === '1';
    } else if (leaf.kind === 'array') v = raw.split(',').map((x) => x.trim()).filter(Boolean);
    setPath(layer, leaf.path, v);
    names.set(path, name);
  }
  return { layer, names, problems };
}

/** has: whether `obj` holds a value at `path`. */
function has(obj: unknown, path: readonly (string | number)[]): boolean {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return false;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return true;
}

/** ConfigLayers: the three layers that are merged over the defaults, highest precedence first. */
interface ConfigLayers {
  flags: Record<string, unknown>;
  env: Record<string, unknown>;
  envNames: Map<string, string>;
  file: Record<string, unknown>;
  fileName?: string;
}

/**
 * sourceOf: the layer that set the value at `path` — flag, then env, then file; default when none.
 * With `enclosing` (to name the source of an error), a path no layer set is attributed to the
 * nearest enclosing object a layer did set (a required key missing from a section of the file).
 */
function sourceOf(layers: ConfigLayers, path: readonly (string | number)[], enclosing = false): ConfigSource {
  for (let n = path.length; n > 0 && (enclosing || n === path.length); n--) {
    const p = path.slice(0, n);
    const key = p.join('.');
    if (has(layers.flags, p)) return { kind: 'flag', name: FLAG_NAMES[key] ?? `(${key})` };
    if (has(layers.env, p)) {
      // the variable that set this value (or the list or section holding it), else those under it
      for (let m = p.length; m > 0; m--) {
        const name = layers.envNames.get(p.slice(0, m).join('.'));
        if (name) return { kind: 'env', name };
      }
      const under = [...layers.envNames].filter(([k]) => k.startsWith(key + '.')).map(([, v]) => v);
      return { kind: 'env', name: under.join(',') || envNameOf(p.map(String)) };
    }
    if (layers.fileName !== undefined && has(layers.file, p)) return { kind: 'file', name: layers.fileName };
  }
  return { kind: 'default' };
}

/** LoadedConfig: the validated configuration plus where it came from. */
export interface LoadedConfig {
  config: Config;
  file?: string;
  /** where the value at a path came from (flag, env, file or default) */
  sourceOf(path: readonly (string | number)[]): ConfigSource;
}

/**
 * loadConfig reads the optional YAML file, applies environment overrides and then flags
 * (flag > environment > file > default) and validates strictly. Throws CONFIG_INVALID naming each
 * path and where its value came from: the file, the environment variable or the flag.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: ConfigInput }): LoadedConfig {
  const doc = opts.file ? readYamlDoc(opts.file, 'CONFIG_INVALID') : undefined;
  const fileLayer = doc?.value ?? {};
  if (typeof fileLayer !== 'object' || Array.isArray(fileLayer)) {
    throw new AppError('CONFIG_INVALID', `${opts.file}: the configuration must be a YAML mapping`, { details: [{ file: opts.file!, path: '(root)', message: 'the configuration must be a YAML mapping' }] });
  }
  const env = envLayer(opts.env ?? process.env);
  const layers: ConfigLayers = {
    flags: (opts.flags ?? {}) as Record<string, unknown>,
    env: env.layer,
    envNames: env.names,
    file: fileLayer as Record<string, unknown>,
    ...(opts.file ? { fileName: opts.file } : {}),
  };
  const merged = deepMerge(deepMerge(layers.file, layers.env), layers.flags);
  const r = Config.safeParse(merged);
  const details: ErrorDetail[] = [...env.problems];
  if (!r.success) {
    for (const issue of r.error.issues) {
      // an unknown key can only come from the file (the environment and flags set known keys only)
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const src = sourceOf(layers, keys.length > 0 ? [...path, keys[0] as string] : path, true);
      const [detail] = issuesToDetails([issue], src.kind === 'file' ? src.name : undefined);
      // a problem of the file is placed in it (an unknown key at the key)
      const at = src.kind === 'file' ? doc?.locate(keys.length > 0 ? [...path, keys[0] as string] : path, { key: keys.length > 0 }) : undefined;
      details.push({ ...detail!, ...(src.kind === 'file' ? {} : { source: sourceText(src) }), ...(at ? { line: at.line, column: at.column } : {}) });
    }
  }
  if (details.length > 0) {
    throw new AppError('CONFIG_INVALID', `invalid configuration: ${details.map((d) => `${whereOf(d)}${d.path}: ${d.message}`).join('; ')}`, { details });
  }
  return { config: r.data!, ...(opts.file ? { file: opts.file } : {}), sourceOf: (path) => sourceOf(layers, path) };
}

/** resolveSecret: config `secret` (file or RISKSTREAM_SECRET), else one generated once into <dataDir>/secret (0600). */
export function resolveSecret(config: Config): string {
  if (config.secret) return config.secret;
  const path = join(config.dataDir, 'secret');
  if (existsSync(path)) {
    const stored = readFileSync(path, 'utf8').trim();
    // Same rule as a configured secret: an empty or short file (e.g. cut short by a crash) must not sign tokens.
    if (stored.length < 16) {
      throw new AppError('CONFIG_INVALID', `${path}: the stored secret is shorter than 16 characters; delete the file to generate a new one`, {
        details: [{ file: path, path: 'secret', message: 'secret must be at least 16 characters' }],
      });
    }
    return stored;
  }
  // 0700: the data dir holds this secret, alerts and who was texted (see adapters/journal/private-fs.ts)
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return secret;
}
