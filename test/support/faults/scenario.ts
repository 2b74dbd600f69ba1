/**
 * The fault suite's world. A Scenario is one test's: a dataset and its oracle, a workspace, an
 * in-process emulator on 127.0.0.1 that knows the dataset's customers, a token unique to the test,
 * and every run of the BUILT CLI made against it (for the secret scan). The pieces it stands on are
 * the shared harness in test/support/ (cli.ts, workspace.ts, args.ts, report.ts, secrets.ts) and
 * the dataset next to this file.
 */
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../src/emulator/index.js';
import { runArgs, type RunFlags } from '../args.js';
import { spawnCli, stopChildren, type CliResult, type RunningCli } from '../cli.js';
import { findSecret, uniqueToken } from '../secrets.js';
import { makeWorkspace, writeTokenFile, type Workspace } from '../workspace.js';
import type { Dataset } from './dataset.js';

// ---------------------------------------------------------------------------------------------
// The command line

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
export type ScenarioRunArgs = Partial<Omit<SyncArgs, 'endpoint'>>;

/**
 * `run` with small batches, no pacing, short deadlines, enough attempts to ride out the faults and
 * a short grace; each test overrides what it is about.
 */
export function syncArgs(ws: Pick<Workspace, 'input' | 'report' | 'state'>, a: SyncArgs): string[] {
  const flags: RunFlags = {
    endpoint: a.endpoint,
    reportDir: ws.report,
    stateDir: ws.state,
    batchSize: a.batchSize ?? 20,
    concurrency: a.concurrency ?? 3,
    rate: a.rate ?? 0,
    maxAttempts: a.maxAttempts ?? 10,
    timeoutSeconds: a.timeoutSeconds ?? 2,
    graceSeconds: a.graceSeconds ?? 5,
    logFormat: 'json',
    // Every level on, so the secret scan also covers what only debug logs (retries, send events).
    logLevel: 'debug',
  };
  return runArgs({ ...flags, extra: a.extra ?? [], input: ws.input });
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
  spawn(args?: ScenarioRunArgs): RunningCli;
  run(args?: ScenarioRunArgs): Promise<CliResult>;
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
  const spawnRun = (args: ScenarioRunArgs = {}): RunningCli => {
    const running = spawnCli(syncArgs(ws, { ...args, endpoint: emulator.url, extra: [...tokenArgs, ...(args.extra ?? [])] }), {
      cwd: ws.root,
      env,
    });
    void running.done.then(
      (result) => runs.push(result),
      () => {},
    );
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
    leaks: () => findSecret(token, runs, [ws.report, ws.state]),
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
