/**
 * Phase 4: customers per second against the emulator with no rate limit, the CLI against plain
 * axios posting the same bodies with the same concurrency. Each side gets a fresh emulator process,
 * so both find the same empty store.
 *
 * The CLI is timed twice: the whole run (start-up, validation pass, sending pass, report) from the
 * outside, and its sending phase from its own log: from the first progress line of the sending
 * phase to the 'run finished' line, by which time every customer is done.
 */
import { writeFile } from 'node:fs/promises';
import { buildBodies, postAll } from './axios-baseline.js';
import { jsonLines, runFinished, runNodeOk, type LogLine } from './child.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { checkCounts, scratch, type BenchEnv } from './env.js';
import type { FileFacts } from './generate.js';
import { BENCH_DEFAULTS } from './options.js';
import { perSecond, rateBetween, type ProgressPoint } from './stats.js';

export interface SendSettings {
  concurrency: number;
  batchSize: number;
  /** Requests per second; 0 = no limit. */
  rate: number;
}

export interface ThroughputFigures {
  customers: number;
  cliWholePerSecond: number;
  /** Undefined when the sending phase was too short for two progress points. */
  cliSendingPerSecond: number | undefined;
  axiosPerSecond: number;
  wholeRatio: number;
  sendingRatio: number | undefined;
}

export async function measureThroughput(env: BenchEnv, file: string, facts: FileFacts, settings: SendSettings): Promise<ThroughputFigures> {
  env.say(`CLI run: ${facts.customers.toLocaleString('en-US')} customers, no rate limit, concurrency ${settings.concurrency}`);
  const cli = await withEmulator(env, (emulator) => cliRun(env, emulator.url, file, settings));
  checkCounts('throughput run', cli.finished, facts, true);
  env.say('plain axios posting the same bodies');
  const axiosPerSecond = await axiosRate(env, file, facts, settings);
  const cliWholePerSecond = perSecond(facts.customers, cli.wallMs);
  const cliSendingPerSecond = rateBetween(sendingProgress(cli.log));
  return {
    customers: facts.customers,
    cliWholePerSecond,
    cliSendingPerSecond,
    axiosPerSecond,
    wholeRatio: cliWholePerSecond / axiosPerSecond,
    sendingRatio: cliSendingPerSecond === undefined ? undefined : cliSendingPerSecond / axiosPerSecond,
  };
}

/** Runs `use` against a fresh emulator process, stopped afterwards whatever happens. */
export async function withEmulator<T>(env: BenchEnv, use: (emulator: EmulatorProcess) => Promise<T>): Promise<T> {
  const emulator = await startEmulatorProcess(env.cli);
  try {
    return await use(emulator);
  } finally {
    await emulator.stop();
  }
}

/** `segment-sync run` against `url`; the token goes in a file, as the README recommends. */
export async function cliRun(env: BenchEnv, url: string, file: string, settings: SendSettings) {
  const tokenFile = await scratch(env, 'token');
  await writeFile(tokenFile, BENCH_DEFAULTS.token, { mode: 0o600 });
  const args = [
    'run', file,
    '--endpoint', url,
    '--token-file', tokenFile,
    '--rate', String(settings.rate),
    '--concurrency', String(settings.concurrency),
    '--batch-size', String(settings.batchSize),
    '--report-dir', await scratch(env, 'run-report'),
    '--state-dir', await scratch(env, 'run-state'),
    '--fresh',
    '--log-format', 'json',
    '--progress-interval', String(BENCH_DEFAULTS.progressIntervalSeconds),
  ];
  const run = await runNodeOk(env.cli, args, 'segment-sync run');
  return { wallMs: run.wallMs, finished: runFinished(run.stdout), log: jsonLines(run.stdout) };
}

/** Customers done over time in the sending phase, ending with the run's last line. */
export function sendingProgress(log: readonly LogLine[]): ProgressPoint[] {
  const points: ProgressPoint[] = [];
  for (const line of log) {
    if (line.message === 'progress' && line.phase === 'sending') points.push({ atMs: Date.parse(line.timestamp!), done: line.sent as number });
    if (line.message === 'run finished' && points.length > 0) {
      const counts = line.counts as { updated: number; notFound: number; failed: number };
      points.push({ atMs: Date.parse(line.timestamp!), done: counts.updated + counts.notFound + counts.failed });
    }
  }
  return points;
}

async function axiosRate(env: BenchEnv, file: string, facts: FileFacts, settings: SendSettings): Promise<number> {
  let bodies: string[] | undefined = await buildBodies(file, settings.batchSize);
  try {
    const posted = await withEmulator(env, (emulator) => postAll(emulator.url, BENCH_DEFAULTS.token, bodies!, settings.concurrency));
    if (posted.updated !== facts.customers) throw new Error(`plain axios: ${posted.updated} customers updated, ${facts.customers} sent`);
    return perSecond(facts.customers, posted.postingMs);
  } finally {
    // The bodies are the size of the file: free them before the next phase is measured.
    bodies = undefined;
    (globalThis as { gc?: () => void }).gc?.();
  }
}
