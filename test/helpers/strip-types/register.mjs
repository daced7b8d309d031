// node --import ./test/helpers/strip-types/register.mjs src/cli/riskstream.ts …: runs the TypeScript
// sources the way Node 22.6+ runs them by itself (type stripping: amaro, the stripper Node bundles,
// in strip-only mode — no transform, so enums, namespaces and parameter properties fail), on a
// Node that cannot (20). Used by test/unit/build/strip-types.test.ts.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
