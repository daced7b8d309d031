import { describe, expect, it } from 'vitest';
import { decodeXmlText, parseCap, polygonPoints, referenceIds } from '../../../src/ingest/cap.ts';
import { validateEvent } from '../../../src/ingest/validate.ts';
import { BILLION_LAUGHS, CAP_ALERT_ZH, CAP_UPDATE, SENT_MS, capWith } from './fixtures.ts';

const MAX = 64 * 1024;
const WARNINGS = 'risk.weather.warnings';

function warningOf(xml: string): Record<string, unknown> {
  const r = parseCap(xml, MAX);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r.warning;
}

describe('parseCap: mapping (CONTRACT.md §3)', () => {
  it('maps every field of a Chinese 雷雨大风 orange warning', () => {
    expect(warningOf(CAP_ALERT_ZH)).toEqual({
      type: 'weather.warning',
      id: '15062341600000_20240716093000',
      sender: '鄂托克前旗气象台',
      sent: '2024-07-16T09:30:00+08:00',
      status: 'Actual',
      msgType: 'Alert',
      event: '雷雨大风',
      level: 'orange',
      onset: '2024-07-16T09:35:00+08:00',
      expires: '2024-07-16T21:30:00+08:00',
      area: {
        polygons: [[[38.1, 106.8], [38.45, 106.8], [38.45, 107.3], [38.1, 107.3], [38.1, 106.8]]],
        towns: ['shanghaimiao'],
      },
      headline: '鄂托克前旗气象台发布雷雨大风橙色预警信号',
      description: '受强对流云团影响，预计未来6小时上海庙镇将出现雷雨大风天气，阵风可达10级以上，能见度<500米。',
      instruction: '1. 露天矿山停止爆破和高处作业；2. 人员切勿在高大建筑物、树木下避雨 & 远离电力设施。',
    });
  });

  it('validates as a weather.warning with times in ms', () => {
    const r = validateEvent(warningOf(CAP_ALERT_ZH), WARNINGS, 0, CAP_ALERT_ZH);
    expect(r.ok).toBe(true);
    if (r.ok && r.event.type === 'weather.warning') {
      expect(r.event.sent).toBe(SENT_MS);
      expect(r.event.expires - r.event.sent).toBe(12 * 3_600_000);
    }
  });

  it('maps an Update (prefixed namespace) with references and 预警级别=红色 over severity Moderate', () => {
    expect(warningOf(CAP_UPDATE)).toMatchObject({
      id: '15062341600000_20240716120000',
      msgType: 'Update',
      references: ['15062341600000_20240716093000', '15062341600000_20240716100000'],
      level: 'red',
      onset: '2024-07-16T12:00:00+08:00', // no <onset>: falls back to <effective>
      area: { towns: ['shanghaimiao', 'chengchuan'] },
    });
    expect(validateEvent(warningOf(CAP_UPDATE), WARNINGS, 0, CAP_UPDATE).ok).toBe(true);
  });

  const severity = (s: string): string => capWith('<severity>Severe</severity>', `<severity>${s}</severity>`);
  const param = (name: string, value: string): string =>
    capWith('<valueName>SIGNAL_COLOR</valueName><value>橙色</value>', `<valueName>${name}</valueName><value>${value}</value>`);

  it.each([
    // CAP severity → China's colours
    { name: 'Minor', xml: severity('Minor'), level: 'blue' },
    { name: 'Moderate', xml: severity('Moderate'), level: 'yellow' },
    { name: 'Extreme', xml: severity('Extreme'), level: 'red' },
    // an unmapped severity leaves level unset (zod then reports "level")
    { name: 'Unknown severity', xml: severity('Unknown'), level: undefined },
    // a level parameter wins over severity (Severe → orange otherwise)
    { name: 'level=yellow', xml: param('level', 'yellow'), level: 'yellow' },
    { name: 'level=RED (case)', xml: param('level', 'RED'), level: 'red' },
    { name: '预警级别=蓝色', xml: param('预警级别', '蓝色'), level: 'blue' },
    { name: '预警级别=黄色', xml: param('预警级别', '黄色'), level: 'yellow' },
    // an unrecognised colour does not override severity
    { name: '预警级别=紫色', xml: param('预警级别', '紫色'), level: 'orange' },
    // other parameters are not the level
    { name: 'SIGNAL=red', xml: param('SIGNAL', 'red'), level: 'orange' },
  ])('level: $name → $level', ({ xml, level }) => {
    expect(warningOf(xml).level).toBe(level);
  });

  it.each([
    // onset present
    { name: 'onset', xml: CAP_ALERT_ZH, onset: '2024-07-16T09:35:00+08:00' },
    // no onset: effective
    { name: 'effective', xml: capWith('<onset>2024-07-16T09:35:00+08:00</onset>', ''), onset: '2024-07-16T09:30:00+08:00' },
    // neither: sent
    {
      name: 'sent',
      xml: capWith('<effective>2024-07-16T09:30:00+08:00</effective>\n    <onset>2024-07-16T09:35:00+08:00</onset>', ''),
      onset: '2024-07-16T09:30:00+08:00',
    },
  ])('onset falls back to $name', ({ xml, onset }) => {
    expect(warningOf(xml).onset).toBe(onset);
  });

  it.each([
    // geocodes that are not town ids are ignored; "constructor" must not match Object.prototype
    { name: 'non-town geocodes', xml: capWith('<value>shanghaimiao</value>', '<value>constructor</value>'), area: { polygons: expect.any(Array) } },
    // no area at all gives an empty area object (valid: both parts optional)
    { name: 'no area', xml: CAP_ALERT_ZH.replace(/<area>[\s\S]*<\/area>/, ''), area: {} },
  ])('area: $name', ({ xml, area }) => {
    expect(warningOf(xml).area).toEqual(area);
  });

  it('lets zod name a bad polygon coordinate', () => {
    const xml = capWith('38.45,106.80 38.45,107.30', '38.45,106.80 38.45,east');
    const r = validateEvent(warningOf(xml), WARNINGS, 0, xml);
    expect(r.ok ? undefined : [r.rejection.code, r.rejection.path]).toEqual(['VALIDATION_FAILED', 'area.polygons.0.2.1']);
  });
});

describe('parseCap: refusals', () => {
  it.each([
    // entity expansion: refused by the pre-check, never parsed
    { name: 'billion laughs', xml: BILLION_LAUGHS, code: 'XML_DOCTYPE_FORBIDDEN' },
    // a lower-case ENTITY declaration is refused too
    { name: 'lower-case entity', xml: capWith('<alert ', '<!entity x "y"><alert '), code: 'XML_DOCTYPE_FORBIDDEN' },
    // over the byte limit (Chinese text is 3 bytes per character)
    { name: 'oversize', xml: capWith('<description>', `<description>${'雨'.repeat(MAX / 3)}`), code: 'PAYLOAD_TOO_LARGE' },
    // not well-formed
    { name: 'unclosed tag', xml: capWith('</info>', ''), code: 'INVALID_XML' },
    // well-formed but not CAP
    { name: 'wrong root', xml: '<warning xmlns="urn:oasis:names:tc:emergency:cap:1.2"><id>1</id></warning>', code: 'INVALID_XML' },
    // CAP 1.1 is a different namespace
    { name: 'CAP 1.1 namespace', xml: CAP_ALERT_ZH.replace('cap:1.2', 'cap:1.1'), code: 'INVALID_XML' },
    // no namespace at all
    { name: 'no namespace', xml: CAP_ALERT_ZH.replace(' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', ''), code: 'INVALID_XML' },
    // the parser refuses prototype-polluting tag names; reported, not thrown
    { name: '__proto__ element', xml: capWith('<scope>Public</scope>', '<__proto__>x</__proto__>'), code: 'INVALID_XML' },
    // not XML
    { name: 'JSON body', xml: '{"type":"weather.warning"}', code: 'INVALID_XML' },
  ])('$name → $code', ({ xml, code }) => {
    const r = parseCap(xml, MAX);
    expect(r.ok ? undefined : r.code).toBe(code);
    expect(r.ok ? '' : r.message).not.toBe('');
  });

  it('refuses billion laughs well under a second', () => {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) parseCap(BILLION_LAUGHS, MAX);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('accepts a byte-order mark and leading whitespace', () => {
    expect(parseCap(`\uFEFF\n  ${CAP_ALERT_ZH}`, MAX).ok).toBe(true);
  });
});

describe('CAP helpers', () => {
  it.each([
    // CAP triplets sender,identifier,sent
    { refs: 'a,id1,2024-07-16T09:30:00+08:00 b,id2,2024-07-16T10:00:00+08:00', ids: ['id1', 'id2'] },
    // a bare identifier (seen from some producers) is kept whole
    { refs: '  id3  ', ids: ['id3'] },
  ])('referenceIds($refs)', ({ refs, ids }) => {
    expect(referenceIds(refs)).toEqual(ids);
  });

  it.each([
    // ordinary ring, extra whitespace
    { text: ' 38.1,106.8  38.2,106.9\n38.3,107 ', points: [[38.1, 106.8], [38.2, 106.9], [38.3, 107]] },
    // an empty coordinate is NaN, never 0
    { text: '38.1,', points: [[38.1, Number.NaN]] },
  ])('polygonPoints($text)', ({ text, points }) => {
    expect(polygonPoints(text)).toEqual(points);
  });

  it.each([
    // predefined entities
    { s: 'a &lt; b &amp;&amp; c &gt; d &quot;e&quot; &apos;f&apos;', out: 'a < b && c > d "e" \'f\'' },
    // decimal and hex character references
    { s: '&#38647;&#x96E8;', out: '雷雨' },
    // unknown entities stay as written
    { s: '&nbsp;', out: '&nbsp;' },
  ])('decodeXmlText($s)', ({ s, out }) => {
    expect(decodeXmlText(s)).toBe(out);
  });
});
