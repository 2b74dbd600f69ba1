/**
 * `npm run bench`: generates its own data in a temp dir, measures every figure the issue asks for in
 * one run, and prints a table and a README snippet on stdout (progress notes go to stderr).
 * The machine is shared and noisy, so each figure is a ratio against a yardstick measured in the
 * same run; absolute numbers are printed only as context. All traffic stays on 127.0.0.1.
 *
 *   node --expose-gc build/tools/bench/bench.js [--rows N] [--quick] [--night-customers N] [--moonshot] [--cpu-prof DIR]
 */
import os from 'node:os';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { benchEnv, type BenchEnv } from './env.js';
import { measureDryRun } from './dry-run.js';
import { writeWideFile } from './generate.js';
import { measureIdIndex } from './id-index.js';
import { measureTwoNights, type TwoNightsFigures } from './incremental.js';
import { BENCH_DEFAULTS, parseBenchArgs, USAGE, type BenchOptions } from './options.js';
import { measureOverAsked, measureRate } from './rate.js';
import { figureRows, markdownSnippet, textTable, type BenchFigures, type ClassicFigures } from './report.js';
import { measureThroughput } from './throughput.js';

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
    for (const [what, night] of [['incremental night', figures.night], ['moonshot', figures.moonshot]] as const) {
      if (night?.profile !== undefined) process.stdout.write(`\nCPU profile of the ${what}'s night 2 (a second, untimed run):\n${night.profile}\n`);
    }
    return 0;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function measureAll(env: BenchEnv, options: BenchOptions): Promise<BenchFigures> {
  const classic = options.onlyIncremental ? undefined : await measureClassic(env, options);
  const night = await measureTwoNights(env, {
    label: 'night',
    customers: options.nightCustomers,
    night1Order: 'generated',
    night2Order: 'shuffled',
    seed: { concurrency: BENCH_DEFAULTS.seedConcurrency, batchSize: BENCH_DEFAULTS.seedBatchSize, rate: 0 },
    night2: { concurrency: BENCH_DEFAULTS.concurrency, batchSize: BENCH_DEFAULTS.batchSize, rate: 0 },
    ...(options.profileDir !== undefined && { profileDir: options.profileDir }),
  });
  const moonshot = options.moonshotCustomers === undefined ? undefined : await measureMoonshot(env, options.moonshotCustomers, options.profileDir);
  return { ...(classic && { classic }), night, ...(moonshot && { moonshot }) };
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

async function measureClassic(env: BenchEnv, options: BenchOptions): Promise<ClassicFigures> {
  const file = path.join(env.tmp, 'wide.csv');
  env.say(`generating ${options.rows.toLocaleString('en-US')} rows (wide layout, ~${BENCH_DEFAULTS.duplicateShare * 100}% duplicates)`);
  const facts = await writeWideFile(file, { rows: options.rows, duplicateShare: BENCH_DEFAULTS.duplicateShare, seed: BENCH_DEFAULTS.seed });
  const dryRun = await measureDryRun(env, file, facts, BENCH_DEFAULTS.repeats);
  const idIndex = options.indexIds === undefined ? undefined : await measureIdIndex(env, BENCH_DEFAULTS.indexBaselineIds, options.indexIds);
  const sending = { concurrency: BENCH_DEFAULTS.concurrency, batchSize: BENCH_DEFAULTS.batchSize, rate: 0 };
  const throughput = await measureThroughput(env, file, facts, sending);
  const rate = await measureRate(env, options.rateRequests, {
    concurrency: BENCH_DEFAULTS.rateConcurrency,
    batchSize: BENCH_DEFAULTS.rateBatchSize,
    rate: BENCH_DEFAULTS.rate,
  });
  const overAsked = await measureOverAsked(env, options.overAskedRequests, BENCH_DEFAULTS.overAskedApiRate, {
    concurrency: BENCH_DEFAULTS.overAskedConcurrency,
    batchSize: 1,
    rate: BENCH_DEFAULTS.overAskedRate,
  });
  return {
    rows: options.rows,
    repeats: BENCH_DEFAULTS.repeats,
    dryRun,
    ...(idIndex && { idIndex }),
    throughput: { ...throughput, concurrency: sending.concurrency, batchSize: sending.batchSize },
    rate,
    overAsked,
  };
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
