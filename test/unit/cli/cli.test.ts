import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuth } from '../../../src/auth/auth.ts';
import { renderSchemas } from '../../../src/cli/schemas.ts';
import { AlertEvent } from '../../../src/contracts/alerts.ts';
import { runCli } from '../../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCENARIO = join(ROOT, 'deploy/demo/scenario.ndjson');

// Each case spawns node + tsx (about 1 s idle, much more on a loaded CI box): allow for that.
vi.setConfig({ testTimeout: 120_000 });

/** cli runs `node src/cli/riskstream.mjs ...args` from the project root, with only the RISKSTREAM_* variables given. */
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env });

/** nonEmptyLines splits output into lines, dropping the trailing empty one. */
function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rs-cli-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('riskstream rules check', () => {
  it('the bundled rule pack is valid: exit 0', async () => {
    const r = await cli(['rules', 'check', 'deploy/rules']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ rules in \d+ files: ok$/m);
    expect(r.stderr).toBe('');
  });

  it('without DIR checks the bundled pack', async () => {
    expect((await cli(['rules', 'check'])).code).toBe(0);
  });

  it('a bad rule: exit 2 and one `file:line:column: path: message` line per problem', async () => {
    const dir = join(tmp, 'bad-rules');
    mkdirSync(dir);
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `rules:
  - id: Bad Id
    kind: threshold
    title: t
    domain: mine
    source: test
    match: { type: mine.reading }
    subject: [siteId]
    levels: [{ severity: purple, value: 1 }]
    summary: s
`,
    );
    const r = await cli(['rules', 'check', dir]);
    expect(r.code).toBe(2);
    const lines = nonEmptyLines(r.stderr);
    const problems = lines.slice(0, -1);
    expect(lines.at(-1)).toMatch(/^\d+ problem\(s\) in /);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const line of problems) expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: rules\\.0\\.[\\w.]+: .+$`));
    expect(problems.some((l) => l.includes(': rules.0.id: '))).toBe(true);
    expect(problems.some((l) => l.includes(': rules.0.levels.0.severity: '))).toBe(true);
  });

  it('a missing directory: exit 2', async () => {
    const r = await cli(['rules', 'check', join(tmp, 'no-such-dir')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-dir');
  });
});

describe('riskstream rules check: names the events do not have (issue 14)', () => {
  it.each<[string, string, string, RegExp]>([
    // a match field not in the event type's schema
    ['where: {sensorTyp: …}', 'match: { type: mine.reading, where: { sensorTyp: CH4 } }\n    subject: [siteId, sensorId]\n    title: "{siteName}"', ':8:43: rules.0.match.where.sensorTyp: ', /unknown field "sensorTyp".*did you mean sensorType\?/],
    // a subject field the matched event type does not have
    ['subject: [sensorID]', 'match: { type: mine.reading, where: { sensorType: CH4 } }\n    subject: [siteId, sensorID]\n    title: "{siteName}"', ':9:23: rules.0.subject.1: ', /unknown subject field "sensorID"/],
    // an unknown placeholder in a template
    ['{locaton} in the title', 'match: { type: mine.reading, where: { sensorType: CH4 } }\n    subject: [siteId, sensorId]\n    title: "{siteName} {locaton}"', ':10:24: rules.0.title: ', /unknown placeholder \{locaton\}/],
  ])('%s → exit 2, file:line:column: path: message', async (name, lines, place, message) => {
    const dir = join(tmp, `unknown-${name.replace(/\W+/g, '-')}`);
    mkdirSync(dir);
    const file = join(dir, 'r.yaml');
    writeFileSync(file, `rules:\n  - id: t.r\n    kind: threshold\n    domain: mine\n    source: 测试\n    summary: "{value}"\n    levels: [{ severity: red, value: 1 }]\n    ${lines}\n`);
    const r = await cli(['rules', 'check', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [line, total] = nonEmptyLines(r.stderr);
    expect(line!.startsWith(file + place), line).toBe(true);
    expect(line).toMatch(message);
    expect(total).toBe(`1 problem(s) in ${dir}`);
  });
});

describe('riskstream config check', () => {
  it('prints each effective value with its source: flag, env, file, default; secrets hidden', async () => {
    const file = join(tmp, 'check.yaml');
    writeFileSync(file, 'http: { port: 8081 }\nkafka: { topicPrefix: staging. }\n');
    const r = await cli(['config', 'check', '--config', file, '--data', join(tmp, 'check-data'), '--no-reference'], { RISKSTREAM_HTTP_HOST: '127.0.0.1', RISKSTREAM_SECRET: 'a-secret-of-enough-length' });
    expect(r.code, r.stderr).toBe(0);
    const row = (key: string) => nonEmptyLines(r.stdout).find((l) => l.trim().split(/\s+/)[0] === key)?.trim().split(/\s{2,}/);
    expect(row('http.port')).toEqual(['http.port', '8081', `file ${file}`]);
    expect(row('http.host')).toEqual(['http.host', '127.0.0.1', 'env RISKSTREAM_HTTP_HOST']);
    expect(row('dataDir')).toEqual(['dataDir', join(tmp, 'check-data'), 'flag --data']);
    expect(row('kafka.topicPrefix')).toEqual(['kafka.topicPrefix', 'staging.', `file ${file}`]);
    expect(row('kafka.clientId')).toEqual(['kafka.clientId', 'riskstream', 'default']);
    expect(row('secret')).toEqual(['secret', '(set, hidden)', 'env RISKSTREAM_SECRET']);
    expect(r.stdout).not.toContain('a-secret-of-enough-length');
    expect(row('influx')).toEqual(['influx', '(not set)', 'default']);
  });

  it('loads the reference data and rule pack it names, like start', async () => {
    const r = await cli(['config', 'check']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^reference: \d+ sites .*: ok$/m);
    expect(r.stdout).toMatch(/^rules: \d+ rules .*: ok$/m);
  });

  it.each<[string, string[]]>([
    ['config check', ['config', 'check', '--no-reference']],
    ['start', ['start', '--port', '0']],
  ])('%s: a bad RISKSTREAM_HTTP_PORT is an error of the variable, not of the YAML file', async (_name, args) => {
    const file = join(tmp, 'env-error.yaml');
    writeFileSync(file, 'http: { host: 127.0.0.1 }\n');
    const r = await cli([...args, '--config', file, '--data', join(tmp, 'env-error-data')], { RISKSTREAM_HTTP_PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_INVALID');
    expect(r.stderr).toMatch(/^ {2}env RISKSTREAM_HTTP_PORT: http\.port: expected a number, got "eighty"$/m);
    expect(r.stderr).not.toContain(file);
  });

  it('start: a misspelt RISKSTREAM_LOG_LEVEL is a configuration error (exit 2, one line), not a crash', async () => {
    const r = await cli(['start', '--port', '0', '--data', join(tmp, 'log-level-data')], { RISKSTREAM_LOG_LEVEL: 'verbose' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RISKSTREAM_LOG_LEVEL: "verbose" is not a log level');
    expect(r.stderr).not.toContain('    at ');
  });

  it('an error in the file names the file, one in a flag names the flag', async () => {
    const file = join(tmp, 'file-error.yaml');
    writeFileSync(file, 'escalation: { red: soon }\n');
    const r = await cli(['config', 'check', '--config', file, '--no-reference']);
    expect(r.code).toBe(2);
    // placed in the file: line 1, the value `soon` at column 20
    expect(r.stderr).toContain(`${file}:1:20: escalation.red: `);
    const f = await cli(['config', 'check', '--port', '99999', '--no-reference']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/flag --port/);
  });
});

describe('riskstream token', () => {
  it('prints one JWT line for the secret of --data, exit 0', async () => {
    const data = join(tmp, 'token-data');
    const r = await cli(['token', '--role', 'operator', '--sub', '张伟', '--data', data]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(lines[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // the token verifies with the secret generated into the data dir
    const secret = readFileSync(join(data, 'secret'), 'utf8').trim();
    const p = await createAuth(secret).verify(lines[0]);
    expect(p).toEqual({ sub: '张伟', role: 'operator', towns: '*', exp: expect.any(Number) });
    // a shift, by default
    expect(Math.abs(p.exp! - (Date.now() + 12 * 3_600_000))).toBeLessThan(60_000);
  });

  it.each<[string, string, number]>([
    ['screen', '30d', 30 * 86_400_000],
    ['ingest', '90d', 90 * 86_400_000],
  ])('a %s token needs no --sub and lives %s by default', async (role, _ttl, ms) => {
    const data = join(tmp, `token-${role}`);
    const r = await cli(['token', '--role', role, '--towns', 'shanghaimiao', '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    const secret = readFileSync(join(data, 'secret'), 'utf8').trim();
    const p = await createAuth(secret).verify(r.stdout.trim());
    expect(p).toMatchObject({ role, sub: `${role}-shanghaimiao` });
    expect(Math.abs(p.exp! - (Date.now() + ms))).toBeLessThan(60_000);
  });

  it('--towns limits the token', async () => {
    const data = join(tmp, 'token-towns');
    const r = await cli(['token', '--role', 'viewer', '--sub', 'viewer-1', '--towns', 'angsu, chengchuan', '--data', data]);
    expect(r.code).toBe(0);
    const secret = readFileSync(join(data, 'secret'), 'utf8').trim();
    expect((await createAuth(secret).verify(r.stdout.trim())).towns).toEqual(['angsu', 'chengchuan']);
  });

  it('RISKSTREAM_SECRET signs instead of a generated secret', async () => {
    const data = join(tmp, 'token-env');
    const secret = 'environment-secret-0123456789';
    const r = await cli(['token', '--role', 'admin', '--sub', 'ops', '--data', data], { RISKSTREAM_SECRET: secret });
    expect(r.code).toBe(0);
    expect((await createAuth(secret).verify(r.stdout.trim())).role).toBe('admin');
  });

  it.each<[string, string[]]>([
    // not one of the roles
    ['unknown role', ['--role', 'bogus']],
    // no role at all
    ['missing role', []],
    // a ttl that is not a duration
    ['bad ttl', ['--role', 'viewer', '--sub', 'x', '--ttl', 'forever']],
    // an unknown flag
    ['unknown flag', ['--role', 'viewer', '--sub', 'x', '--bogus']],
    // a person's token without the person
    ['operator without --sub', ['--role', 'operator']],
    ['admin without --sub', ['--role', 'admin', '--ttl', '1h']],
    ['viewer with an empty --sub', ['--role', 'viewer', '--sub', ' ']],
    // longer than the role may live
    ['a 100-year admin token', ['--role', 'admin', '--sub', 'x', '--ttl', '36500d']],
    ['a 30-day operator token', ['--role', 'operator', '--sub', 'x', '--ttl', '30d']],
    ['a 1-year screen token', ['--role', 'screen', '--ttl', '365d']],
  ])('%s → exit 2, nothing on stdout', async (_name, args) => {
    const r = await cli(['token', ...args, '--data', join(tmp, 'token-bad')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toBe('');
  });
});

describe('riskstream schemas', () => {
  it('--out writes every contract schema', async () => {
    const out = join(tmp, 'schemas');
    const r = await cli(['schemas', '--out', out]);
    expect(r.code).toBe(0);
    const expected = renderSchemas();
    expect(readdirSync(out).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, text] of Object.entries(expected)) {
      expect(readFileSync(join(out, name), 'utf8')).toBe(text);
      // JSON Schemas carry their $id; the OpenAPI and AsyncAPI documents their version line
      if (name.endsWith('.schema.json')) expect(JSON.parse(text)).toHaveProperty('$id');
      else expect(Object.keys(JSON.parse(text))[0]).toMatch(/^(openapi|asyncapi)$/);
    }
  });
});

describe('riskstream backtest', () => {
  it('prints valid alert events, byte-identical across runs, and a summary on stderr', async () => {
    const [a, b] = await Promise.all([cli(['backtest', '--events', 'deploy/demo/scenario.ndjson']), cli(['backtest', '--events', SCENARIO])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const lines = nonEmptyLines(a.stdout);
    expect(lines.length).toBeGreaterThan(0);
    expect(a.stdout.endsWith('\n')).toBe(true);
    let prev = 0;
    for (const line of lines) {
      const parsed = AlertEvent.safeParse(JSON.parse(line));
      expect(parsed.success, line).toBe(true);
      // seq strictly increasing from 1
      expect(parsed.data?.seq).toBe(prev + 1);
      prev = parsed.data!.seq;
      expect(parsed.data?.at.endsWith('+08:00')).toBe(true);
    }
    // the summary may grow fields (e.g. late events) between the counts pinned here
    expect(a.stderr).toMatch(/^backtest: 67 lines, 67 events, 0 rejected, (.*, )?\d+ alert events, \d+ open at end$/m);
    expect(a.stderr).toContain(`${lines.length} alert events`);
  });

  it('reports a bad line with its line number on stderr and carries on', async () => {
    const good = readFileSync(SCENARIO, 'utf8').split('\n').filter((l) => l !== '');
    const file = join(tmp, 'with-bad-lines.ndjson');
    // line 3: not JSON; line 6: JSON but not a valid event
    const lines = [...good.slice(0, 2), '{not json', ...good.slice(2, 4), '{"type":"mine.reading","siteId":"cm-shm-01"}', ...good.slice(4)];
    writeFileSync(file, lines.join('\n') + '\n');
    const [bad, clean] = await Promise.all([cli(['backtest', '--events', file]), cli(['backtest', '--events', SCENARIO])]);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toContain(`${file}:3: INVALID_JSON`);
    expect(bad.stderr).toContain(`${file}:6: VALIDATION_FAILED`);
    expect(bad.stderr).toMatch(new RegExp(`^backtest: ${lines.length} lines, ${good.length} events, 2 rejected, `, 'm'));
    // the good events around the bad lines produced exactly the alerts they produce alone
    expect(bad.stdout).toBe(clean.stdout);
  });

  it('an empty event file: exit 0, no alerts, a summary', async () => {
    const file = join(tmp, 'empty.ndjson');
    writeFileSync(file, '');
    const r = await cli(['backtest', '--events', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^backtest: 0 lines, 0 events, 0 rejected, (.*, )?0 alert events, 0 open at end$/m);
  });

  it.each<[string, string[], RegExp]>([
    // --events is required
    ['without --events', [], /--events/],
    // the event file must exist
    ['missing events file', ['--events', '/nonexistent/events.ndjson'], /no such file/],
    // --until must be an instant
    ['bad --until', ['--events', 'deploy/demo/scenario.ndjson', '--until', 'tomorrow'], /--until/],
    // unknown flag
    ['unknown flag', ['--events', 'deploy/demo/scenario.ndjson', '--bogus'], /bogus/],
  ])('%s → exit 2', async (_name, args, message) => {
    const r = await cli(['backtest', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('an invalid rule dir → exit 2 naming file and path', async () => {
    const dir = join(tmp, 'bt-bad-rules');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.yaml'), 'rules:\n  - id: x\n    kind: nope\n');
    const r = await cli(['backtest', '--events', SCENARIO, '--rules', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`${join(dir, 'x.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: rules\\.0[\\w.]*: `));
  });
});

describe('riskstream start (bad config only: these must exit before serving)', () => {
  it.each<[string, string[], RegExp]>([
    // the config file does not exist
    ['missing config file', ['--config', '/nonexistent.yaml'], /nonexistent\.yaml/],
    // a port that is not a number
    ['non-numeric port', ['--port', 'abc'], /--port/],
    // a port out of range
    ['port out of range', ['--port', '70000'], /--port/],
    // unknown flag
    ['unknown flag', ['--bogus'], /bogus/],
  ])('%s → exit 2', async (_name, args, message) => {
    const r = await cli(['start', ...args, '--data', join(tmp, 'start-data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('an invalid config file → exit 2 naming the path', async () => {
    const file = join(tmp, 'bad-config.yaml');
    writeFileSync(file, 'escalation: { red: soon }\n');
    const r = await cli(['start', '--config', file, '--data', join(tmp, 'start-data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_INVALID');
    expect(r.stderr).toContain('escalation.red');
  });
});

describe('riskstream dispatch', () => {
  it.each<[string, string[]]>([
    // not a command
    ['unknown command', ['frobnicate']],
    // `rules` needs its sub-command
    ['rules without check', ['rules']],
    ['rules with another sub-command', ['rules', 'list']],
    // nothing at all
    ['no command', []],
  ])('%s → exit 2 with usage on stderr', async (_name, args) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: riskstream');
    expect(r.stdout).toBe('');
  });

  it('help → exit 0 with usage on stdout', async () => {
    const r = await cli(['help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: riskstream');
  });
});
