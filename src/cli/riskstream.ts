#!/usr/bin/env node
// riskstream command line. `npm run build` compiles it to dist/cli/riskstream.js, the package's bin:
// plain JavaScript, no TypeScript loader at run time. (src/cli/riskstream.mjs runs these sources
// through tsx instead, for the tests and a checkout without a build.)
import { main } from './index.ts';

process.exitCode = await main(process.argv.slice(2));
