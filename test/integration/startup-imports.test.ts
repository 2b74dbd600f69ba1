/**
 * Start-up loads only what the command needs: the built CLI runs in a child process with a preload
 * that records every module it loads (test/support/import-recorder.mjs), and the record must not
 * hold the job, the state, the sender or the heavy packages unless the command uses them. This is a
 * structural check of what start-up costs (each of those packages is tens of milliseconds), not a
 * timing: it holds on any machine.
 *
 * dist/ is a bundle (tools/build.mjs): the record names its files (cli.js and chunks), and the
 * build's metafile (build/dist-meta.json) says which modules of src/ and node_modules went into
 * each. A run has loaded a module when it loaded the file that holds it, or, for the packages kept
 * out of the bundle (required at run time), the module itself from node_modules.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fixture, REPO_ROOT, runCli, type CliResult } from '../support/cli.js';

const RECORDER = pathToFileURL(path.join(REPO_ROOT, 'test', 'support', 'import-recorder.mjs')).href;
const DIST = path.join(REPO_ROOT, 'dist');
const METAFILE = path.join(REPO_ROOT, 'build', 'dist-meta.json');

/** Packages that only some runs need: the logger, SQLite, HTTP, metrics, config files, encodings, the parser. */
const HEAVY_PACKAGES = ['winston', 'better-sqlite3', 'axios', 'prom-client', 'yaml', 'iconv-lite', 'csv-parse'] as const;

/** Modules of src/ that only running a command needs (parsing, the job, state, sending, reports, servers). */
const RUN_ONLY_MODULES = [
  'pipeline/run-job.ts',
  'pipeline/validate-pass.ts',
  'pipeline/send-pass.ts',
  'pipeline/send/',
  'pipeline/report/',
  'pipeline/dedupe/',
  'pipeline/spool/',
  'pipeline/input/index.ts',
  'state/',
  'metrics/index.ts',
  'emulator/server.ts',
  'cli/execute.ts',
  'cli/state-actions.ts',
] as const;

/** esbuild's metafile, as much of it as this test reads. Paths are relative to the repository. */
interface Metafile {
  outputs: Record<
    string,
    { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }
  >;
}

let meta: Metafile;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'segment-sync-imports-'));
  meta = JSON.parse(await readFile(METAFILE, 'utf8')) as Metafile;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Recorded {
  result: CliResult;
  /** Modules of src/ that were loaded, relative to src/ ('cli/main.ts'). */
  sources: string[];
  /** Packages that were loaded, bundled or from node_modules. */
  packages: Set<string>;
  /** Whether an Intl.Segmenter was constructed (string-width evaluated: help text was laid out). */
  segmenter: boolean;
}

let runs = 0;

/** Runs the CLI with the recorder; returns its result and what it loaded. */
async function recorded(args: readonly string[]): Promise<Recorded> {
  const record = path.join(dir, `record-${runs++}.txt`);
  const result = await runCli(args, { cwd: dir, env: { IMPORT_RECORD: record, NODE_OPTIONS: `--import=${RECORDER}` } });
  const urls = (await readFile(record, 'utf8')).split('\n').filter(Boolean);
  const files = [...distFilesIn(urls), ...urls.filter((url) => packageOf(url) !== undefined)];
  return { result, sources: sourcesIn(files), packages: packagesIn(files), segmenter: urls.includes('intl:Segmenter') };
}

/** The files of dist/ that were loaded, as the metafile names them ('dist/cli.js'); each must be of this build. */
function distFilesIn(urls: readonly string[]): string[] {
  const prefix = pathToFileURL(DIST).href + '/';
  const files = urls.filter((url) => url.startsWith(prefix)).map((url) => `dist/${url.slice(prefix.length)}`);
  for (const file of files) {
    if (!Object.hasOwn(meta.outputs, file))
      throw new Error(`${file} is not in ${METAFILE}: dist/ and the metafile are of different builds`);
  }
  return files;
}

/** The package a path or URL is in (the innermost node_modules/<name>), if any. */
function packageOf(file: string): string | undefined {
  return [...file.matchAll(/(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1)?.[1];
}

/** The modules in these files: what a dist/ file holds (from the metafile), or the file itself. */
function modulesIn(files: readonly string[]): string[] {
  return files.flatMap((file) => (Object.hasOwn(meta.outputs, file) ? Object.keys(meta.outputs[file]!.inputs) : [file]));
}

function packagesIn(files: readonly string[]): Set<string> {
  return new Set(modulesIn(files).flatMap((module) => packageOf(module) ?? []));
}

function sourcesIn(files: readonly string[]): string[] {
  return modulesIn(files)
    .filter((module) => module.startsWith('src/'))
    .map((module) => module.slice('src/'.length));
}

function runOnly(modules: readonly string[]): string[] {
  return modules.filter((m) => RUN_ONLY_MODULES.some((prefix) => m.startsWith(prefix)));
}

/** The dist/ files that loading `file` loads before anything runs: its static imports, transitively. */
function staticClosure(file: string): string[] {
  const seen = new Set<string>([file]);
  for (const current of seen) {
    for (const imported of meta.outputs[current]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) seen.add(imported.path);
    }
  }
  return [...seen];
}

describe('the build', () => {
  it('dist/ holds only the bundle: the entry, its chunks and their source maps, all of this build', () => {
    const files = readdirSync(DIST, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
    expect(files.sort()).toEqual(Object.keys(meta.outputs).sort());
    expect(files.filter((file) => !file.endsWith('.map')).every((file) => files.includes(`${file}.map`))).toBe(true);
    expect(
      Object.entries(meta.outputs)
        .filter(([, output]) => output.entryPoint === 'src/cli.ts')
        .map(([file]) => file),
    ).toEqual(['dist/cli.js']);
  });

  it('what the entry loads before running holds no run-only module and no heavy package: the job is behind import()', () => {
    const startup = staticClosure('dist/cli.js');
    expect(sourcesIn(startup)).toEqual(expect.arrayContaining(['cli.ts', 'cli/main.ts', 'cli/run.ts', 'config/run-options.ts']));
    expect(runOnly(sourcesIn(startup))).toEqual([]);
    expect(HEAVY_PACKAGES.filter((name) => packagesIn(startup).has(name))).toEqual([]);
    // Each lazy boundary of src/ is a chunk of its own, which the entry's closure does not include.
    const lazy = Object.values(meta.outputs).flatMap((output) =>
      output.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
    );
    const lazyEntries = new Set(lazy.map((file) => meta.outputs[file]?.entryPoint));
    for (const entry of ['src/cli/execute.ts', 'src/cli/state-actions.ts', 'src/emulator/index.ts', 'src/pipeline/report/index.ts']) {
      expect([entry, lazyEntries.has(entry)]).toEqual([entry, true]);
    }
    expect(lazy.filter((file) => startup.includes(file))).toEqual([]);
  });

  it('the sender (axios) and the metrics (prom-client) are chunks a dry run does not load: behind import() in the job too', () => {
    const job = staticClosure(Object.keys(meta.outputs).find((file) => meta.outputs[file]!.entryPoint === 'src/cli/execute.ts')!);
    expect(['axios', 'prom-client'].filter((name) => packagesIn(job).has(name))).toEqual([]);
    expect(sourcesIn(job).filter((m) => m.startsWith('pipeline/send/') || m.startsWith('metrics/'))).toEqual([]);
  });
});

describe('help and usage errors load only the option tables and yargs', () => {
  const cases: [string, string[], number][] = [
    ['--help', ['--help'], 0],
    ['run --help', ['run', '--help'], 0],
    ['validate --help', ['validate', '--help'], 0],
    ['state reset --help', ['state', 'reset', '--help'], 0],
    ['report merge --help', ['report', 'merge', '--help'], 0],
    ['emulator --help', ['emulator', '--help'], 0],
    ['validate without a file (usage error)', ['validate'], 2],
    ['an unknown command (usage error)', ['bogus'], 2],
  ];

  it.concurrent.each(cases)('%s', async (_name, args, exitCode) => {
    const { result, sources, packages } = await recorded(args);
    expect(result.code).toBe(exitCode);
    // The recorder saw the start-up itself: the entry, main and yargs.
    expect(sources).toEqual(expect.arrayContaining(['cli.ts', 'cli/main.ts']));
    expect(packages.has('yargs')).toBe(true);
    expect(HEAVY_PACKAGES.filter((name) => packages.has(name))).toEqual([]);
    expect(runOnly(sources)).toEqual([]);
  });

  it('--help lays out the help with string-width (which constructs an Intl.Segmenter): the recorder sees it', async () => {
    expect((await recorded(['--help'])).segmenter).toBe(true);
  });
});

describe('a dry run loads what it uses and nothing for sending, state or metrics', () => {
  it('validate of a small UTF-8 file: the logger and the parser, no SQLite, HTTP, metrics, YAML or iconv', async () => {
    const { result, sources, packages, segmenter } = await recorded([
      'validate',
      '--report-dir',
      path.join(dir, 'report-plain'),
      fixture('customers-wide.csv'),
    ]);
    expect(result.code).toBe(0);
    // Loaded behind the command's import(): winston, bundled in the job's chunk. csv-parse is
    // required only when the fast path hands it a record (or a report is read back): not for this file.
    expect(packages.has('winston')).toBe(true);
    expect(['better-sqlite3', 'axios', 'prom-client', 'yaml', 'iconv-lite', 'csv-parse'].filter((name) => packages.has(name))).toEqual([]);
    // The job itself was loaded (the recorder sees the chunks behind import()), the sender and the emulator were not.
    expect(sources).toEqual(expect.arrayContaining(['cli/execute.ts', 'pipeline/run-job.ts', 'pipeline/validate-pass.ts']));
    expect(sources.filter((m) => m.startsWith('pipeline/send/') || m.startsWith('metrics/') || m === 'emulator/server.ts')).toEqual([]);
    // No help text was laid out, so string-width (bundled in cli.js) was never evaluated: see tools/build.mjs.
    expect(segmenter).toBe(false);
  });

  it('a config file loads the YAML parser, and a Latin-1 file iconv-lite, only when given', async () => {
    const config = path.join(dir, 'options.yaml');
    await writeFile(config, 'max-clear: 50%\n');
    const { result, packages } = await recorded([
      'validate',
      '--config',
      config,
      '--encoding',
      'latin1',
      '--report-dir',
      path.join(dir, 'report-latin1'),
      fixture('export-windows-1252.csv'),
    ]);
    expect(result.code).toBe(0);
    expect(packages.has('yaml')).toBe(true);
    expect(packages.has('iconv-lite')).toBe(true);
    expect(packages.has('better-sqlite3')).toBe(false);
  });
});

/**
 * main sets yargs' wrap width only when the command line may ask for help (a render for nothing
 * otherwise, see mayShowHelp in src/cli/main.ts): every way yargs takes to show help must still get
 * the help laid out to 100 columns (on a pipe: stdout has no width), not one line per paragraph.
 */
describe('help asked for in any way yargs takes is wrapped to 100 columns on a pipe', () => {
  const cases: string[][] = [
    ['--help'],
    ['help'],
    ['validate', '--help'],
    ['validate', 'export.csv', '--help'],
    ['run', '--help=true'],
    ['run', '--help', 'true'],
    ['state', 'help'],
    ['state', 'reset', '--help'],
    ['report', 'merge', 'help'],
    ['emulator', '--help'],
  ];

  it.concurrent.each(cases.map((args) => [args.join(' '), args] as const))('%s', async (_name, args) => {
    const { code, stdout } = await runCli(args, { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('Options:');
    const widest = Math.max(...stdout.split('\n').map((line) => line.length));
    expect(widest).toBeLessThanOrEqual(100);
    expect(widest).toBeGreaterThan(80);
  });
});
