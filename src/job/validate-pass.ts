/**
 * Pass 1: reads and checks the whole input before anything is sent, and records every first
 * occurrence in the id index. In a dry run this pass is the whole job and writes results.csv.
 */
import type { RunConfig } from '../config/run-options.js';
import { exceeds, formatThreshold } from '../config/threshold.js';
import { DEFAULTS } from '../config/defaults.js';
import { readInputs, type FileFacts, type InputFile, type InputOptions } from '../input/index.js';
import { classify, type IdIndex } from '../dedupe/index.js';
import { ResultsWriter } from '../report/index.js';
import type { Counts, InputRow } from '../types.js';
import { countRow, emptyCounts, recordCount } from './tally.js';
import { resultRows } from './result-rows.js';
import type { ProgressState } from './progress.js';
import type { JobContext } from './context.js';

export interface ValidateResult {
  counts: Counts;
  facts: FileFacts[];
  rejection?: string;
}

/** Pass 1: reads everything once, builds the index; in a dry run it also writes results.csv. */
export async function validatePass(ctx: JobContext, files: InputFile[], index: IdIndex, progress: ProgressState): Promise<ValidateResult> {
  const { config } = ctx;
  const facts: FileFacts[] = [];
  const all = { rows: 0, invalid: 0 };
  const counted = countAllRows(readInputs(files, readOptions(config), facts), all);
  const rows = classify(counted, { ids: index, mode: 'record', shard: config.shard });
  const writer = config.dryRun ? ResultsWriter.open(config.reportDir, files.map((f) => f.display)) : undefined;
  const counts = emptyCounts();
  try {
    for await (const row of rows) {
      countRow(counts, row);
      progress.rowsRead = all.rows;
      if (writer) for (const result of resultRows(row, undefined, files)) await writer.write(result);
    }
    await writer?.commit();
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  // The guard looks at every row of the input, not just this shard's, so all shards decide alike.
  const rejection = exceeds(config.maxInvalid, all.invalid, all.rows)
    ? `${all.invalid} of ${all.rows} rows are invalid, more than --max-invalid ${formatThreshold(config.maxInvalid)}; see results.csv. Nothing was sent.`
    : undefined;
  return { counts, facts, rejection };
}

/** Counts every row read (before shard filtering) and the invalid ones not skipped on purpose. */
async function* countAllRows(rows: AsyncIterable<InputRow>, all: { rows: number; invalid: number }): AsyncGenerator<InputRow> {
  for await (const row of rows) {
    const records = recordCount(row);
    all.rows += records;
    if (row.invalid !== undefined && !row.skipped) all.invalid += records;
    yield row;
  }
}

/** For a rejected run: results.csv still says what became of every row. */
export async function writeUnsentReport(ctx: JobContext, files: InputFile[], index: IdIndex, why: string): Promise<void> {
  const { config } = ctx;
  const writer = ResultsWriter.open(config.reportDir, files.map((f) => f.display));
  try {
    for await (const row of classify(readInputs(files, readOptions(config), []), { ids: index, mode: 'replay', shard: config.shard })) {
      for (const result of resultRows(row, undefined, files, why)) await writer.write(result);
    }
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** How the input stage reads the files, from the run's options (identical in both passes). */
export function readOptions(config: RunConfig): InputOptions {
  return {
    idColumn: config.idColumn,
    delimiter: config.delimiter,
    layout: config.layout,
    skipEmpty: config.skipEmpty,
    maxRecordBytes: config.maxRecordBytes,
    maxFields: DEFAULTS.maxFields,
  };
}
