/**
 * The input of the fault tests and its oracle: a wide CSV, and what one clean run must leave —
 * the endpoint's state and results.csv's status of every line. Deterministic: no randomness.
 */
import { fileURLToPath } from 'node:url';
import type { Segment } from '../../../src/core/types.js';

/** Hand-made hostile inputs (fixtures/hostile/). */
export const HOSTILE_DIR = fileURLToPath(new URL('../../../fixtures/hostile/', import.meta.url));

export type FinalStatus = 'updated' | 'not_found' | 'duplicate';

export interface Dataset {
  csv: string;
  /** Ids the emulator treats as existing customers. */
  known: string[];
  /** What the endpoint holds after one clean run (first occurrence wins; unknown ids absent). */
  expectedState: Record<string, Segment[] | null>;
  /** results.csv of a complete run: line → [document_id, status]. */
  expectedRows: Map<number, [string, FinalStatus]>;
  /** Unique valid ids, in input order. */
  customers: string[];
  /** The segments of each customer, as the input gives them. */
  segmentsOf: Map<string, Segment[]>;
}

/** Every n-th row repeats an earlier id with other segments (it must lose: first occurrence wins). */
const DUPLICATE_EVERY = 37;
/** Every n-th customer is unknown to the endpoint (it ends not_found). */
const UNKNOWN_EVERY = 23;
/** Every n-th customer (offset 7) has all cells blank: segments [] clears it. */
const CLEARED_EVERY = 50;

export const SEGMENT_TYPES = ['tier', 'region', 'churn'] as const;
const VALUES: Record<(typeof SEGMENT_TYPES)[number], string[]> = {
  tier: ['gold', 'silver', 'bronze', 'platinum'],
  region: ['north', 'south', 'east', 'west', 'North, coastal'],
  churn: ['low', 'medium', 'high'],
};

/**
 * `customers` unique customers with what a real export has: blank cells (no segment of that
 * type), all-blank rows, a quoted value with a comma, duplicates, and customers the endpoint does
 * not know.
 */
export function generateDataset({ customers: count }: { customers: number }): Dataset {
  const lines = [`document_id,${SEGMENT_TYPES.join(',')}`];
  const data: Dataset = { csv: '', known: [], expectedState: {}, expectedRows: new Map(), customers: [], segmentsOf: new Map() };
  for (let row = 0; data.customers.length < count; row++) {
    const line = lines.length + 1;
    if (row > 0 && row % DUPLICATE_EVERY === 0) {
      const kept = data.customers[Math.floor(row / 3) % data.customers.length]!;
      lines.push(`${kept},gold,west,high`);
      data.expectedRows.set(line, [kept, 'duplicate']);
      continue;
    }
    const n = data.customers.length;
    const id = `C-${String(n + 1).padStart(5, '0')}`;
    const segments = segmentsOf(n);
    lines.push([id, ...SEGMENT_TYPES.map((type) => csvCell(segments.find((s) => s.type === type)?.value ?? ''))].join(','));
    const known = (n + 1) % UNKNOWN_EVERY !== 0;
    if (known) {
      data.known.push(id);
      data.expectedState[id] = segments;
    }
    data.expectedRows.set(line, [id, known ? 'updated' : 'not_found']);
    data.customers.push(id);
    data.segmentsOf.set(id, segments);
  }
  data.csv = `${lines.join('\n')}\n`;
  return data;
}

/** The expected rows with `failedIds` turned `failed` (or `as`: `rejected`, `not_sent`). */
export function expectedWithFailures(data: Dataset, failedIds: ReadonlySet<string>, as = 'failed'): Map<number, [string, string]> {
  return new Map(
    [...data.expectedRows].map(([line, [id, status]]) => [line, [id, status !== 'duplicate' && failedIds.has(id) ? as : status]]),
  );
}

/** The final state with some customers left out (those the endpoint never applied). */
export function stateWithout(data: Dataset, ids: Iterable<string>): Record<string, Segment[] | null> {
  const state = { ...data.expectedState };
  for (const id of ids) delete state[id];
  return state;
}

/** The segments of a retry.csv record (wide layout: one column per type; blank = none). */
export function retrySegments(record: Record<string, string>): Segment[] {
  return SEGMENT_TYPES.filter((type) => (record[type] ?? '') !== '').map((type) => ({ type, value: record[type]! }));
}

function segmentsOf(n: number): Segment[] {
  if (n % CLEARED_EVERY === 7) return [];
  return SEGMENT_TYPES.filter((_, t) => (n + t) % 5 !== 0).map((type, t) => ({
    type,
    value: VALUES[type][(n * (t + 1)) % VALUES[type].length]!,
  }));
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
