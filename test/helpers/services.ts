import { describe, it } from 'vitest';

/** REQUIRE_SERVICES: in CI a missing service is a failure, never a silent skip. */
export const REQUIRE_SERVICES = process.env.RISKSTREAM_REQUIRE_SERVICES === '1';

/**
 * serviceAvailable reports whether a suite's external service is configured. When it is not: on a
 * laptop it prints why the suite is skipped; with RISKSTREAM_REQUIRE_SERVICES=1 it registers a
 * failing test that says what to set.
 */
export function serviceAvailable(suite: string, have: boolean, missing: string): boolean {
  if (have) return true;
  if (REQUIRE_SERVICES) {
    describe(`${suite} (required)`, () => {
      it('is configured', () => {
        throw new Error(`${suite} needs a service: ${missing}`);
      });
    });
  } else console.warn(`[${suite}] skipped: ${missing} (set RISKSTREAM_REQUIRE_SERVICES=1 to make this a failure)`);
  return false;
}
