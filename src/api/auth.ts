import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { parseDuration } from '../domain/time.ts';

/** ROLES: viewer (read), operator (+ ack/resolve/silence), admin (+ rules reload), ingest (post events). */
export const Role = z.enum(['viewer', 'operator', 'admin', 'ingest']);
export type Role = z.infer<typeof Role>;

/** Principal: who a verified token speaks for. */
export interface Principal {
  sub: string;
  role: Role;
  /** '*' for every town */
  towns: '*' | string[];
}

const Claims = z.object({ sub: z.string().min(1), role: Role, towns: z.union([z.literal('*'), z.array(z.string().min(1))]) });

const GRANTS: Record<Role, readonly Role[]> = {
  viewer: ['viewer'],
  operator: ['viewer', 'operator'],
  admin: ['viewer', 'operator', 'admin'],
  ingest: ['ingest'],
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
      if (ms === undefined) throw new AppError('BAD_REQUEST', `invalid ttl "${ttl}": expected a duration such as 12h`);
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
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: [ALG] });
        const c = Claims.parse(payload);
        return { sub: c.sub, role: c.role, towns: c.towns };
      } catch (err) {
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
