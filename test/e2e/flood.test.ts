import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuth } from '../../src/auth/auth.ts';
import { FLOOD_SECRET, flood, metricValue, outboxTexts, REAL_MINES, startInstance, startProber, type Instance } from '../helpers/flood.ts';

// Issue #9's flood, as a hostile or careless producer would send it, against the real CLI: 50,000
// made-up sensor ids, half at 50 made-up sites and half at 5 real coal mines, each reading three
// minutes old so every made-up sensor is "silent" at once. What must hold: made-up sites refused
// with UNKNOWN_SITE; every /healthz probe answered; open alerts and queued texts bounded with one
// overflow alert per site; a restart on that data dir comes up with the same bounded state.
// (How fast and how much memory: `npm run bench:flood`, not timed assertions here.)

const SUBJECT_CAP = 2000; // limits.subjectsPerSite default
const OPEN_CAP = 200; // limits.openAlertsPerSite default

interface OpenAlert {
  siteId?: string;
  ruleId: string;
  domain: string;
}

async function openAlerts(base: string): Promise<OpenAlert[]> {
  const viewer = await createAuth(FLOOD_SECRET).sign({ sub: 'flood-viewer', role: 'viewer', towns: '*' }, '1h');
  const r = await fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${viewer}` } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { alerts: OpenAlert[] }).alerts;
}

function bySite(alerts: readonly OpenAlert[], siteId: string) {
  const at = alerts.filter((a) => a.siteId === siteId);
  return {
    regular: at.filter((a) => !a.ruleId.startsWith('system.limit.')).length,
    overflow: at.filter((a) => a.ruleId === 'system.limit.openAlertsPerSite').length,
    subjects: at.filter((a) => a.ruleId === 'system.limit.subjectsPerSite').length,
  };
}

describe('a flood of 50,000 made-up sensors', () => {
  const data = mkdtempSync(join(tmpdir(), 'riskstream-flood-'));
  let inst: Instance | undefined;
  afterAll(async () => {
    await inst?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  it('refuses made-up sites, stays responsive and bounded, and restarts on the same data', async () => {
    inst = await startInstance(data);
    const prober = startProber(inst.base);
    const res = await flood(inst.base, { sensors: 50_000, fakeSites: 50 });
    // every made-up site refused by name; of the real mines' 25,000 made-up sensors, the cap admits 2,000 per mine
    expect(res.codes.UNKNOWN_SITE).toBe(25_000);
    expect(res.codes.SUBJECT_LIMIT).toBe(25_000 - REAL_MINES.length * SUBJECT_CAP);
    expect(res.accepted).toBe(REAL_MINES.length * SUBJECT_CAP);
    // nothing refused is lost: each went to the dead-letter sink with its code
    const page = await fetch(`${inst.base}/metrics`).then((r) => r.text());
    expect(metricValue(page, 'riskstream_events_rejected_total', 'code="UNKNOWN_SITE"')).toBe(25_000);
    expect(metricValue(page, 'riskstream_dlq_total')).toBeGreaterThanOrEqual(50_000 - REAL_MINES.length * SUBJECT_CAP);

    // the silent made-up sensors become due at once: each mine is capped, with one overflow alert saying so
    await expect
      .poll(async () => (await openAlerts(inst!.base)).filter((a) => a.ruleId === 'system.limit.openAlertsPerSite').length, { timeout: 60_000, interval: 1000 })
      .toBe(REAL_MINES.length);
    const alerts = await openAlerts(inst.base);
    for (const site of REAL_MINES) {
      const s = bySite(alerts, site);
      expect.soft(s.regular, site).toBeLessThanOrEqual(OPEN_CAP);
      expect.soft(s.overflow, site).toBe(1);
      expect.soft(s.subjects, site).toBe(1);
    }
    expect(alerts.some((a) => a.siteId?.startsWith('made-up-site'))).toBe(false);

    // let the notification stage run its group waits, then count the texts: a handful per number, none queued by the thousand
    await new Promise((r) => setTimeout(r, 8_000));
    const metrics = await fetch(`${inst.base}/metrics`).then((r) => r.text());
    expect(metricValue(metrics, 'riskstream_sms_pending')).toBeLessThan(100);
    for (const [to, n] of outboxTexts(data)) expect.soft(n, to).toBeLessThanOrEqual(5);

    const { failed, latencies } = await prober.stop();
    expect(failed).toBe(0);
    expect(latencies.length).toBeGreaterThan(50);

    // restart on the same data dir: ready, with the same bounded picture
    expect(await inst.stop()).toBe(0);
    inst = await startInstance(data);
    const after = await openAlerts(inst.base);
    for (const site of REAL_MINES) expect.soft(bySite(after, site).regular, site).toBeLessThanOrEqual(OPEN_CAP);
    expect(after.length).toBeLessThanOrEqual(alerts.length + 100);
  }, 240_000);
});
