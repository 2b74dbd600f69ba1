/**
 * What results.csv says of a customer's record, from the ledger (pure): the endpoint's outcome, or
 * `valid` when nothing was meant to be sent, or `not_sent` when the run stopped first.
 */
import type { Resolution } from '../report/row-log.js';
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

export const CLEARED_DETAIL = 'not in the input any more: its segments were cleared (--mode mirror)';

export function resolver(ledger: Ledger, unsent: Unsent, runTime: RunTime = unknownRunTime): (ordinal: number, file: number, line: number) => Resolution {
  return (ordinal, _file, line) => {
    const spoiler = ledger.spoiler(ordinal);
    if (spoiler !== undefined) {
      const detail = spoiler.line === line ? spoiler.reason : `another row of this customer is invalid (line ${spoiler.line}: ${spoiler.reason})`;
      return { status: 'invalid', detail };
    }
    const outcome = ledger.outcome(ordinal);
    switch (outcome) {
      case 'updated':
        if (ledger.isClear(ordinal)) return { status: 'cleared', detail: CLEARED_DETAIL };
        return { status: 'updated', detail: ledger.wasResumed(ordinal) ? 'updated by an earlier run (resumed)' : '' };
      case 'unchanged':
        return { status: 'unchanged', detail: unchangedDetail(ledger, ordinal, runTime) };
      case 'not_found':
        return { status: 'not_found', detail: NOT_FOUND_DETAIL };
      case 'failed':
        return { status: 'failed', detail: ledger.error(ordinal) ?? 'failed' };
      case 'rejected':
        return { status: 'rejected', detail: ledger.error(ordinal) ?? 'rejected by the endpoint' };
      case 'not_sent':
        return { status: 'not_sent', detail: ledger.error(ordinal) ?? unsent.detail };
      case undefined: {
        const detail = unsent.detail === '' && ledger.isClear(ordinal) ? 'not in the input: would be cleared (--mode mirror)' : unsent.detail;
        return unsent.kind === 'valid' ? { status: 'valid', detail } : { status: 'not_sent', detail };
      }
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
