#!/usr/bin/env node
// riskstream command line from the sources, through tsx (a dev dependency): what the tests run, and
// a checkout without a build. What ships is the compiled dist/cli/riskstream.js (npm run build).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./index.ts');
process.exitCode = await main(process.argv.slice(2));
