#!/usr/bin/env node
// riskstream command line from the sources, through tsx (a dev dependency): what the tests run, and
// a checkout without a build. What ships is the compiled dist/cli/riskstream.js (npm run build).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./index.ts');
// `riskstream --help | head`: the reader went away; that is not an error of ours
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
