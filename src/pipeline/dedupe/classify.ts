/**
 * The dedupe stage: InputRow[] → ClassifiedRow[], over the whole run, in one pass.
 *
 * - wide and json: the first valid occurrence of a document_id is the customer; later rows with the
 *   id are duplicates naming the row kept. An invalid row does not claim its id.
 * - long: every record of an id, anywhere in the run (sorted or not), is a `part` of one customer.
 *   A long record whose id was first claimed by a wide or json row is a duplicate of that row, and
 *   a wide or json row whose id a long customer claimed is a duplicate of that customer's first
 *   record: first occurrence still wins between layouts.
 *
 * Customers are numbered (`ordinal`) in order of first occurrence; the id index remembers each id's
 * ordinal, so a long record a million lines later still finds its customer.
 */
import type { ClassifiedRow, InputRow } from '../../core/types.js';
import { shardOf } from './hash.js';
import type { IdIndex, IdLocation } from './id-index.js';
import type { Shard } from '../../config/shard.js';
import { MAX_ID_LENGTH } from '../input/index.js';

export interface ClassifyOptions {
  /** `expect`, when given, re-sizes the index on the first long record (see classifyLong). */
  ids: Pick<IdIndex, 'firstSeen'> & Partial<Pick<IdIndex, 'expect' | 'prefetch'>>;
  /** Keep only the rows of this shard (`shardOf(id, count) === index`); other rows are not yielded at all. */
  shard?: Shard;
}

/** The shard a row belongs to. Rows without an id cannot be hashed meaningfully: shard 0 reports them. */
export function shardOfRow(id: string, count: number): number {
  return id === '' ? 0 : shardOf(id, count);
}

/**
 * The id index stores, with each id, the customer's ordinal and whether a long-layout record
 * opened it (so later records join it): the top bit of the stored word, which costs no memory.
 */
const LONG_BIT = 0x80000000;
const ORDINAL_MASK = 0x7fffffff;

/**
 * Classifies a run's rows chunk by chunk, in input order, numbering customers as it goes.
 * Synchronous: each chunk is one plain loop (this runs for every row of the input).
 */
export class Classifier {
  private nextOrdinal = 0;
  /**
   * The location handed to firstSeen, one object for every row: the index copies its numbers and
   * keeps nothing of it, and a new one per row was a fifth of a narrow file's allocation.
   */
  private readonly at: IdLocation = { file: 0, line: 0, ordinal: 0 };

  constructor(private readonly opts: ClassifyOptions) {}

  /** Customers numbered so far. */
  get customers(): number {
    return this.nextOrdinal;
  }

  /** The next chunk of rows, classified; rows of other shards are left out. */
  classify(rows: readonly InputRow[]): ClassifiedRow[] {
    this.prefetch(rows);
    const out: ClassifiedRow[] = [];
    for (const row of rows) {
      const classified = this.classifyOne(row);
      if (classified !== undefined) out.push(classified);
    }
    return out;
  }

  /** Tells the index which ids come next (IdIndex.prefetch): before classifyOne of each of these rows. */
  prefetch(rows: readonly InputRow[]): void {
    this.opts.ids.prefetch?.(rows);
  }

  /** The next row, classified; undefined when it belongs to another shard. */
  classifyOne(row: InputRow): ClassifiedRow | undefined {
    const { shard } = this.opts;
    if (shard !== undefined && shardOfRow(row.id, shard.count) !== shard.index) return undefined;
    return row.long ? this.classifyLong(row) : this.classifyRow(row);
  }

  private classifyRow(row: InputRow): ClassifiedRow {
    const { file, line, id } = row;
    if (row.invalid !== undefined) {
      const reason = row.invalid;
      return row.skipped ? { kind: 'invalid', file, line, id, reason, skipped: true } : { kind: 'invalid', file, line, id, reason };
    }
    const ordinal = this.nextOrdinal;
    const kept = this.opts.ids.firstSeen(id, this.locate(file, line, ordinal));
    if (kept !== undefined) return { kind: 'duplicate', file, line, id, keptFile: kept.file, keptLine: kept.line };
    this.nextOrdinal++;
    const { segments, cells } = row;
    const clears = segments === undefined ? row.blank === true : segments === null || segments.length === 0;
    if (cells !== undefined) return { kind: 'customer', file, line, id, segments, clears, ordinal, cells, shape: row.shape };
    return { kind: 'customer', file, line, id, segments, clears, ordinal };
  }

  /** The reused location (see `at`), set to these numbers. */
  private locate(file: number, line: number, ordinal: number): IdLocation {
    const { at } = this;
    at.file = file;
    at.line = line;
    at.ordinal = ordinal;
    return at;
  }

  /**
   * A long record with a usable id always belongs to its customer, even when broken: the broken
   * record spoils the customer (reported by the caller), it does not start a new one.
   */
  private classifyLong(row: InputRow): ClassifiedRow {
    const { file, line, id } = row;
    if (!hasUsableId(row)) return { kind: 'invalid', file, line, id, reason: row.invalid ?? 'invalid' };
    const ordinal = this.nextOrdinal;
    // The index was sized for the input's rows; when the first customer is a long one, rows are
    // records, several per customer, and that size would commit several times the memory needed
    // (10M customers of 3 records: a 512 MiB table for 128). It grows as customers come instead.
    // (A wide file before a long one keeps the hint: its rows are customers.)
    if (ordinal === 0) this.opts.ids.expect?.(0);
    const kept = this.opts.ids.firstSeen(id, this.locate(file, line, (ordinal | LONG_BIT) >>> 0));
    const segments = row.segments ?? [];
    if (kept === undefined) {
      this.nextOrdinal++;
      return { kind: 'part', file, line, id, ordinal, opens: true, segments, ...(row.invalid !== undefined && { invalid: row.invalid }) };
    }
    if ((kept.ordinal & LONG_BIT) === 0) return { kind: 'duplicate', file, line, id, keptFile: kept.file, keptLine: kept.line };
    return {
      kind: 'part',
      file,
      line,
      id,
      ordinal: kept.ordinal & ORDINAL_MASK,
      opens: false,
      segments,
      ...(row.invalid !== undefined && { invalid: row.invalid }),
    };
  }
}

/**
 * An invalid long record names its customer unless its id itself is the problem (empty, or too
 * long to be an id).
 */
function hasUsableId(row: InputRow): boolean {
  return row.id !== '' && row.id.length <= MAX_ID_LENGTH;
}
