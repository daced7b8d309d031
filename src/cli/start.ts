import { boot } from '../main.ts';
import { createLogger } from '../logger.ts';
import { AppError } from '../errors.ts';
import { reportProblems } from './report.ts';

/** StartOptions: the options of `riskstream start`, as given (strings are checked here). */
export interface StartOptions {
  config?: string;
  demo?: boolean;
  port?: string;
  data?: string;
  sites?: string;
  rules?: string;
  calendar?: string;
  roster?: string;
  repair?: boolean;
}

/** runStart: `riskstream start` — runs until SIGINT/SIGTERM; 0 clean, 1 fatal, 2 bad config. */
export async function runStart(values: StartOptions): Promise<number> {
  let logger;
  try {
    logger = createLogger();
  } catch (err) {
    process.stderr.write(`riskstream start: ${(err as Error).message}\n`);
    return 2;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`riskstream start: --port: expected an integer 0..65535, got "${values.port}"\n`);
      return 2;
    }
  }
  let running;
  try {
    running = await boot({ ...values, ...(port !== undefined ? { port } : {}) } as never, logger);
  } catch (err) {
    if (err instanceof AppError && ['CONFIG_INVALID', 'RULES_INVALID', 'REFERENCE_INVALID', 'JOURNAL_CORRUPT'].includes(err.code)) {
      process.stderr.write(`riskstream start: ${err.code}\n`);
      reportProblems(err, '  ');
      return 2;
    }
    logger.fatal({ err }, 'start failed');
    // whatever boot had opened (the HTTP listener, Kafka connections) must not keep a failed start alive
    setTimeout(() => process.exit(1), 200);
    return 1;
  }
  // A token is printed only for the demo: in production people mint their own with `riskstream token --sub NAME`.
  process.stdout.write(
    running.operatorToken
      ? `\nriskstream is running with the SIMULATED demo scenario (演示数据).\n` +
          `  dashboard:       ${running.url}/?token=${running.operatorToken}\n` +
          `  operator token:  ${running.operatorToken}  (demo only, 12 h)\n` +
          `  metrics:         ${running.url}/metrics\n\n`
      : `\nriskstream is running.\n` +
          `  dashboard:       ${running.url}/  (open it with a token: riskstream token --role screen, or --role operator --sub NAME)\n` +
          `  metrics:         ${running.url}/metrics\n\n`,
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      running.stop().then(
        () => {
          // everything is flushed and closed; kafkajs may still hold request timers for up to 30 s
          resolve(0);
          setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref();
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
