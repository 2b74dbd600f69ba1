/**
 * Batching stage: classified rows in, bulk requests out. A batch closes at whichever cap comes first:
 * `maxCustomers` customers or `maxBytes` of JSON body. Each customer is serialised exactly once here
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

export async function* batchRows(
  rows: AsyncIterable<ClassifiedRow>,
  limits: BatchLimits,
  onOversized: (row: CustomerRow, bytes: number) => void = () => {},
): AsyncGenerator<Batch> {
  let seq = 0;
  let pending = emptyBatch(seq);

  const close = (): Batch => {
    const done = pending;
    pending = emptyBatch(++seq);
    return done;
  };

  for await (const row of rows) {
    if (row.kind !== 'customer') {
      pending.rows.push(row);
      if (pending.rows.length - pending.customers.length >= MAX_CARRIED_ROWS) yield close();
      continue;
    }
    const part = customerJson(row);
    const partBytes = Buffer.byteLength(part);
    // +1 for the comma that joins it to the previous customer.
    const grownBytes = pending.bytes + partBytes + (pending.customers.length > 0 ? 1 : 0);
    const full = pending.customers.length >= limits.maxCustomers || grownBytes > limits.maxBytes;
    if (full && pending.customers.length > 0) yield close();
    if (BODY_OVERHEAD + partBytes > limits.maxBytes) onOversized(row, BODY_OVERHEAD + partBytes);
    pending.bytes += partBytes + (pending.customers.length > 0 ? 1 : 0);
    pending.customers.push(row);
    pending.parts.push(part);
    pending.rows.push(row);
  }
  if (pending.rows.length > 0) yield pending;
}

function emptyBatch(seq: number): Batch {
  return { seq, customers: [], parts: [], bytes: BODY_OVERHEAD, rows: [] };
}
