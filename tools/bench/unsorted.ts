/**
 * The long layout's memory when a customer's rows are spread over the whole file: a dry run of an
 * unsorted long file (generate.ts longUnsortedLines: every customer 3 rows, shuffled). The CLI must
 * gather each customer's rows before judging it; its peak RSS is the figure.
 */
import { rm } from 'node:fs/promises';
import { dryRun } from './dry-run.js';
import { scratch, type BenchEnv } from './env.js';
import { writeLongUnsortedFile } from './generate.js';
import { BENCH_DEFAULTS } from './options.js';

export interface UnsortedFigures {
  customers: number;
  rows: number;
  wallMs: number;
  peakRssMb: number;
}

export async function measureUnsortedLong(env: BenchEnv, customers: number): Promise<UnsortedFigures> {
  const file = await scratch(env, 'long-unsorted.csv');
  try {
    env.say(`generating an unsorted long file: ${customers.toLocaleString('en-US')} customers × 3 rows, shuffled`);
    const facts = await writeLongUnsortedFile(file, customers, BENCH_DEFAULTS.seed);
    env.say(`dry run over ${facts.rows.toLocaleString('en-US')} unsorted long rows`);
    const { wallMs, finished } = await dryRun(env, file, facts);
    return { customers, rows: facts.rows, wallMs, peakRssMb: finished.peakRssMb };
  } finally {
    await rm(file, { force: true });
  }
}
