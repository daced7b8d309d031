// Unknown event fields and template placeholders in rules (issue 14): each case is rejected with
// its file, line and column; the known fields come from the event contracts; the rule kinds'
// template variables are read from their sources so the list cannot drift.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SCHEMAS } from '../../../src/contracts/events.ts';
import { Rule } from '../../../src/contracts/rules.ts';
import type { ErrorDetail } from '../../../src/errors.ts';
import { ENRICHED_VARS, eventFields, KIND_VARS } from '../../../src/rules/fields.ts';
import { checkRulePack, formatRuleError } from '../../../src/rules/pack.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rs-fields-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** check writes one rule file and returns the problems of `rules check` on it (none: []). */
function check(yaml: string): ErrorDetail[] {
  const sub = join(dir, `case-${++n}`);
  const file = join(sub, 'rules.yaml');
  mkdirSync(sub);
  writeFileSync(file, yaml);
  const r = checkRulePack(sub);
  return r.ok ? [] : r.errors;
}

/** a valid methane threshold rule; `over` replaces lines by key. */
function ch4(over: Partial<Record<'title' | 'summary' | 'match' | 'subject' | 'actions' | 'extra', string>> = {}): string {
  return [
    'rules:',
    '  - id: t.ch4',
    '    kind: threshold',
    `    title: ${over.title ?? '"{siteName}{locationZh}甲烷超限"'}`,
    '    domain: mine',
    '    source: 测试依据',
    `    match: ${over.match ?? '{ type: mine.reading, where: { sensorType: CH4 } }'}`,
    `    subject: ${over.subject ?? '[siteId, sensorId]'}`,
    '    levels: [{ severity: red, value: 1.5 }]',
    `    summary: ${over.summary ?? '"{siteName} {sensorId} 甲烷 {value}{unit}，超过 {threshold}"'}`,
    ...(over.actions ? [`    actions: ${over.actions}`] : []),
    ...(over.extra ? [`    ${over.extra}`] : []),
    '',
  ].join('\n');
}

describe('rules check: names a rule uses that its events do not have', () => {
  it('the valid rule passes (the cases below differ from it in one place)', () => {
    expect(check(ch4())).toEqual([]);
  });

  it('where: {sensorTyp: …} — a match field not in mine.reading — file:line:column at the key', () => {
    const errs = check(ch4({ match: '{ type: mine.reading, where: { sensorTyp: CH4 } }' }));
    expect(errs).toHaveLength(1);
    // line 7: `    match: { type: mine.reading, where: { sensorTyp: CH4 } }`, the key at column 43
    expect(errs[0]).toMatchObject({ path: 'rules.0.match.where.sensorTyp', line: 7, column: 43 });
    expect(errs[0]!.message).toContain('"sensorTyp"');
    expect(errs[0]!.message).toContain('did you mean sensorType?');
    expect(formatRuleError(errs[0]!)).toMatch(/rules\.yaml:7:43: rules\.0\.match\.where\.sensorTyp: unknown field/);
  });

  it('subject: [sensorID] — a subject field mine.reading does not have', () => {
    const errs = check(ch4({ subject: '[siteId, sensorID]' }));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ path: 'rules.0.subject.1', line: 8, column: 23 });
    expect(errs[0]!.message).toMatch(/unknown subject field "sensorID".*did you mean sensorId\?/);
  });

  it('{locaton} in the title — an unknown placeholder, placed at the placeholder', () => {
    const errs = check(ch4({ title: '"{siteName} 甲烷 {locaton}"' }));
    expect(errs).toHaveLength(1);
    // `    title: "{siteName} 甲烷 {locaton}"`: the `{` of {locaton} is column 27
    expect(errs[0]).toMatchObject({ path: 'rules.0.title', line: 4, column: 27 });
    expect(errs[0]!.message).toMatch(/unknown placeholder \{locaton\}.*did you mean location/);
  });

  it('{locaton} in the summary, written as a block scalar on its own line', () => {
    const errs = check(ch4({ summary: '>-\n      {siteName} 甲烷 {value}，位于 {locaton}' }));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ path: 'rules.0.summary', line: 11, column: 32 });
  });

  it('a placeholder in a level title is checked too', () => {
    const yaml = ch4().replace('levels: [{ severity: red, value: 1.5 }]', 'levels: [{ severity: red, value: 1.5, title: "{sitename}甲烷超限" }]');
    const errs = check(yaml);
    expect(errs.map((e) => e.path)).toEqual(['rules.0.levels.0.title']);
    expect(errs[0]!.message).toContain('did you mean siteName?');
  });

  it('{placeholder} in an action: actions are shown as written', () => {
    const errs = check(ch4({ actions: '["撤出 {locationZh} 人员", 停电]' }));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ path: 'rules.0.actions.0', line: 11 });
    expect(errs[0]!.message).toContain('actions are not templates');
  });

  it('every problem of a rule is listed, not the first', () => {
    const errs = check(ch4({ match: '{ type: mine.reading, where: { sensorTyp: CH4 } }', subject: '[siteId, sensorID]', title: '"{locaton}"', summary: '"{valu}"' }));
    expect(errs.map((e) => e.path).sort()).toEqual(['rules.0.match.where.sensorTyp', 'rules.0.subject.1', 'rules.0.summary', 'rules.0.title']);
  });

  it('extraFields lets a rule rely on a field a producer adds beyond the contract', () => {
    const uses = { match: '{ type: mine.reading, where: { sensorType: CH4, shift: night } }', summary: '"{siteName} 夜班 {shift} 甲烷 {value}"' };
    expect(check(ch4(uses)).map((e) => e.path)).toEqual(['rules.0.match.where.shift', 'rules.0.summary']);
    expect(check(ch4({ ...uses, extra: 'extraFields: [shift]' }))).toEqual([]);
  });

  it('a field of another event type is unknown (site.reading has metric, mine.reading has not)', () => {
    const errs = check(ch4({ match: '{ type: mine.reading, where: { metric: tank_level } }' }));
    expect(errs.map((e) => e.path)).toEqual(['rules.0.match.where.metric']);
  });

  it('count over several event types: a where field checked against its own matcher, the scope against every type', () => {
    const count = (match: string, scope: string, title = '"{siteName} 多次跳闸"') => `rules:
  - id: t.count
    kind: count
    title: ${title}
    domain: grid
    source: 测试依据
    match: ${match}
    scope: ${scope}
    window: 1h
    threshold: 3
    severity: orange
    summary: s
`;
    expect(check(count('[{ type: grid.event, where: { event: breaker_trip } }, { type: grid.reading }]', '[siteId]'))).toEqual([]);
    const bad = check(count('[{ type: grid.event, where: { evnt: breaker_trip } }, { type: grid.reading }]', '[siteId, quantity]'));
    expect(bad.map((e) => e.path).sort()).toEqual(['rules.0.match.0.where.evnt', 'rules.0.scope.1']);
    expect(bad.find((e) => e.path === 'rules.0.scope.1')!.message).toContain('grid.event has no such field');
    // an alert about the whole site does not carry one event's equipment
    const dropped = check(count('{ type: grid.event }', '[siteId]', '"{siteName} {equipmentId} 跳闸"'));
    expect(dropped.map((e) => e.path)).toEqual(['rules.0.title']);
    expect(dropped[0]!.message).toContain('never filled');
  });

  it('the kind’s own variables are known to that kind only', () => {
    // {measured} is a threshold's; {delta} a rate's
    expect(check(ch4({ summary: '"{measured}"' }))).toEqual([]);
    const errs = check(ch4({ summary: '"{delta}"' }));
    expect(errs.map((e) => e.path)).toEqual(['rules.0.summary']);
  });

  it('every bundled rule pack file passes', () => {
    const r = checkRulePack(join(ROOT, 'deploy/rules'));
    if (!r.ok) throw new Error(r.errors.map(formatRuleError).join('\n'));
    expect(r.rules.length).toBeGreaterThan(40);
  });
});

describe('where the known names come from', () => {
  it('event fields are the keys of each contract schema (read at run time, no list of its own)', () => {
    for (const [type, schema] of Object.entries(EVENT_SCHEMAS)) expect([...eventFields(type)].sort()).toEqual(Object.keys(schema.shape).sort());
  });

  it('every rule kind has its template variables registered', () => {
    const kinds = Rule.options.map((o) => (o.shape.kind as unknown as { value: string }).value);
    expect(Object.keys(KIND_VARS).sort()).toEqual([...kinds].sort());
  });

  /** namesOf: the property names of an object literal, through spreads of conditional object literals. */
  function namesOf(node: ts.Expression, out: Set<string>): void {
    if (ts.isParenthesizedExpression(node)) return namesOf(node.expression, out);
    if (ts.isConditionalExpression(node)) {
      namesOf(node.whenTrue, out);
      namesOf(node.whenFalse, out);
      return;
    }
    if (!ts.isObjectLiteralExpression(node)) return;
    for (const p of node.properties) {
      if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) out.add(p.name.text);
      else if (ts.isSpreadAssignment(p)) namesOf(p.expression, out);
    }
  }

  /** templateVarsIn: the `vars: {…}` names of a source file, and the fields of its infoOfSite(…, {…}) records (plus their siteId). */
  function templateVarsIn(file: string): Set<string> {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const out = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'vars') namesOf(node.initializer, out);
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'infoOfSite' && node.arguments[3] && ts.isObjectLiteralExpression(node.arguments[3])) {
        out.add('siteId');
        namesOf(node.arguments[3], out);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
    return out;
  }

  it('KIND_VARS are the variables each kind’s source hands to its templates', () => {
    const kindsDir = join(ROOT, 'src/rules/kinds');
    for (const f of readdirSync(kindsDir).filter((f) => f.endsWith('.ts'))) {
      const kind = basename(f, '.ts').replace(/-/g, '_');
      if (!(kind in KIND_VARS)) continue; // a helper module, not a kind
      expect([...templateVarsIn(join(kindsDir, f))].sort(), f).toEqual([...KIND_VARS[kind]!].sort());
    }
  });

  it('ENRICHED_VARS are the names Emitter.push adds to every alert’s templates', () => {
    const src = ts.createSourceFile('evaluator.ts', readFileSync(join(ROOT, 'src/rules/evaluator.ts'), 'utf8'), ts.ScriptTarget.Latest, true);
    const out = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'vars' && node.initializer) namesOf(node.initializer, out);
      ts.forEachChild(node, visit);
    };
    visit(src);
    expect(out.size).toBeGreaterThan(0);
    expect([...out].sort()).toEqual([...ENRICHED_VARS].sort());
  });
});
