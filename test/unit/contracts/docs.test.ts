import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EVENT_SCHEMAS, TOPIC_TYPES } from '../../../src/contracts/events.ts';
import { Config } from '../../../src/contracts/config.ts';
import { LOCATION_ZH, METRICS } from '../../../src/contracts/catalogue.ts';
import { PROJECT_ROOT as ROOT } from '../../../src/config/paths.ts';
import { BLOCKS, readBlock, writeBlocks } from '../../helpers/contract-docs.ts';

// RISKSTREAM_WRITE_DOCS=1 rewrites the generated blocks of docs/CONTRACT.md before checking them.
if (process.env.RISKSTREAM_WRITE_DOCS === '1') writeBlocks();

// The contract in docs/CONTRACT.md and the README must name what the code accepts and exports.
const contract = readFileSync(join(ROOT, 'docs', 'CONTRACT.md'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const docs = `${contract}\n${readme}`;
const mentions = (text: string, name: string): boolean => text.includes(`\`${name}\``);

/** configPaths lists every key of the Config schema as a dotted path (objects and leaves). */
function configPaths(): string[] {
  const out: string[] = [];
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [k, v] of Object.entries(props)) {
      const path = prefix ? `${prefix}.${k}` : k;
      out.push(path);
      walk(v, path);
    }
  };
  walk(z.toJSONSchema(Config, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>, '');
  return out;
}

/**
 * documentedKey: a config key is documented when a line of the docs names its whole path in
 * backticks, or names its section in backticks (`sms.…`, `influx: {…}`) and every further segment as
 * a word, as the README's config table does (`escalation.red`, `.orange`, `.repeat`).
 */
function documentedKey(path: string): boolean {
  if (docs.includes(`\`${path}\``) || docs.includes(`\`${path}.`) || docs.includes(`\`${path}:`)) return true;
  const [top, ...rest] = path.split('.');
  const word = (w: string): RegExp => new RegExp(`(^|[^A-Za-z0-9_])${w}([^A-Za-z0-9_]|$)`);
  // a line naming the section in backticks (`influx: {…, ssl: {ca, …}}`, `escalation.red`, `.orange`) and every further segment as a word
  return docs.split('\n').some((line) => (line.includes(`\`${top}.`) || line.includes(`\`${top}:`)) && rest.every((seg) => word(seg).test(line)));
}

/** registeredMetrics: every riskstream_* metric name the sources register. */
function registeredMetrics(): string[] {
  const src = ['metrics.ts'].map((f) => readFileSync(join(ROOT, 'src', f), 'utf8')).join('\n');
  return [...new Set([...src.matchAll(/name: '(riskstream_[a-z0-9_]+)'/g)].map((m) => m[1]!))];
}

describe('docs agree with the code', () => {
  it.each(Object.keys(EVENT_SCHEMAS))('event type %s is in docs/CONTRACT.md', (type) => {
    expect(mentions(contract, type)).toBe(true);
  });

  it.each(Object.keys(TOPIC_TYPES))('topic %s is in docs/CONTRACT.md', (topic) => {
    expect(mentions(contract, topic)).toBe(true);
  });

  it.each(Object.keys(LOCATION_ZH))('location %s is in docs/CONTRACT.md', (location) => {
    expect(mentions(contract, location)).toBe(true);
  });

  it.each(Object.keys(METRICS))('metric %s is in docs/CONTRACT.md', (metric) => {
    expect(mentions(contract, metric)).toBe(true);
  });

  // The generated tables of docs/CONTRACT.md (locations, metric catalogue, Prometheus metrics) are what the code renders
  // (RISKSTREAM_WRITE_DOCS=1 npx vitest run --config test/vitest.config.ts test/unit/contracts/docs.test.ts rewrites them).
  it.each(Object.keys(BLOCKS))('the %s block of docs/CONTRACT.md is up to date', (name) => {
    const block = readBlock(contract, name);
    expect(block, `docs/CONTRACT.md has no <!-- ${name}:begin --> … <!-- ${name}:end --> block`).toBeDefined();
    expect(block).toBe(BLOCKS[name]!());
  });

  it.each(configPaths())('config key %s is documented (docs/CONTRACT.md or README.md)', (path) => {
    expect(documentedKey(path)).toBe(true);
  });

  it.each(registeredMetrics())('metric %s is listed in the README or docs', (name) => {
    expect(new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`, 'm').test(docs)).toBe(true);
  });

  // The checks above can fail: a name the docs never mention is caught.
  it('finds what the docs do not mention', () => {
    expect(mentions(contract, 'mine.reedings')).toBe(false);
    expect(documentedKey('limits.noSuchLimit')).toBe(false);
    expect(registeredMetrics().length).toBeGreaterThan(10);
  });
});
