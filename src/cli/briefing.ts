import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BUNDLED } from '../config/paths.ts';
import { briefingHtml, briefingMarkdown, type BriefingView } from '../briefing/render.ts';

const FORMATS = ['html', 'md', 'pdf'] as const;

/** BriefingOptions: the options of `riskstream briefing`. */
export interface BriefingOptions {
  url?: string;
  token?: string;
  town?: string;
  at?: string;
  format?: string;
  out?: string;
  chromium?: string;
  /** issue this briefing: the next one says what changed since it */
  record?: boolean;
}

/**
 * runBriefing: the joint-consultation material (会商材料) of a running riskstream, as HTML, Markdown
 * or PDF (A4, printed by headless Chromium). The server holds the situation; this asks it
 * (GET /api/v1/briefing) with a viewer token and renders the answer.
 */
export async function runBriefing(opts: BriefingOptions): Promise<number> {
  const values = {
    ...opts,
    url: opts.url ?? process.env.RISKSTREAM_URL ?? 'http://127.0.0.1:8080',
    format: opts.format ?? 'html',
    chromium: opts.chromium ?? process.env.RISKSTREAM_CHROMIUM ?? '/usr/bin/chromium',
    record: opts.record ?? false,
  };
  const format = values.format as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) {
    process.stderr.write(`riskstream briefing: --format: expected one of ${FORMATS.join(', ')}, got "${values.format}"\n`);
    return 2;
  }
  const token = values.token ?? process.env.RISKSTREAM_TOKEN;
  if (!token) {
    process.stderr.write('riskstream briefing: --token TOKEN (or RISKSTREAM_TOKEN) is required: a viewer token of the server (riskstream token --role viewer --sub NAME)\n');
    return 2;
  }
  if (format === 'pdf' && !values.out) {
    process.stderr.write('riskstream briefing: --format pdf needs --out FILE.pdf\n');
    return 2;
  }
  // the output's folder must exist before anything is asked of the server (nothing is created for it)
  if (values.out) {
    const dir = dirname(resolve(values.out));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      process.stderr.write(`riskstream briefing: --out ${values.out}: folder ${dir} does not exist\n`);
      return 2;
    }
  }
  const write = (data: string | Uint8Array): number => {
    try {
      writeFileSync(values.out!, data);
      return 0;
    } catch (err) {
      process.stderr.write(`riskstream briefing: cannot write ${values.out}: ${(err as Error).message}\n`);
      return 1;
    }
  };
  const q = new URLSearchParams();
  if (values.town) q.set('town', values.town);
  if (values.at) q.set('at', values.at);
  if (values.record) q.set('record', 'true');
  let res: Response;
  try {
    res = await fetch(`${values.url.replace(/\/$/, '')}/api/v1/briefing?${q}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch (err) {
    process.stderr.write(`riskstream briefing: cannot reach ${values.url}: ${(err as Error).message}\n`);
    return 1;
  }
  const body = (await res.json().catch(() => undefined)) as (BriefingView & { error?: { message: string } }) | undefined;
  if (!res.ok || !body) {
    process.stderr.write(`riskstream briefing: ${values.url} answered ${res.status}: ${body?.error?.message ?? 'no briefing'}\n`);
    return 1;
  }
  const css = readFileSync(join(BUNDLED.web, 'briefing.css'), 'utf8');
  if (format === 'md' || format === 'html') {
    const text = format === 'md' ? briefingMarkdown(body) : briefingHtml(body, { inline: css });
    if (values.out) return write(text);
    process.stdout.write(text);
    return 0;
  }
  // pdf: headless Chromium prints the standalone page to A4
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    process.stderr.write('riskstream briefing: --format pdf needs the playwright-core package (npm install)\n');
    return 1;
  }
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  try {
    browser = await chromium.launch({ executablePath: values.chromium, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  } catch (err) {
    process.stderr.write(`riskstream briefing: cannot start Chromium at ${values.chromium} (install Debian chromium or pass --chromium PATH): ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
  let pdf: Uint8Array;
  try {
    const page = await browser.newPage();
    await page.setContent(briefingHtml(body, { inline: css }), { waitUntil: 'load' });
    // printed to memory and written here: the file path is checked and written the same way as md and html
    pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
  const code = write(pdf);
  if (code === 0) process.stderr.write(`riskstream briefing: wrote ${values.out}\n`);
  return code;
}
