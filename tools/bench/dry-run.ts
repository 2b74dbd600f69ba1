/**
 * Phase `dry`: the dry run (`segment-sync validate`) against one raw csv-parse pass over the same
 * file, both as child processes so both pay Node's start-up. They alternate, so that a noisy
 * neighbour slows both alike, and the medians are compared.
 */
import { rm } from 'node:fs/promises';
import { checkCounts } from './counts-check.js';
import { scratch, type BenchEnv } from './env.js';
import { runFinished, runNodeOk, type RunFinished } from './child.js';
import type { FileFacts } from './generate.js';
import { median } from './stats.js';

export interface DryRunFigures {
  dryMs: number;
  rawMs: number;
  /** dryMs / rawMs. */
  ratio: number;
  /** Highest peak RSS of the dry runs. */
  peakRssMb: number;
  rawPeakRssMb: number;
}

export interface DryRun {
  wallMs: number;
  finished: RunFinished;
}

/** One `segment-sync validate`, its report written to a scratch dir that is removed afterwards. */
export async function dryRun(env: BenchEnv, file: string, facts: FileFacts): Promise<DryRun> {
  const reportDir = await scratch(env, 'dry-run-report');
  try {
    const run = await runNodeOk(env.cli, ['validate', file, '--report-dir', reportDir, '--log-format', 'json'], 'segment-sync validate');
    const finished = runFinished(run.stdout);
    checkCounts('dry run', finished, facts, false);
    return { wallMs: run.wallMs, finished };
  } finally {
    await rm(reportDir, { recursive: true, force: true });
  }
}

interface RawParse {
  wallMs: number;
  records: number;
  peakRssMb: number;
}

async function rawParse(env: BenchEnv, file: string, facts: FileFacts): Promise<RawParse> {
  const run = await runNodeOk(env.rawParse, [file], 'raw csv-parse');
  const { records, peakRssMb } = JSON.parse(run.stdout) as { records: number; peakRssMb: number };
  // The header is a record too.
  if (records !== facts.rows + 1) throw new Error(`raw csv-parse read ${records} records, the file holds ${facts.rows + 1}`);
  return { wallMs: run.wallMs, records, peakRssMb };
}

export async function measureDryRun(env: BenchEnv, file: string, facts: FileFacts, repeats: number): Promise<DryRunFigures> {
  const raws: RawParse[] = [];
  const dries: DryRun[] = [];
  for (let i = 1; i <= repeats; i++) {
    env.say(`dry run vs raw csv-parse, round ${i} of ${repeats}`);
    raws.push(await rawParse(env, file, facts));
    dries.push(await dryRun(env, file, facts));
  }
  const dryMs = median(dries.map((d) => d.wallMs));
  const rawMs = median(raws.map((r) => r.wallMs));
  return {
    dryMs,
    rawMs,
    ratio: dryMs / rawMs,
    peakRssMb: Math.max(...dries.map((d) => d.finished.peakRssMb)),
    rawPeakRssMb: Math.max(...raws.map((r) => r.peakRssMb)),
  };
}
