import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT_SCHEMAS } from '../../../src/contracts/registry.ts';
import { renderSchemas } from '../../../src/cli/schemas.ts';
import { BUNDLED } from '../../../src/config/paths.ts';

const EXAMPLES = join(BUNDLED.schemas, 'examples');

describe('schemas/', () => {
  // The committed JSON Schemas must be exactly what `riskstream schemas` writes today.
  it.each(Object.entries(renderSchemas()))('%s is up to date (run `npm run riskstream -- schemas` when this fails)', (file, text) => {
    const path = join(BUNDLED.schemas, file);
    expect(existsSync(path), `${file} is missing`).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  // No stale schema file lingers for a contract that no longer exists.
  it('holds no schema file without a contract', () => {
    const expected = new Set(Object.keys(renderSchemas()));
    const present = readdirSync(BUNDLED.schemas).filter((f) => f.endsWith('.schema.json'));
    expect(present.filter((f) => !expected.has(f))).toEqual([]);
  });

  const examples = readdirSync(EXAMPLES).flatMap((dir) => readdirSync(join(EXAMPLES, dir)).map((f) => [dir, f] as const));

  // Every contract has at least one example payload.
  it.each(Object.keys(CONTRACT_SCHEMAS))('%s has an example', (name) => {
    expect(examples.some(([dir]) => dir === name)).toBe(true);
  });

  // Each example validates against the contract its folder names.
  it.each(examples)('example %s/%s validates', (dir, file) => {
    const schema = CONTRACT_SCHEMAS[dir];
    expect(schema, `no contract named ${dir}`).toBeDefined();
    const r = schema!.safeParse(JSON.parse(readFileSync(join(EXAMPLES, dir, file), 'utf8')));
    expect(r.success ? [] : r.error.issues).toEqual([]);
  });
});
