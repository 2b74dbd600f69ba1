/**
 * How a run ends, as a table: one row per status and exit code (guard trips and `report merge`
 * included), each with the exact message and the advice printed after the summary.
 */
import { DEFAULTS } from '../../src/config/defaults.js';
import { parseThreshold } from '../../src/config/threshold.js';
import { AuthError, EndpointError, LocalStorageError, RequestsRejectedError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { checkGuards } from '../../src/pipeline/guards.js';
import {
  decideOutcome,
  nextStep,
  NOT_CONFIRMED_MESSAGE,
  type RunFacts,
  type RunOutcome,
  type ShardOutcome,
} from '../../src/pipeline/run-outcome.js';
import { emptyCounts } from '../../src/pipeline/tally.js';
import { outageTooLong } from '../../src/pipeline/send/unavailable.js';
import type { Counts } from '../../src/core/types.js';

const counts = (over: Partial<Counts>): Counts => ({ ...emptyCounts(), ...over });

const guards = {
  maxInvalid: parseThreshold('--max-invalid', DEFAULTS.maxInvalid),
  maxClear: parseThreshold('--max-clear', DEFAULTS.maxClear),
};
/** What checkGuards refuses for these counts: the reason a guard trip hands to decideOutcome. */
const guardTrip = (c: Counts): string => {
  const reason = checkGuards(guards, { read: { rows: c.rows, invalid: c.invalid }, counts: c });
  if (reason === undefined) throw new Error('the guards let these counts through');
  return reason;
};

const invalidRows = counts({ rows: 60, invalid: 60 });
const blankRows = counts({ rows: 1000, customers: 1000, toClear: 300, notSent: 1000 });
const authError = new AuthError('The endpoint rejected the access token (HTTP 401).', 401);
const endpointError = new EndpointError('https://api.example/v3 answered HTTP 404.', 'https://api.example/v3', 'HTTP 404', 404);
const requestsRejected = new RequestsRejectedError(
  'The endpoint rejects the requests themselves (type=error, code=unsupportedPayload).',
  'type=error, code=unsupportedPayload',
);
const storageError = new LocalStorageError(
  'cannot write results.csv in /data/reports/x: no space left on the device (ENOSPC).',
  '/data/reports/x',
  'ENOSPC',
);
const unavailable = outageTooLong(601_000, 600_000, 'HTTP 503: x');

const DIR = 'reports/x';
const RESUME = 'run the same command again to resume: acknowledged customers are not sent again';

interface Row {
  counts: Partial<Counts> | Counts;
  facts: RunFacts;
  dryRun?: boolean;
  options?: Record<string, unknown>;
  outcome: RunOutcome;
  next: string | undefined;
}

const shard = (index: number, status: ShardOutcome['status'], exitCode: number, message?: string): ShardOutcome => ({
  status,
  exitCode,
  shard: { index, count: 3 },
  ...(message === undefined ? {} : { message }),
});

const TABLE: Record<string, Row> = {
  'exit 0, succeeded: every customer updated or not found': {
    counts: { customers: 3, updated: 2, notFound: 1 },
    facts: {},
    outcome: { status: 'succeeded', exitCode: ExitCode.Ok },
    next: undefined,
  },
  'exit 0, succeeded: a dry run, which says how to send': {
    counts: { rows: 3, customers: 3, notSent: 0 },
    facts: {},
    dryRun: true,
    outcome: { status: 'succeeded', exitCode: ExitCode.Ok },
    next: 'to send, use segment-sync run with the same files (without --dry-run)',
  },
  'exit 1, partial: some customers failed after their retries': {
    counts: { customers: 3, updated: 2, failed: 1 },
    facts: {},
    options: { delimiter: ';' },
    outcome: { status: 'partial', exitCode: ExitCode.PartialFailure },
    next: 'run the same command again, or resend only the undelivered customers: segment-sync run reports/x/retry.csv with the same options (with --delimiter ,)',
  },
  'exit 1, failed: none delivered, some not sent and some rejected': {
    counts: { customers: 3, notSent: 2, rejected: 1 },
    facts: {},
    outcome: { status: 'failed', exitCode: ExitCode.PartialFailure },
    next: 'run the same command again: customers not sent yet are sent, acknowledged ones are not; the rejected ones are in reports/x/rejects.csv, to fix at the source',
  },
  'exit 1, partial: the endpoint unavailable beyond --max-outage after some were delivered': {
    counts: { customers: 3, updated: 1, notSent: 2 },
    facts: { fatal: unavailable, stoppedAfter: '1 of 3 customers were answered' },
    outcome: { status: 'partial', exitCode: ExitCode.PartialFailure, message: unavailable.message },
    next: 'run the same command again: customers not sent yet are sent, acknowledged ones are not',
  },
  'exit 2, rejected: the confirmation declined': {
    counts: { customers: 2, notSent: 2 },
    facts: { notConfirmed: true },
    outcome: { status: 'rejected', exitCode: ExitCode.Usage, message: NOT_CONFIRMED_MESSAGE },
    next: 'nothing was sent; run again and answer y, or pass --yes',
  },
  'exit 2, failed: the URL is not the endpoint': {
    counts: { customers: 2, notSent: 2 },
    facts: { fatal: endpointError, stoppedAfter: '0 of 2 customers were answered' },
    outcome: { status: 'failed', exitCode: ExitCode.Usage, message: endpointError.message },
    next: 'fix the endpoint or configuration (see message), then run again: retrying as it is cannot help',
  },
  'exit 3, rejected: a structural problem, no row read': {
    counts: {},
    facts: { rejected: 'export.csv: line 1: no document_id column' },
    outcome: { status: 'rejected', exitCode: ExitCode.InputRejected, message: 'export.csv: line 1: no document_id column' },
    next: 'fix the file (see message) and run again: nothing was sent',
  },
  'exit 3, rejected: the --max-invalid guard trips before sending': {
    counts: invalidRows,
    facts: { rejected: guardTrip(invalidRows) },
    outcome: {
      status: 'rejected',
      exitCode: ExitCode.InputRejected,
      message: '60 of 60 (100%) rows are invalid, more than --max-invalid 100,10%; see results.csv. Nothing was sent.',
    },
    next: 'fix the input or the option named in the message (rows are in results.csv), then run again: nothing was sent',
  },
  'exit 3, rejected: the --max-clear guard trips before sending': {
    counts: blankRows,
    facts: { rejected: guardTrip(blankRows) },
    outcome: {
      status: 'rejected',
      exitCode: ExitCode.InputRejected,
      message:
        '300 of 1000 (30%) customers would have all their segments cleared (rows with every segment cell blank, or segments null or []), ' +
        'more than --max-clear 10%. If that is meant, raise --max-clear; to skip blank rows instead, use --skip-empty. Nothing was sent.',
    },
    next: 'fix the input or the option named in the message (rows are in results.csv), then run again: nothing was sent',
  },
  'exit 4, failed: the token refused': {
    counts: { customers: 9, updated: 4, notSent: 5 },
    facts: { fatal: authError, stoppedAfter: '4 of 9 customers were answered' },
    outcome: {
      status: 'failed',
      exitCode: ExitCode.AuthRejected,
      message:
        'authentication rejected (401); stopped sending after 4 of 9 customers were answered. Check the token, then rerun the same command to resume.',
    },
    next: 'fix the token, then run the same command again: acknowledged customers are not sent again',
  },
  'exit 5, failed: the --max-not-found guard trips while sending': {
    counts: { customers: 500, notFound: 180, updated: 20, notSent: 300 },
    facts: { notFoundGuard: { notFound: 180, answered: 200, threshold: '50%', unchanged: 0 } },
    outcome: {
      status: 'failed',
      exitCode: ExitCode.NotFoundGuard,
      message:
        '180 of the first 200 customers answered were not found, more than --max-not-found 50%: ' +
        'the wrong environment (--env/--endpoint) or id column (--id-column)? Stopped sending; a retry cannot help.',
    },
    next: 'check --env/--endpoint and --id-column against the platform: most customers are unknown there; a retry cannot help',
  },
  'exit 6, failed: the endpoint rejects the requests themselves': {
    counts: { customers: 250, notSent: 250 },
    facts: { fatal: requestsRejected, stoppedAfter: '0 of 250 customers were answered' },
    outcome: { status: 'failed', exitCode: ExitCode.EndpointRejectsRequests, message: requestsRejected.message },
    next: 'the endpoint refuses the requests themselves (see message): check the API version and payload with the platform; a retry cannot help',
  },
  'exit 7, partial: only customers rejected one by one undelivered': {
    counts: { customers: 4, updated: 2, rejected: 2 },
    facts: {},
    outcome: {
      status: 'partial',
      exitCode: ExitCode.CustomersRejected,
      message:
        'the endpoint rejected 2 customers one by one (HTTP 400 sent alone), every other customer was delivered: see rejects.csv for each reason. ' +
        'Fix them at the source; resending them unchanged cannot help.',
    },
    next: "fix the customers in reports/x/rejects.csv (each with the endpoint's reason) at the source: resending them unchanged cannot help",
  },
  'exit 8, failed: a report file could not be written': {
    counts: { customers: 4, updated: 1, notSent: 3 },
    facts: { localStorage: storageError, stoppedAfter: '1 of 4 customers were answered' },
    outcome: {
      status: 'failed',
      exitCode: ExitCode.LocalStorage,
      message: `${storageError.message} Sending stopped after 1 of 4 customers were answered.`,
    },
    next: 'free space or fix the permissions of the directory named in the message (or point --report-dir/--state-dir elsewhere), then run the same command again to resume',
  },
  'exit 129, interrupted: SIGHUP': {
    counts: { customers: 2, updated: 1, notSent: 1 },
    facts: { interruptedWith: ExitCode.HungUp, stoppedAfter: '1 of 2 customers were answered' },
    outcome: {
      status: 'interrupted',
      exitCode: ExitCode.HungUp,
      message: 'interrupted after 1 of 2 customers were answered; rerun the same command to resume.',
    },
    next: RESUME,
  },
  'exit 130, interrupted: SIGINT while validating': {
    counts: { rows: 5 },
    facts: { interruptedWith: ExitCode.Interrupted },
    outcome: { status: 'interrupted', exitCode: ExitCode.Interrupted, message: 'interrupted; rerun the same command to resume.' },
    next: RESUME,
  },
  'exit 143, interrupted: SIGTERM': {
    counts: { customers: 2, updated: 1, notSent: 1 },
    facts: { interruptedWith: ExitCode.Terminated, stoppedAfter: '1 of 2 customers were answered' },
    outcome: {
      status: 'interrupted',
      exitCode: ExitCode.Terminated,
      message: 'interrupted after 1 of 2 customers were answered; rerun the same command to resume.',
    },
    next: RESUME,
  },
  'report merge, succeeded: every shard succeeded': {
    counts: { customers: 6, updated: 6 },
    facts: { shards: [shard(0, 'succeeded', 0), shard(1, 'succeeded', 0), shard(2, 'succeeded', 0)] },
    outcome: { status: 'succeeded', exitCode: ExitCode.Ok },
    next: undefined,
  },
  'report merge, partial: exit 1 of a partial shard wins over exit 7 of another': {
    counts: { customers: 6, updated: 4, failed: 1, rejected: 1 },
    facts: { shards: [shard(0, 'partial', 7, 'the endpoint rejected 1 customer'), shard(1, 'partial', 1), shard(2, 'succeeded', 0)] },
    outcome: { status: 'partial', exitCode: ExitCode.PartialFailure, message: 'shard 0/3: the endpoint rejected 1 customer' },
    next: 'run the same command again, or resend only the undelivered customers: segment-sync run reports/x/retry.csv with the same options; the rejected ones are in reports/x/rejects.csv, to fix at the source',
  },
  'report merge, interrupted: the worst status decides, whatever the summed counts': {
    counts: { customers: 6, updated: 6 },
    facts: {
      shards: [
        shard(0, 'succeeded', 0),
        shard(1, 'interrupted', 143, 'interrupted; rerun'),
        shard(2, 'failed', 4, 'auth'),
        shard(1, 'interrupted', 143, 'interrupted; rerun'),
      ],
    },
    outcome: { status: 'interrupted', exitCode: ExitCode.Terminated, message: 'shard 1/3: interrupted; rerun; shard 2/3: auth' },
    next: RESUME,
  },
  'report merge, rejected: an unsharded report keeps its message as it is': {
    counts: { rows: 60, invalid: 60 },
    facts: { shards: [{ status: 'rejected', exitCode: 3, message: 'too many invalid rows' }, shard(1, 'succeeded', 0)] },
    outcome: { status: 'rejected', exitCode: ExitCode.InputRejected, message: 'too many invalid rows' },
    next: 'fix the input or the option named in the message (rows are in results.csv), then run again: nothing was sent',
  },
};

describe('decideOutcome and nextStep, one row per status and exit code', () => {
  test.each(Object.entries(TABLE))('%s', (_name, row) => {
    const given = counts(row.counts);
    const outcome = decideOutcome(given, row.facts);
    expect(outcome).toEqual(row.outcome);
    // Exactly the keys it has: no message key when the counts say it all.
    expect(Object.keys(outcome)).toEqual(Object.keys(row.outcome));
    expect(nextStep({ ...outcome, counts: given, dryRun: row.dryRun ?? false, options: row.options ?? {} }, DIR)).toBe(row.next);
  });

  test('every exit code a run can end with has a row', () => {
    const codes = new Set(Object.values(TABLE).map((row) => row.outcome.exitCode));
    expect([...codes].sort((a, b) => a - b)).toEqual(Object.values(ExitCode).sort((a, b) => a - b));
  });

  test('a merge of no shard is a bug, not an outcome', () => {
    expect(() => decideOutcome(counts({}), { shards: [] })).toThrow(RangeError);
  });
});
