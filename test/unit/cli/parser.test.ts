// The command line as a parser (issue 14, "The CLI help is broken"): per-command --help (exit 0,
// every option in the usage), --version, unknown commands and options exit 2 naming the command,
// `rules check --help` is help, and each command's implementation is loaded only when it runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Command } from 'commander';
import { buildProgram, main } from '../../../src/cli/index.ts';
import { runCli } from '../../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

vi.setConfig({ testTimeout: 120_000 });

/** EXPECTED: every command and the options its usage must list. */
const EXPECTED: Record<string, string[]> = {
  start: ['--config', '--port', '--data', '--sites', '--rules', '--calendar', '--roster', '--demo', '--repair'],
  'config check': ['--config', '--port', '--data', '--sites', '--rules', '--calendar', '--roster', '--no-reference'],
  backtest: ['--events', '--rules', '--sites', '--calendar', '--until'],
  'rules check': [],
  replay: ['--speed', '--to', '--token', '--kafka'],
  token: ['--role', '--sub', '--towns', '--ttl', '--config', '--data'],
  'topics create': ['--config', '--partitions', '--replication'],
  schemas: ['--out'],
  'audit verify': ['--data', '--config', '--kafka', '--topic', '--allow-cut'],
  'demo generate': ['--out', '--spec', '--sites'],
  briefing: ['--token', '--url', '--town', '--at', '--format', '--out', '--chromium', '--record'],
};

/** leaves: every command that runs something, by its path. */
function leaves(cmd: Command, prefix: string[] = []): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const sub of cmd.commands) {
    const path = [...prefix, sub.name()];
    if (sub.commands.length === 0) out.set(path.join(' '), sub);
    else for (const [k, v] of leaves(sub, path)) out.set(k, v);
  }
  return out;
}

describe('the command table (in process)', () => {
  const program = buildProgram(() => {});

  it('has exactly the documented commands, besides help', () => {
    expect([...leaves(program).keys()].filter((k) => k !== 'help').sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('`%s --help` lists every option', (path, options) => {
    const cmd = leaves(program).get(path)!;
    const help = cmd.helpInformation();
    expect(help).toContain(`usage: riskstream ${path}`);
    for (const o of [...options, '-h, --help']) expect(help, o).toMatch(new RegExp(`^  ${o.replace(/-/g, '\\-')}\\b`, 'm'));
    // and nothing that is not in the table
    expect(cmd.options.map((o) => o.long).filter((l) => l !== '--help').sort()).toEqual([...options].sort());
  });

  const out = { stdout: '', stderr: '' };
  afterEach(() => vi.restoreAllMocks());
  /** inProcess runs main() capturing what it writes. */
  async function inProcess(argv: string[]): Promise<number> {
    out.stdout = out.stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out.stdout += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((out.stderr += String(s)), true));
    return main(argv);
  }

  it.each(Object.keys(EXPECTED).map((p) => [p]))('`riskstream %s --help` exits 0 with the usage on stdout', async (path) => {
    expect(await inProcess([...path.split(' '), '--help'])).toBe(0);
    expect(out.stdout).toContain(`usage: riskstream ${path}`);
    expect(out.stderr).toBe('');
  });

  it.each<[string, string[], RegExp]>([
    ['unknown option', ['schemas', '--bogus'], /^riskstream schemas: unknown option '--bogus'/],
    ['unknown option of a sub-command', ['audit', 'verify', '--nope'], /^riskstream audit verify: unknown option '--nope'/],
    ['a near miss gets a suggestion', ['token', '--su', 'x'], /unknown option '--su'\n\(Did you mean --sub\?\)/],
    ['unknown command', ['frobnicate'], /^riskstream: unknown command 'frobnicate'/],
    ['unknown sub-command', ['config', 'show'], /^riskstream config: unknown command 'show'/],
    ['an option without its value', ['backtest', '--events'], /^riskstream backtest: option '--events <file>' argument missing/],
    ['a value outside the choices', ['briefing', '--format', 'docx'], /^riskstream briefing: option '--format <format>' argument 'docx' is invalid/],
    ['too many arguments', ['rules', 'check', 'a', 'b'], /^riskstream rules check: too many arguments/],
    ['a required argument missing', ['replay'], /^riskstream replay: missing required argument 'file'/],
  ])('%s → exit 2, a message naming the command, then its usage', async (_name, argv, message) => {
    expect(await inProcess(argv)).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toContain('usage: riskstream');
    expect(out.stdout).toBe('');
  });
});

describe('riskstream (spawned, as a user runs it)', () => {
  it('--version prints package.json’s version, exit 0', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
  });

  it.each<[string[], string[]]>([
    [['start', '--help'], ['--config', '--port', '--demo', '--repair']],
    [['token', '--help'], ['--role', '--sub', '--towns', '--ttl']],
    [['replay', '--help'], ['--kafka', '--to', '--speed', '--token']],
    [['help', 'token'], ['--sub']],
  ])('%j → exit 0, usage with every option on stdout', async (argv, options) => {
    const r = await runCli(argv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: riskstream /);
    for (const o of options) expect(r.stdout).toContain(o);
    expect(r.stderr).toBe('');
  });

  it('`rules check --help` is help, not a directory named --help', async () => {
    const r = await runCli(['rules', 'check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: riskstream rules check [options] [dir]');
    expect(r.stdout).toContain('extraFields');
    expect(r.stderr).toBe('');
  });

  it('--help lists every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['start', 'config', 'backtest', 'rules', 'replay', 'token', 'topics', 'schemas', 'audit', 'demo', 'briefing']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('an unknown option of start → exit 2 naming it, before anything starts', async () => {
    const r = await runCli(['start', '--prot', '8080']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^riskstream start: unknown option '--prot'/);
    expect(r.stdout).toBe('');
  });
});

describe('lazy commands', () => {
  it('src/cli/index.ts imports no command statically (each is imported when it runs)', () => {
    const file = join(ROOT, 'src/cli/index.ts');
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const staticImports: string[] = [];
    const dynamicImports: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && !node.importClause?.isTypeOnly) staticImports.push(node.moduleSpecifier.text);
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0]!)) dynamicImports.push((node.arguments[0] as ts.StringLiteral).text);
      ts.forEachChild(node, visit);
    };
    visit(src);
    expect(staticImports.sort()).toEqual(['../config/paths.ts', 'commander', 'node:fs']);
    for (const m of ['./start.ts', './config.ts', './backtest.ts', './rules.ts', './replay.ts', './token.ts', './topics.ts', './schemas.ts', './audit.ts', './demo.ts', './briefing.ts']) expect(dynamicImports).toContain(m);
  });
});
