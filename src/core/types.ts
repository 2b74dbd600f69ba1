/**
 * The data that flows between pipeline stages. Stages are async generators or pure functions over
 * these shapes. Rows flow in chunks (InputRow[], ClassifiedRow[]: the rows completed by one chunk of
 * input bytes), so that the pipeline awaits once per chunk and handles rows in plain loops:
 *
 *   input/*      files → InputRow[]              (parse, layout, row validation)
 *   dedupe/*     InputRow[] → ClassifiedRow[]    (first occurrence of a document_id wins, whole run;
 *                                                 long-layout records of an id form one customer)
 *   spool/*      ClassifiedRow → CustomerRow     (pass 1 keeps what it validated on disk; pass 2
 *                                                 sends from there, never from the input again)
 *   batch.ts     CustomerRow → Batch             (count and byte caps)
 *   send/*       Batch → BatchResult             (rate limit, retries, 413 split, 400 bisect)
 *   report/*     outcomes → results.csv, summary.json, retry.csv
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

/** One input record after layout mapping and row validation. */
export interface InputRow {
  /** Index of the input file in the run's list of inputs. */
  file: number;
  /** Physical line where the record starts in its file; the header is line 1. */
  line: number;
  /** Trimmed document_id; '' when missing. */
  id: string;
  /**
   * The segments to send; null when the input says null (json layout). For a long-layout record,
   * its one segment, or [] for a record with a blank type and value ("no segments"). Unset when
   * invalid.
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
  /** A valid wide row read without its segments (InputOptions.buildSegments): every segment cell is blank. */
  blank?: true;
  /**
   * wide, with InputOptions.wideCells: the trimmed cell of each segment column ('' when blank), in
   * the columns' order, instead of `segments` (then unset; `blank` says whether every cell is
   * blank). `shape` (one per file) names the cells' types. The incremental diff fingerprints the
   * cells as they are and builds segments only for a changed customer (segmentsOfCells).
   */
  cells?: string[];
  shape?: WideShape;
}

/**
 * The segment types of a wide file's segment columns, when they are distinct: `types[i]` is the
 * type of cells[i], and `order` lists the column positions by type (ascending, as strings compare),
 * the order the segments fingerprint takes its pairs in.
 */
export interface WideShape {
  readonly types: readonly string[];
  readonly order: readonly number[];
}

/** Final status of one input row, as written to results.csv. */
export type RowStatus = 'updated' | 'not_found' | 'failed' | 'rejected' | 'not_sent' | 'invalid' | 'duplicate' | 'unchanged' | 'cleared';

/** Where a row is, carried from InputRow unchanged. */
export interface RowPosition {
  file: number;
  line: number;
  id: string;
}

/**
 * An input row after dedupe (pass 1): a customer to send, a record of a long-layout customer, or a
 * row that will not be sent.
 */
export type ClassifiedRow = RowPosition &
  /** The first valid occurrence of a wide or json id: the customer. */
  (
    | {
        kind: 'customer';
        /** undefined: not built (a dry run's rows once its sample is full, see InputOptions.buildSegments). */
        segments: Segment[] | null | undefined;
        /** The customer's segments are cleared: none, or null (json). */
        clears: boolean;
        ordinal: number;
        /** wide, instead of `segments`: see InputRow.cells. */
        cells?: string[];
        shape?: WideShape;
      }
    /**
     * A long-layout record of customer `ordinal` (`opens`: the customer's first record). `invalid`:
     * the record is broken, and with it the whole customer (sending the rest would replace the
     * customer's segments without the broken one).
     */
    | { kind: 'part'; ordinal: number; opens: boolean; segments: Segment[]; invalid?: string }
    | { kind: 'invalid'; reason: string; skipped?: true }
    | { kind: 'duplicate'; keptFile: number; keptLine: number }
  );

/** A customer ready to send: its ordinal (the run's customer number), id and wire JSON. */
export interface CustomerRow {
  ordinal: number;
  id: string;
  /** `{"document_id":…,"segments":…}`, serialised once in pass 1 and reused on every retry and split. */
  json: string;
  /** Whether it is sent with no segments (it clears the customer's segments). */
  clears: boolean;
  /**
   * The fingerprint of its segments (src/state/segments-fingerprint.ts), what the incremental state
   * records once the endpoint acknowledges it; only in runs that keep the state (--mode diff, mirror).
   */
  fingerprint?: number;
}

/** A bulk request to make. */
export interface Batch {
  /** 0-based position in the run. */
  seq: number;
  /** The customers to send, in ordinal order. */
  customers: CustomerRow[];
  /** Byte length of the request body `{"customers":[...]}`. */
  bytes: number;
}

/**
 * What the endpoint's answers made of a customer; `not_sent`: no request for it was answered;
 * `rejected`: the endpoint refused it sent alone (400) while it accepts other customers.
 */
export type CustomerOutcome = 'updated' | 'not_found' | 'failed' | 'rejected' | 'not_sent';

/** What became of a batch's customers. Arrays are aligned with `batch.customers`. */
export interface BatchResult {
  batch: Batch;
  outcomes: CustomerOutcome[];
  /** For failed and not-sent customers: the last error or why, safe to show (no secrets). */
  errors: (string | undefined)[];
  /**
   * A capped sample of the ids the endpoint reported as updated that were not in the request
   * (logged, not counted); `unexpectedCount` says how many there were in all.
   */
  unexpectedIds: string[];
  unexpectedCount: number;
}

/** Counters for summary.json, keyed as in the report contract. */
export interface Counts {
  /** Data records read (a repeated header line is not one). */
  rows: number;
  invalid: number;
  duplicates: number;
  /** Unique valid customers. */
  customers: number;
  /** Customers sent with no segments: the endpoint clears theirs (mirror: those gone from the input too). */
  toClear: number;
  updated: number;
  notFound: number;
  failed: number;
  /** Customers the endpoint rejected one by one (400 sent alone): in rejects.csv, not retry.csv. */
  rejected: number;
  /** Customers no request was answered for (interrupted, a guard tripped, credentials refused). */
  notSent: number;
  /** diff/mirror: customers not sent because the endpoint already holds their segments (or answered not found for them). */
  unchanged: number;
  /** mirror: customers gone from the input whose segments the endpoint cleared (acknowledged). */
  cleared: number;
  /** Lines identical to the header (concatenated exports), skipped. */
  repeatedHeaders: number;
}

export type RunStatus = 'succeeded' | 'partial' | 'failed' | 'rejected' | 'interrupted';
