/**
 * `report merge`: the reports of a sharded run's shards combined into one report, as if one process
 * had done the run. Validates everything it can before writing; writes every file atomically, and
 * summary.json last, so a directory with a summary.json holds a complete report.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { ChunkedOutput } from './chunked-output.js';
import { REPORT_FILES } from './files.js';
import { concatRejects, concatRetries } from './merge-retry.js';
import { mergeResults } from './merge-results.js';
import { mergeSummaries } from './merge-summary.js';
import { loadShardReports, type ShardReport } from './shard-reports.js';
import { writeSummary, type Summary } from './summary.js';

/** The merged summary, or a UsageError naming the directory or file that is not mergeable. */
export async function mergeReports(dirs: readonly string[], outDir: string): Promise<Summary | UsageError> {
  const shards = await loadShardReports(dirs, outDir);
  if (shards instanceof UsageError) return shards;
  const summary = mergeSummaries(shards.map((shard) => shard.summary));
  const failure = await writeMergedCsvs(shards, summary, outDir);
  if (failure) return failure;
  await writeSummary(outDir, summary);
  return summary;
}

/** results.csv, retry.csv and rejects.csv, all committed or none. A shard file found malformed
 *  while streaming comes back as a UsageError value; any other error is thrown. */
async function writeMergedCsvs(shards: readonly ShardReport[], summary: Summary, outDir: string): Promise<UsageError | undefined> {
  const results = ChunkedOutput.create(path.join(outDir, REPORT_FILES.results));
  const retry = shards.some((shard) => shard.retryPath) ? ChunkedOutput.create(path.join(outDir, REPORT_FILES.retry)) : undefined;
  const rejects = shards.some((shard) => shard.rejectsPath) ? ChunkedOutput.create(path.join(outDir, REPORT_FILES.rejects)) : undefined;
  try {
    await mergeResults(shards, summary.inputs, results);
    if (retry) await concatRetries(shards, retry);
    if (rejects) await concatRejects(shards, rejects);
  } catch (error) {
    await Promise.all([results.abort(), retry?.abort(), rejects?.abort()]);
    if (error instanceof UsageError) return error;
    throw error;
  }
  await results.commit();
  await retry?.commit();
  await rejects?.commit();
  return undefined;
}
