// Each command's module is imported when that command runs (and with it what it needs: Fastify and
// the app for `start`, kafkajs for `topics`, playwright-core for `briefing`), so `--help` or
// `token` load none of it.

const USAGE = `usage: riskstream <command> [options]

  start [--config FILE] [--demo] [--port N] [--data DIR] [--sites FILE] [--rules DIR] [--calendar FILE] [--roster FILE]
  backtest --events FILE [--rules DIR] [--sites FILE] [--calendar FILE] [--until ISO]
  rules check [DIR]
  replay FILE [--speed X] [--to URL] [--token TOKEN]
  token --role viewer|operator|admin|screen|ingest [--sub NAME] [--towns a,b|*] [--ttl DURATION] [--config FILE] [--data DIR]
        --sub is required for viewer, operator and admin (the person the token is for).
        Default and longest life: viewer 12h (7d), operator and admin 12h (24h),
        screen 30d (90d), ingest 90d (365d).
  topics create [--config FILE] [--partitions N] [--replication N]
  schemas [--out DIR]
  audit verify [--data DIR | --kafka BROKERS [--topic NAME] [--allow-cut]] [--config FILE]   (the hash-chained audit trail; exit 1 at the first broken link)
  demo generate [--out FILE] [--spec FILE] [--sites FILE]
  briefing --token TOKEN [--url URL] [--town ID] [--at ISO] [--format html|md|pdf] [--out FILE] [--chromium PATH] [--record]
        the joint-consultation material (会商材料) of a running server; pdf needs --out and headless Chromium;
        --record issues it: the next briefing of the town says what changed since this one
`;

/** main dispatches a command; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        return await (await import('./start.ts')).runStart(rest);
      case 'backtest':
        return await (await import('./backtest.ts')).runBacktest(rest);
      case 'rules':
        if (rest[0] !== 'check') break;
        return (await import('./rules.ts')).runRulesCheck(rest.slice(1));
      case 'replay':
        return await (await import('./replay.ts')).runReplay(rest);
      case 'token':
        return await (await import('./token.ts')).runToken(rest);
      case 'topics':
        if (rest[0] !== 'create') break;
        return await (await import('./topics.ts')).runTopicsCreate(rest.slice(1));
      case 'schemas':
        return (await import('./schemas.ts')).runSchemas(rest);
      case 'audit':
        if (rest[0] !== 'verify') break;
        return await (await import('./audit.ts')).runAuditVerify(rest.slice(1));
      case 'demo':
        return await (await import('./demo.ts')).runDemo(rest);
      case 'briefing':
        return await (await import('./briefing.ts')).runBriefing(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
    }
  } catch (err) {
    // parseArgs reports unknown or malformed flags with a TypeError carrying a code
    if (err instanceof TypeError && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`riskstream ${cmd}: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  process.stderr.write(cmd ? `riskstream: unknown command "${argv.join(' ')}"\n${USAGE}` : USAGE);
  return 2;
}
