// riskstream's command line: the commands, their options and their help, parsed by commander.
// Each command's implementation is imported only when that command runs (its action handler
// awaits `import('./<command>.ts')`), so `--help`, `--version` and light commands do not load
// Fastify, kafkajs or the app.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { PROJECT_ROOT } from '../config/paths.ts';

/** VERSION: package.json's version (read here, not from main.ts, which loads the whole app). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(`${PROJECT_ROOT}/package.json`, 'utf8')) as { version: string }).version;
}

const ROLES = 'viewer|operator|admin|screen|ingest';

/** configOption: the `--config FILE` option every command that reads the configuration has. */
const configOption = () => new Option('--config <file>', 'configuration file (YAML); environment variables RISKSTREAM_* and flags override it');

/** addConfigFlags: the options of `start` (and `config check`) that override configuration values. */
function addConfigFlags(cmd: Command): Command {
  return cmd
    .addOption(configOption())
    .option('--port <n>', 'HTTP port, 0..65535 (http.port)')
    .option('--data <dir>', 'data directory: journals, state, generated secret (dataDir)')
    .option('--sites <file>', 'reference sites YAML (reference.sites; default: the bundled one)')
    .option('--rules <dir>', 'rule pack directory (rules.dir; default: the bundled deploy/rules)')
    .option('--calendar <file>', 'reference calendar YAML (reference.calendar)')
    .option('--roster <file>', 'duty roster YAML (reference.roster)');
}

/**
 * buildProgram declares every command. `run` receives the exit code of the command that ran.
 * Nothing here imports a command's implementation.
 */
export function buildProgram(run: (code: number) => void): Command {
  const program = new Command('riskstream');
  program
    .description('riskstream: real-time risk alerting for a county work-safety committee')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .configureHelp({ styleTitle: (title) => title.toLowerCase(), sortSubcommands: false, showGlobalOptions: false })
    .showHelpAfterError()
    .exitOverride();

  addConfigFlags(program.command('start').description('run the service until SIGINT/SIGTERM (exit 0 clean, 1 fatal, 2 bad configuration)'))
    .option('--demo', 'run the SIMULATED demo scenario (embedded mode) and print an operator token')
    .option('--repair', 'move unreadable journal lines and state records to <data>/quarantine/ instead of refusing to start')
    .action(async (opts) => run(await (await import('./start.ts')).runStart(opts)));

  const config = program.command('config').description('the configuration: config check');
  addConfigFlags(
    config
      .command('check')
      .description('load the configuration as `start` does and print each effective value with its source (flag, env, file, default); exit 2 when invalid'),
  )
    .option('--no-reference', 'do not load the reference data and the rule pack the configuration names')
    .action(async (opts) => run(await (await import('./config.ts')).runConfigCheck(opts)));

  program
    .command('backtest')
    .description('evaluate the rules offline over an NDJSON event file, event time as the clock; alert events on stdout, a summary on stderr')
    .requiredOption('--events <file>', 'NDJSON event file (required)')
    .option('--rules <dir>', 'rule pack directory (default: the bundled one)')
    .option('--sites <file>', 'reference sites YAML (default: the bundled one)')
    .option('--calendar <file>', 'reference calendar YAML (default: the bundled one)')
    .option('--until <iso>', 'after the last event, run the clock on to this ISO-8601 instant')
    .action(async (opts) => run(await (await import('./backtest.ts')).runBacktest(opts)));

  const rules = program.command('rules').description('the rule pack: rules check [dir]');
  rules
    .command('check')
    .description('validate a rule pack: one `file:line:column: path: message` line per problem; exit 0 valid, 2 invalid')
    .argument('[dir]', 'rule pack directory or file (default: the bundled deploy/rules)')
    .addHelpText(
      'after',
      '\nBesides the rule schema it rejects match fields, subject fields and template placeholders that the\n' +
        'matched event types do not have (a typo makes a rule that never fires). A rule that relies on a field\n' +
        'a producer adds beyond the contract lists it under `extraFields: [name, ...]`.',
    )
    .action(async (dir: string | undefined) => run(await (await import('./rules.ts')).runRulesCheck(dir)));

  program
    .command('replay')
    .description('publish a recorded NDJSON event file to a running instance (HTTP) or to Kafka, keeping the gaps between events ÷ speed')
    .argument('<file>', 'NDJSON event file')
    .option('--speed <x>', 'replay speed factor, > 0', '1')
    .option('--to <url>', 'base URL of the running instance (default http://127.0.0.1:8080)')
    .option('--token <token>', 'ingest token for --to (default: $RISKSTREAM_TOKEN)')
    .option('--kafka <brokers>', 'produce onto the Kafka topics instead (host:port,...; topic prefix from $RISKSTREAM_KAFKA_TOPIC_PREFIX)')
    .action(async (file: string, opts) => run(await (await import('./replay.ts')).runReplay(file, opts)));

  program
    .command('token')
    .description('mint a signed access token with the configured secret; prints the token alone')
    .option('--role <role>', `${ROLES} (required)`)
    .option('--sub <name>', 'who the token is for (required for viewer, operator and admin)')
    .option('--towns <list>', 'towns the token may see: a,b or *', '*')
    .option('--ttl <duration>', 'lifetime, e.g. 12h, 30d (default and maximum depend on the role, below)')
    .addOption(configOption())
    .option('--data <dir>', 'data directory holding the generated secret (dataDir)')
    .addHelpText(
      'after',
      '\n--sub is required for viewer, operator and admin (the person the token is for).\n' +
        'Default and longest life: viewer 12h (7d), operator and admin 12h (24h), screen 30d (90d), ingest 90d (365d).',
    )
    .action(async (opts) => run(await (await import('./token.ts')).runToken(opts)));

  program
    .command('topics')
    .description('Kafka topics: topics create')
    .command('create')
    .description('create the missing Kafka topics and verify all of them; exit 0 all match, 1 otherwise, 2 bad arguments')
    .addOption(configOption())
    .option('--partitions <n>', 'partitions of a created topic (positive integer)')
    .option('--replication <n>', 'replication factor (default: min(3, brokers))')
    .action(async (opts) => run(await (await import('./topics.ts')).runTopicsCreate(opts)));

  program
    .command('schemas')
    .description('write the JSON Schemas of the contracts')
    .option('--out <dir>', 'output directory', 'schemas')
    .action(async (opts) => run(await (await import('./schemas.ts')).runSchemas(opts)));

  program
    .command('audit')
    .description('the hash-chained audit trail: audit verify')
    .command('verify')
    .description('verify the audit trail; exit 1 at the first broken link, 0 when whole, 2 when there is nothing to read')
    .option('--data <dir>', 'data directory whose audit.ndjson files are walked (dataDir)')
    .addOption(configOption())
    .option('--kafka [brokers]', 'read the risk.audit topic instead (host:port,...; without a value: the configured brokers)')
    .option('--topic <name>', 'the audit topic (default: <kafka.topicPrefix>risk.audit)')
    .option('--allow-cut', 'accept chains that start after the topic start (retention removed their beginning)')
    .action(async (opts) => run(await (await import('./audit.ts')).runAuditVerify(opts)));

  program
    .command('demo')
    .description('the SIMULATED demo day: demo generate')
    .command('generate')
    .description('write the SIMULATED flood-season day as NDJSON, one event per line, in event-time order (deterministic)')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--spec <file>', 'day spec YAML (default: deploy/demo/day.yaml)')
    .option('--sites <file>', 'reference sites YAML (default: the bundled one)')
    .action(async (opts) => run(await (await import('./demo.ts')).runDemo(opts)));

  program
    .command('briefing')
    .description('the joint-consultation material (会商材料) of a running server, as HTML, Markdown or PDF')
    .option('--token <token>', 'a viewer token of the server (default: $RISKSTREAM_TOKEN)')
    .option('--url <url>', 'base URL of the server', process.env.RISKSTREAM_URL ?? 'http://127.0.0.1:8080')
    .option('--town <id>', 'one town (default: the token’s towns)')
    .option('--at <iso>', 'the moment the briefing describes (default: now)')
    .addOption(new Option('--format <format>', 'output format; pdf needs --out and headless Chromium').choices(['html', 'md', 'pdf']).default('html'))
    .option('--out <file>', 'output file (default: stdout; required for pdf)')
    .option('--chromium <path>', 'Chromium executable for pdf', process.env.RISKSTREAM_CHROMIUM ?? '/usr/bin/chromium')
    .option('--record', 'issue this briefing: the next briefing of the town says what changed since it')
    .action(async (opts) => run(await (await import('./briefing.ts')).runBriefing(opts)));

  program.addHelpText('after', '\nEvery command has its own help: riskstream <command> --help, or riskstream help <command>.');
  // errors name the command they are about: `riskstream start: unknown option '--bogus'`
  const named = (cmd: Command, name: string): void => {
    cmd.configureOutput({ outputError: (str, write) => write(`${name}: ${str.replace(/^error: /, '')}`) });
    for (const sub of cmd.commands) named(sub, `${name} ${sub.name()}`);
  };
  named(program, 'riskstream');
  return program;
}

/**
 * main parses argv, runs the command and resolves to the process exit code: the command's own,
 * 0 for help and --version, 2 for a usage error (unknown command or option, missing or bad value).
 */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}
