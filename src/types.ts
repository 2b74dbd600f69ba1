/**
 * The data that flows between pipeline stages. Stages are async generators or pure functions over
 * these shapes. Rows flow in chunks (InputRow[], ClassifiedRow[]: the rows completed by one chunk of
 * input bytes), so that the pipeline awaits once per chunk and handles rows in plain loops:
 *
 *   input/*      files → InputRow[]              (parse, layout, row validation)
 *   dedupe/*     InputRow[] → ClassifiedRow[]    (first occurrence of a document_id wins, whole run)
 *   batch.ts     ClassifiedRow[] → Batch         (count and byte caps; carries the rows in between)
 *   send/*       Batch → BatchResult             (rate limit, retries, 413 split, 400 bisect)
 *   report/*     BatchResult → results.csv, summary.json, retry.csv
 */

export interface Segment {
  type: string;
  value: string;
}

/** The wire shape of one customer in the request body. */
export interface Customer {
  document_id: string;
  segments: Segment[] | null;
}

export type Layout = 'wide' | 'json' | 'long';

/** One input record after layout mapping and row validation (for `long`, one block of rows). */
export interface InputRow {
  /** Index of the input file in the run's list of inputs. */
  file: number;
  /** Physical line where the record starts in its file; the header is line 1. */
  line: number;
  /** long layout: start lines of the block's other records (each gets its own results.csv row). */
  moreLines?: number[];
  /** Trimmed document_id; '' when missing. */
  id: string;
  /**
   * The segments to send; null when the input says null (json layout). Unset when invalid, and
   * when the rows were read only to be checked (InputOptions.buildSegments false).
   */
  segments?: Segment[] | null;
  /** Why the row is invalid; unset when valid. */
  invalid?: string;
  /**
   * A record of the long layout (one segment, or `segments: []` for a blank type and value): the
   * dedupe stage groups every row of an id into one customer.
   */
  long?: true;
  /** Set with `invalid` when the row was skipped on purpose (--skip-empty): not held against --max-invalid. */
  skipped?: true;
}

/** Final status of one input row, as written to results.csv. */
export type RowStatus = 'updated' | 'not_found' | 'failed' | 'invalid' | 'duplicate';

/** An input row after dedupe: either a customer to send, or a row that will not be sent. */
export type ClassifiedRow = RowPosition &
  (
    /** `segments` is null also for rows read only to be checked: that pass sends nothing. */
    | { kind: 'customer'; segments: Segment[] | null; ordinal: number }
    | { kind: 'invalid'; reason: string; skipped?: true }
    | { kind: 'duplicate'; keptFile: number; keptLine: number }
    /** A customer already acknowledged by an earlier, interrupted run of the same inputs (resume). */
    | { kind: 'done'; ordinal: number; status: 'updated' | 'not_found' }
  );

/** Where a row is, carried from InputRow unchanged. */
export interface RowPosition {
  file: number;
  line: number;
  moreLines?: number[];
  id: string;
}

export type CustomerRow = Extract<ClassifiedRow, { kind: 'customer' }>;

/**
 * A bulk request to make, plus every input row that precedes its last customer since the previous
 * batch, so that results can be written in input order. A batch with no customers is not sent.
 */
export interface Batch {
  /** 0-based position in the run; results are written in this order. */
  seq: number;
  /** The customers to send, in input order. */
  customers: CustomerRow[];
  /** JSON of each customer, aligned with `customers` (serialised once, reused on retry/split). */
  parts: string[];
  /** Byte length of the request body `{"customers":[...]}` built from `parts`. */
  bytes: number;
  /** All rows covered by this batch (customers and the rows not sent), in input order. */
  rows: ClassifiedRow[];
}

export type CustomerOutcome = 'updated' | 'not_found' | 'failed';

/** What became of a batch's customers. Arrays are aligned with `batch.customers`. */
export interface BatchResult {
  batch: Batch;
  outcomes: CustomerOutcome[];
  /** For failed customers: the last error, safe to show (no secrets). */
  errors: (string | undefined)[];
  /** Ids the endpoint reported as updated that were not in the request (logged, not counted). */
  unexpectedIds: string[];
}

/** Counters for summary.json, keyed as in the report contract. */
export interface Counts {
  rows: number;
  invalid: number;
  duplicates: number;
  customers: number;
  updated: number;
  notFound: number;
  failed: number;
}

export type RunStatus = 'succeeded' | 'partial' | 'failed' | 'rejected' | 'interrupted';
