/**
 * Counting what became of the rows. Counts are per physical record (a long-layout block of three
 * records counts as three rows), except `customers`, which counts unique valid ids.
 */
import type { ClassifiedRow, Counts, CustomerOutcome, InputRow, RowPosition } from '../types.js';

export function emptyCounts(): Counts {
  return { rows: 0, invalid: 0, duplicates: 0, customers: 0, updated: 0, notFound: 0, failed: 0 };
}

/** How many physical records a row stands for. */
export function recordCount(row: RowPosition): number {
  return 1 + (row.moreLines?.length ?? 0);
}

/** What --max-invalid looks at: every row read (before shard filtering), and the invalid ones. */
export interface ReadTally {
  rows: number;
  /** Invalid rows not skipped on purpose (--skip-empty). */
  invalid: number;
}

/** Adds a chunk of rows as read to the tally. */
export function tallyRead(tally: ReadTally, rows: readonly InputRow[]): void {
  for (const row of rows) {
    const records = recordCount(row);
    tally.rows += records;
    if (row.invalid !== undefined && !row.skipped) tally.invalid += records;
  }
}

/** Counts a chunk of classified rows; see countRow. */
export function countRows(counts: Counts, rows: readonly ClassifiedRow[]): void {
  for (const row of rows) countRow(counts, row);
}

/** Counts a row as read and classified; customer outcomes are counted by `countOutcome`. */
export function countRow(counts: Counts, row: ClassifiedRow): void {
  const records = recordCount(row);
  counts.rows += records;
  switch (row.kind) {
    case 'invalid':
      counts.invalid += records;
      break;
    case 'duplicate':
      counts.duplicates += records;
      break;
    case 'customer':
      counts.customers += 1;
      break;
    case 'done':
      counts.customers += 1;
      countOutcome(counts, row.status);
      break;
  }
}

export function countOutcome(counts: Counts, outcome: CustomerOutcome): void {
  if (outcome === 'updated') counts.updated += 1;
  else if (outcome === 'not_found') counts.notFound += 1;
  else counts.failed += 1;
}
