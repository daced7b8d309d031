import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerOf, canSeeTown, createAuth, hasRole, requireRole, Role, type Principal } from '../../../src/auth/auth.ts';
import { AppError } from '../../../src/errors.ts';

const SECRET = 'test-secret-0123456789abcdef';
const auth = createAuth(SECRET);
const key = new TextEncoder().encode(SECRET);
const nowS = () => Math.floor(Date.now() / 1000);

/** rejectCode awaits a promise that must reject with an AppError and returns its code. */
async function rejectCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error('expected a rejection');
}

/** forged signs arbitrary claims with jose directly, bypassing createAuth's checks. */
function forged(claims: Record<string, unknown>, opts: { secret?: string; iss?: string; exp?: number; alg?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'HS256' })
    .setSubject('someone')
    .setIssuer(opts.iss ?? 'riskstream')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? nowS() + 3600);
  return jwt.sign(opts.secret ? new TextEncoder().encode(opts.secret) : key);
}

describe('createAuth', () => {
  it.each<[string, Principal]>([
    // every town
    ['all towns', { sub: 'op-1', role: 'operator', towns: '*' }],
    // a town list
    ['town list', { sub: 'viewer-shm', role: 'viewer', towns: ['shanghaimiao', 'shanghaimiao-edz'] }],
    // an ingest producer
    ['ingest', { sub: 'gateway', role: 'ingest', towns: '*' }],
    // admin
    ['admin', { sub: 'root', role: 'admin', towns: [] }],
  ])('sign/verify round trip: %s', async (_name, p) => {
    const token = await auth.sign(p, '12h');
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const v = await auth.verify(token);
    expect(v).toEqual({ ...p, exp: expect.any(Number) });
    expect(Math.abs(v.exp! - (Date.now() + 12 * 3_600_000))).toBeLessThan(5_000);
  });

  it('sign refuses a malformed ttl with BAD_REQUEST', async () => {
    expect(await rejectCode(auth.sign({ sub: 'x', role: 'viewer', towns: '*' }, 'forever'))).toBe('BAD_REQUEST');
    expect(await rejectCode(auth.sign({ sub: 'x', role: 'viewer', towns: '*' }, '0s'))).toBe('BAD_REQUEST');
  });

  it.each<[Role, string, string]>([
    ['admin', '24h', '25h'],
    ['operator', '24h', '2d'],
    ['viewer', '7d', '8d'],
    ['screen', '90d', '91d'],
    ['ingest', '365d', '36500d'],
  ])('a %s token lives at most %s: %s is refused at sign', async (role, max, over) => {
    const p: Principal = { sub: 'x', role, towns: '*' };
    expect((await auth.verify(await auth.sign(p, max))).role).toBe(role);
    try {
      await auth.sign(p, over);
      throw new Error('expected a refusal');
    } catch (err) {
      expect((err as AppError).code).toBe('BAD_REQUEST');
      expect((err as AppError).message).toContain(max);
    }
  });

  it.each<[string, () => Promise<string | undefined>]>([
    // no token at all
    ['missing token', async () => undefined],
    // empty string
    ['empty token', async () => ''],
    // expired an hour ago
    ['expired token', () => forged({ role: 'admin', towns: '*' }, { exp: nowS() - 3600 })],
    // expires the second it is made
    ['zero ttl', () => forged({ role: 'viewer', towns: '*' }, { exp: nowS() })],
    // no exp claim at all: a key that never expires
    ['no exp claim', () => new SignJWT({ role: 'viewer', towns: '*' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('riskstream').setIssuedAt().sign(key)],
    // a 100-year admin token, as older versions minted
    ['100-year admin token', () => forged({ role: 'admin', towns: '*' }, { exp: nowS() + 100 * 365 * 86_400 })],
    // a screen token for two years
    ['2-year screen token', () => forged({ role: 'screen', towns: '*' }, { exp: nowS() + 2 * 365 * 86_400 })],
    // another instance's secret
    ['another secret', () => createAuth('another-secret-0123456789').sign({ sub: 'x', role: 'admin', towns: '*' }, '1h')],
    // right secret, wrong issuer
    ['wrong issuer', () => forged({ role: 'admin', towns: '*' }, { iss: 'someone-else' })],
    // right secret, another HMAC algorithm than the one we pin
    ['other algorithm', () => forged({ role: 'admin', towns: '*' }, { alg: 'HS512' })],
    // valid signature, but a role that does not exist
    ['unknown role claim', () => forged({ role: 'root', towns: '*' })],
    // valid signature, towns missing
    ['missing towns claim', () => forged({ role: 'viewer' })],
    // "alg: none" is never accepted
    ['unsigned token', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'admin', towns: '*', iss: 'riskstream', exp: nowS() + 60 })).toString('base64url')}.`],
    // a signature bit flipped
    ['tampered signature', async () => {
      const t = await auth.sign({ sub: 'x', role: 'viewer', towns: '*' }, '1h');
      return t.slice(0, -2) + (t.endsWith('AA') ? 'BB' : 'AA');
    }],
    // a payload swapped to claim admin, signature kept
    ['tampered payload', async () => {
      const [h, , s] = (await auth.sign({ sub: 'x', role: 'viewer', towns: '*' }, '1h')).split('.');
      const body = Buffer.from(JSON.stringify({ sub: 'x', role: 'admin', towns: '*', iss: 'riskstream', exp: nowS() + 60 })).toString('base64url');
      return `${h}.${body}.${s}`;
    }],
    // not a JWT
    ['garbage', async () => 'not-a-token'],
    ['garbage with dots', async () => 'a.b.c'],
  ])('verify rejects %s with UNAUTHORIZED', async (_name, make) => {
    expect(await rejectCode(auth.verify(await make()))).toBe('UNAUTHORIZED');
  });
});

describe('requireRole / hasRole', () => {
  // rows: the principal's role; columns: the role needed. `true` = allowed.
  const MATRIX: [Role, Record<Role, boolean>][] = [
    // a viewer only reads
    ['viewer', { viewer: true, operator: false, admin: false, ingest: false, screen: false }],
    // an operator reads and acts on alerts
    ['operator', { viewer: true, operator: true, admin: false, ingest: false, screen: false }],
    // an admin also reloads rules, but is not a producer
    ['admin', { viewer: true, operator: true, admin: true, ingest: false, screen: false }],
    // a producer posts events and sees nothing
    ['ingest', { viewer: false, operator: false, admin: false, ingest: true, screen: false }],
    // a wall screen reads like a viewer and acts on nothing
    ['screen', { viewer: true, operator: false, admin: false, ingest: false, screen: true }],
  ];
  const cases = MATRIX.flatMap(([have, row]) => Role.options.map((need) => [have, need, row[need]] as const));

  it.each(cases)('%s needing %s → allowed %s', (have, need, allowed) => {
    const p: Principal = { sub: 'x', role: have, towns: '*' };
    expect(hasRole(p, need)).toBe(allowed);
    if (allowed) expect(() => requireRole(p, need)).not.toThrow();
    else {
      try {
        requireRole(p, need);
        throw new Error('expected FORBIDDEN');
      } catch (err) {
        expect((err as AppError).code).toBe('FORBIDDEN');
      }
    }
  });

  it('the matrix covers every role', () => {
    expect(cases).toHaveLength(25);
  });
});

describe('canSeeTown', () => {
  it.each<[string, Principal['towns'], string | undefined, boolean]>([
    // '*' sees every town
    ['* sees a town', '*', 'shanghaimiao', true],
    // '*' sees town-less alerts (system, county-wide weather)
    ['* sees town-less', '*', undefined, true],
    // a listed town
    ['listed town', ['shanghaimiao', 'angsu'], 'angsu', true],
    // an unlisted town: a viewer never sees another town's alerts
    ['unlisted town', ['shanghaimiao'], 'chengchuan', false],
    // prefixes are not matches
    ['prefix is not a match', ['shanghaimiao'], 'shanghaimiao-edz', false],
    // town-less data needs all towns
    ['list and town-less', ['shanghaimiao'], undefined, false],
    // an empty list sees nothing
    ['empty list', [], 'angsu', false],
  ])('%s', (_name, towns, town, visible) => {
    expect(canSeeTown({ sub: 'x', role: 'viewer', towns }, town)).toBe(visible);
  });
});

describe('bearerOf', () => {
  it.each<[string, string | undefined, unknown, string | undefined]>([
    // the header
    ['header', 'Bearer abc.def.ghi', undefined, 'abc.def.ghi'],
    // scheme is case-insensitive
    ['lower-case scheme', 'bearer abc', undefined, 'abc'],
    // the header wins over the query
    ['header over query', 'Bearer from-header', 'from-query', 'from-header'],
    // browsers: ?token=
    ['query', undefined, 'from-query', 'from-query'],
    // another scheme is not a bearer token, and does not fall back to the query
    ['basic auth', 'Basic dXNlcjpwYXNz', 'from-query', undefined],
    // a header without a token
    ['bare scheme', 'Bearer ', undefined, undefined],
    // two tokens
    ['two tokens', 'Bearer a b', undefined, undefined],
    // nothing anywhere
    ['nothing', undefined, undefined, undefined],
    // an empty query value
    ['empty query', undefined, '', undefined],
    // a repeated query parameter arrives as an array: refused
    ['array query', undefined, ['a', 'b'], undefined],
  ])('%s', (_name, header, query, token) => {
    expect(bearerOf(header, query)).toBe(token);
  });
});
