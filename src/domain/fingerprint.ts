import { createHash } from 'node:crypto';

/** fingerprintOf turns a rule id plus subject key into a stable 16-hex-digit fingerprint. */
export function fingerprintOf(subjectKey: string): string {
  return createHash('sha256').update(subjectKey).digest('hex').slice(0, 16);
}

/** alertIdOf derives a deterministic alert id from a fingerprint and the instant it opened. */
export function alertIdOf(fingerprint: string, startsAtMs: number): string {
  return `${fingerprint}-${startsAtMs.toString(36)}`;
}
