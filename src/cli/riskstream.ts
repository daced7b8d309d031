#!/usr/bin/env node
// riskstream command line. `npm run build` compiles it to dist/cli/riskstream.js, the package's bin:
// plain JavaScript, no TypeScript loader at run time. (src/cli/riskstream.mjs runs these sources
// through tsx instead, for the tests and a checkout without a build.)
import { main } from './index.ts';

// `riskstream --help | head`: the reader went away; that is not an error of ours
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
