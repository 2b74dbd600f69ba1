/**
 * The benchmark's options: every default and target in one place, and the parsing of its few flags.
 * Problems come back as a value naming the flag and the bad value, for bench.ts to print.
 */
import { parseArgs } from 'node:util';

export const BENCH_DEFAULTS = {
  /** Rows of the main wide file (dry run, throughput). */
  rows: 1_000_000,
  /** Rows with --quick: enough to dwarf Node start-up, small enough for a one-minute run. */
  quickRows: 200_000,
  /** Share of rows that repeat an earlier id. */
  duplicateShare: 0.05,
  /** Seed of the data generator, so two runs measure the same files. */
  seed: 42,
  /** Dry runs and raw parses each, alternated; the medians are compared. */
  repeats: 3,
  /** Unique ids of the id-index file, and of the smaller file it is compared with. */
  indexIds: 10_000_000,
  indexBaselineIds: 1_000_000,
  /** Throughput: no rate limit, this many requests in flight, this many customers a request. */
  concurrency: 8,
  batchSize: 1_000,
  /** Rate check: requests per second asked for, and how many small requests measure it. */
  rate: 50,
  rateRequests: 500,
  quickRateRequests: 200,
  rateBatchSize: 10,
  rateConcurrency: 8,
  /** Over-asked pace: --rate this, against an API (token bucket, burst 2) allowing apiRate/s. */
  overAskedRate: 100,
  overAskedApiRate: 30,
  overAskedRequests: 900,
  quickOverAskedRequests: 300,
  overAskedConcurrency: 4,
  /** Seconds between the CLI's progress lines, from which the sending phase is timed. */
  progressIntervalSeconds: 0.25,
  /** The emulator's accepted token (a bench-only value, never a real secret). */
  token: 'bench',
} as const;

/** What the issue asks of the figures. */
export const TARGETS = {
  dryRunRatio: 1.5,
  indexPeakRssMb: 300,
  /** Achieved rate within this share of --rate. */
  rateTolerance: 0.02,
  /** Against an over-asked rate: at least this share of the API's rate in successes, fewer 429s than this share. */
  overAskedRatio: 0.7,
  overAsked429Share: 0.15,
} as const;

export interface BenchOptions {
  rows: number;
  quick: boolean;
  /** Rows of the id-index file; undefined when that phase is skipped (--quick). */
  indexIds: number | undefined;
  rateRequests: number;
  overAskedRequests: number;
}

export type ParsedArgs = { ok: true; options: BenchOptions } | { ok: true; help: true } | { ok: false; problem: string };

export const USAGE = `Usage: npm run bench -- [--rows N] [--quick]

  --rows N   rows of the generated wide file (default ${BENCH_DEFAULTS.rows}; ${BENCH_DEFAULTS.quickRows} with --quick)
  --quick    smaller files, fewer rate-check requests, and no 10M-id index run (under a minute)
  --help     this text`;

export function parseBenchArgs(argv: string[]): ParsedArgs {
  let values: { rows?: string; quick?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { rows: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
  if (values.help) return { ok: true, help: true };
  const quick = values.quick ?? false;
  const rows = values.rows === undefined ? (quick ? BENCH_DEFAULTS.quickRows : BENCH_DEFAULTS.rows) : wholeNumber(values.rows);
  if (rows === undefined || rows < 1) return { ok: false, problem: `--rows must be a whole number of at least 1 (got '${values.rows}')` };
  return {
    ok: true,
    options: {
      rows,
      quick,
      indexIds: quick ? undefined : BENCH_DEFAULTS.indexIds,
      rateRequests: quick ? BENCH_DEFAULTS.quickRateRequests : BENCH_DEFAULTS.rateRequests,
      overAskedRequests: quick ? BENCH_DEFAULTS.quickOverAskedRequests : BENCH_DEFAULTS.overAskedRequests,
    },
  };
}

/** Accepts 1000000 and 1_000_000; anything else is undefined. */
function wholeNumber(text: string): number | undefined {
  if (!/^\d+(_\d+)*$/.test(text)) return undefined;
  const value = Number(text.replaceAll('_', ''));
  return Number.isSafeInteger(value) ? value : undefined;
}
