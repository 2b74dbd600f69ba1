/**
 * The whole send run against the emulator with no rate limit, and its memory.
 *
 * The figure: customers per second of `segment-sync run`, timed from spawn to exit, against the
 * baseline process (baseline-send.ts: a user's own script that parses, keeps the first occurrence,
 * builds the same bodies and posts them with the same concurrency over axios keep-alive), timed
 * the same way. The two alternate, round after round, each against a fresh emulator process (so
 * both find the same empty store), and the medians are compared.
 *
 * Context: the CLI's sending phase alone, from its own log (the first progress line of the sending
 * phase to 'run finished', by which time every customer is done), against plain axios posting
 * bodies built before its clock starts; and the send run's peak RSS against the dry run's.
 */
import { writeFile } from 'node:fs/promises';
import { buildBodies, postAll } from './axios-baseline.js';
import { runNodeOk, type LogLine } from './child.js';
import { cliRun, withEmulator, type SendSettings } from './cli-run.js';
import { checkCounts } from './counts-check.js';
import { scratch, type BenchEnv } from './env.js';
import type { GeneratedFacts } from './generate.js';
import { BENCH_DEFAULTS } from './options.js';
import { median, perSecond, rateBetween, type ProgressPoint } from './stats.js';

export interface ThroughputFigures {
  customers: number;
  repeats: number;
  concurrency: number;
  batchSize: number;
  /** Medians, spawn to exit. */
  cliWholePerSecond: number;
  baselinePerSecond: number;
  /** cliWholePerSecond / baselinePerSecond. */
  wholeRatio: number;
  /** Median of the CLI runs; undefined when the sending phase was too short for two progress points. */
  cliSendingPerSecond: number | undefined;
  /** Plain axios posting prebuilt bodies, posting timed alone. */
  postingPerSecond: number;
  sendingRatio: number | undefined;
  /** Highest peak RSS of the CLI's runs and of the baseline's. */
  cliPeakRssMb: number;
  baselinePeakRssMb: number;
  /** The dry run's peak RSS on the same file, and cliPeakRssMb / it. */
  dryPeakRssMb: number;
  rssRatio: number;
}

export async function measureThroughput(
  env: BenchEnv,
  file: string,
  facts: GeneratedFacts,
  settings: SendSettings,
  repeats: number,
  dryPeakRssMb: number,
): Promise<ThroughputFigures> {
  const cliMs: number[] = [];
  const baselineMs: number[] = [];
  const sending: number[] = [];
  let cliPeakRssMb = 0;
  let baselinePeakRssMb = 0;
  for (let i = 1; i <= repeats; i++) {
    env.say(
      `send run vs baseline process: ${facts.customers.toLocaleString('en-US')} customers, no rate limit, concurrency ${settings.concurrency}, round ${i} of ${repeats}`,
    );
    const baseline = await withEmulator(env, (emulator) => baselineRun(env, emulator.url, file, facts, settings));
    baselineMs.push(baseline.wallMs);
    baselinePeakRssMb = Math.max(baselinePeakRssMb, baseline.peakRssMb);
    const cli = await withEmulator(env, (emulator) => cliRun(env, emulator.url, file, settings));
    checkCounts('send run', cli.finished, facts, true);
    cliMs.push(cli.wallMs);
    cliPeakRssMb = Math.max(cliPeakRssMb, cli.finished.peakRssMb);
    const rate = rateBetween(sendingProgress(cli.log));
    if (rate !== undefined) sending.push(rate);
  }
  env.say("plain axios posting prebuilt bodies (the sending phase's yardstick)");
  const postingPerSecond = await postingRate(env, file, facts, settings);
  const cliWholePerSecond = perSecond(facts.customers, median(cliMs));
  const baselinePerSecond = perSecond(facts.customers, median(baselineMs));
  const cliSendingPerSecond = sending.length === 0 ? undefined : median(sending);
  return {
    customers: facts.customers,
    repeats,
    concurrency: settings.concurrency,
    batchSize: settings.batchSize,
    cliWholePerSecond,
    baselinePerSecond,
    wholeRatio: cliWholePerSecond / baselinePerSecond,
    cliSendingPerSecond,
    postingPerSecond,
    sendingRatio: cliSendingPerSecond === undefined ? undefined : cliSendingPerSecond / postingPerSecond,
    cliPeakRssMb,
    baselinePeakRssMb,
    dryPeakRssMb,
    rssRatio: cliPeakRssMb / dryPeakRssMb,
  };
}

interface BaselineRun {
  wallMs: number;
  peakRssMb: number;
}

/** One baseline process against `url`; it must have put every customer in a body and had each updated. */
async function baselineRun(env: BenchEnv, url: string, file: string, facts: GeneratedFacts, settings: SendSettings): Promise<BaselineRun> {
  const tokenFile = await scratch(env, 'baseline-token');
  await writeFile(tokenFile, BENCH_DEFAULTS.token, { mode: 0o600 });
  const run = await runNodeOk(
    env.baselineSend,
    [file, url, tokenFile, String(settings.batchSize), String(settings.concurrency)],
    'baseline process',
  );
  const { customers, updated, peakRssMb } = JSON.parse(run.stdout) as { customers: number; updated: number; peakRssMb: number };
  if (customers !== facts.customers || updated !== facts.customers) {
    throw new Error(`baseline process: ${customers} customers posted, ${updated} updated; the file holds ${facts.customers}`);
  }
  return { wallMs: run.wallMs, peakRssMb };
}

/** When a log line was written: the CLI's JSON log lines all carry a timestamp. */
function timeOf(line: LogLine): number {
  if (line.timestamp === undefined) throw new TypeError(`the CLI's log line ${JSON.stringify(line.message)} has no timestamp`);
  return Date.parse(line.timestamp);
}

/** Customers done over time in the sending phase, ending with the run's last line. */
export function sendingProgress(log: readonly LogLine[]): ProgressPoint[] {
  const points: ProgressPoint[] = [];
  for (const line of log) {
    if (line.message === 'progress' && line.phase === 'sending') points.push({ atMs: timeOf(line), done: line.sent as number });
    if (line.message === 'run finished' && points.length > 0) {
      const counts = line.counts as { updated: number; notFound: number; failed: number };
      points.push({ atMs: timeOf(line), done: counts.updated + counts.notFound + counts.failed });
    }
  }
  return points;
}

async function postingRate(env: BenchEnv, file: string, facts: GeneratedFacts, settings: SendSettings): Promise<number> {
  const rate = await postPrebuiltBodies(env, file, facts, settings);
  // The bodies were the size of the file: collect them before the next phase is measured.
  (globalThis as { gc?: () => void }).gc?.();
  return rate;
}

async function postPrebuiltBodies(env: BenchEnv, file: string, facts: GeneratedFacts, settings: SendSettings): Promise<number> {
  const bodies = await buildBodies(file, settings.batchSize);
  const posted = await withEmulator(env, (emulator) => postAll(emulator.url, BENCH_DEFAULTS.token, bodies, settings.concurrency));
  if (posted.updated !== facts.customers) throw new Error(`plain axios: ${posted.updated} customers updated, ${facts.customers} sent`);
  return perSecond(facts.customers, posted.postingMs);
}

export interface LargeSendFigures {
  customers: number;
  wallMs: number;
  peakRssMb: number;
}

/** One send run of a file of only distinct ids (the id index's worst case): its peak RSS is the figure. */
export async function measureLargeSend(
  env: BenchEnv,
  file: string,
  facts: GeneratedFacts,
  settings: SendSettings,
): Promise<LargeSendFigures> {
  env.say(`send run of ${facts.customers.toLocaleString('en-US')} distinct customers, no rate limit`);
  const run = await withEmulator(env, (emulator) => cliRun(env, emulator.url, file, settings));
  checkCounts('large send run', run.finished, facts, true);
  return { customers: facts.customers, wallMs: run.wallMs, peakRssMb: run.finished.peakRssMb };
}
