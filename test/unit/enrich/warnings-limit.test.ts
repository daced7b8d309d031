import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../src/config/paths.ts';
import { Event, type EventOf } from '../../../src/contracts/events.ts';
import type { AlertTransition } from '../../../src/domain/transition.ts';
import { ContextState } from '../../../src/enrich/context.ts';
import { loadReference } from '../../../src/enrich/reference.ts';
import { loadRulePack } from '../../../src/rules/pack.ts';
import { Stepper } from '../../../src/rules/stepper.ts';

// issue #9: weather warnings in force are bounded (limits.warnings). A new warning beyond the cap
// is not applied and raises one system alert; Updates and Cancels of warnings held always apply.

const reference = loadReference(BUNDLED);
const T0 = Date.parse('2024-06-03T10:00:00+08:00');
const HOUR = 3_600_000;

type Warning = EventOf<'weather.warning'>;
function warning(id: string, extra: Record<string, unknown> = {}): Warning {
  return Event.parse({
    type: 'weather.warning',
    id,
    sender: '鄂托克前旗气象台',
    sent: T0,
    status: 'Actual',
    msgType: 'Alert',
    event: '大风',
    level: 'orange',
    onset: T0,
    expires: T0 + 6 * HOUR,
    area: { towns: ['shanghaimiao'] },
    ...extra,
  }) as Warning;
}

/** full: a context holding 3 warnings (W0..W2) with a cap of 3. */
function full(): ContextState {
  const c = new ContextState(reference, { maxWarnings: 3 });
  for (let i = 0; i < 3; i++) c.applyWarning(warning(`W${i}`), T0);
  return c;
}

describe('ContextState.applyWarning at limits.warnings', () => {
  it.each([
    // a fourth warning would grow the table: refused
    ['a new Alert', warning('W9'), 'refused', 3],
    // the same id again replaces what is held: the table does not grow
    ['a repeat of a warning held', warning('W1', { level: 'red' }), 'applied', 3],
    // an Update replaces the warning it references
    ['an Update of a warning held', warning('W9', { msgType: 'Update', references: ['W1'], level: 'red' }), 'applied', 3],
    // a Cancel only removes
    ['a Cancel of a warning held', warning('W9', { msgType: 'Cancel', references: ['W1'] }), 'applied', 2],
    // an Update of a warning not held is a new warning
    ['an Update of a warning not held', warning('W9', { msgType: 'Update', references: ['W7'] }), 'refused', 3],
    // already expired: applies nothing either way, and is no refusal
    ['an expired new warning', warning('W9', { expires: T0 - 1 }), 'applied', 3],
  ] as const)('%s: %s', (_name, w, outcome, size) => {
    const c = full();
    const changes = c.applyWarning(w, T0);
    expect(c.warnings.size).toBe(size);
    expect(c.warningLimit.refused).toBe(outcome === 'refused' ? 1 : 0);
    if (outcome === 'refused') expect(changes).toEqual([]);
  });

  it('asks for one system alert however many are refused, and its resolve once below the cap', () => {
    const c = full();
    c.applyWarning(warning('W8'), T0);
    expect(c.warningLimit.pending).toBe('fire');
    c.warningLimit.pending = undefined; // taken by the stepper
    c.applyWarning(warning('W9'), T0);
    expect(c.warningLimit).toMatchObject({ refused: 2, refusedTotal: 2, open: true, pending: undefined });
    c.applyWarning(warning('WX', { msgType: 'Cancel', references: ['W0'] }), T0);
    c.settleWarningLimit();
    expect(c.warningLimit).toMatchObject({ refused: 0, open: false, pending: 'resolve' });
  });
});

describe('Stepper: warnings cap', () => {
  it('applies cap warnings of cap + 1, raises one system alert, and still applies an Update of a held one', () => {
    const limits: string[] = [];
    const st = new Stepper(reference, loadRulePack(BUNDLED.rules), () => [], { limits: { warnings: 5 }, onLimit: (l, what) => limits.push(`${what} ${l}`) });
    const out: AlertTransition[] = [];
    for (let i = 0; i < 7; i++) st.event('risk.weather.warnings', warning(`W${i}`, { sent: T0 + i * 1000 }), out);
    expect(st.context.warnings.size).toBe(5);
    expect([...st.context.warnings.keys()]).toEqual(['W0', 'W1', 'W2', 'W3', 'W4']);
    const sys = out.filter((t) => t.ruleId === 'system.limit.warnings');
    expect(sys.map((t) => t.action)).toEqual(['fire']);
    expect(sys[0]).toMatchObject({ domain: 'system', threshold: 5, value: 1 });
    expect(sys[0]!.siteId).toBeUndefined();
    expect(limits).toEqual(['overflow warnings', 'reached warnings', 'overflow warnings']);

    const before = out.length;
    st.event('risk.weather.warnings', warning('W1b', { sent: T0 + 10_000, msgType: 'Update', references: ['W1'], level: 'red' }), out);
    expect(st.context.warnings.get('W1b')?.level).toBe('red');
    // the impact rule re-targets the alerts of W1 to red (same fingerprint across the update)
    expect(out.slice(before).some((t) => t.ruleId === 'weather.impact.convective' && t.severity === 'red')).toBe(true);

    // a Cancel brings the table below the cap: the system alert resolves
    st.event('risk.weather.warnings', warning('WC', { sent: T0 + 20_000, msgType: 'Cancel', references: ['W0'] }), out);
    expect(out.filter((t) => t.ruleId === 'system.limit.warnings').map((t) => t.action)).toEqual(['fire', 'resolve']);
  });
});
