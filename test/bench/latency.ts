// Latency of the embedded path: POST a red methane reading → the `fired` frame on a WebSocket
// (30 alerts, fsync included), and how fast an entity-expansion CAP document is refused.
// Run: node --import tsx test/bench/latency.ts
import { startTestApp } from '../helpers/app.ts';
import { connectWs } from '../helpers/ws.ts';
const t = await startTestApp();
const ws = await connectWs(t.baseUrl, t.tokens.operator);
await ws.next((f) => f.type === 'snapshot');
const lat: number[] = [];
for (let i = 0; i < 30; i++) {
  const sensor = `CH4-LAT-${i}`;
  const t0 = performance.now();
  await fetch(`${t.baseUrl}/api/v1/events/risk.mine.telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.ingest}` }, body: JSON.stringify({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: sensor, sensorType: 'CH4', location: 'coal_face', value: 1.6, unit: '%', ts: Date.now() }) });
  await ws.next((f) => f.type === 'alert' && (f.alert as { labels: Record<string, string> }).labels.sensorId === sensor, 2000);
  lat.push(performance.now() - t0);
}
lat.sort((a, b) => a - b);
const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>`;
const c0 = performance.now();
const r = await fetch(`${t.baseUrl}/api/v1/events/risk.weather.warnings`, { method: 'POST', headers: { 'content-type': 'application/cap+xml', authorization: `Bearer ${t.tokens.ingest}` }, body: laughs });
const capMs = performance.now() - c0;
console.log(JSON.stringify({ p50ms: lat[15]!.toFixed(1), maxms: lat[29]!.toFixed(1), capStatus: r.status, capMs: capMs.toFixed(1) }));
ws.close();
await t.destroy();
process.exit(0);
