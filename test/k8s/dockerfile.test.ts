/**
 * No Docker engine runs here, so the Dockerfile is linted instead of built: its structure, and its
 * agreement with the pod spec (uid, working dir) and package.json (entry point), and that the
 * compilers better-sqlite3 needs stay in the build stage while its compiled addon reaches the runtime,
 * that `segment-sync demo` finds its example files in the image, that the build stage has the build
 * script `npm run build` runs, and that the benchmark (tooling, tools/bench) reaches neither dist/
 * nor the image.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readManifest } from './kustomize.js';

interface Instruction {
  keyword: string;
  args: string;
}

const ROOT = new URL('../../', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, ROOT), 'utf8');

/** Instructions with continuation lines joined and comments dropped, split into stages at FROM. */
function parseStages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim());
  const instructions = lines.filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** What node-gyp needs to compile better-sqlite3 (no prebuilt binary can be downloaded where we build). */
const COMPILERS = ['python3', 'make', 'g++'];

const argsOf = (stage: Instruction[], keyword: string): string[] => stage.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  let build: Instruction[];
  let runtime: Instruction[];
  let container: { workingDir: string };
  let podUser: number;
  beforeAll(async () => {
    const stages = parseStages(read('Dockerfile'));
    expect(stages).toHaveLength(2);
    [build, runtime] = stages as [Instruction[], Instruction[]];
    const cronJob = await readManifest('base/cronjob.yaml');
    const podSpec = cronJob.spec.jobTemplate.spec.template.spec;
    container = podSpec.containers[0];
    podUser = podSpec.securityContext.runAsUser;
  });

  it('builds in a first stage and ships from a second, both on slim Node 20', () => {
    expect(argsOf(build, 'FROM')).toEqual([expect.stringMatching(/^node:20-(bookworm-)?slim AS build$/)]);
    expect(argsOf(runtime, 'FROM')).toEqual([expect.stringMatching(/^node:20-(bookworm-)?slim AS runtime$/)]);
  });

  it('installs, compiles, then drops the dev dependencies in the build stage', () => {
    const script = argsOf(build, 'RUN').join(' && ');
    const steps = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((step) => script.indexOf(step));
    expect(steps.every((at) => at >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it("ships only package.json, the pruned node_modules, dist/ and the demo's fixtures from the build stage", () => {
    const copies = argsOf(runtime, 'COPY').concat(argsOf(runtime, 'ADD'));
    expect(copies.every((args) => args.startsWith('--from=build '))).toBe(true);
    const sources = copies.map((args) => args.split(/\s+/)[1]);
    expect(sources.sort()).toEqual(['/app/dist', '/app/fixtures', '/app/node_modules', '/app/package.json']);
  });

  it('installs the compilers better-sqlite3 builds with (python3, make, g++) in the build stage, before the install', () => {
    const script = argsOf(build, 'RUN').join(' && ');
    const toolchain = /apt-get install [^&]*/.exec(script)?.[0] ?? '';
    for (const tool of COMPILERS) expect(toolchain.split(/\s+/)).toContain(tool);
    expect(script.indexOf(toolchain)).toBeLessThan(script.indexOf('npm ci'));
    // Skipping install scripts would skip the compilation and ship a better-sqlite3 without its addon.
    const declared = [...argsOf(build, 'ENV'), ...argsOf(build, 'ARG'), script].join(' ');
    expect(declared).not.toMatch(/ignore[-_]scripts/i);
  });

  it('ships no compiler: the runtime stage neither installs one nor runs npm (which would need one)', () => {
    const script = argsOf(runtime, 'RUN').join(' && ');
    for (const installed of script.matchAll(/apt-get install ([^&]*)/g)) {
      const packages = installed[1]!.split(/\s+/).filter((word) => word !== '' && !word.startsWith('-'));
      for (const tool of [...COMPILERS, 'gcc', 'build-essential', 'python3-minimal', 'node-gyp']) expect(packages).not.toContain(tool);
    }
    expect(script).not.toMatch(/\b(npm|npx|yarn|pnpm|node-gyp)\b/);
    // A fresh image, not FROM build: otherwise it would inherit the build stage's compilers.
    expect(argsOf(runtime, 'FROM')[0]).not.toMatch(/^build\b/);
  });

  it("gets better-sqlite3's compiled addon from the build stage: a production dependency, kept by the prune, in the node_modules copied over", () => {
    const manifest = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies?: Record<string, string> };
    expect(manifest.dependencies['better-sqlite3']).toMatch(/^\^?12\./);
    expect(manifest.devDependencies?.['better-sqlite3']).toBeUndefined();
    expect(argsOf(build, 'RUN').join(' && ')).toMatch(/npm prune --omit=dev|npm ci [^&]*--omit=dev/);
    expect(argsOf(runtime, 'COPY')).toContainEqual(expect.stringMatching(/^--from=build \/app\/node_modules \.?\/?(app\/)?node_modules\/?$/));
    // The same base image in both stages: the addon links against the Node ABI and glibc it was built for.
    expect(argsOf(runtime, 'FROM')[0]!.split(' ')[0]).toBe(argsOf(build, 'FROM')[0]!.split(' ')[0]);
  });

  it('runs as the numeric non-root uid that the pod securityContext expects', () => {
    const user = argsOf(runtime, 'USER').at(-1) ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBe(podUser);
    expect(podUser).toBeGreaterThan(0);
  });

  it('starts the CLI from package.json under tini, which the runtime stage installs', () => {
    const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin['segment-sync'];
    expect(JSON.parse(argsOf(runtime, 'ENTRYPOINT').at(-1) ?? 'null')).toEqual(['tini', '--', 'node', `/app/${bin}`]);
    expect(argsOf(runtime, 'RUN').join(' ')).toMatch(/apt-get install [^&]*\btini\b/);
  });

  it('writes only where the pod mounts volumes: TMPDIR is /tmp and the working dir is the data volume', () => {
    expect(argsOf(runtime, 'ENV').join(' ')).toMatch(/\bTMPDIR=\/tmp\b/);
    expect(argsOf(runtime, 'WORKDIR').at(-1)).toBe(container.workingDir);
  });

  it('bakes in no secret: no token-like ARG or ENV, no credentials file copied', () => {
    const all = [...build, ...runtime];
    const declared = [...argsOf(all, 'ARG'), ...argsOf(all, 'ENV')].join(' ');
    expect(declared).not.toMatch(/token|secret|password|auth/i);
    expect([...argsOf(all, 'COPY'), ...argsOf(all, 'ADD')].join(' ')).not.toMatch(/\.npmrc|\.env\b|token/i);
  });
});

describe('.dockerignore', () => {
  it('keeps credentials, run state, reports and local builds out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    for (const entry of ['.git', 'node_modules', 'dist', 'reports', '.segment-sync', '**/*.sqlite*', '.env', '.npmrc', '*.token']) {
      expect(ignored).toContain(entry);
    }
  });

  it('keeps the benchmark (tools/) and its compiled output (build/) out of the build context, and test data', () => {
    const ignored = dockerIgnored(read('.dockerignore'));
    for (const file of ['tools/bench/bench.ts', 'tools/bench/tsconfig.json', 'build/tools/bench/bench.js', 'fixtures/export-crm-wide.csv', 'test/unit/batch.test.ts']) {
      expect([file, ignored(file)]).toEqual([file, true]);
    }
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tools/build.mjs', 'src/cli.ts']) {
      expect([file, ignored(file)]).toEqual([file, false]);
    }
  });
});

/**
 * Docker's .dockerignore rules, as far as this repository uses them: a pattern (`*` within a path
 * segment, `**` across segments) excludes what it matches and everything under it; a `!` pattern
 * re-includes; the last matching line wins.
 */
function dockerIgnored(text: string): (file: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split(/(\*\*|\*|\?)/)
        .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
      return { include, regex: new RegExp(`^${source}(/.*)?$`) };
    });
  return (file) => rules.reduce((ignored, rule) => (rule.regex.test(file) ? !rule.include : ignored), false);
}

describe('segment-sync demo from the image', () => {
  /** The fixtures demo.ts reads: fixture('<name>'), in fixtures/ beside package.json. */
  const demo = read('src/cli/demo.ts');
  const demoFiles = [...demo.matchAll(/\bfixture\('([^']+)'\)/g)].map((m) => `fixtures/${m[1]}`);
  let stages: Instruction[][];
  beforeAll(() => {
    stages = parseStages(read('Dockerfile'));
  });

  it('reads its example files from the fixtures folder beside package.json (/app/fixtures in the image)', () => {
    expect(demo).toContain("path.join(packageRoot(), 'fixtures', name)");
    expect(demoFiles.sort()).toEqual(['fixtures/customers-wide.csv', 'fixtures/known-ids.txt']);
  });

  it('finds them in the build context: .dockerignore lets them through', () => {
    const ignored = dockerIgnored(read('.dockerignore'));
    for (const file of demoFiles) expect([file, ignored(file)]).toEqual([file, false]);
  });

  it('copies them into /app/fixtures in the build stage, and the runtime stage takes that folder', () => {
    const [build, runtime] = stages as [Instruction[], Instruction[]];
    expect(argsOf(build, 'WORKDIR').at(-1)).toBe('/app');
    const copied = argsOf(build, 'COPY').map((args) => args.split(/\s+/)).filter((words) => /^\.?\/?fixtures\/?$/.test(words.at(-1)!));
    expect(copied.flatMap((words) => words.slice(0, -1)).sort()).toEqual(demoFiles);
    expect(argsOf(runtime, 'WORKDIR')[0]).toBe('/app');
    expect(argsOf(runtime, 'COPY')).toContain('--from=build /app/fixtures ./fixtures');
  });
});

describe('the benchmark is tooling, not product', () => {
  it('is compiled by its own tsconfig into build/, which the root tsconfig (dist/) does not include', () => {
    const root = JSON.parse(read('tsconfig.json')) as { include: string[]; compilerOptions: { rootDir: string; outDir: string } };
    expect(root.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(root.include).toEqual(['src/**/*.ts']);
    // tools/bench/tsconfig.json has comments: read its outDir by pattern, not as JSON.
    expect(read('tools/bench/tsconfig.json')).toMatch(/"outDir":\s*"\.\.\/\.\.\/build"/);
  });

  it('reaches the image neither as source nor compiled: the build stage copies src/ and, of tools/, only the build script', () => {
    const [build] = parseStages(read('Dockerfile')) as [Instruction[]];
    const sources = argsOf(build, 'COPY').flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources.filter((source) => /^(\.\/)?(tools|build)\b/.test(source))).toEqual(['tools/build.mjs']);
    expect(sources).toContain('src');
  });
});

describe('npm run build in the build stage', () => {
  it('has what the build script uses, copied before it runs: tsconfig.json and src/ for the type check, tools/build.mjs to bundle', () => {
    const manifest = JSON.parse(read('package.json')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    const script = manifest.scripts.build ?? '';
    expect(script).toMatch(/\btsc -p tsconfig\.json --noEmit\b/);
    expect(/\bnode (\S+\.mjs)\b/.exec(script)?.[1]).toBe('tools/build.mjs');
    expect(read('tools/build.mjs')).toContain("from 'esbuild'");
    // A pinned dev dependency: npm ci installs it with its platform's binary, the prune drops it after the build.
    expect(manifest.devDependencies.esbuild).toMatch(/^\d+\.\d+\.\d+$/);
    const [build] = parseStages(read('Dockerfile')) as [Instruction[]];
    const buildRun = build.findIndex((i) => i.keyword === 'RUN' && i.args.includes('npm run build'));
    expect(buildRun).toBeGreaterThan(0);
    for (const needed of ['tsconfig.json', 'tools/build.mjs', 'src']) {
      const copy = build.findIndex((i) => i.keyword === 'COPY' && i.args.split(/\s+/).slice(0, -1).includes(needed));
      expect([needed, copy >= 0 && copy < buildRun]).toEqual([needed, true]);
    }
  });
});
