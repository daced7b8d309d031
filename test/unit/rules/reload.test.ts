import { describe, expect, it } from 'vitest';
import { Event } from '../../../src/contracts/events.ts';
import type { Rule } from '../../../src/contracts/rules.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { BUNDLED } from '../../../src/config/paths.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';

// Hot reload keeps the state of rules that did not change: a red methane alert stays red (no
// second alert) across a reload; a changed rule starts afresh.

const ref = loadReference({ sites: BUNDLED.sites, roster: BUNDLED.roster, calendar: BUNDLED.calendar });
const T0 = Date.parse('2024-08-01T10:00:00+08:00');
const ch4 = (value: number, s = 0) => Event.parse({ type: 'mine.reading', siteId: 'cm-shm-01', sensorId: 'CH4-T1-1201', sensorType: 'CH4', location: 'coal_face', value, unit: '%', ts: T0 + s * 1000, status: 'ok' });

function step(st: Stepper, e: Event): string[] {
  const out: AlertTransition[] = [];
  st.event('risk.mine.telemetry', e, out);
  return out.filter((t) => t.ruleId === 'mine.ch4.face').map((t) => `${t.action} ${t.severity}`);
}

describe('rule reload', () => {
  const pack = loadRulePack(BUNDLED.rules).filter((r) => r.kind === 'threshold');

  it('keeps the state of an unchanged rule', () => {
    const st = new Stepper(ref, pack, () => []);
    expect(step(st, ch4(1.6))).toEqual(['fire red']);
    st.engine.load(loadRulePack(BUNDLED.rules).filter((r) => r.kind === 'threshold'));
    // still red: 1.2 is above the restore value, so nothing new happens
    expect(step(st, ch4(1.2, 1))).toEqual([]);
    expect(step(st, ch4(0.5, 2))).toEqual(['resolve red']);
  });

  it('starts a changed rule afresh', () => {
    const st = new Stepper(ref, pack, () => []);
    expect(step(st, ch4(1.6))).toEqual(['fire red']);
    const changed = pack.map((r) => (r.id === 'mine.ch4.face' ? ({ ...r, title: `${r.title}（改）` } as Rule) : r));
    st.engine.load(changed);
    expect(st.engine.rules().find((r) => r.id === 'mine.ch4.face')!.title).toContain('改');
    // the new evaluator has no memory of the red level: the next reading decides from scratch
    expect(step(st, ch4(1.6, 1))).toEqual(['fire red']);
  });
});
