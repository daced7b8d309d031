import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** PROJECT_ROOT: the installed package root (bundled data lives under deploy/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** BUNDLED: the bundled Otog Front Banner reference data, rule pack and demo scenario. */
export const BUNDLED = {
  sites: join(PROJECT_ROOT, 'deploy', 'reference', 'sites.yaml'),
  roster: join(PROJECT_ROOT, 'deploy', 'reference', 'roster.yaml'),
  calendar: join(PROJECT_ROOT, 'deploy', 'reference', 'calendar.yaml'),
  rules: join(PROJECT_ROOT, 'deploy', 'rules'),
  demo: join(PROJECT_ROOT, 'deploy', 'demo', 'scenario.ndjson'),
  web: join(PROJECT_ROOT, 'src', 'web'),
  schemas: join(PROJECT_ROOT, 'schemas'),
};
