/**
 * Parses and checks a bulk request body against the contract. A bad body is an expected answer
 * (400), so it is returned as a Result whose error names the first thing that is wrong.
 */
import type { Customer } from '../core/types.js';
import { err, ok, type Result } from '../core/result.js';

export type ParsedRequest = Result<Customer[]>;

export function parseBulkRequest(text: string): ParsedRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return err('the request body is not valid JSON');
  }
  const customers = (body as { customers?: unknown } | null)?.customers;
  if (typeof body !== 'object' || Array.isArray(body) || !Array.isArray(customers)) {
    return err('the request body must be an object with a "customers" array');
  }
  if (customers.length === 0) return err('"customers" must have at least 1 element');
  for (let i = 0; i < customers.length; i++) {
    const problem = customerProblem(customers[i]);
    if (problem !== undefined) return err(`customers[${i}]${problem}`);
  }
  return ok(customers as Customer[]);
}

/** What is wrong with one customer, as a path suffix and a reason; undefined when it is valid. */
function customerProblem(customer: unknown): string | undefined {
  if (typeof customer !== 'object' || customer === null || Array.isArray(customer)) return ' must be an object';
  const { document_id: id, segments } = customer as Record<string, unknown>;
  if (typeof id !== 'string') return '.document_id must be a string';
  if (segments === null) return undefined;
  if (!Array.isArray(segments)) return '.segments must be an array or null';
  for (let j = 0; j < segments.length; j++) {
    const segment: unknown = segments[j];
    if (typeof segment !== 'object' || segment === null) return `.segments[${j}] must be an object`;
    const { type, value } = segment as Record<string, unknown>;
    if (typeof type !== 'string') return `.segments[${j}].type must be a string`;
    if (typeof value !== 'string') return `.segments[${j}].value must be a string`;
  }
  return undefined;
}
