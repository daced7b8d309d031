import { z } from 'zod';
import { compileFn } from 'zod/v4/core';
import { MineReading } from '/work/main/src/contracts/events.ts';
const lines: string[] = [];
for (let i = 0; i < 200000; i++) lines.push(JSON.stringify({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: `CH4-${i % 2000}`, sensorType: 'CH4', location: 'coal_face', value: 0.3 + (i % 7) / 100, unit: '%', ts: '2026-07-16T09:00:00.000+08:00', status: 'ok' }));
const compiled = z.compile(MineReading);
const fast = compileFn(MineReading as never, { assertOnly: true });
console.log('assertOnly sample', fast(JSON.parse(lines[0]!)), 'definite', (fast as any).definite);
console.log((fast as any).code?.slice(0, 1500));
function run(name: string, f: (o: unknown) => unknown) {
  let sink = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (const l of lines) { const o = JSON.parse(l); const x = f(o); if (x) sink++; }
    const dt = performance.now() - t0;
    if (r >= 2) console.log(name, ((dt * 1000) / lines.length).toFixed(3), 'µs/event');
  }
  return sink;
}
run('parse only', (o) => o);
run('safeParse compiled', (o) => compiled.safeParse(o).success);
run('assertOnly', (o) => fast(o));
