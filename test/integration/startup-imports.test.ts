/**
 * Start-up loads only what the command needs: the built CLI runs in a child process with a preload
 * that records every module it loads (test/support/import-recorder.mjs), and the record must not
 * hold the job, the state, the sender or the heavy packages unless the command uses them. This is a
 * structural check of what start-up costs (each of those packages is tens of milliseconds), not a
 * timing: it holds on any machine.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fixture, REPO_ROOT, runCli, type CliResult } from '../support/cli.js';

const RECORDER = pathToFileURL(path.join(REPO_ROOT, 'test', 'support', 'import-recorder.mjs')).href;

/** Packages that only some runs need: the logger, SQLite, HTTP, metrics, config files, encodings, the parser. */
const HEAVY_PACKAGES = ['winston', 'better-sqlite3', 'axios', 'prom-client', 'yaml', 'iconv-lite', 'csv-parse'] as const;

/** Modules of the build that only running a command needs (parsing, the job, state, sending, reports, servers). */
const RUN_ONLY_MODULES = [
  'pipeline/run-job.js',
  'pipeline/validate-pass.js',
  'pipeline/send-pass.js',
  'pipeline/send/',
  'pipeline/report/',
  'pipeline/dedupe/',
  'pipeline/spool/',
  'pipeline/input/index.js',
  'state/',
  'metrics/index.js',
  'emulator/server.js',
  'cli/execute.js',
  'cli/state-actions.js',
] as const;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'segment-sync-imports-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Recorded {
  result: CliResult;
  urls: string[];
}

let runs = 0;

/** Runs the CLI with the recorder; returns its result and the URLs of the modules it loaded. */
async function recorded(args: readonly string[]): Promise<Recorded> {
  const record = path.join(dir, `record-${runs++}.txt`);
  const result = await runCli(args, { cwd: dir, env: { IMPORT_RECORD: record, NODE_OPTIONS: `--import=${RECORDER}` } });
  const urls = (await readFile(record, 'utf8')).split('\n').filter(Boolean);
  return { result, urls };
}

function packagesIn(urls: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const url of urls) {
    const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
    if (name !== undefined) names.add(name);
  }
  return names;
}

/** Paths under dist/ of the build's own modules that were loaded. */
function distModulesIn(urls: readonly string[]): string[] {
  const dist = pathToFileURL(path.join(REPO_ROOT, 'dist')).href + '/';
  return urls.filter((url) => url.startsWith(dist)).map((url) => url.slice(dist.length));
}

function runOnly(modules: readonly string[]): string[] {
  return modules.filter((m) => RUN_ONLY_MODULES.some((prefix) => m.startsWith(prefix)));
}

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
    const { result, urls } = await recorded(args);
    expect(result.code).toBe(exitCode);
    // The recorder saw the start-up itself: the entry, main and yargs.
    expect(distModulesIn(urls)).toEqual(expect.arrayContaining(['cli.js', 'cli/main.js']));
    expect(packagesIn(urls).has('yargs')).toBe(true);
    expect(HEAVY_PACKAGES.filter((name) => packagesIn(urls).has(name))).toEqual([]);
    expect(runOnly(distModulesIn(urls))).toEqual([]);
  });
});

describe('a dry run loads what it uses and nothing for sending, state or metrics', () => {
  it('validate of a small UTF-8 file: the logger and the parser, no SQLite, HTTP, metrics, YAML or iconv', async () => {
    const { result, urls } = await recorded(['validate', '--report-dir', path.join(dir, 'report-plain'), fixture('customers-wide.csv')]);
    expect(result.code).toBe(0);
    const packages = packagesIn(urls);
    // Loaded lazily (winston by require() on the first createLogger): proof the recorder sees those too.
    expect(packages.has('winston')).toBe(true);
    expect(packages.has('csv-parse')).toBe(true);
    expect(['better-sqlite3', 'axios', 'prom-client', 'yaml', 'iconv-lite'].filter((name) => packages.has(name))).toEqual([]);
    expect(distModulesIn(urls).filter((m) => m.startsWith('pipeline/send/') || m === 'emulator/server.js')).toEqual([]);
  });

  it('a config file loads the YAML parser, and a Latin-1 file iconv-lite, only when given', async () => {
    const config = path.join(dir, 'options.yaml');
    await writeFile(config, 'max-clear: 50%\n');
    const { result, urls } = await recorded([
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
    const packages = packagesIn(urls);
    expect(packages.has('yaml')).toBe(true);
    expect(packages.has('iconv-lite')).toBe(true);
    expect(packages.has('better-sqlite3')).toBe(false);
  });
});
