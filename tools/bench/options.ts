/**
 * The benchmark's options: every default and target in one place, and the parsing of its few flags.
 * Problems come back as a value naming the flag and the bad value, for bench.ts to print.
 */
import { parseArgs } from 'node:util';

export const BENCH_DEFAULTS = {
  /** Rows of the main wide file and of the narrow file (dry runs, throughput). */
  rows: 1_000_000,
  /** Rows with --quick: enough to dwarf Node start-up, small enough for a one-minute run. */
  quickRows: 200_000,
  /** Share of rows that repeat an earlier id. */
  duplicateShare: 0.05,
  /** Seed of the data generator, so two runs measure the same files. */
  seed: 42,
  /** Dry runs and raw parses each, alternated; the medians are compared. */
  repeats: 3,
  /** Send runs and baseline processes each, alternated; the medians are compared. */
  sendRepeats: 3,
  /** Start-up: rounds of node -e 0, --help and a validate of a file of `startupRows` rows. */
  startupRepeats: 5,
  startupRows: 10,
  /**
   * Customers of the large phases: distinct ids of the id-index dry run and of the large send run
   * (one file for both), and customers of the unsorted long file (three rows each). Their targets
   * are set for 10M.
   */
  largeCustomers: 10_000_000,
  /** Distinct ids of the smaller file the id index is compared with (at most a tenth of --large). */
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
  /** Dry run ÷ one raw csv-parse pass, on the narrow and on the wide file. */
  dryRunRatio: 1.5,
  indexPeakRssMb: 300,
  /** Whole send run ÷ the baseline process, customers per second: at least. */
  wholeRunRatio: 0.8,
  /** Send run peak RSS ÷ dry run peak RSS on the same file: at most. */
  sendRssRatio: 1.3,
  /** Send run peak RSS at 10M distinct customers. */
  largeSendPeakRssMb: 400,
  /** Dry run peak RSS of the unsorted long file. */
  unsortedPeakRssMb: 500,
  /** `--help` and a validate of a 10-row file, spawn to exit ("well under 1 s"). */
  startupSeconds: 0.5,
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

/**
 * The phases, in the order they run (the table of figures keeps its own order, report.ts). The
 * two timing checks (rate, over-asked) run before the 10M phases: run after them, the rate check's
 * emulator saw arrival gaps of 60-240 ms followed by 3-4 requests within 2 ms (5 of 8 runs:
 * 0.945-0.984x, up to 52 in a second), a stall on the receiving side (after a pause the scheduler
 * restarts one interval at a time, it cannot burst), and never in 14 runs on their own (README,
 * Performance).
 */
export const PHASES = ['startup', 'dry', 'rate', 'over-asked', 'index', 'unsorted', 'send', 'send-10m', 'night', 'moonshot'] as const;
export type Phase = (typeof PHASES)[number];
/** Phases of 10M customers: --quick skips them unless --only names them. */
const LARGE_PHASES: readonly Phase[] = ['index', 'unsorted', 'send-10m'];

export interface Skipped {
  phase: Phase;
  /** How to get it, e.g. 'skipped (--quick)'. */
  reason: string;
}

export interface BenchOptions {
  /** Rows of the generated wide and narrow files. */
  rows: number;
  /** Customers of the large phases (index, unsorted, send-10m). */
  largeCustomers: number;
  quick: boolean;
  /** The phases to run, in PHASES order. */
  phases: Phase[];
  /** Phases left out by --quick or because the moonshot was not asked for (printed as skipped). */
  skipped: Skipped[];
  rateRequests: number;
  overAskedRequests: number;
  /** Customers of the incremental night. */
  nightCustomers: number;
  /** Customers of the moonshot. */
  moonshotCustomers: number;
  /** Where night 2's CPU profiles go (--cpu-prof DIR); undefined: not profiled. */
  profileDir: string | undefined;
}

export type ParsedArgs = { ok: true; options: BenchOptions } | { ok: true; help: true } | { ok: false; problem: string };

export const USAGE = `Usage: npm run bench -- [--only PHASE,...] [--quick] [--rows N] [--large N] [--night-customers N] [--moonshot [--moonshot-customers N]] [--cpu-prof DIR]

  --only PHASE,...        run only these phases (below); it runs the moonshot, and with --quick
                          the 10M phases, when it names them
  --quick                 smaller files, fewer rate-check requests, no 10M phases (${LARGE_PHASES.join(', ')}): a few minutes
  --rows N                rows of the generated wide and narrow files (default ${BENCH_DEFAULTS.rows}; ${BENCH_DEFAULTS.quickRows} with --quick)
  --large N               customers of the 10M phases (default ${BENCH_DEFAULTS.largeCustomers}; their targets are for 10M: a smaller N only checks they run)
  --night-customers N     customers of the incremental night (default ${BENCH_DEFAULTS.nightCustomers}; ${BENCH_DEFAULTS.quickNightCustomers} with --quick)
  --moonshot              also the moonshot: ${BENCH_DEFAULTS.moonshotCustomers} customers, 1% changed, an API allowing ${BENCH_DEFAULTS.moonshotApiRate} requests/s (minutes: seeds a 10M state)
  --moonshot-customers N  customers of the moonshot (implies --moonshot)
  --cpu-prof DIR          profile night 2 of the incremental phases (a second, untimed run) into DIR and summarise it
  --only-incremental      the same as --only night (and moonshot, with --moonshot)
  --help                  this text

Phases: startup (--help and a 10-row validate vs node -e 0), dry (dry run vs raw csv-parse, narrow
and wide file), index (10M distinct ids, dry run), unsorted (10M × 3 shuffled long rows, dry run),
send (whole send run vs a baseline process, sending phase, peak RSS vs the dry run), send-10m (send
run of 10M distinct customers), rate (--rate 50), over-asked (adaptive pace vs a 30/s API), night
(incremental night), moonshot (10M customers, API at 10/s).`;

export function parseBenchArgs(argv: string[]): ParsedArgs {
  let values: {
    rows?: string;
    large?: string;
    quick?: boolean;
    help?: boolean;
    only?: string[];
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
        large: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean' },
        only: { type: 'string', multiple: true },
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
  const largeCustomers = values.large === undefined ? BENCH_DEFAULTS.largeCustomers : wholeNumber(values.large);
  if (largeCustomers === undefined || largeCustomers < 1000)
    return { ok: false, problem: `--large must be a whole number of at least 1000 (got '${values.large}')` };
  const nightText = values['night-customers'];
  const nightCustomers =
    nightText === undefined ? (quick ? BENCH_DEFAULTS.quickNightCustomers : BENCH_DEFAULTS.nightCustomers) : wholeNumber(nightText);
  // At least one customer in a hundred must change on night 2.
  if (nightCustomers === undefined || nightCustomers < 100)
    return { ok: false, problem: `--night-customers must be a whole number of at least 100 (got '${nightText}')` };
  const moonText = values['moonshot-customers'];
  const moonshotCustomers = moonText === undefined ? BENCH_DEFAULTS.moonshotCustomers : wholeNumber(moonText);
  if (moonshotCustomers === undefined || moonshotCustomers < 100) {
    return { ok: false, problem: `--moonshot-customers must be a whole number of at least 100 (got '${moonText}')` };
  }
  if (values['cpu-prof'] === '') return { ok: false, problem: '--cpu-prof needs a directory' };
  const moonshotAsked = values.moonshot === true || moonText !== undefined;
  const only = parseOnly(values.only, values['only-incremental'] ?? false, moonshotAsked);
  if (!only.ok) return only;
  const { phases, skipped } = choosePhases(only.phases, quick, moonshotAsked);
  return {
    ok: true,
    options: {
      rows,
      largeCustomers,
      quick,
      phases,
      skipped,
      rateRequests: quick ? BENCH_DEFAULTS.quickRateRequests : BENCH_DEFAULTS.rateRequests,
      overAskedRequests: quick ? BENCH_DEFAULTS.quickOverAskedRequests : BENCH_DEFAULTS.overAskedRequests,
      nightCustomers,
      moonshotCustomers,
      profileDir: values['cpu-prof'],
    },
  };
}

/** The phases --only (repeatable, comma-separated) names, or undefined for all of them. */
function parseOnly(
  lists: string[] | undefined,
  onlyIncremental: boolean,
  moonshotAsked: boolean,
): { ok: true; phases: Phase[] | undefined } | { ok: false; problem: string } {
  const names = (lists ?? [])
    .flatMap((list) => list.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (onlyIncremental) names.push('night', ...(moonshotAsked ? ['moonshot'] : []));
  if (lists !== undefined && names.length === 0)
    return { ok: false, problem: `--only needs at least one phase (any of: ${PHASES.join(', ')})` };
  const unknown = names.filter((name) => !(PHASES as readonly string[]).includes(name));
  if (unknown.length > 0) return { ok: false, problem: `--only: no phase named '${unknown.join("', '")}' (any of: ${PHASES.join(', ')})` };
  return { ok: true, phases: names.length === 0 ? undefined : (names as Phase[]) };
}

/**
 * What runs: the phases named (in PHASES order), or all but the moonshot (unless asked for) and,
 * with --quick, all but the 10M phases. Phases left out for those two reasons are listed as
 * skipped, with how to run them; phases --only left out are not mentioned.
 */
export function choosePhases(
  named: readonly Phase[] | undefined,
  quick: boolean,
  moonshotAsked: boolean,
): { phases: Phase[]; skipped: Skipped[] } {
  if (named !== undefined) return { phases: PHASES.filter((phase) => named.includes(phase)), skipped: [] };
  const phases: Phase[] = [];
  const skipped: Skipped[] = [];
  for (const phase of PHASES) {
    if (phase === 'moonshot' && !moonshotAsked) skipped.push({ phase, reason: 'skipped (npm run bench -- --moonshot)' });
    else if (quick && LARGE_PHASES.includes(phase)) skipped.push({ phase, reason: `skipped (--quick; npm run bench -- --only ${phase})` });
    else phases.push(phase);
  }
  return { phases, skipped };
}
/** Accepts 1000000 and 1_000_000; anything else is undefined. */
function wholeNumber(text: string): number | undefined {
  if (!/^\d+(_\d+)*$/.test(text)) return undefined;
  const value = Number(text.replaceAll('_', ''));
  return Number.isSafeInteger(value) ? value : undefined;
}
