/**
 * The report directories given to `report merge`, read and checked before anything is written. The
 * directories are user input: every problem throws a UsageError (exit 2) naming the directory.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../core/errors.js';
import { REPORT_FILES } from '../../../core/report-files.js';
import { parseSummary } from '../summary-parse.js';
import type { Summary } from '../summary.js';

export interface ShardReport {
  dir: string;
  summary: Summary;
  resultsPath: string;
  /** Undefined when nothing failed in that shard. */
  retryPath?: string;
  /** Undefined when the endpoint rejected no customer of that shard. */
  rejectsPath?: string;
}

const mergeError = (message: string): UsageError => new UsageError(`report merge: ${message}`, 'REPORT_MERGE');

export async function loadShardReports(dirs: readonly string[], outDir: string): Promise<ShardReport[]> {
  const problem = (await checkOutDir(outDir)) ?? repeatedDir(dirs);
  if (problem) throw problem;
  const shards: ShardReport[] = [];
  for (const dir of dirs) shards.push(await loadShardReport(dir));
  const mismatch = sameInputs(shards) ?? distinctShards(shards);
  if (mismatch) throw mismatch;
  return shards;
}

async function loadShardReport(dir: string): Promise<ShardReport> {
  if (!(await isDirectory(dir))) throw mergeError(`${dir} is not a directory`);
  const summaryPath = path.join(dir, REPORT_FILES.summary);
  const text = await fs.readFile(summaryPath, 'utf8').catch(() => undefined);
  if (text === undefined) throw mergeError(`${dir} has no readable ${REPORT_FILES.summary}: is it a report directory?`);
  const parsed = parseSummary(text);
  if (!parsed.ok) throw mergeError(`${summaryPath}: ${parsed.error}`);
  const summary = parsed.value;
  const resultsPath = path.join(dir, REPORT_FILES.results);
  if (!(await isFile(resultsPath))) throw mergeError(`${dir} has no ${REPORT_FILES.results}`);
  const retryPath = path.join(dir, REPORT_FILES.retry);
  const rejectsPath = path.join(dir, REPORT_FILES.rejects);
  return {
    dir,
    summary,
    resultsPath,
    ...((await isFile(retryPath)) && { retryPath }),
    ...((await isFile(rejectsPath)) && { rejectsPath }),
  };
}

/** Writing over an existing report would mix old and new files (a stale retry.csv, say). */
async function checkOutDir(outDir: string): Promise<UsageError | undefined> {
  const existing = path.join(outDir, REPORT_FILES.summary);
  return (await isFile(existing)) ? mergeError(`--out ${outDir} already holds a report; choose a new directory`) : undefined;
}

/** The same directory twice would count its rows twice. */
function repeatedDir(dirs: readonly string[]): UsageError | undefined {
  const seen = new Set<string>();
  for (const dir of dirs) {
    const resolved = path.resolve(dir);
    if (seen.has(resolved)) return mergeError(`${dir} is given more than once`);
    seen.add(resolved);
  }
  return undefined;
}

/** Shards of one run read the same files: their content hashes must agree, in order. */
function sameInputs(shards: readonly ShardReport[]): UsageError | undefined {
  const [first, ...rest] = shards;
  if (!first) return mergeError('give at least one report directory');
  const expected = first.summary.inputs.map((input) => input.sha256).join(',');
  const stray = rest.find((shard) => shard.summary.inputs.map((input) => input.sha256).join(',') !== expected);
  return stray && mergeError(`${stray.dir} was made from different inputs than ${first.dir} (their sha256 differ)`);
}

/** Two reports of the same shard would count its rows twice; different shard counts are different runs. */
function distinctShards(shards: readonly ShardReport[]): UsageError | undefined {
  const seen = new Map<number, string>();
  let count: number | undefined;
  for (const { dir, summary } of shards) {
    if (!summary.shard) continue;
    count ??= summary.shard.count;
    if (summary.shard.count !== count) return mergeError(`${dir} is shard ${label(summary)} but others were split ${count} ways`);
    const other = seen.get(summary.shard.index);
    if (other !== undefined) return mergeError(`${dir} and ${other} are both shard ${label(summary)}`);
    seen.set(summary.shard.index, dir);
  }
  return undefined;
}

function label({ shard }: Summary): string {
  return shard ? `${shard.index}/${shard.count}` : 'unsharded';
}

async function isDirectory(target: string): Promise<boolean> {
  return (await fs.stat(target).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(target: string): Promise<boolean> {
  return (await fs.stat(target).catch(() => undefined))?.isFile() ?? false;
}
