/**
 * `report merge`: the reports of a sharded run's shards combined into one report, as if one process
 * had done the run. Validates everything it can before writing; writes every file atomically, and
 * summary.json last, so a directory with a summary.json holds a complete report.
 */
import path from 'node:path';
import { ChunkedOutput } from '../chunked-output.js';
import { REPORT_FILES } from '../../../core/report-files.js';
import { concatRejects, concatRetries } from './merge-retry.js';
import { mergeResults } from './merge-results.js';
import { mergeSummaries } from './merge-summary.js';
import { loadShardReports, type ShardReport } from './shard-reports.js';
import { writeSummary, type Summary } from '../summary.js';

/**
 * The merged summary. The directories are the user's input: one that is not mergeable (checked
 * up front, or a shard file found malformed while streaming) throws a UsageError naming it.
 */
export async function mergeReports(dirs: readonly string[], outDir: string): Promise<Summary> {
  const shards = await loadShardReports(dirs, outDir);
  const summary = mergeSummaries(shards.map((shard) => shard.summary));
  await writeMergedCsvs(shards, summary, outDir);
  await writeSummary(outDir, summary);
  return summary;
}

/** results.csv, retry.csv and rejects.csv, all committed or none: any error aborts the three and is rethrown. */
async function writeMergedCsvs(shards: readonly ShardReport[], summary: Summary, outDir: string): Promise<void> {
  const results = ChunkedOutput.create(path.join(outDir, REPORT_FILES.results));
  const retry = shards.some((shard) => shard.retryPath) ? ChunkedOutput.create(path.join(outDir, REPORT_FILES.retry)) : undefined;
  const rejects = shards.some((shard) => shard.rejectsPath) ? ChunkedOutput.create(path.join(outDir, REPORT_FILES.rejects)) : undefined;
  try {
    await mergeResults(shards, summary.inputs, results);
    if (retry) await concatRetries(shards, retry);
    if (rejects) await concatRejects(shards, rejects);
  } catch (error) {
    await Promise.all([results.abort(), retry?.abort(), rejects?.abort()]);
    throw error;
  }
  await results.commit();
  await retry?.commit();
  await rejects?.commit();
}
