import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
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

/** YamlPosition: a 1-based line and column in a YAML file. */
export interface YamlPosition {
  line: number;
  column: number;
}

/** YamlDoc: a parsed YAML file and a way to find where a path of it is written. */
export interface YamlDoc {
  value: unknown;
  /**
   * locate: where the value at `path` is written (`key`: where its key is); a path that is not
   * written all the way (a missing key) gives the place of the deepest part that is. `text`: the
   * place of that text inside the scalar (a placeholder in a template), when it is written as is.
   */
  locate(path: readonly (string | number)[], opts?: { key?: boolean; text?: string }): YamlPosition | undefined;
}

/** placedDetails is issuesToDetails with each problem's line and column in `doc` (an unknown key at the key). */
export function placedDetails(issues: readonly z.core.$ZodIssue[], file: string, doc: YamlDoc, prefix: (string | number)[] = []): ErrorDetail[] {
  return issues.map((i) => {
    const path = [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    const at = i.code === 'unrecognized_keys' && i.keys.length > 0 ? doc.locate([...path, i.keys[0]!], { key: true }) : doc.locate(path);
    return { path: path.map(String).join('.') || '(root)', message: i.message, code: i.code, file, ...(at ? { line: at.line, column: at.column } : {}) };
  });
}

/** readYamlDoc parses a YAML file keeping positions; syntax errors become details with line numbers. */
export function readYamlDoc(file: string, code: ErrorCode): YamlDoc {
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
  const at = (offset: number): YamlPosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate: YamlDoc['locate'] = (path, opts = {}) => {
    let node: unknown = doc.contents;
    let last: { range?: [number, number, number] | null } | undefined = node as never;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      let next: unknown;
      let keyNode: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        keyNode = pair?.key;
        next = pair?.value;
      } else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
      if (i === path.length - 1 && opts.key && isNode(keyNode) && keyNode.range) return at(keyNode.range[0]);
      if (!isNode(next)) return last?.range ? at(last.range[0]) : undefined;
      node = next;
      last = next;
    }
    const range = (node as { range?: [number, number, number] | null }).range;
    if (!range) return undefined;
    if (opts.text !== undefined) {
      const found = text.slice(range[0], range[1]).indexOf(opts.text);
      if (found >= 0) return at(range[0] + found);
    }
    return at(range[0]);
  };
  return { value: doc.toJS({ maxAliasCount: 100 }), locate };
}

/** readYaml parses a YAML file; syntax errors become details with line numbers. */
export function readYaml(file: string, code: ErrorCode): unknown {
  return readYamlDoc(file, code).value;
}

/** loadYamlAs reads a YAML file and validates it with a zod schema; errors name file and path. */
export function loadYamlAs<S extends z.ZodType>(file: string, schema: S, code: ErrorCode): z.infer<S> {
  const doc = readYamlDoc(file, code);
  const r = schema.safeParse(doc.value);
  if (!r.success) {
    const details = placedDetails(r.error.issues, file, doc);
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
