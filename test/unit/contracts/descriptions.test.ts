import { describe, expect, it } from 'vitest';
import { renderSchemas } from '../../../src/cli/schemas.ts';

type Json = { [k: string]: unknown };

/**
 * undescribed walks a JSON Schema and returns the JSON pointer of every property (a member of a
 * `properties` object) whose schema has no `description` (a `$ref` counts as described when its
 * target is).
 */
export function undescribed(root: Json): string[] {
  const missing: string[] = [];
  const resolve = (s: Json): Json => {
    const ref = s.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return s;
    let at: unknown = root;
    for (const part of ref.slice(2).split('/')) at = (at as Json)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return (at as Json) ?? s;
  };
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
    if (node === null || typeof node !== 'object') return;
    const o = node as Json;
    if (o.properties && typeof o.properties === 'object') {
      for (const [name, prop] of Object.entries(o.properties as Json)) {
        const p = prop as Json;
        if (typeof p.description !== 'string' || p.description.trim() === '') {
          if (typeof resolve(p).description !== 'string') missing.push(`${path}/properties/${name}`);
        }
      }
    }
    for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
  };
  walk(root, '');
  return missing;
}

const schemas = Object.entries(renderSchemas()).filter(([f]) => f.endsWith('.schema.json'));
/** documents: the JSON Schemas and the OpenAPI and AsyncAPI documents (their payload schemas). */
const documents = Object.entries(renderSchemas());

/**
 * unexplainedValues: for every property whose values form a closed set (an enum, of the property
 * or of its items), the values its description does not name (nor its items' description).
 */
export function unexplainedValues(root: Json): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
    if (node === null || typeof node !== 'object') return;
    const o = node as Json;
    for (const [name, prop] of Object.entries((o.properties ?? {}) as Json)) {
      const p = prop as Json;
      const items = (p.items ?? {}) as Json;
      const options = [p, items, ...((p.anyOf as Json[] | undefined) ?? []), ...((items.anyOf as Json[] | undefined) ?? [])];
      const values = options.flatMap((x) => (Array.isArray(x.enum) ? (x.enum as unknown[]) : []));
      if (values.length < 2) continue;
      const text = `${String(p.description ?? '')} ${String(items.description ?? '')} ${options.map((x) => String(x.description ?? '')).join(' ')}`;
      const missing = [...new Set(values)].filter((v) => !text.includes(String(v)));
      if (missing.length > 0) out.push(`${path}/properties/${name}: ${missing.join(', ')}`);
    }
    for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
  };
  walk(root, '');
  return out;
}

describe('schema descriptions', () => {
  // Every property of every generated contract says what it is (unit, meaning, range).
  it.each(documents)('%s describes every property', (_file, text) => {
    expect(undescribed(JSON.parse(text) as Json)).toEqual([]);
  });

  // Every value of a closed set (sensorType, location, quantity, work, severity, domain, …) is explained in the description.
  it.each(schemas)('%s explains every value of its enums', (_file, text) => {
    expect(unexplainedValues(JSON.parse(text) as Json)).toEqual([]);
  });

  it('finds an enum value the description does not explain', () => {
    const s = { properties: { q: { enum: ['frequency', 'voltage'], description: 'frequency (Hz)' } } };
    expect(unexplainedValues(s)).toEqual(['/properties/q: voltage']);
  });

  // The walker itself finds a property without a description (so the test above can fail).
  it('finds an undescribed property', () => {
    const s = { type: 'object', properties: { a: { type: 'string', description: 'x' }, b: { type: 'object', properties: { c: { type: 'number' } } } } };
    expect(undescribed(s)).toEqual(['/properties/b', '/properties/b/properties/c']);
  });
});
