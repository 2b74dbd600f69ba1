/**
 * `npm run bench`: generates its own data in a temp dir, measures every figure the issue asks for in
 * one run, and prints a table and a README snippet on stdout (progress notes go to stderr).
 * The machine is shared and noisy, so each figure is a ratio against a yardstick measured in the
 * same run; absolute numbers are printed only as context. All traffic stays on 127.0.0.1.
 *
 *   npm run bench -- [--only PHASE,...] [--quick] [--rows N] [--large N] [--night-customers N] [--moonshot] [--cpu-prof DIR]
 *   (= npm run build && npm run build:bench && node --expose-gc build/tools/bench/bench.js …)
 *
 * It is tooling, not product: tools/bench/ compiles to build/ (its own tsconfig) and measures the
 * real CLI, dist/cli.js, always as a child process.
 */
import os from 'node:os';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { benchEnv, type BenchEnv } from './env.js';
import { dryRun, measureDryRun } from './dry-run.js';
import { writeNarrowFile, writeWideFile, type GeneratedFacts } from './generate.js';
import { measureIdIndex, uniqueIdFile } from './id-index.js';
import { measureTwoNights, type TwoNightsFigures } from './incremental.js';
import { BENCH_DEFAULTS, parseBenchArgs, USAGE, type BenchOptions, type Phase } from './options.js';
import { measureOverAsked, measureRate } from './rate.js';
import { figureRows, markdownSnippet, textTable, type BenchFigures } from './report.js';
import { measureStartup } from './startup.js';
import { measureLargeSend, measureThroughput } from './throughput.js';
import { measureUnsortedLong } from './unsorted.js';

async function main(argv: string[]): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`bench: ${parsed.problem}\n${USAGE}\n`);
    return 2;
  }
  if ('help' in parsed) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'segment-sync-bench-'));
  try {
    const env = benchEnv(tmp);
    if (!existsSync(env.cli)) throw new Error(`${env.cli} is missing: run npm run build first`);
    const figures = await measureAll(env, parsed.options);
    const rows = figureRows(figures);
    process.stdout.write(`\n${textTable(rows)}\n\nFor the README:\n\n${markdownSnippet(rows, machine())}\n`);
    for (const [what, night] of [
      ['incremental night', figures.night],
      ['moonshot', figures.moonshot],
    ] as const) {
      if (night?.profile !== undefined)
        process.stdout.write(`\nCPU profile of the ${what}'s night 2 (a second, untimed run):\n${night.profile}\n`);
    }
    return 0;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The phases asked for, in order; each fills in its part of the figures. */
async function measureAll(env: BenchEnv, options: BenchOptions): Promise<BenchFigures> {
  const figures: BenchFigures = { skipped: options.skipped };
  const files = inputFiles(env, options.rows);
  const sending = { concurrency: BENCH_DEFAULTS.concurrency, batchSize: BENCH_DEFAULTS.batchSize, rate: 0 };
  const phases: Record<Phase, () => Promise<void>> = {
    startup: async () => {
      figures.startup = await measureStartup(env, BENCH_DEFAULTS.startupRepeats);
    },
    dry: async () => {
      const narrow = await files.narrow();
      const wide = await files.wide();
      figures.dry = {
        rows: options.rows,
        repeats: BENCH_DEFAULTS.repeats,
        narrow: await measureDryRun(env, narrow.file, narrow.facts, BENCH_DEFAULTS.repeats),
        wide: await measureDryRun(env, wide.file, wide.facts, BENCH_DEFAULTS.repeats),
      };
    },
    index: async () => {
      const large = options.largeCustomers;
      figures.idIndex = await measureIdIndex(env, Math.min(BENCH_DEFAULTS.indexBaselineIds, Math.floor(large / 10)), large);
    },
    unsorted: async () => {
      figures.unsorted = await measureUnsortedLong(env, options.largeCustomers);
    },
    send: async () => {
      const wide = await files.wide();
      const dryPeakRssMb = figures.dry?.wide.peakRssMb ?? (await dryRun(env, wide.file, wide.facts)).finished.peakRssMb;
      figures.throughput = await measureThroughput(env, wide.file, wide.facts, sending, BENCH_DEFAULTS.sendRepeats, dryPeakRssMb);
    },
    'send-10m': async () => {
      const unique = await uniqueIdFile(env, options.largeCustomers);
      figures.largeSend = await measureLargeSend(env, unique.file, unique.facts, sending);
    },
    rate: async () => {
      figures.rate = await measureRate(env, options.rateRequests, {
        concurrency: BENCH_DEFAULTS.rateConcurrency,
        batchSize: BENCH_DEFAULTS.rateBatchSize,
        rate: BENCH_DEFAULTS.rate,
      });
    },
    'over-asked': async () => {
      figures.overAsked = await measureOverAsked(env, options.overAskedRequests, BENCH_DEFAULTS.overAskedApiRate, {
        concurrency: BENCH_DEFAULTS.overAskedConcurrency,
        batchSize: 1,
        rate: BENCH_DEFAULTS.overAskedRate,
      });
    },
    night: async () => {
      figures.night = await measureTwoNights(env, {
        label: 'night',
        customers: options.nightCustomers,
        night1Order: 'generated',
        night2Order: 'shuffled',
        seed: { concurrency: BENCH_DEFAULTS.seedConcurrency, batchSize: BENCH_DEFAULTS.seedBatchSize, rate: 0 },
        night2: { concurrency: BENCH_DEFAULTS.concurrency, batchSize: BENCH_DEFAULTS.batchSize, rate: 0 },
        ...(options.profileDir !== undefined && { profileDir: options.profileDir }),
      });
    },
    moonshot: async () => {
      figures.moonshot = await measureMoonshot(env, options.moonshotCustomers, options.profileDir);
    },
  };
  for (const phase of options.phases) {
    env.say(`phase ${phase}`);
    await phases[phase]();
  }
  return figures;
}

type Generated = { file: string; facts: GeneratedFacts };

/** The narrow and wide files of `rows` rows, each generated on first use and shared by the phases. */
function inputFiles(env: BenchEnv, rows: number): { narrow: () => Promise<Generated>; wide: () => Promise<Generated> } {
  const spec = { rows, duplicateShare: BENCH_DEFAULTS.duplicateShare, seed: BENCH_DEFAULTS.seed };
  const once = (name: string, write: (file: string) => Promise<GeneratedFacts>): (() => Promise<Generated>) => {
    let made: Promise<Generated> | undefined;
    return () =>
      (made ??= (async () => {
        const file = path.join(env.tmp, `${name}.csv`);
        env.say(`generating ${rows.toLocaleString('en-US')} rows (${name} layout, ~${BENCH_DEFAULTS.duplicateShare * 100}% duplicates)`);
        return { file, facts: await write(file) };
      })());
  };
  return { narrow: once('narrow', (file) => writeNarrowFile(file, spec)), wide: once('wide', (file) => writeWideFile(file, spec)) };
}

/**
 * Seeding a 10M state through a real first night is slow when the acknowledgements are recorded in
 * random id order (~27 µs a customer), far less in id order: night 1 lists the ids sorted, as many
 * real exports do, and night 2 keeps that order.
 */
function measureMoonshot(env: BenchEnv, customers: number, profileDir: string | undefined): Promise<TwoNightsFigures> {
  const api = BENCH_DEFAULTS.moonshotApiRate;
  return measureTwoNights(env, {
    label: 'moonshot',
    customers,
    night1Order: 'sorted',
    night2Order: 'sorted',
    seed: { concurrency: BENCH_DEFAULTS.seedConcurrency, batchSize: BENCH_DEFAULTS.seedBatchSize, rate: 0 },
    night2: { concurrency: BENCH_DEFAULTS.concurrency, batchSize: BENCH_DEFAULTS.moonshotBatchSize, rate: api },
    night2Faults: { rateLimit: api },
    ...(profileDir !== undefined && { profileDir }),
  });
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, ${os.platform()}`;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
