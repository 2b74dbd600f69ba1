/**
 * Counting what became of the rows. Counts are per physical record, except the customer counts
 * (`customers`, `toClear`, `updated`, `notFound`, `failed`, `rejected`, `notSent`, `unchanged`,
 * `cleared`), which count unique valid ids.
 */
import type { Counts, InputRow } from '../core/types.js';
import type { Ledger } from './ledger.js';

export function emptyCounts(): Counts {
  return {
    rows: 0,
    invalid: 0,
    duplicates: 0,
    customers: 0,
    toClear: 0,
    updated: 0,
    notFound: 0,
    failed: 0,
    rejected: 0,
    notSent: 0,
    unchanged: 0,
    cleared: 0,
    repeatedHeaders: 0,
  };
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
    tally.rows++;
    if (row.invalid !== undefined && !row.skipped) tally.invalid++;
  }
}

/**
 * The customer outcomes, from the ledger once sending is over: every valid customer is counted
 * once, as updated, not_found, failed, rejected, unchanged or not sent (pending ones were never
 * answered); a mirror clear the endpoint acknowledged counts as cleared, an unacknowledged one as
 * its outcome (so each count is the number of results.csv rows of that status).
 */
export function countOutcomes(counts: Counts, ledger: Ledger): void {
  counts.unchanged = 0;
  counts.cleared = 0;
  counts.updated = 0;
  counts.notFound = 0;
  counts.failed = 0;
  counts.rejected = 0;
  counts.notSent = 0;
  for (let ordinal = 0; ordinal < ledger.customers; ordinal++) {
    if (ledger.isSpoiled(ordinal)) continue;
    switch (ledger.outcome(ordinal)) {
      case 'updated':
        if (ledger.isClear(ordinal)) counts.cleared++;
        else counts.updated++;
        break;
      case 'unchanged':
        counts.unchanged++;
        break;
      case 'not_found':
        counts.notFound++;
        break;
      case 'failed':
        counts.failed++;
        break;
      case 'rejected':
        counts.rejected++;
        break;
      default:
        counts.notSent++;
    }
  }
}
