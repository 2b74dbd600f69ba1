/**
 * Batching stage: chunks of classified rows in, bulk requests out. A batch closes at whichever cap
 * comes first: `maxCustomers` customers or `maxBytes` of JSON body. Each customer is serialised exactly once here
 * (JSON.stringify of the batches is the largest cost after parsing); retries and 413 splits reuse
 * the pieces.
 *
 * Rows that are not sent (invalid, duplicate, already done) ride along in the batch that follows them,
 * so the report can be written in input order. A long run of such rows is flushed as a batch with no
 * customers (never sent) so memory stays bounded.
 */
import type { Batch, ClassifiedRow, CustomerRow } from './types.js';

export interface BatchLimits {
  /** Customers per request. Mutable: the sender lowers it after a 413. */
  maxCustomers: number;
  /** Cap on the request body in bytes. */
  maxBytes: number;
}

/**
 * Rows not sent that one batch may carry. When reached, the batch closes early: without customers it
 * is only reported; with some it is sent smaller than usual. Either way memory stays bounded even
 * when a customer is followed by a million duplicates.
 */
export const MAX_CARRIED_ROWS = 10_000;

const BODY_OVERHEAD = Buffer.byteLength('{"customers":[]}');

/** The JSON of one customer as it appears in the request body. */
export function customerJson(row: CustomerRow): string {
  return JSON.stringify({ document_id: row.id, segments: row.segments });
}

/** Builds the request body from pre-serialised customers. */
export function requestBody(parts: readonly string[]): string {
  return `{"customers":[${parts.join(',')}]}`;
}

export type OnOversized = (row: CustomerRow, bytes: number) => void;

export async function* batchRows(
  chunks: AsyncIterable<readonly ClassifiedRow[]>,
  limits: BatchLimits,
  onOversized: OnOversized = () => {},
): AsyncGenerator<Batch> {
  const builder = new BatchBuilder(limits, onOversized);
  for await (const rows of chunks) {
    for (const row of rows) {
      const closed = builder.add(row);
      if (closed !== undefined) yield closed;
    }
  }
  const last = builder.finish();
  if (last !== undefined) yield last;
}

/** The batch being filled. `limits` are read at every row: the sender may lower them meanwhile. */
class BatchBuilder {
  private seq = 0;
  private pending = emptyBatch(0);

  constructor(
    private readonly limits: BatchLimits,
    private readonly onOversized: OnOversized,
  ) {}

  /** Adds the next row; returns the batch it closed, if any (at most one per row). */
  add(row: ClassifiedRow): Batch | undefined {
    if (row.kind !== 'customer') {
      this.pending.rows.push(row);
      const carried = this.pending.rows.length - this.pending.customers.length;
      return carried >= MAX_CARRIED_ROWS ? this.close() : undefined;
    }
    const part = customerJson(row);
    const partBytes = Buffer.byteLength(part);
    const closed = this.isFullFor(partBytes) ? this.close() : undefined;
    if (BODY_OVERHEAD + partBytes > this.limits.maxBytes) this.onOversized(row, BODY_OVERHEAD + partBytes);
    const pending = this.pending;
    pending.bytes += partBytes + (pending.customers.length > 0 ? 1 : 0);
    pending.customers.push(row);
    pending.parts.push(part);
    pending.rows.push(row);
    return closed;
  }

  /** The last batch, unless it would be empty. */
  finish(): Batch | undefined {
    return this.pending.rows.length > 0 ? this.pending : undefined;
  }

  /** Whether a customer of `partBytes` must go to the next batch (a lone customer never does). */
  private isFullFor(partBytes: number): boolean {
    const { customers, bytes } = this.pending;
    if (customers.length === 0) return false;
    // +1 for the comma that joins it to the previous customer.
    return customers.length >= this.limits.maxCustomers || bytes + partBytes + 1 > this.limits.maxBytes;
  }

  private close(): Batch {
    const done = this.pending;
    this.pending = emptyBatch(++this.seq);
    return done;
  }
}

function emptyBatch(seq: number): Batch {
  return { seq, customers: [], parts: [], bytes: BODY_OVERHEAD, rows: [] };
}
