import { describe, expect, it } from 'vitest';
import { Rule } from '../../../src/contracts/rules.ts';
import { checkRuleFields, fieldValues } from '../../../src/rules/fields.ts';

// A `where` value outside a field's closed set (location, sensorType, quantity, …) makes a rule that never fires.
const rule = (type: string, where: Record<string, unknown>): unknown => ({
  id: 't.where',
  title: 't',
  domain: 'mine',
  source: 'test',
  summary: '{siteName}',
  kind: 'threshold',
  match: { type, where },
  subject: ['siteId'],
  levels: [{ severity: 'red', value: 1 }],
});
const problems = (raw: unknown) => checkRuleFields(Rule.parse(raw), raw).map((p) => `${p.path.join('.')}: ${p.message}`);

describe('rules: where values of closed sets', () => {
  it.each([
    { type: 'mine.reading', where: { location: 'coal_fce' }, text: 'match.where.location: "coal_fce" is not a value of location (did you mean coal_face?)' },
    { type: 'mine.reading', where: { sensorType: ['CH4', 'CH5'] }, text: 'match.where.sensorType: "CH5" is not a value of sensorType' },
    { type: 'grid.reading', where: { quantity: { notIn: ['frequncy'] } }, text: 'match.where.quantity: "frequncy" is not a value of quantity (did you mean frequency?)' },
    { type: 'fire.event', where: { event: 'alarm' }, text: 'match.where.event: "alarm" is not a value of event' },
  ])('refuses $where on $type', ({ type, where, text }) => {
    const p = problems(rule(type, where));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(text);
  });

  it.each([
    { type: 'mine.reading', where: { location: ['coal_face', 'heading_face'], sensorType: 'CH4' } },
    { type: 'grid.reading', where: { quantity: 'frequency' } },
    { type: 'site.reading', where: { metric: 'tank_level_T101' } }, // an open field: any value
    { type: 'mine.reading', where: { value: { gte: 1 } } }, // a range on a number
  ])('accepts $where on $type', ({ type, where }) => {
    expect(problems(rule(type, where))).toEqual([]);
  });

  it('reads the closed sets from the contracts', () => {
    expect(fieldValues('mine.reading', 'location')).toContain('coal_face_upper_corner');
    expect(fieldValues('mine.power', 'device')).toEqual(['area_power', 'local_fan']);
    expect(fieldValues('site.reading', 'metric')).toBeUndefined();
  });
});
