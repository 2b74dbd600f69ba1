/**
 * Phase 5: does `--rate n` mean n requests per second, evenly? Many small requests are sent to the
 * emulator, which records when each one arrived; from those start times come the achieved rate,
 * (n-1) / (last - first), and the most requests started within any one second.
 */
import { rm } from 'node:fs/promises';
import { checkCounts } from './counts-check.js';
import { scratch, type BenchEnv } from './env.js';
import { writeWideFile } from './generate.js';
import { BENCH_DEFAULTS } from './options.js';
import { rateFigures, type RateFigures } from './stats.js';
import { cliRun, withEmulator, type SendSettings } from './cli-run.js';

export interface RateCheck extends RateFigures {
  askedPerSecond: number;
}

export async function measureRate(env: BenchEnv, requests: number, settings: SendSettings): Promise<RateCheck> {
  const file = await scratch(env, 'rate.csv');
  try {
    // No duplicates: every row is a customer, so the file makes exactly `requests` requests.
    const facts = await writeWideFile(file, { rows: requests * settings.batchSize, duplicateShare: 0, seed: BENCH_DEFAULTS.seed });
    env.say(`rate check: ${requests} requests at --rate ${settings.rate}`);
    const starts = await withEmulator(env, async (emulator) => {
      const run = await cliRun(env, emulator.url, file, settings);
      checkCounts('rate run', run.finished, facts, true);
      return emulator.starts();
    });
    if (starts.length !== requests) throw new Error(`rate run: the emulator saw ${starts.length} requests, ${requests} were due`);
    return { ...rateFigures(starts, settings.rate), askedPerSecond: settings.rate };
  } finally {
    await rm(file, { force: true });
  }
}
