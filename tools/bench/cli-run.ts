/**
 * `segment-sync run` against a fresh emulator process, as the throughput and rate phases use it:
 * JSON logs (to read the run's own figures), a scratch report and state dir, and the token in a
 * file, as the README recommends.
 */
import { writeFile } from 'node:fs/promises';
import { jsonLines, runFinished, runNodeOk, type LogLine, type RunFinished } from './child.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { scratch, type BenchEnv } from './env.js';
import { BENCH_DEFAULTS } from './options.js';

export interface SendSettings {
  concurrency: number;
  batchSize: number;
  /** Requests per second; 0 = no limit. */
  rate: number;
}

/** An incremental run: its mode and the state dir kept from one night to the next. */
export interface RunPlace {
  mode: 'diff' | 'mirror';
  stateDir: string;
  /** Node flags for the CLI's process, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
}

export interface CliRun {
  /** Where the report (summary.json, results.csv) was written; a scratch dir, replaced by the next run. */
  reportDir: string;
  wallMs: number;
  finished: RunFinished;
  log: LogLine[];
}

/** Runs `use` against a fresh emulator process, stopped afterwards whatever happens. */
export async function withEmulator<T>(
  env: BenchEnv,
  use: (emulator: EmulatorProcess) => Promise<T>,
  faultArgs: readonly string[] = [],
): Promise<T> {
  const emulator = await startEmulatorProcess(env.cli, faultArgs);
  try {
    return await use(emulator);
  } finally {
    await emulator.stop();
  }
}

/** Without `place`: --mode full, --fresh, a new scratch state dir. */
export async function cliRun(env: BenchEnv, url: string, file: string, settings: SendSettings, place?: RunPlace): Promise<CliRun> {
  const tokenFile = await scratch(env, 'token');
  const reportDir = await scratch(env, 'run-report');
  await writeFile(tokenFile, BENCH_DEFAULTS.token, { mode: 0o600 });
  const args = [
    'run',
    file,
    '--endpoint',
    url,
    '--token-file',
    tokenFile,
    '--rate',
    String(settings.rate),
    '--concurrency',
    String(settings.concurrency),
    '--batch-size',
    String(settings.batchSize),
    '--report-dir',
    reportDir,
    ...(place === undefined
      ? ['--state-dir', await scratch(env, 'run-state'), '--fresh']
      : ['--state-dir', place.stateDir, '--mode', place.mode]),
    '--log-format',
    'json',
    '--progress-interval',
    String(BENCH_DEFAULTS.progressIntervalSeconds),
  ];
  const run = await runNodeOk(env.cli, args, 'segment-sync run', place?.nodeArgs);
  return { reportDir, wallMs: run.wallMs, finished: runFinished(run.stdout), log: jsonLines(run.stdout) };
}
