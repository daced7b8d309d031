import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { z } from 'zod';
import { Config, type ConfigInput } from '../contracts/config.ts';
import { AppError } from '../errors.ts';
import { issuesToDetails, readYaml } from './yaml.ts';

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

function envLayer(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, leaf] of CONFIG_ENV) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const v = leaf.kind === 'number' ? Number(raw) : leaf.kind === 'boolean' ? raw === 'true' : leaf.kind === 'array' ? raw.split(',').map((x) => x.trim()).filter(Boolean) : raw;
    setPath(out, leaf.path, v);
  }
  return out;
}

/** LoadedConfig: the validated configuration plus where it came from. */
export interface LoadedConfig {
  config: Config;
  file?: string;
}

/**
 * loadConfig reads the optional YAML file, applies environment overrides and then flags
 * (flag > environment > file > default) and validates strictly. Throws CONFIG_INVALID naming each path.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: ConfigInput }): LoadedConfig {
  const fileLayer = opts.file ? (readYaml(opts.file, 'CONFIG_INVALID') ?? {}) : {};
  if (typeof fileLayer !== 'object' || Array.isArray(fileLayer)) {
    throw new AppError('CONFIG_INVALID', `${opts.file}: the configuration must be a YAML mapping`);
  }
  const merged = deepMerge(deepMerge(fileLayer as Record<string, unknown>, envLayer(opts.env ?? process.env)), (opts.flags ?? {}) as Record<string, unknown>);
  const r = Config.safeParse(merged);
  if (!r.success) {
    const details = issuesToDetails(r.error.issues, opts.file);
    throw new AppError('CONFIG_INVALID', `invalid configuration: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
  }
  return { config: r.data, ...(opts.file ? { file: opts.file } : {}) };
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
