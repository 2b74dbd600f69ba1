/**
 * Phases `rate` and `over-asked`. `rate`: does `--rate n` mean n requests per second, evenly? Many
 * small requests are sent to the emulator, which records when each one arrived; from those start
 * times come the achieved rate, (n-1) / (last - first), and the most requests started within any
 * one second. `over-asked`: see measureOverAsked.
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

/** The adaptive pace against an API limiting below --rate: what was achieved, at what cost in 429s. */
export interface OverAskedCheck {
  askedPerSecond: number;
  /** The emulator's token bucket: this many requests/s, burst 2, 429 + Retry-After: 1. */
  apiPerSecond: number;
  requests: number;
  /** 200 answers per second between the first and the last request. */
  okPerSecond: number;
  /** okPerSecond ÷ apiPerSecond. */
  ratio: number;
  /** 429 answers ÷ all answers. */
  share429: number;
  /** The pace the run ended with (summary.json `pace.final`), when it logged one. */
  finalPace?: number;
}

/**
 * "Achieved pace against an over-asked rate": --rate `settings.rate` against an emulator allowing
 * `apiPerSecond` (token bucket, burst 2, 429 + Retry-After: 1). One customer a request, so the
 * file makes exactly `requests` successful requests.
 */
export async function measureOverAsked(
  env: BenchEnv,
  requests: number,
  apiPerSecond: number,
  settings: SendSettings,
): Promise<OverAskedCheck> {
  const file = await scratch(env, 'over-asked.csv');
  try {
    const facts = await writeWideFile(file, { rows: requests * settings.batchSize, duplicateShare: 0, seed: BENCH_DEFAULTS.seed });
    env.say(`over-asked pace: ${requests} requests at --rate ${settings.rate} against an API allowing ${apiPerSecond}/s (burst 2)`);
    const faults = ['--rate-limit', String(apiPerSecond), '--burst', '2', '--retry-after-seconds', '1'];
    return await withEmulator(
      env,
      async (emulator) => {
        const run = await cliRun(env, emulator.url, file, settings);
        checkCounts('over-asked run', run.finished, facts, true);
        const starts = [...(await emulator.starts())].sort((a, b) => a - b);
        const byStatus = await emulator.byStatus();
        const ok = byStatus['200'] ?? 0;
        const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
        const [first] = starts;
        const last = starts.at(-1);
        // No request at all: NaN, as the span of no starts is.
        const okPerSecond = first === undefined || last === undefined ? Number.NaN : ok / ((last - first) / 1000);
        const paceLine = run.log.find((line) => line.message === 'send: pace at the end');
        const finalPace = typeof paceLine?.final === 'number' ? paceLine.final : undefined;
        return {
          askedPerSecond: settings.rate,
          apiPerSecond,
          requests: total,
          okPerSecond,
          ratio: okPerSecond / apiPerSecond,
          share429: (byStatus['429'] ?? 0) / total,
          ...(finalPace !== undefined && { finalPace }),
        };
      },
      faults,
    );
  } finally {
    await rm(file, { force: true });
  }
}
