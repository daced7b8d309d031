import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { AppError, type ErrorCode, type ErrorDetail } from '../errors.ts';

/** issuesToDetails turns zod issues into details naming the file and the path. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], file?: string, prefix: (string | number)[] = []): ErrorDetail[] {
  return issues.map((i) => ({
    path: [...prefix, ...i.path].map(String).join('.') || '(root)',
    message: i.message,
    code: i.code,
    ...(file ? { file } : {}),
  }));
}

/** readYaml parses a YAML file; syntax errors become details with line numbers. */
export function readYaml(file: string, code: ErrorCode): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError(code, `${file}: cannot read: ${(err as Error).message}`, { cause: err, details: [{ file, path: '(file)', message: (err as Error).message }] });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => ({ file, path: `line ${lineCounter.linePos(e.pos[0]).line}`, message: e.message.split('\n')[0] ?? e.message }));
    throw new AppError(code, `${file}: invalid YAML`, { details });
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** loadYamlAs reads a YAML file and validates it with a zod schema; errors name file and path. */
export function loadYamlAs<S extends z.ZodType>(file: string, schema: S, code: ErrorCode): z.infer<S> {
  const raw = readYaml(file, code);
  const r = schema.safeParse(raw);
  if (!r.success) {
    const details = issuesToDetails(r.error.issues, file);
    throw new AppError(code, `${file}: ${details.length} problem(s): ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
  }
  return r.data;
}

/** listYamlFiles lists *.yaml / *.yml files of a directory (or the file itself), sorted. */
export function listYamlFiles(dirOrFile: string): string[] {
  const st = statSync(dirOrFile);
  if (st.isFile()) return [dirOrFile];
  return readdirSync(dirOrFile)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dirOrFile, f));
}
