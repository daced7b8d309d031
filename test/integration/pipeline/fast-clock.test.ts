import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';

// One producer whose clock runs fast must not make everyone else's readings "late": a reading
// stamped 9 minutes ahead (the ingest gate accepts up to 10) moved the shared watermark, and the
// windowed rules (rain sums, rises) then skipped every correctly-timed reading of every other site.

describe('a producer with a fast clock', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.destroy();
  });

  it('does not push the watermark past the wall clock: a real-time rain reading elsewhere still counts', async () => {
    t = await startTestApp({ only: ['count'] });
    const post = async (body: unknown) => {
      const res = await fetch(`${t.baseUrl}/api/v1/events/risk.site.telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.ingest}` }, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
    };
    const now = Date.now();
    await post({ type: 'site.reading', siteId: 'lp-alz-01', metric: 'visitors', value: 5, unit: '人', ts: now + 9 * 60_000 });
    await post({ type: 'site.reading', siteId: 'cs-ccn-01', metric: 'rain_mm', value: 25, unit: 'mm', ts: Date.now() });
    const alerts = (await (await fetch(`${t.baseUrl}/api/v1/alerts?siteId=cs-ccn-01`, { headers: { authorization: `Bearer ${t.tokens.viewer}` } })).json()) as { alerts: { ruleId: string }[] };
    expect(alerts.alerts.map((a) => a.ruleId)).toContain('site.rain.short-heavy');
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/riskstream_late_events_total\{topic="risk\.site\.telemetry"\} [1-9]/);
  });
});
