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
  /** Incremental night: customers (no duplicates), and with --quick. Night 2 changes 1% of them. */
  nightCustomers: 2_000_000,
  quickNightCustomers: 200_000,
  /** Night 1 (the seed, untimed): as fast as the emulator takes them. */
  seedConcurrency: 8,
  seedBatchSize: 2_000,
  /** The moonshot (--moonshot): customers, and the API's and the CLI's pace on night 2. */
  moonshotCustomers: 10_000_000,
  moonshotApiRate: 10,
  moonshotBatchSize: 500,
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
  /** Incremental night: wall time ≤ this × a validate of the same file, and peak RSS. */
  nightRatio: 2,
  nightPeakRssMb: 400,
  /** The moonshot, end to end. */
  moonshotSeconds: 90,
} as const;

export interface BenchOptions {
  rows: number;
  quick: boolean;
  /** Rows of the id-index file; undefined when that phase is skipped (--quick). */
  indexIds: number | undefined;
  rateRequests: number;
  overAskedRequests: number;
  /** Customers of the incremental night. */
  nightCustomers: number;
  /** Customers of the moonshot; undefined unless --moonshot. */
  moonshotCustomers: number | undefined;
  /** Where night 2's CPU profiles go (--cpu-prof DIR); undefined: not profiled. */
  profileDir: string | undefined;
  /** --only-incremental: skip the phases before the incremental ones. */
  onlyIncremental: boolean;
}

export type ParsedArgs = { ok: true; options: BenchOptions } | { ok: true; help: true } | { ok: false; problem: string };

export const USAGE = `Usage: npm run bench -- [--rows N] [--quick] [--night-customers N] [--moonshot [--moonshot-customers N]] [--cpu-prof DIR] [--only-incremental]

  --rows N                rows of the generated wide file (default ${BENCH_DEFAULTS.rows}; ${BENCH_DEFAULTS.quickRows} with --quick)
  --quick                 smaller files, fewer rate-check requests, and no 10M-id index run (under a minute)
  --night-customers N     customers of the incremental night (default ${BENCH_DEFAULTS.nightCustomers}; ${BENCH_DEFAULTS.quickNightCustomers} with --quick)
  --moonshot              also the moonshot: ${BENCH_DEFAULTS.moonshotCustomers} customers, 1% changed, an API allowing ${BENCH_DEFAULTS.moonshotApiRate} requests/s (minutes: seeds a 10M state)
  --moonshot-customers N  customers of the moonshot (implies --moonshot)
  --cpu-prof DIR          profile night 2 of the incremental phases (a second, untimed run) into DIR and summarise it
  --only-incremental      only the incremental phases
  --help                  this text`;

export function parseBenchArgs(argv: string[]): ParsedArgs {
  let values: {
    rows?: string;
    quick?: boolean;
    help?: boolean;
    'night-customers'?: string;
    moonshot?: boolean;
    'moonshot-customers'?: string;
    'cpu-prof'?: string;
    'only-incremental'?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        rows: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean' },
        'night-customers': { type: 'string' },
        moonshot: { type: 'boolean' },
        'moonshot-customers': { type: 'string' },
        'cpu-prof': { type: 'string' },
        'only-incremental': { type: 'boolean' },
      },
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
  const nightText = values['night-customers'];
  const nightCustomers = nightText === undefined ? (quick ? BENCH_DEFAULTS.quickNightCustomers : BENCH_DEFAULTS.nightCustomers) : wholeNumber(nightText);
  // At least one customer in a hundred must change on night 2.
  if (nightCustomers === undefined || nightCustomers < 100) return { ok: false, problem: `--night-customers must be a whole number of at least 100 (got '${nightText}')` };
  const moonText = values['moonshot-customers'];
  const moonshotCustomers = moonText === undefined ? (values.moonshot ? BENCH_DEFAULTS.moonshotCustomers : undefined) : wholeNumber(moonText);
  if (moonText !== undefined && (moonshotCustomers === undefined || moonshotCustomers < 100)) {
    return { ok: false, problem: `--moonshot-customers must be a whole number of at least 100 (got '${moonText}')` };
  }
  if (values['cpu-prof'] === '') return { ok: false, problem: '--cpu-prof needs a directory' };
  return {
    ok: true,
    options: {
      rows,
      quick,
      indexIds: quick ? undefined : BENCH_DEFAULTS.indexIds,
      rateRequests: quick ? BENCH_DEFAULTS.quickRateRequests : BENCH_DEFAULTS.rateRequests,
      overAskedRequests: quick ? BENCH_DEFAULTS.quickOverAskedRequests : BENCH_DEFAULTS.overAskedRequests,
      nightCustomers,
      moonshotCustomers,
      profileDir: values['cpu-prof'],
      onlyIncremental: values['only-incremental'] ?? false,
    },
  };
}

/** Accepts 1000000 and 1_000_000; anything else is undefined. */
function wholeNumber(text: string): number | undefined {
  if (!/^\d+(_\d+)*$/.test(text)) return undefined;
  const value = Number(text.replaceAll('_', ''));
  return Number.isSafeInteger(value) ? value : undefined;
}
