// npm run bench:flood — issue #9's flood, measured: 50,000 made-up sensor ids (half at 50 made-up
// sites, half at 5 real mines) posted in 500-event batches to a real `riskstream start`, /healthz
// probed every 100 ms before (the baseline, same run), during and after; RSS from /proc; then a
// restart on the same data dir. Prints the figures and the targets; exits 1 when a target is missed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuth } from '../../src/auth/auth.ts';
import { FLOOD_SECRET, flood, metricValue, outboxTexts, percentile, REAL_MINES, rssBytes, startInstance, startProber } from '../helpers/flood.ts';

const sensors = Number(process.env.FLOOD_SENSORS ?? 50_000);
const settleMs = Number(process.env.FLOOD_SETTLE_MS ?? 20_000);
const MB = 1024 * 1024;

const data = mkdtempSync(join(tmpdir(), 'riskstream-flood-'));
const inst = await startInstance(data);
try {
  // baseline: the idle instance, same machine, same run
  const idle = startProber(inst.base);
  await sleep(5_000);
  const base = await idle.stop();
  const rss0 = rssBytes(inst.pid);

  const during = startProber(inst.base);
  const res = await flood(inst.base, { sensors });
  const floodProbes = await during.stop();
  const after = startProber(inst.base);
  await sleep(settleMs);
  const afterProbes = await after.stop();
  const rss1 = rssBytes(inst.pid);

  const viewer = await createAuth(FLOOD_SECRET).sign({ sub: 'flood-viewer', role: 'viewer', towns: '*' }, '1h');
  const { alerts } = (await fetch(`${inst.base}/api/v1/alerts`, { headers: { authorization: `Bearer ${viewer}` } }).then((r) => r.json())) as { alerts: { siteId?: string; ruleId: string }[] };
  const perSite = new Map<string, number>();
  const overflow = new Map<string, number>();
  for (const a of alerts) {
    perSite.set(a.siteId ?? '-', (perSite.get(a.siteId ?? '-') ?? 0) + 1);
    if (a.ruleId.startsWith('system.limit.')) overflow.set(`${a.ruleId}@${a.siteId ?? '-'}`, (overflow.get(`${a.ruleId}@${a.siteId ?? '-'}`) ?? 0) + 1);
  }
  const metrics = await fetch(`${inst.base}/metrics`).then((r) => r.text());
  const pending = metricValue(metrics, 'riskstream_sms_pending');
  const texts = outboxTexts(data);
  await inst.stop();

  const again = await startInstance(data);
  const restartMs = again.readyMs;
  const probe = startProber(again.base);
  await sleep(3_000);
  const restartProbes = await probe.stop();
  await again.stop();

  const all = [...floodProbes.latencies, ...afterProbes.latencies, ...restartProbes.latencies];
  const p99 = percentile(all, 99);
  const baseP99 = percentile(base.latencies, 99);
  const growth = (rss1 - rss0) / MB;
  const report = {
    sensors,
    flood: { ...res, ms: Math.round(res.ms), eventsPerSec: Math.round(res.posted / (res.ms / 1000)) },
    healthz: {
      baselineP99ms: round(baseP99),
      p50ms: round(percentile(all, 50)),
      p99ms: round(p99),
      maxMs: round(Math.max(...all)),
      probes: all.length,
      failed: floodProbes.failed + afterProbes.failed + restartProbes.failed,
      p99VsBaseline: round(p99 / baseP99),
    },
    rssMB: { before: round(rss0 / MB), after: round(rss1 / MB), growth: round(growth) },
    openAlerts: alerts.length,
    openAlertsPerRealMine: Object.fromEntries(REAL_MINES.map((s) => [s, perSite.get(s) ?? 0])),
    overflowAlerts: Object.fromEntries(overflow),
    smsPending: pending,
    textsPerNumber: Object.fromEntries(texts),
    restartReadyMs: Math.round(restartMs),
  };
  const targets = {
    'healthz p99 < 200 ms': p99 < 200,
    'no failed probe': report.healthz.failed === 0,
    'RSS growth < 150 MB': growth < 150,
    'restart ready < 10 s': restartMs < 10_000,
    'made-up sites refused (UNKNOWN_SITE)': (res.codes.UNKNOWN_SITE ?? 0) === sensors / 2,
  };
  console.log(JSON.stringify({ report, targets }, null, 2));
  process.exitCode = Object.values(targets).every(Boolean) ? 0 : 1;
} finally {
  rmSync(data, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
