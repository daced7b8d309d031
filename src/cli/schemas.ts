import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CONTRACT_SCHEMAS } from '../contracts/registry.ts';
import { renderAsyncApi } from '../api/asyncapi.ts';
import { renderOpenApi } from '../api/openapi.ts';

/** renderSchemas returns each contract's JSON Schema (2020-12, input side), the OpenAPI and the AsyncAPI documents, as file name → text. */
export function renderSchemas(): Record<string, string> {
  const out: Record<string, string> = {
    'openapi.json': JSON.stringify(renderOpenApi(), null, 2) + '\n',
    'asyncapi.json': JSON.stringify(renderAsyncApi(), null, 2) + '\n',
  };
  for (const [name, schema] of Object.entries(CONTRACT_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    out[`${name}.schema.json`] = JSON.stringify({ $id: `https://riskstream.invalid/schemas/${name}.schema.json`, title: name, ...json }, null, 2) + '\n';
  }
  return out;
}

/** runSchemas: `riskstream schemas [--out DIR]` writes the JSON Schemas (default ./schemas). */
export function runSchemas(opts: { out?: string }): number {
  const values = { out: opts.out ?? 'schemas' };
  mkdirSync(values.out, { recursive: true });
  const files = renderSchemas();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(values.out, name), text);
  process.stdout.write(`wrote ${Object.keys(files).length} schemas to ${values.out}\n`);
  return 0;
}
