/**
 * What results.csv says of a customer's record, from the ledger (pure): the endpoint's outcome, or
 * `valid` when nothing was meant to be sent, or `not_sent` when the run stopped first.
 */
import type { Resolution } from './report/index.js';
import type { Ledger } from './ledger.js';

export const NOT_FOUND_DETAIL = 'not in updatedCustomers (customer not found or not updated)';

/** How the run ended for the customers it did not get to. */
export type Unsent =
  /** Nothing was meant to be sent (dry run), or nothing could be (input rejected): `valid`. */
  | { kind: 'valid'; detail: string }
  /** Sending started; a customer with no answer is `not_sent` with this detail (unless the sender said why). */
  | { kind: 'not_sent'; detail: string };

/** diff/mirror: when a run number of the state started (the `unchanged since` detail). */
export type RunTime = (run: number) => string;

const UPDATED: Resolution = { status: 'updated', detail: '' };
const RESUMED: Resolution = { status: 'updated', detail: 'updated by an earlier run (resumed)' };
const NOT_FOUND: Resolution = { status: 'not_found', detail: NOT_FOUND_DETAIL };

export const CLEARED_DETAIL = 'not in the input any more: its segments were cleared (--mode mirror)';

export function resolver(
  ledger: Ledger,
  unsent: Unsent,
  runTime: RunTime = unknownRunTime,
): (ordinal: number, file: number, line: number) => Resolution {
  // The answers most rows share, made once (this runs for every row of results.csv).
  const notReached: Resolution = { status: unsent.kind === 'valid' ? 'valid' : 'not_sent', detail: unsent.detail };
  return (ordinal, _file, line) => {
    const spoiler = ledger.spoiler(ordinal);
    if (spoiler !== undefined) {
      const detail =
        spoiler.line === line ? spoiler.reason : `another row of this customer is invalid (line ${spoiler.line}: ${spoiler.reason})`;
      return { status: 'invalid', detail };
    }
    const outcome = ledger.outcome(ordinal);
    switch (outcome) {
      case 'updated':
        if (ledger.isClear(ordinal)) return { status: 'cleared', detail: CLEARED_DETAIL };
        return ledger.wasResumed(ordinal) ? RESUMED : UPDATED;
      case 'unchanged':
        return { status: 'unchanged', detail: unchangedDetail(ledger, ordinal, runTime) };
      case 'not_found':
        return NOT_FOUND;
      case 'failed':
        return { status: 'failed', detail: ledger.error(ordinal) ?? 'failed' };
      case 'rejected':
        return { status: 'rejected', detail: ledger.error(ordinal) ?? 'rejected by the endpoint' };
      case 'not_sent':
        return { status: 'not_sent', detail: ledger.error(ordinal) ?? unsent.detail };
      case undefined:
        if (unsent.detail === '' && ledger.isClear(ordinal))
          return { status: notReached.status, detail: 'not in the input: would be cleared (--mode mirror)' };
        return notReached;
    }
  };
}

function unchangedDetail(ledger: Ledger, ordinal: number, runTime: RunTime): string {
  const { run, notFound } = ledger.unchangedSince(ordinal);
  const since = runTime(run);
  return notFound ? `not found on ${since}, segments unchanged since; --recheck-not-found sends it again` : `unchanged since ${since}`;
}

function unknownRunTime(run: number): string {
  throw new TypeError(`an unchanged customer (run ${run}) without the state's run times`);
}
