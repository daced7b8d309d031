import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { parseDuration } from '../domain/time.ts';

/**
 * ROLES: viewer (read), operator (+ ack/resolve/silence), admin (+ rules reload), ingest (post
 * events), screen (an unattended wall screen: reads like a viewer, lives longer, acts on nothing).
 */
export const Role = z.enum(['viewer', 'operator', 'admin', 'ingest', 'screen']);
export type Role = z.infer<typeof Role>;

/** Principal: who a verified token speaks for. */
export interface Principal {
  sub: string;
  role: Role;
  /** '*' for every town */
  towns: '*' | string[];
  /** when the token expires (epoch ms; set on verified tokens) */
  exp?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * MAX_TTL_MS: the longest life of a token per role. People's tokens last a shift (a lost laptop
 * is not an all-year key); a wall screen's a quarter; a producer's a year. A token living longer
 * than this is refused at sign and at verify (tokens minted by older versions for 100 years too).
 */
export const MAX_TTL_MS: Record<Role, number> = { admin: DAY, operator: DAY, viewer: 7 * DAY, screen: 90 * DAY, ingest: 365 * DAY };
/** DEFAULT_TTL: what `riskstream token` mints when no --ttl is given. */
export const DEFAULT_TTL: Record<Role, string> = { admin: '12h', operator: '12h', viewer: '12h', screen: '30d', ingest: '90d' };
/** PEOPLE: roles that act for a person, whose tokens must name them (`sub`) for the audit. */
export const PEOPLE: readonly Role[] = ['viewer', 'operator', 'admin'];
/** slack for clocks of the minting and verifying machines */
const SKEW_MS = 5 * 60_000;

/** humanMs: 86400000 → "24h", 604800000 → "7d". */
function humanMs(ms: number): string {
  return ms % DAY === 0 && ms > DAY ? `${ms / DAY}d` : `${ms / HOUR}h`;
}

const Claims = z.object({ sub: z.string().min(1), role: Role, towns: z.union([z.literal('*'), z.array(z.string().min(1))]) });

const GRANTS: Record<Role, readonly Role[]> = {
  viewer: ['viewer'],
  operator: ['viewer', 'operator'],
  admin: ['viewer', 'operator', 'admin'],
  ingest: ['ingest'],
  screen: ['viewer', 'screen'],
};

const ISSUER = 'riskstream';
const ALG = 'HS256';

/** Auth signs and verifies access tokens (HS256 JWT) with the configured secret. */
export interface Auth {
  sign(p: Principal, ttl: string): Promise<string>;
  verify(token: string | undefined): Promise<Principal>;
}

/** createAuth builds the token signer/verifier; the secret must be at least 16 characters. */
export function createAuth(secret: string): Auth {
  const key = new TextEncoder().encode(secret);
  return {
    async sign(p, ttl) {
      const ms = parseDuration(ttl);
      if (ms === undefined || ms <= 0) throw new AppError('BAD_REQUEST', `invalid ttl "${ttl}": expected a duration such as 12h`);
      if (ms > MAX_TTL_MS[p.role]) throw new AppError('BAD_REQUEST', `ttl ${ttl} is longer than a token of role ${p.role} may live (at most ${humanMs(MAX_TTL_MS[p.role])})`);
      return new SignJWT({ role: p.role, towns: p.towns })
        .setProtectedHeader({ alg: ALG })
        .setSubject(p.sub)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(Math.floor((Date.now() + ms) / 1000))
        .sign(key);
    },
    async verify(token) {
      if (!token) throw new AppError('UNAUTHORIZED', 'missing bearer token');
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: [ALG], requiredClaims: ['exp'] });
        const c = Claims.parse(payload);
        const exp = payload.exp! * 1000;
        if (exp - Date.now() > MAX_TTL_MS[c.role] + SKEW_MS) throw new AppError('UNAUTHORIZED', `token lives longer than a token of role ${c.role} may (at most ${humanMs(MAX_TTL_MS[c.role])}): mint a new one with riskstream token`);
        return { sub: c.sub, role: c.role, towns: c.towns, exp };
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AppError('UNAUTHORIZED', 'invalid or expired token', { cause: err });
      }
    },
  };
}

/** requireRole throws 403 FORBIDDEN when the principal's role does not grant `need`. */
export function requireRole(p: Principal, need: Role): void {
  if (!GRANTS[p.role].includes(need)) throw new AppError('FORBIDDEN', `role ${p.role} may not do this (needs ${need})`);
}

/** hasRole tells whether the principal's role grants `need`. */
export function hasRole(p: Principal, need: Role): boolean {
  return GRANTS[p.role].includes(need);
}

/** canSeeTown tells whether a principal may see data of a town (town-less data needs all towns). */
export function canSeeTown(p: Principal, town: string | undefined): boolean {
  if (p.towns === '*') return true;
  return town !== undefined && p.towns.includes(town);
}

/** bearerOf extracts a token from an Authorization header or a `token` query parameter. */
export function bearerOf(authorization: string | undefined, queryToken: unknown): string | undefined {
  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    return m ? m[1] : undefined;
  }
  return typeof queryToken === 'string' && queryToken.length > 0 ? queryToken : undefined;
}
