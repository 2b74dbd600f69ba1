/**
 * The fault suite's entry point (test/faults/*.test.ts import from here only). A Scenario is one
 * test's world: a dataset and its oracle, a temp workspace, an in-process emulator on 127.0.0.1
 * that knows the dataset's customers, a token unique to the test, and every run of the BUILT CLI
 * made against it (for the secret scan). The pieces live in test/support/:
 *
 *   cli-process.ts  the CLI as a child process (exit code, signal, output; kill, signals)
 *   dataset.ts      the generated input and what one clean run must leave
 *   report.ts       summary.json, results.csv, retry.csv
 *   secrets.ts      unique tokens and the search for them
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../src/emulator/index.js';
import { spawnCli, stopChildren, type CliResult, type RunningCli } from '../cli-process.js';
import type { Dataset } from './dataset.js';
import { findSecret, uniqueToken } from '../secrets.js';

export * from '../cli-process.js';
export * from './dataset.js';
export * from '../report.js';
export * from '../secrets.js';
export { mulberry32 as seededRandom } from '../../../src/emulator/prng.js';

export const HOSTILE_DIR = fileURLToPath(new URL('../../../fixtures/hostile/', import.meta.url));

// ---------------------------------------------------------------------------------------------
// A test's files and the command line

export interface Workspace {
  dir: string;
  input: string;
  reportDir: string;
  stateDir: string;
  tokenFile: string;
  /** The runs' TMPDIR: what a killed run leaves there goes with the workspace, not into /tmp. */
  tmpDir: string;
  remove(): Promise<void>;
}

export async function makeWorkspace(csv: string): Promise<Workspace> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segment-sync-faults-'));
  const input = path.join(dir, 'customers.csv');
  await fs.writeFile(input, csv);
  const tmpDir = path.join(dir, 'tmp');
  await fs.mkdir(tmpDir);
  return {
    dir,
    input,
    reportDir: path.join(dir, 'report'),
    stateDir: path.join(dir, 'state'),
    tokenFile: path.join(dir, 'token'),
    tmpDir,
    remove: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** Replaces the token file in one step, as a rotated Kubernetes secret does (never half-written). */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${token}\n`);
  await fs.rename(temp, file);
}

export interface SyncArgs {
  endpoint: string;
  batchSize?: number;
  concurrency?: number;
  rate?: number;
  maxAttempts?: number;
  timeoutSeconds?: number;
  graceSeconds?: number;
  /** More flags; each may be given once only (a repeated flag becomes an array to yargs). */
  extra?: string[];
}

/** What a scenario's runs may change; the endpoint is always the scenario's emulator. */
export type RunArgs = Partial<Omit<SyncArgs, 'endpoint'>>;

/**
 * `run` with small batches, no pacing, short deadlines, enough attempts to ride out the faults and
 * a short grace; each test overrides what it is about.
 */
export function syncArgs(ws: Workspace, a: SyncArgs): string[] {
  return [
    'run',
    '--endpoint', a.endpoint,
    '--report-dir', ws.reportDir,
    '--state-dir', ws.stateDir,
    '--batch-size', String(a.batchSize ?? 20),
    '--concurrency', String(a.concurrency ?? 3),
    '--rate', String(a.rate ?? 0),
    '--max-attempts', String(a.maxAttempts ?? 10),
    '--timeout', String(a.timeoutSeconds ?? 2),
    '--grace', String(a.graceSeconds ?? 5),
    '--log-format', 'json',
    // Every level on, so the secret scan also covers what only debug logs (retries, send events).
    '--log-level', 'debug',
    ...(a.extra ?? []),
    ws.input,
  ];
}

// ---------------------------------------------------------------------------------------------
// One test's world

export interface ScenarioOptions {
  emulator?: EmulatorOptions;
  /** Give the token with --token-file (a rotatable secret) instead of SEGMENT_SYNC_TOKEN. */
  tokenFile?: boolean;
}

export interface Scenario {
  data: Dataset;
  ws: Workspace;
  emulator: EmulatorHandle;
  token: string;
  /** Every run of the scenario so far, for the secret scan. */
  runs: CliResult[];
  spawn(args?: RunArgs): RunningCli;
  run(args?: RunArgs): Promise<CliResult>;
  /** Where the token leaked to: the outputs of every run, the report and the state dir. */
  leaks(): Promise<string[]>;
  close(): Promise<void>;
}

const scenarios = new Set<Scenario>();

export async function openScenario(data: Dataset, options: ScenarioOptions = {}): Promise<Scenario> {
  const ws = await makeWorkspace(data.csv);
  const token = uniqueToken('fault');
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0, tokens: [token], known: data.known, seed: 7, ...options.emulator });
  if (options.tokenFile) await writeTokenFile(ws.tokenFile, token);
  const tokenArgs = options.tokenFile ? ['--token-file', ws.tokenFile] : [];
  const env: Record<string, string> = { TMPDIR: ws.tmpDir, ...(options.tokenFile ? {} : { SEGMENT_SYNC_TOKEN: token }) };
  const runs: CliResult[] = [];
  const spawnRun = (args: RunArgs = {}): RunningCli => {
    const running = spawnCli(syncArgs(ws, { ...args, endpoint: emulator.url, extra: [...tokenArgs, ...(args.extra ?? [])] }), { cwd: ws.dir, env });
    void running.done.then((result) => runs.push(result), () => {});
    return running;
  };
  const scenario: Scenario = {
    data,
    ws,
    emulator,
    token,
    runs,
    spawn: spawnRun,
    run: (args) => spawnRun(args).done,
    leaks: () => findSecret(token, runs, [ws.reportDir, ws.stateDir]),
    async close() {
      scenarios.delete(scenario);
      await emulator.close();
      await ws.remove();
    },
  };
  scenarios.add(scenario);
  return scenario;
}

/** For afterEach: kills the children left running and closes every scenario's emulator and files. */
export async function closeScenarios(): Promise<void> {
  await stopChildren();
  await Promise.all([...scenarios].map((s) => s.close()));
}

/** Polls until `condition` holds (e.g. on the emulator's state); fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
