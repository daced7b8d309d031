import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/contracts/alerts.ts';
import { createMuter } from '../../../src/alerts/mute.ts';

const alert = (labels: Record<string, string>): Alert => ({ id: 'a', fingerprint: 'f', ruleId: 'mine.ch4.face', title: 't', severity: 'red', domain: 'mine', state: 'firing', siteId: 's', town: 't', startsAt: '2026-07-16T09:00:00+08:00', updatedAt: '2026-07-16T09:00:00+08:00', summary: 's', actions: [], evidence: [], escalation: 0, acks: [], labels });

describe('the one Muter', () => {
  const none = { silencedBy: () => undefined, inhibitedBy: () => undefined };

  it('mutes drills, back-fill and simulated data on a live server, and gives its reason', () => {
    const m = createMuter(none);
    expect(m.mutes(alert({ drill: '演练' }), 0)).toBe('drill (演练)');
    expect(m.mutes(alert({ backfill: 'true' }), 0)).toContain('back-filled');
    expect(m.mutes(alert({ simulated: 'true' }), 0)).toContain('simulated data');
    expect(m.mutes(alert({}), 0)).toBeUndefined();
  });

  it('texts simulated alerts on a demo server (the demo shows the text path, to its log provider)', () => {
    expect(createMuter({ ...none, demo: true }).mutes(alert({ simulated: 'true' }), 0)).toBeUndefined();
  });

  it('asks the silence and inhibition indexes, in that order, after the label muters', () => {
    const asked: string[] = [];
    const m = createMuter({
      silencedBy: () => (asked.push('silence'), 'sil-1'),
      inhibitedBy: () => (asked.push('inhibit'), { rule: 'r', by: 'b' }),
    });
    expect(m.mutes(alert({}), 0)).toBe('silenced by sil-1');
    expect(asked).toEqual(['silence']);
    expect(m.mutes(alert({ drill: '测试' }), 0)).toBe('drill (测试)');
    expect(asked).toEqual(['silence']);
  });
});
