/**
 * Phase 4: customers per second against the emulator with no rate limit, the CLI against plain
 * axios posting the same bodies with the same concurrency. Each side gets a fresh emulator process,
 * so both find the same empty store.
 *
 * The CLI is timed twice: the whole run (start-up, validation pass, sending pass, report) from the
 * outside, and its sending phase from its own log: from the first progress line of the sending
 * phase to the 'run finished' line, by which time every customer is done.
 */
import { buildBodies, postAll } from './axios-baseline.js';
import type { LogLine } from './child.js';
import { cliRun, withEmulator, type SendSettings } from './cli-run.js';
import { checkCounts } from './counts-check.js';
import type { BenchEnv } from './env.js';
import type { FileFacts } from './generate.js';
import { BENCH_DEFAULTS } from './options.js';
import { perSecond, rateBetween, type ProgressPoint } from './stats.js';

export interface ThroughputFigures {
  customers: number;
  cliWholePerSecond: number;
  /** Undefined when the sending phase was too short for two progress points. */
  cliSendingPerSecond: number | undefined;
  axiosPerSecond: number;
  wholeRatio: number;
  sendingRatio: number | undefined;
  /** Peak RSS of the CLI's run: it should not grow with the file (only the id index may). */
  cliPeakRssMb: number;
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
    cliPeakRssMb: cli.finished.peakRssMb,
  };
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
  const rate = await postSameBodies(env, file, facts, settings);
  // The bodies were the size of the file: collect them before the next phase is measured.
  (globalThis as { gc?: () => void }).gc?.();
  return rate;
}

async function postSameBodies(env: BenchEnv, file: string, facts: FileFacts, settings: SendSettings): Promise<number> {
  const bodies = await buildBodies(file, settings.batchSize);
  const posted = await withEmulator(env, (emulator) => postAll(emulator.url, BENCH_DEFAULTS.token, bodies, settings.concurrency));
  if (posted.updated !== facts.customers) throw new Error(`plain axios: ${posted.updated} customers updated, ${facts.customers} sent`);
  return perSecond(facts.customers, posted.postingMs);
}
