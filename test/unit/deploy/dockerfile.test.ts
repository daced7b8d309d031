// Structure checks for deploy/docker/Dockerfile and its .dockerignore (there is no Docker here to
// build it): a build stage that installs everything and compiles, a runtime stage on a supported
// Node LTS with the runtime dependencies, the compiled dist/ and the bundled data only, running as
// an unprivileged user with a healthcheck. The compiled build itself is run by test/e2e/dist.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED, PROJECT_ROOT } from '../../../src/config/paths.ts';

const DOCKERFILE = join(PROJECT_ROOT, 'deploy/docker/Dockerfile');
const DOCKERIGNORE = join(PROJECT_ROOT, 'deploy/docker/Dockerfile.dockerignore');
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };

/** End of life of the Node LTS lines (nodejs.org release schedule); an odd major is never LTS. */
const LTS_END: Record<number, string> = { 18: '2025-04-30', 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30', 26: '2029-04-30' };

interface Instr {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  body: Instr[];
}

/** parse: the Dockerfile's instructions (continuations joined, comments dropped), split into stages at FROM. */
function parse(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const l of lines) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(l)!;
    const i: Instr = { op: op!.toUpperCase(), args: args!.replace(/\s+/g, ' ') };
    if (i.op === 'FROM') {
      const m = /^(\S+)(?: AS (\S+))?$/i.exec(i.args)!;
      stages.push({ from: m[1]!, name: m[2], body: [] });
    } else {
      expect(stages.length, `${l}: before the first FROM`).toBeGreaterThan(0);
      stages.at(-1)!.body.push(i);
    }
  }
  return stages;
}

/** copies: a stage's COPY instructions as { from (a stage or the build context), sources, dest }. */
function copies(s: Stage) {
  return s.body
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(' ');
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1).map((p) => p.replace(/^\.\//, '').replace(/\/$/, '')), dest: paths.at(-1)! };
    });
}

/** satisfies: does version x.y.z fall in an engines range made of `^a.b.c` and `>=a.b.c` alternatives? */
function satisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const cmp = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  return range.split('||').some((alt) => {
    const m = /^\s*(\^|>=)(\d+)\.(\d+)\.(\d+)\s*$/.exec(alt);
    if (!m) throw new Error(`engines: unsupported range "${alt}"`);
    const min = [Number(m[2]), Number(m[3]), Number(m[4])];
    return cmp(v, min) >= 0 && (m[1] === '>=' || v[0] === min[0]);
  });
}

const text = readFileSync(DOCKERFILE, 'utf8');
const stages = parse(text);
const build = stages[0]!;
const runtime = stages.at(-1)!;
const runs = (s: Stage) => s.body.filter((i) => i.op === 'RUN').map((i) => i.args);
const json = (s: Stage, op: string) => JSON.parse(s.body.find((i) => i.op === op)!.args) as string[];

describe('deploy/docker/Dockerfile', () => {
  it('has a build stage and a runtime stage, both on one Node image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBe('build');
    expect(runtime.name).toBe('runtime');
    expect(runtime.from).toBe(build.from);
  });

  it('the runtime image is a slim Node LTS that has not reached its end of life, within package.json engines', () => {
    const m = /^node:(\d+)(?:\.\d+)*-(?:bookworm-|trixie-)?slim$/.exec(runtime.from);
    expect(m, runtime.from).not.toBeNull();
    const major = Number(m![1]);
    expect(major % 2, 'an even major: odd majors are never LTS').toBe(0);
    const end = LTS_END[major];
    expect(end, `node ${major}: end of life unknown to this test (add it to LTS_END)`).toBeDefined();
    expect(Date.parse(end!), `node ${major} reached end of life on ${end}`).toBeGreaterThan(Date.now());
    expect(satisfies(`${major}.99.0`, pkg.engines.node), `engines "${pkg.engines.node}" admits node ${major}`).toBe(true);
  });

  it('engines names only LTS lines (even majors)', () => {
    for (const alt of pkg.engines.node.split('||')) expect(Number(/(\d+)\./.exec(alt)![1]) % 2, alt).toBe(0);
    expect(satisfies(process.versions.node, pkg.engines.node), `this machine's node ${process.versions.node}`).toBe(true);
    expect(satisfies('21.7.0', pkg.engines.node)).toBe(false);
  });

  it('build stage: npm ci with the dev dependencies, then npm run build (tsc type-checks and compiles)', () => {
    const r = runs(build);
    const ci = r.findIndex((x) => /\bnpm ci\b/.test(x));
    const b = r.findIndex((x) => /\bnpm run build\b/.test(x));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(r[ci]).not.toMatch(/--omit[= ]dev|--production/);
    expect(b).toBeGreaterThan(ci);
    expect(copies(build).flatMap((c) => c.sources)).toEqual(expect.arrayContaining(['src', 'scripts', 'tsconfig.json', 'tsconfig.build.json']));
    // the build script fails on a type error: tsc's exit status is its own
    expect(readFileSync(join(PROJECT_ROOT, 'scripts/build.mjs'), 'utf8')).toMatch(/tsconfig\.build\.json[^]*process\.exit\(r\.status/);
  });

  it('runtime stage: npm ci --omit=dev, dist/ from the build stage, no sources, nothing of tsx', () => {
    const ci = runs(runtime).find((x) => /\bnpm ci\b/.test(x));
    expect(ci).toMatch(/--omit[= ]dev/);
    const cs = copies(runtime);
    expect(cs.some((c) => c.from === 'build' && c.sources.includes('/app/dist'))).toBe(true);
    for (const c of cs.filter((x) => x.from === undefined)) {
      for (const s of c.sources) {
        expect(s, 'the whole context').not.toMatch(/^\.?$/);
        expect(s.split('/')[0], `COPY ${s}: no TypeScript sources in the runtime image`).not.toMatch(/^(src|test|scripts|tsconfig.*\.json)$/);
      }
    }
    const stageText = runtime.body.map((i) => `${i.op} ${i.args}`).join('\n');
    expect(stageText).not.toMatch(/\btsx\b|esbuild|--import|--loader|--experimental-strip-types|\.ts\b/);
  });

  it('the dev tooling is dev-only: npm ci --omit=dev installs no tsx, esbuild or typescript', () => {
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest']) {
      expect(pkg.dependencies[dev], dev).toBeUndefined();
      expect(lock.packages[`node_modules/${dev}`]?.dev, `${dev} in package-lock.json`).toBe(true);
    }
    for (const [path, p] of Object.entries(lock.packages)) if (path.startsWith('node_modules/@esbuild/')) expect(p.dev, path).toBe(true);
  });

  it('runs the package bin (compiled) as `riskstream start --config /etc/riskstream/config.yaml`', () => {
    expect(pkg.bin.riskstream).toMatch(/^dist\/.*\.js$/);
    expect([...json(runtime, 'ENTRYPOINT'), ...json(runtime, 'CMD')]).toEqual(['node', pkg.bin.riskstream, 'start', '--config', '/etc/riskstream/config.yaml']);
    const copied = copies(runtime).find((c) => c.dest === '/etc/riskstream/config.yaml');
    expect(copied).toBeDefined();
  });

  it('everything the code reads from the package at run time is copied into the runtime image', () => {
    const dests = copies(runtime).map((c) => c.dest.replace(/^\.\//, '').replace(/\/$/, ''));
    expect(dests).toContain('dist');
    for (const [name, abs] of Object.entries(BUNDLED)) {
      const rel = relative(PROJECT_ROOT, abs);
      // the dashboard's files sit beside the code: src/web in a checkout, dist/web in the build
      const inImage = rel.startsWith('src/') ? `dist/${rel.slice('src/'.length)}` : rel;
      expect(
        dests.some((d) => inImage === d || inImage.startsWith(`${d}/`)),
        `BUNDLED.${name} (${inImage})`,
      ).toBe(true);
    }
    expect(copies(runtime).some((c) => c.from === undefined && c.sources.includes('package.json') && /^\.\/?$/.test(c.dest))).toBe(true); // the version the server reports
  });

  it('runs as an unprivileged user, set before the entry point', () => {
    const users = runtime.body.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const idx = (op: string) => runtime.body.findIndex((i) => i.op === op);
    expect(runtime.body.findLastIndex((i) => i.op === 'USER')).toBeLessThan(idx('ENTRYPOINT'));
  });

  it('has a HEALTHCHECK that probes /readyz or /healthz on the exposed port with node (no curl in slim images)', () => {
    const hc = runtime.body.find((i) => i.op === 'HEALTHCHECK');
    expect(hc).toBeDefined();
    const cmd = /CMD (\[.*\])$/.exec(hc!.args)?.[1];
    expect(cmd).toBeDefined();
    const argv = JSON.parse(cmd!) as string[];
    expect(argv[0]).toBe('node');
    const port = runtime.body.find((i) => i.op === 'EXPOSE')!.args;
    expect(argv.join(' ')).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/(readyz|healthz)`));
    expect(text).not.toMatch(/\b(curl|wget)\b.*\/(readyz|healthz)/);
  });

  it('every COPY source from the context exists in the repository', () => {
    for (const s of stages)
      for (const c of copies(s).filter((x) => x.from === undefined)) for (const src of c.sources) expect(existsSync(join(PROJECT_ROOT, src)), `${s.name}: COPY ${src}`).toBe(true);
  });
});

describe('deploy/docker/Dockerfile.dockerignore', () => {
  const patterns = readFileSync(DOCKERIGNORE, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  it('keeps node_modules, dist, data, tests, git and the local secrets out of the build context', () => {
    for (const p of ['**/node_modules', 'dist', 'data', 'test', '.git', 'deploy/config/riskstream.env']) expect(patterns, p).toContain(p);
    expect(patterns.filter((p) => p.startsWith('!'))).toEqual([]);
  });
  it('excludes nothing the Dockerfile copies from the context', () => {
    for (const s of stages)
      for (const c of copies(s).filter((x) => x.from === undefined))
        for (const src of c.sources) expect(patterns.some((p) => src === p || src.startsWith(`${p}/`)), `${s.name}: COPY ${src}`).toBe(false);
  });
});
