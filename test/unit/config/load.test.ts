import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, envNameOf, loadConfig, resolveSecret } from '../../../src/config/load.ts';
import type { Config, ConfigInput } from '../../../src/contracts/config.ts';
import { AppError } from '../../../src/errors.ts';
import { loadYamlAs } from '../../../src/config/yaml.ts';
import { z } from 'zod';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rs-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileNo = 0;
/** yamlFile writes a config file into the temp dir and returns its path. */
function yamlFile(text: string): string {
  const file = join(dir, `config-${++fileNo}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** configError runs loadConfig and returns the CONFIG_INVALID error it throws. */
function configError(opts: Parameters<typeof loadConfig>[0]): AppError {
  try {
    loadConfig(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CONFIG_INVALID');
    return err as AppError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfig', () => {
  it('gives the documented defaults with no file, no environment and no flags', () => {
    const { config, file } = loadConfig({ env: {} });
    expect(file).toBeUndefined();
    expect(config).toMatchObject({
      mode: 'embedded',
      http: { host: '0.0.0.0', port: 8080, allowedOrigins: [] },
      dataDir: './data',
      reference: {},
      rules: { lateness: 120_000 },
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'riskstream', groupId: 'riskstream', topicPrefix: '' },
      sms: { provider: 'log', ratePerMinute: 30 },
      escalation: { red: 300_000, orange: 900_000 },
    });
    expect(config.secret).toBeUndefined();
    // InfluxDB is optional: absent means in-memory history
    expect(config.influx).toBeUndefined();
  });

  it('reads a YAML file, converting durations and keeping defaults for what it leaves out', () => {
    const file = yamlFile(`
mode: embedded
http: { host: 127.0.0.1, port: 8081, allowedOrigins: [http://control-room] }
dataDir: /var/lib/riskstream
secret: 0123456789abcdef0123
rules: { lateness: 90s }
kafka: { brokers: [k1:9092, k2:9092], topicPrefix: test. }
influx: { database: rs }
escalation: { red: 2m }
`);
    const { config, file: loadedFrom } = loadConfig({ file, env: {} });
    expect(loadedFrom).toBe(file);
    expect(config).toMatchObject({
      http: { host: '127.0.0.1', port: 8081, allowedOrigins: ['http://control-room'] },
      dataDir: '/var/lib/riskstream',
      secret: '0123456789abcdef0123',
      rules: { lateness: 90_000 },
      kafka: { brokers: ['k1:9092', 'k2:9092'], topicPrefix: 'test.', clientId: 'riskstream' },
      influx: { host: '127.0.0.1', port: 8086, database: 'rs' },
      escalation: { red: 120_000, orange: 900_000 },
    });
  });

  it('accepts an empty file as all defaults', () => {
    expect(loadConfig({ file: yamlFile(''), env: {} }).config.http.port).toBe(8080);
  });

  it.each<[string, Record<string, string>, (c: Config) => unknown, unknown]>([
    // lists are comma-separated, spaces trimmed
    ['list', { RISKSTREAM_KAFKA_BROKERS: 'a:1,b:2' }, (c) => c.kafka.brokers, ['a:1', 'b:2']],
    ['list with spaces', { RISKSTREAM_KAFKA_BROKERS: ' a:1 , b:2 ,' }, (c) => c.kafka.brokers, ['a:1', 'b:2']],
    // numbers are converted
    ['number', { RISKSTREAM_HTTP_PORT: '9000' }, (c) => c.http.port, 9000],
    // durations become milliseconds like in the file
    ['duration', { RISKSTREAM_ESCALATION_RED: '2m' }, (c) => c.escalation.red, 120_000],
    // camelCase split into words
    ['camelCase key', { RISKSTREAM_KAFKA_TOPIC_PREFIX: 'staging.' }, (c) => c.kafka.topicPrefix, 'staging.'],
    ['top-level camelCase key', { RISKSTREAM_DATA_DIR: '/srv/rs' }, (c) => c.dataDir, '/srv/rs'],
    // the secret as documented in §7
    ['secret', { RISKSTREAM_SECRET: 'a-long-enough-secret' }, (c) => c.secret, 'a-long-enough-secret'],
    // an optional section is created by its override
    ['optional section', { RISKSTREAM_INFLUX_DATABASE: 'hist' }, (c) => c.influx, { host: '127.0.0.1', port: 8086, database: 'hist', protocol: 'http', ssl: { rejectUnauthorized: true } }],
    // an empty variable is no override
    ['empty value ignored', { RISKSTREAM_HTTP_PORT: '' }, (c) => c.http.port, 8080],
    // variables outside the schema are not ours
    ['unrelated variable ignored', { RISKSTREAM_LOG_LEVEL: 'debug', PATH: '/bin' }, (c) => c.mode, 'embedded'],
  ])('environment override: %s', (_name, env, get, expected) => {
    expect(get(loadConfig({ env }).config)).toEqual(expected);
  });

  it.each<[string, boolean, boolean, boolean, number]>([
    // flag beats everything
    ['flag > env > file', true, true, true, 8083],
    ['flag > file', true, false, true, 8083],
    ['flag > default', true, false, false, 8083],
    // environment beats the file
    ['env > file', false, true, true, 8082],
    ['env > default', false, true, false, 8082],
    // the file beats the default
    ['file > default', false, false, true, 8081],
    ['default', false, false, false, 8080],
  ])('precedence: %s', (_name, flag, env, file, port) => {
    const flags: ConfigInput = flag ? { http: { port: 8083 } } : {};
    const { config } = loadConfig({
      ...(file ? { file: yamlFile('http: { port: 8081, host: 10.0.0.1 }\n') } : {}),
      env: env ? { RISKSTREAM_HTTP_PORT: '8082' } : {},
      flags,
    });
    expect(config.http.port).toBe(port);
    // overriding one key of a section keeps the section's other keys from lower layers
    expect(config.http.host).toBe(file ? '10.0.0.1' : '0.0.0.0');
  });

  it('an unknown key in the file is CONFIG_INVALID naming the file, its place and the key', () => {
    const file = yamlFile('http:\n  prot: 8080\n');
    const err = configError({ file, env: {} });
    expect(err.details).toHaveLength(1);
    // placed at the unknown key: line 2, column 3
    expect(err.details[0]).toMatchObject({ file, path: 'http', line: 2, column: 3 });
    expect(err.details[0]?.message).toContain('prot');
    expect(err.message).toContain('prot');
  });

  it('an unknown top-level key is CONFIG_INVALID naming the key', () => {
    const err = configError({ file: yamlFile('port: 8080\n'), env: {} });
    expect(err.details[0]?.message).toContain('port');
  });

  it('a bad duration names escalation.red', () => {
    const file = yamlFile('escalation: { red: soon }\n');
    const err = configError({ file, env: {} });
    expect(err.details).toEqual([expect.objectContaining({ file, path: 'escalation.red', line: 1, column: 20 })]);
    expect(err.message).toContain('escalation.red');
  });

  it.each<[string, Record<string, string>, string]>([
    // the environment is validated like the file
    ['bad duration in env', { RISKSTREAM_ESCALATION_RED: 'soon' }, 'escalation.red'],
    // a non-number for a number
    ['bad number in env', { RISKSTREAM_HTTP_PORT: 'abc' }, 'http.port'],
    // out of range
    ['port out of range', { RISKSTREAM_HTTP_PORT: '70000' }, 'http.port'],
    // brokers must be host:port
    ['bad broker', { RISKSTREAM_KAFKA_BROKERS: 'nohostport' }, 'kafka.brokers.0'],
    // the token secret has a minimum length
    ['short secret', { RISKSTREAM_SECRET: 'short' }, 'secret'],
    // closed enum
    ['bad mode', { RISKSTREAM_MODE: 'cluster' }, 'mode'],
  ])('%s → CONFIG_INVALID at %s', (_name, env, path) => {
    const err = configError({ env });
    expect(err.details.map((d) => d.path)).toContain(path);
  });

  it('a missing file is CONFIG_INVALID naming it', () => {
    const err = configError({ file: join(dir, 'nope.yaml'), env: {} });
    expect(err.message).toContain('nope.yaml');
  });

  it('invalid YAML is CONFIG_INVALID with a line number', () => {
    const err = configError({ file: yamlFile('http:\n  port: [1,\n'), env: {} });
    expect(err.details[0]?.path).toMatch(/^line \d+$/);
  });

  it('a YAML list instead of a mapping is CONFIG_INVALID', () => {
    const err = configError({ file: yamlFile('- a\n- b\n'), env: {} });
    expect(err.message).toContain('mapping');
  });
});

describe('loadConfig: where each value and each error comes from', () => {
  it('sourceOf names flag, env, file or default for each value', () => {
    const file = yamlFile('http: { port: 8081, host: 10.0.0.1 }\nkafka: { topicPrefix: t. }\n');
    const loaded = loadConfig({ file, env: { RISKSTREAM_HTTP_HOST: '127.0.0.1', RISKSTREAM_KAFKA_BROKERS: 'a:1' }, flags: { dataDir: '/srv/rs' } });
    expect(loaded.sourceOf(['http', 'port'])).toEqual({ kind: 'file', name: file });
    expect(loaded.sourceOf(['http', 'host'])).toEqual({ kind: 'env', name: 'RISKSTREAM_HTTP_HOST' });
    expect(loaded.sourceOf(['kafka', 'brokers'])).toEqual({ kind: 'env', name: 'RISKSTREAM_KAFKA_BROKERS' });
    expect(loaded.sourceOf(['dataDir'])).toEqual({ kind: 'flag', name: '--data' });
    // a key of a section the file has, but not this key: the default
    expect(loaded.sourceOf(['kafka', 'clientId'])).toEqual({ kind: 'default' });
    expect(loaded.sourceOf(['mode'])).toEqual({ kind: 'default' });
  });

  it.each<[string, Record<string, string>, string, string]>([
    // not a number: said of the variable, with what it holds
    ['RISKSTREAM_HTTP_PORT', { RISKSTREAM_HTTP_PORT: 'abc' }, 'http.port', 'expected a number, got "abc"'],
    // a number out of range: zod's message, said of the variable
    ['RISKSTREAM_HTTP_PORT', { RISKSTREAM_HTTP_PORT: '70000' }, 'http.port', '65535'],
    // not true/false (it used to read as false)
    ['RISKSTREAM_KAFKA_SSL_ENABLED', { RISKSTREAM_KAFKA_SSL_ENABLED: 'yes' }, 'kafka.ssl.enabled', 'expected true or false, got "yes"'],
    ['RISKSTREAM_ESCALATION_RED', { RISKSTREAM_ESCALATION_RED: 'soon' }, 'escalation.red', ''],
  ])('a bad %s with a config file is an error of the variable, not of the file', (name, env, path, message) => {
    const file = yamlFile('http: { host: 127.0.0.1 }\n');
    const err = configError({ file, env });
    expect(err.details).toHaveLength(1);
    expect(err.details[0]).toMatchObject({ path, source: `env ${name}` });
    expect(err.details[0]!.file).toBeUndefined();
    expect(err.details[0]!.message).toContain(message);
    expect(err.message).toContain(`env ${name}: ${path}`);
    expect(err.message).not.toContain(file);
  });

  it('a bad element of a list from the environment names the variable of the list', () => {
    const err = configError({ env: { RISKSTREAM_KAFKA_BROKERS: 'a:1,no-port' } });
    expect(err.details).toEqual([expect.objectContaining({ path: 'kafka.brokers.1', source: 'env RISKSTREAM_KAFKA_BROKERS' })]);
  });

  it('true/false/1/0 are the booleans of the environment', () => {
    expect(loadConfig({ env: { RISKSTREAM_KAFKA_SSL_ENABLED: 'true' } }).config.kafka.ssl.enabled).toBe(true);
    expect(loadConfig({ env: { RISKSTREAM_KAFKA_SSL_ENABLED: '0' } }).config.kafka.ssl.enabled).toBe(false);
  });

  it('a missing key of a section the file gives is the file’s error; a flag’s error names the flag', () => {
    const file = yamlFile('kafka: { sasl: { mechanism: plain, username: u } }\n');
    expect(configError({ file, env: {} }).details[0]).toMatchObject({ file, path: 'kafka.sasl.password' });
    const err = configError({ env: {}, flags: { http: { port: 70000 } } });
    expect(err.details[0]).toMatchObject({ path: 'http.port', source: 'flag --port' });
  });

  it('every problem of the file and the environment is listed together', () => {
    const err = configError({ file: yamlFile('escalation: { red: soon }\n'), env: { RISKSTREAM_HTTP_PORT: 'x', RISKSTREAM_MODE: 'cluster' } });
    expect(err.details.map((d) => `${d.source ?? 'file'} ${d.path}`).sort()).toEqual(['env RISKSTREAM_HTTP_PORT http.port', 'env RISKSTREAM_MODE mode', 'file escalation.red']);
  });
});

describe('loadYamlAs (reference data, the demo day spec)', () => {
  it('places each problem at its line and column (an unknown key at the key)', () => {
    const file = yamlFile('sites:\n  - id: a\n    lat: north\n    colour: red\n');
    const schema = z.strictObject({ sites: z.array(z.strictObject({ id: z.string(), lat: z.number() })) });
    let err: AppError | undefined;
    try {
      loadYamlAs(file, schema, 'REFERENCE_INVALID');
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).toBe('REFERENCE_INVALID');
    expect(err!.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file, path: 'sites.0.lat', line: 3, column: 10 }),
        expect.objectContaining({ file, path: 'sites.0', line: 4, column: 5 }),
      ]),
    );
  });
});

describe('envNameOf', () => {
  it.each<[string[], string]>([
    // §7's own examples
    [['kafka', 'brokers'], 'RISKSTREAM_KAFKA_BROKERS'],
    [['kafka', 'topicPrefix'], 'RISKSTREAM_KAFKA_TOPIC_PREFIX'],
    [['dataDir'], 'RISKSTREAM_DATA_DIR'],
    [['escalation', 'red'], 'RISKSTREAM_ESCALATION_RED'],
    // a single word
    [['secret'], 'RISKSTREAM_SECRET'],
    [['mode'], 'RISKSTREAM_MODE'],
    // several camelCase words
    [['http', 'allowedOrigins'], 'RISKSTREAM_HTTP_ALLOWED_ORIGINS'],
    [['http', 'bodyLimitBytes'], 'RISKSTREAM_HTTP_BODY_LIMIT_BYTES'],
    [['sms', 'ratePerMinute'], 'RISKSTREAM_SMS_RATE_PER_MINUTE'],
    // three levels deep
    [['sms', 'smpp', 'systemId'], 'RISKSTREAM_SMS_SMPP_SYSTEM_ID'],
  ])('%j → %s', (path, name) => {
    expect(envNameOf(path)).toBe(name);
  });

  it('CONFIG_ENV covers every documented override with the right kind', () => {
    expect(CONFIG_ENV.get('RISKSTREAM_KAFKA_BROKERS')?.kind).toBe('array');
    expect(CONFIG_ENV.get('RISKSTREAM_HTTP_PORT')?.kind).toBe('number');
    expect(CONFIG_ENV.get('RISKSTREAM_ESCALATION_RED')?.kind).toBe('string');
    expect(CONFIG_ENV.get('RISKSTREAM_KAFKA_TOPIC_PREFIX')?.path).toEqual(['kafka', 'topicPrefix']);
    expect(CONFIG_ENV.get('RISKSTREAM_DATA_DIR')?.path).toEqual(['dataDir']);
    expect(CONFIG_ENV.get('RISKSTREAM_SECRET')?.path).toEqual(['secret']);
    // sections are not leaves
    expect(CONFIG_ENV.has('RISKSTREAM_HTTP')).toBe(false);
  });
});

describe('resolveSecret', () => {
  it('the configured secret wins and nothing is written', () => {
    const dataDir = join(dir, 'with-secret');
    const { config } = loadConfig({ env: { RISKSTREAM_SECRET: 'configured-secret-0123' }, flags: { dataDir } });
    expect(resolveSecret(config)).toBe('configured-secret-0123');
    expect(() => statSync(join(dataDir, 'secret'))).toThrow();
  });

  it('without one, generates it once into <dataDir>/secret (0600) and reuses it', () => {
    const dataDir = join(dir, 'generated', 'nested');
    const { config } = loadConfig({ env: {}, flags: { dataDir } });
    const first = resolveSecret(config);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const path = join(dataDir, 'secret');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first);
    // second call (a restart): same secret, so tokens already handed out stay valid
    expect(resolveSecret(config)).toBe(first);
    expect(resolveSecret(loadConfig({ env: {}, flags: { dataDir } }).config)).toBe(first);
  });

  it.each<[string, string]>([
    // a file left empty by a crash between create and write
    ['empty', ''],
    // a hand-written secret too short to resist guessing
    ['short', 'abc123\n'],
  ])('a stored secret that is %s is CONFIG_INVALID, never used to sign', (_name, content) => {
    const dataDir = join(dir, `stored-${_name}`);
    const { config } = loadConfig({ env: {}, flags: { dataDir } });
    resolveSecret(config);
    writeFileSync(join(dataDir, 'secret'), content);
    try {
      resolveSecret(config);
      throw new Error('expected CONFIG_INVALID');
    } catch (err) {
      expect((err as AppError).code).toBe('CONFIG_INVALID');
      expect((err as AppError).message).toContain(join(dataDir, 'secret'));
    }
  });

  it('two data directories get different secrets', () => {
    const a = resolveSecret(loadConfig({ env: {}, flags: { dataDir: join(dir, 'a') } }).config);
    const b = resolveSecret(loadConfig({ env: {}, flags: { dataDir: join(dir, 'b') } }).config);
    expect(a).not.toBe(b);
  });
});
