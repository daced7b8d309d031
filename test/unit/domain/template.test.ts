import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../../src/domain/template.ts';

describe('compileTemplate', () => {
  it.each<[string, string, Record<string, unknown>, string]>([
    // plain text, no placeholders
    ['literal', '甲烷超限', {}, '甲烷超限'],
    // one placeholder
    ['one', '传感器 {sensorId}', { sensorId: 'CH4-T1' }, '传感器 CH4-T1'],
    // several, with numbers and adjacent placeholders
    ['several', '{siteName}{equipmentId} {value}{unit}', { siteName: '上海庙', equipmentId: 'T1', value: 0.9, unit: '%' }, '上海庙T1 0.9%'],
    // the same placeholder twice
    ['repeated', '{a}-{a}', { a: 'x' }, 'x-x'],
    // a missing variable shows as an em dash, never "undefined"
    ['missing', '阈值 {threshold}%', {}, '阈值 —%'],
    // null too
    ['null', '{nominal}kV', { nominal: null }, '—kV'],
    // falsy values are values
    ['zero', '{value}', { value: 0 }, '0'],
    ['false', '{flag}', { flag: false }, 'false'],
    ['empty string', '[{name}]', { name: '' }, '[]'],
    // braces that are not placeholders stay as they are
    ['not a placeholder', '{ spaced } {1abc} {}', { spaced: 'x', '1abc': 'y' }, '{ spaced } {1abc} {}'],
    // placeholder at the very start and end
    ['edges', '{a}mid{b}', { a: '<', b: '>' }, '<mid>'],
    // underscores and digits in names
    ['names', '{a_1}{B2}', { a_1: 'x', B2: 'y' }, 'xy'],
  ])('%s', (_name, text, vars, out) => {
    expect(compileTemplate(text)(vars)).toBe(out);
  });

  it('a compiled template renders many times with different variables', () => {
    const t = compileTemplate('{site}: {value}');
    expect(t({ site: 'a', value: 1 })).toBe('a: 1');
    expect(t({ site: 'b' })).toBe('b: —');
    expect(t({ site: 'a', value: 1 })).toBe('a: 1');
  });
});

describe('bidi controls in values', () => {
  it('are dropped, so a value cannot reverse the rest of the line (reading and threshold stay as written)', () => {
    const t = compileTemplate('传感器 {sensorId}（{where}）甲烷 {value}%，红色阈值 {threshold}%');
    expect(t({ sensorId: 'CH4\u202e-1', where: 'x\u2066y\u2069', value: 1.7, threshold: 1.5 })).toBe('传感器 CH4-1（xy）甲烷 1.7%，红色阈值 1.5%');
  });
});
