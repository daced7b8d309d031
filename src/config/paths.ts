import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** PROJECT_ROOT: the installed package root (bundled data lives under deploy/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** BUNDLED: the bundled Otog Front Banner reference data, rule pack and demo scenario. */
export const BUNDLED = {
  sites: join(PROJECT_ROOT, 'deploy', 'reference', 'sites.yaml'),
  roster: join(PROJECT_ROOT, 'deploy', 'reference', 'roster.yaml'),
  calendar: join(PROJECT_ROOT, 'deploy', 'reference', 'calendar.yaml'),
  /** schematic outlines of the banner and its towns for the map (deploy/reference/geo/make-schematic.mjs) */
  outlines: join(PROJECT_ROOT, 'deploy', 'reference', 'geo', 'banner.geojson'),
  rules: join(PROJECT_ROOT, 'deploy', 'rules'),
  demo: join(PROJECT_ROOT, 'deploy', 'demo', 'scenario.ndjson'),
  /** the dashboard's static files, beside the code: src/web, or dist/web in a build (scripts/build.mjs copies them) */
  web: join(dirname(fileURLToPath(import.meta.url)), '..', 'web'),
  schemas: join(PROJECT_ROOT, 'schemas'),
};
