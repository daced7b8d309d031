import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { eventTime } from '../contracts/events.ts';
import { decodeLine } from '../ingest/decode.ts';
import { topicOfType } from '../jobs/demo.ts';

/** runReplay: publish a recorded NDJSON event file to a running instance over HTTP, keeping gaps ÷ speed. */
export async function runReplay(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { speed: { type: 'string', default: '1' }, to: { type: 'string' }, kafka: { type: 'string' }, token: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  const speed = Number(values.speed);
  if (!file || !(speed > 0)) {
    process.stderr.write('riskstream replay: FILE and a positive --speed are required\n');
    return 2;
  }
  if (values.kafka) {
    process.stderr.write('riskstream replay: --kafka is not available in this build yet; use --to URL\n');
    return 1;
  }
  const base = values.to ?? 'http://127.0.0.1:8080';
  const token = values.token ?? process.env.RISKSTREAM_TOKEN;
  let prev: number | undefined;
  let sent = 0;
  let failed = 0;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const r = decodeLine(line, i);
    if (!r.ok) {
      process.stderr.write(`${file}:${i + 1}: ${r.rejection.code}: ${r.rejection.message}\n`);
      failed++;
      continue;
    }
    const t = eventTime(r.event);
    if (prev !== undefined && t > prev) await new Promise((res) => setTimeout(res, (t - prev!) / speed));
    prev = t;
    const topic = r.topic ?? topicOfType(r.event.type);
    const res = await fetch(`${base}/api/v1/events/${topic}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(r.event),
    });
    if (res.status === 202) sent++;
    else {
      failed++;
      process.stderr.write(`${file}:${i + 1}: HTTP ${res.status}: ${await res.text()}\n`);
    }
  }
  process.stderr.write(`replay: ${sent} sent, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}
