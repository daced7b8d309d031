#!/usr/bin/env node
// npm run build: compiles src/ to dist/ with tsc (tsconfig.build.json: same layout, relative imports
// rewritten from .ts to .js, incremental), then copies the dashboard's static files (src/web) to
// dist/web, where the compiled server looks for them. dist/cli/riskstream.js is the package's bin.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
rmSync(join(root, 'dist', 'web'), { recursive: true, force: true });
cpSync(join(root, 'src', 'web'), join(root, 'dist', 'web'), { recursive: true });
chmodSync(join(root, 'dist', 'cli', 'riskstream.js'), 0o755);
