import { whereOf, type AppError } from '../errors.ts';

/**
 * reportProblems writes an AppError's problems to stderr, one `[file[:line:column]: | env NAME: | flag --NAME: ]path: message` line each
 * (or its message when it names none), indented by `indent`.
 */
export function reportProblems(err: AppError, indent = ''): void {
  for (const d of err.details) process.stderr.write(`${indent}${whereOf(d)}${d.path}: ${d.message}\n`);
  if (err.details.length === 0) process.stderr.write(`${indent}${err.message}\n`);
}
