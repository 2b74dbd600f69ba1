/**
 * Pass 1: reads and checks the whole input before anything is sent, and records every first
 * occurrence in the id index. In a dry run this pass is the whole job and writes results.csv.
 *
 * Rows come in chunks (the rows of one chunk of input bytes) and each chunk is handled in plain
 * synchronous loops: one await per chunk, none per row. Nothing is sent from this pass, so the rows
 * are read without building their segments.
 */
import type { RunConfig } from '../config/run-options.js';
import { exceeds, formatThreshold } from '../config/threshold.js';
import { DEFAULTS } from '../config/defaults.js';
import { readInputs, type FileFacts, type InputFile, type InputOptions } from '../input/index.js';
import { Classifier } from '../dedupe/classify.js';
import type { IdIndex } from '../dedupe/index.js';
import { ResultsWriter } from '../report/index.js';
import type { Counts } from '../types.js';
import { countRows, emptyCounts, tallyRead, type ReadTally } from './tally.js';
import { writeUnsentResults } from './result-rows.js';
import type { ProgressState } from './progress.js';
import type { JobContext } from './context.js';

export interface ValidateResult {
  counts: Counts;
  facts: FileFacts[];
  rejection?: string;
  /** A stop signal came while validating: nothing was sent, and the pass ended early. */
  stopped?: true;
}

/** Pass 1: reads everything once, builds the index; in a dry run it also writes results.csv. */
export async function validatePass(ctx: JobContext, files: InputFile[], index: IdIndex, progress: ProgressState): Promise<ValidateResult> {
  const { config } = ctx;
  const facts: FileFacts[] = [];
  const all: ReadTally = { rows: 0, invalid: 0 };
  const classifier = new Classifier({ ids: index, mode: 'record', shard: config.shard });
  const writer = config.dryRun ? ResultsWriter.open(config.reportDir, files.map((f) => f.display)) : undefined;
  const counts = emptyCounts();
  try {
    for await (const chunk of readInputs(files, checkOptions(config), facts)) {
      // A big file takes a while to check; SIGTERM must not wait for the end of it.
      if (ctx.signals.stop.aborted) {
        await writer?.abort();
        return { counts, facts, stopped: true };
      }
      // Every row counts towards the guard (before shard filtering), so all shards decide alike.
      tallyRead(all, chunk);
      progress.rowsRead = all.rows;
      const rows = classifier.classify(chunk);
      countRows(counts, rows);
      if (writer) await writeUnsentResults(writer, rows, files);
    }
    await writer?.commit();
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  const rejection = exceeds(config.maxInvalid, all.invalid, all.rows)
    ? `${all.invalid} of ${all.rows} rows are invalid, more than --max-invalid ${formatThreshold(config.maxInvalid)}; see results.csv. Nothing was sent.`
    : undefined;
  return { counts, facts, rejection };
}

/** For a rejected run: results.csv still says what became of every row. */
export async function writeUnsentReport(ctx: JobContext, files: InputFile[], index: IdIndex, why: string): Promise<void> {
  const { config } = ctx;
  const classifier = new Classifier({ ids: index, mode: 'replay', shard: config.shard });
  const writer = ResultsWriter.open(config.reportDir, files.map((f) => f.display));
  try {
    for await (const chunk of readInputs(files, checkOptions(config), [])) {
      await writeUnsentResults(writer, classifier.classify(chunk), files, why);
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
    encoding: config.encoding,
    segmentColumns: config.segmentColumns,
    ignoreColumns: config.ignoreColumns,
  };
}

/** readOptions for a pass that sends nothing: the same checks, no segments built. */
function checkOptions(config: RunConfig): InputOptions {
  return { ...readOptions(config), buildSegments: false };
}
