// Bench helper: top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`).
// Usage: node --import tsx test/bench/profile-top.ts FILE.cpuprofile [TOP]
// Percentages leave out the synthetic-data generator (synth.ts), (idle) and (program): they are
// setup, not the measured engine.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [TOP]');
const top = Number(process.argv[3] ?? 30);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
const excluded = (n: Node) => n.callFrame.url.includes('/test/bench/synth.ts') || n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)';
for (let i = 0; i < p.samples.length; i++) {
  const id = p.samples[i]!;
  if (excluded(byId.get(id)!)) continue;
  self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

function short(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 13);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  const t = url.indexOf('/test/');
  if (t >= 0) return url.slice(t + 1);
  return url.replace(/^file:\/\//, '') || '(native)';
}

const fn = new Map<string, number>();
const mod = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const where = short(f.url);
  const key = `${f.functionName || '(anonymous)'}  ${where}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const m = f.url.includes('node_modules/zod') ? 'zod' : f.url.includes('/src/') ? where.split('/').slice(0, 2).join('/') : f.url.includes('/test/bench/') ? 'test/bench' : f.url.startsWith('node:') ? 'node:' + f.url.slice(5).split('/')[0] : f.functionName.startsWith('(') ? f.functionName : '(native/builtin)';
  mod.set(m, (mod.get(m) ?? 0) + us);
}
const pct = (us: number) => Math.round((us / total) * 1000) / 10;
const rows = [...fn.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
process.stdout.write(`total sampled ${(total / 1e6).toFixed(2)} s (without generator, idle, program)\n\nself time by function:\n`);
for (const [k, us] of rows) process.stdout.write(`${String(pct(us)).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`);
process.stdout.write('\nself time by module:\n');
for (const [k, us] of [...mod.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)) process.stdout.write(`${String(pct(us)).padStart(5)} %  ${k}\n`);
