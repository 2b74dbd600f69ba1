/**
 * results.csv of a sharded run: the shards' rows merged by (input file, line), streaming. Each shard
 * holds a disjoint subset of the rows in input order, so a k-way merge restores the input order
 * with one row per shard in memory. Rows of no input line (mirror's clears: an empty `line`) end
 * each shard's file and come after every input row, shard by shard.
 */
import { UsageError } from '../../../core/errors.js';
import type { ChunkedOutput } from '../chunked-output.js';
import { csvRecord, neutraliseFormula } from '../csv.js';
import { readCsvRecords } from './csv-read.js';
import { mergeSorted } from './k-way-merge.js';
import { resultsHeader } from '../results-writer.js';
import type { ShardReport } from './shard-reports.js';
import type { InputSummary } from '../summary.js';

interface KeyedRecord {
  file: number;
  line: number;
  cells: string[];
  /** No input line (mirror: a customer gone from the input). */
  unplaced?: true;
}

/** Unplaced rows sort after every input row, and equal among themselves. */
const UNPLACED = { file: Number.MAX_SAFE_INTEGER, line: 0 };

const byPosition = (a: KeyedRecord, b: KeyedRecord): number => a.file - b.file || a.line - b.line;

/** Writes the merged rows to `output`; a shard file out of order, overlapping or malformed → UsageError. */
export async function mergeResults(shards: readonly ShardReport[], inputs: readonly InputSummary[], output: ChunkedOutput): Promise<void> {
  const keyOf = recordKeyer(inputs);
  const header = resultsHeader(inputs.length);
  await output.append(header);
  let previous: KeyedRecord | undefined;
  for await (const record of mergeSorted(
    shards.map((shard) => shardRecords(shard, header, keyOf)),
    byPosition,
  )) {
    if (previous && !record.unplaced && byPosition(previous, record) === 0) {
      throw new UsageError(`report merge: line ${record.line} of input #${record.file} is in more than one shard report`, 'REPORT_MERGE');
    }
    previous = record;
    // The cells were neutralised when the shard wrote them, and stay so: re-quoting is enough.
    await output.append(csvRecord(record.cells));
  }
}

type Keyer = (cells: string[]) => KeyedRecord | undefined;

/** Reads (file, line) off a record. The `file` cell holds the display path as results.csv wrote it,
 *  that is formula-neutralised, so the lookup goes through the same transformation. */
function recordKeyer(inputs: readonly InputSummary[]): Keyer {
  const fileIndex = new Map(inputs.map((input, index) => [neutraliseFormula(input.path), index]));
  return (cells) => {
    if (cells[0] === '') return { ...UNPLACED, cells, unplaced: true };
    const line = Number(cells[0]);
    const file = inputs.length > 1 ? fileIndex.get(cells[4] ?? '') : 0;
    return Number.isInteger(line) && line > 0 && file !== undefined ? { file, line, cells } : undefined;
  };
}

async function* shardRecords(shard: ShardReport, header: string, keyOf: Keyer): AsyncGenerator<KeyedRecord> {
  const malformed = (what: string): UsageError => new UsageError(`report merge: ${shard.resultsPath}: ${what}`, 'REPORT_MERGE');
  let previous: KeyedRecord | undefined;
  let sawHeader = false;
  for await (const cells of readCsvRecords(shard.resultsPath)) {
    if (!sawHeader) {
      if (csvRecord(cells) !== header) throw malformed(`header is not ${JSON.stringify(header.trimEnd())}`);
      sawHeader = true;
      continue;
    }
    const record = keyOf(cells);
    if (!record) throw malformed(`row ${JSON.stringify(cells.join(','))} has no valid line number or input file`);
    const inOrder = previous === undefined || byPosition(previous, record) < 0 || (previous.unplaced && record.unplaced);
    if (!inOrder)
      throw malformed(
        record.unplaced ? 'a row of no input line comes before input rows' : `rows are not in input order at line ${record.line}`,
      );
    previous = record;
    yield record;
  }
  if (!sawHeader) throw malformed('the file is empty');
}
