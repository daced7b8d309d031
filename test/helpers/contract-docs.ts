import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCatalogueMarkdown } from '../../src/contracts/catalogue.ts';
import { PROJECT_ROOT } from '../../src/config/paths.ts';

/** CONTRACT_MD: the contract as built. */
export const CONTRACT_MD = join(PROJECT_ROOT, 'docs', 'CONTRACT.md');

/**
 * renderMetricsMarkdown: the table of every riskstream_* metric src/metrics.ts registers (name,
 * type, labels, help), read from its source so that a metric added there shows up here.
 */
export function renderMetricsMarkdown(): string {
  const src = readFileSync(join(PROJECT_ROOT, 'src', 'metrics.ts'), 'utf8');
  const rows: string[] = [];
  const re = /(new (Counter|Gauge|Histogram)\(\{\s*)?name: '(riskstream_[a-z0-9_]+)',\s*(?:type: '(counter|gauge)',\s*)?help: '((?:[^'\\]|\\.)*)'(?:,\s*labelNames: \[([^\]]*)\])?/g;
  for (const m of src.matchAll(re)) {
    const type = (m[2] ?? m[4] ?? 'gauge').toLowerCase();
    const labels = (m[6] ?? '').split(',').map((l) => l.trim().replace(/'/g, '')).filter(Boolean);
    rows.push(`| \`${m[3]}\` | ${type} | ${labels.map((l) => `\`${l}\``).join(', ') || '—'} | ${m[5]!.replace(/\\'/g, "'").replace(/\|/g, '\\|')} |`);
  }
  rows.sort();
  return ['| metric | type | labels | meaning |', '|---|---|---|---|', ...rows, ''].join('\n');
}

/** BLOCKS: the generated blocks of docs/CONTRACT.md, `<!-- NAME:begin -->` … `<!-- NAME:end -->`. */
export const BLOCKS: Record<string, () => string> = { catalogue: renderCatalogueMarkdown, metrics: renderMetricsMarkdown };

const blockRe = (name: string): RegExp => new RegExp(`<!-- ${name}:begin -->\\n([\\s\\S]*?)<!-- ${name}:end -->`);

/** readBlock returns the text of a generated block of a document (undefined without its markers). */
export function readBlock(text: string, name: string): string | undefined {
  return blockRe(name).exec(text)?.[1];
}

/** writeBlocks rewrites every generated block of docs/CONTRACT.md (RISKSTREAM_WRITE_DOCS=1 npx vitest run … docs.test.ts). */
export function writeBlocks(): void {
  let text = readFileSync(CONTRACT_MD, 'utf8');
  for (const [name, render] of Object.entries(BLOCKS)) text = text.replace(blockRe(name), () => `<!-- ${name}:begin -->\n${render()}<!-- ${name}:end -->`);
  writeFileSync(CONTRACT_MD, text);
}
