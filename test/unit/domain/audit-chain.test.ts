import { describe, expect, it } from 'vitest';
import { chainRecord, checkLink, GENESIS } from '../../../src/domain/audit-chain.ts';

// The chain check (both audit trails). Found by the adversarial review: a forged `null` record
// crashed both verifiers (a stack trace, or "cannot read the topic") instead of a BROKEN verdict.

describe('audit chain links', () => {
  const first = chainRecord({ n: 0, hash: GENESIS }, { at: 1, kind: 'alert', record: { a: 1 } });
  const second = chainRecord(first.head, { at: 2, kind: 'text', record: { b: 2 } });

  it('a whole chain checks', () => {
    const h1 = checkLink(undefined, first.line);
    expect(h1.ok).toBe(true);
    expect(checkLink(h1.ok ? h1.head : undefined, second.line)).toMatchObject({ ok: true, head: second.head });
  });

  it.each(['null', '42', '"text"', '[1,2]', '{}', 'not json'])('%s in place of a record is a broken link, never a crash', (line) => {
    const r = checkLink(first.head, line);
    expect(r.ok).toBe(false);
    expect(checkLink(undefined, line).ok).toBe(false);
  });
});
