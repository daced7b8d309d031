// Runs the real CLI (`node src/cli/riskstream.mjs ...`) as a child process from the project root.
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/config/paths.ts';

/** CliRun: how a CLI run ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** cleanEnv drops the outer shell's RISKSTREAM_* variables, so a run sees only what the test sets. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RISKSTREAM_')) env[k] = v;
  return { ...env, RISKSTREAM_LOG_LEVEL: 'silent', ...extra };
}

/** runCli runs one command; a command that should end but hangs is killed after `timeoutMs`. */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli/riskstream.mjs', ...args], { cwd: PROJECT_ROOT, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
