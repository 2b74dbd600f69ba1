/**
 * Batching stage: customers in, bulk requests out. A batch closes at whichever cap comes first:
 * `maxCustomers` customers or `maxBytes` of JSON body. Customers arrive already serialised (pass 1
 * wrote their JSON once); retries and 413 splits reuse it.
 */
import type { Batch, CustomerRow } from '../../core/types.js';

export interface BatchLimits {
  /** Customers per request. Mutable: the sender lowers it after a 413. */
  maxCustomers: number;
  /** Cap on the request body in bytes. */
  maxBytes: number;
}

const BODY_OVERHEAD = Buffer.byteLength('{"customers":[]}');

/** Builds the request body from serialised customers. */
export function requestBody(customers: readonly CustomerRow[]): string {
  let body = '{"customers":[';
  let separator = '';
  for (const customer of customers) {
    body += separator + customer.json;
    separator = ',';
  }
  return `${body}]}`;
}

export type OnOversized = (customer: CustomerRow, bytes: number) => void;

export async function* batchCustomers(
  chunks: AsyncIterable<readonly CustomerRow[]>,
  limits: BatchLimits,
  onOversized: OnOversized = () => {},
): AsyncGenerator<Batch> {
  let seq = 0;
  let pending: Batch = { seq, customers: [], bytes: BODY_OVERHEAD };
  for await (const customers of chunks) {
    for (const customer of customers) {
      const bytes = Buffer.byteLength(customer.json);
      if (BODY_OVERHEAD + bytes > limits.maxBytes) onOversized(customer, BODY_OVERHEAD + bytes);
      // `limits` are read at every customer: the sender may lower them meanwhile. A lone customer always fits.
      const full =
        pending.customers.length > 0 && (pending.customers.length >= limits.maxCustomers || pending.bytes + bytes + 1 > limits.maxBytes);
      if (full) {
        yield pending;
        pending = { seq: ++seq, customers: [], bytes: BODY_OVERHEAD };
      }
      pending.bytes += bytes + (pending.customers.length > 0 ? 1 : 0);
      pending.customers.push(customer);
    }
  }
  if (pending.customers.length > 0) yield pending;
}
