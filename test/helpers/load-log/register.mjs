// node --import ./test/helpers/load-log/register.mjs …: appends the URL of every module the process
// resolves (ESM imports; CommonJS requires inside a package are not seen) to the file named by
// RISKSTREAM_LOAD_LOG. Used by test/unit/cli/lazy.test.ts.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, { data: { log: process.env.RISKSTREAM_LOAD_LOG } });
