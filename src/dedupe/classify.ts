/**
 * The dedupe stage: InputRow[] → ClassifiedRow[]. The first valid occurrence of a document_id over
 * the whole run is the customer; later rows with that id are duplicates naming the row kept.
 *
 * The run reads its input twice, and this stage runs in both passes over one IdIndex:
 *   - 'record' (pass 1, validation): inserts each id; a row is a customer when its id is new.
 *   - 'replay' (pass 2, sending): the index already holds every first occurrence, so a row is the
 *     customer exactly when the index names this row's own file and line.
 * Both passes yield the same rows with the same ordinals, so pass-1 counts and the resume journal
 * (keyed by ordinal) hold in pass 2.
 */
import { InputError, UsageError } from '../errors.js';
import type { ClassifiedRow, InputRow, RowStatus } from '../types.js';
import { shardOf } from './hash.js';
import type { IdIndex, IdLocation } from './id-index.js';
import type { Shard } from '../config/shard.js';

export type ClassifyMode = 'record' | 'replay';

export type AcknowledgedStatus = 'updated' | 'not_found';

export interface ClassifyOptions {
  ids: Pick<IdIndex, 'firstSeen' | 'lookup'>;
  mode: ClassifyMode;
  /** Keep only the rows of this shard (`shardOf(id, count) === index`); other rows are not yielded at all. */
  shard?: Shard;
  /** Resume: the status an earlier run of the same inputs got for this customer ordinal, if any. */
  acknowledged?: (ordinal: number) => AcknowledgedStatus | undefined;
}

function validateOptions(opts: ClassifyOptions): void {
  if (opts.mode !== 'record' && opts.mode !== 'replay') {
    throw new TypeError(`classify option mode must be 'record' or 'replay', got ${JSON.stringify(opts.mode)}`);
  }
  const { shard } = opts;
  if (shard === undefined) return;
  if (!Number.isSafeInteger(shard.count) || shard.count < 1) {
    throw new UsageError(`--shard: the shard count must be a positive integer, got ${String(shard.count)}`);
  }
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    const most = shard.count - 1;
    throw new UsageError(`--shard: the shard index must be an integer from 0 to ${most}, got ${String(shard.index)}`);
  }
}

/** The shard a row belongs to. Rows without an id cannot be hashed meaningfully: shard 0 reports them. */
export function shardOfRow(id: string, count: number): number {
  return id === '' ? 0 : shardOf(id, count);
}

/**
 * The final status a classified row already has, or undefined for a customer still to be sent.
 * Pure; lets counters and reports tally rows as they pass.
 */
export function knownStatus(row: ClassifiedRow): RowStatus | undefined {
  switch (row.kind) {
    case 'customer':
      return undefined;
    case 'done':
      return row.status;
    default:
      return row.kind;
  }
}

function inputChanged(row: InputRow): InputError {
  // Pass 1 recorded every valid id; an unknown one means the file changed under the run.
  return new InputError(
    'INPUT_CHANGED',
    `input file #${row.file + 1} changed while the run was reading it (line ${row.line} holds an id validation did not see); rerun when the file is complete`,
  );
}

/**
 * Classifies a run's rows chunk by chunk, in input order, numbering customers as it goes. Synchronous:
 * each chunk is one plain loop (this runs for every row of the input, twice).
 */
export class Classifier {
  private ordinal = 0;

  /** Checks the options now, before any row is read. */
  constructor(private readonly opts: ClassifyOptions) {
    validateOptions(opts);
  }

  /** The next chunk of rows, classified; rows of other shards are left out. */
  classify(rows: readonly InputRow[]): ClassifiedRow[] {
    const { shard } = this.opts;
    const out: ClassifiedRow[] = [];
    for (const row of rows) {
      if (shard !== undefined && shardOfRow(row.id, shard.count) !== shard.index) continue;
      out.push(this.classifyRow(row));
    }
    return out;
  }

  private classifyRow(row: InputRow): ClassifiedRow {
    // moreLines (a long-layout block's other lines, each a row of the report) is copied as is, even
    // when undefined: one object per row, all of one shape, on the dry run's hot path.
    const { file, line, id, moreLines } = row;
    if (row.invalid !== undefined) {
      // An invalid row does not claim its id: a later valid row with the id is the customer.
      const reason = row.invalid;
      return row.skipped
        ? { kind: 'invalid', file, line, moreLines, id, reason, skipped: true }
        : { kind: 'invalid', file, line, moreLines, id, reason };
    }
    const kept = this.earlierOccurrence(row);
    if (kept !== undefined) return { kind: 'duplicate', file, line, moreLines, id, keptFile: kept.file, keptLine: kept.line };
    const status = this.opts.acknowledged?.(this.ordinal);
    return status === undefined
      ? { kind: 'customer', file, line, moreLines, id, segments: row.segments ?? null, ordinal: this.ordinal++ }
      : { kind: 'done', file, line, moreLines, id, ordinal: this.ordinal++, status };
  }

  /** Where the row's id was first seen, or undefined when this row is that first occurrence. */
  private earlierOccurrence(row: InputRow): IdLocation | undefined {
    const { ids, mode } = this.opts;
    if (mode === 'record') return ids.firstSeen(row.id, row.file, row.line);
    const kept = ids.lookup(row.id);
    if (kept === undefined) throw inputChanged(row);
    return kept.file === row.file && kept.line === row.line ? undefined : kept;
  }
}

async function* classifyChunks(chunks: AsyncIterable<readonly InputRow[]>, classifier: Classifier): AsyncGenerator<ClassifiedRow[]> {
  for await (const rows of chunks) {
    const classified = classifier.classify(rows);
    if (classified.length > 0) yield classified;
  }
}

/**
 * Classifies chunks of rows in input order, yielding non-empty chunks. Options are checked now, not
 * at the first chunk (a generator function would defer them).
 */
export function classify(chunks: AsyncIterable<readonly InputRow[]>, opts: ClassifyOptions): AsyncGenerator<ClassifiedRow[]> {
  return classifyChunks(chunks, new Classifier(opts));
}
