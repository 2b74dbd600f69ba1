/** How a run ended: its status, exit code and message, decided in one place. Pure. */
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { AuthError, LocalStorageError, type SyncError } from '../errors.js';
import type { Counts, RunStatus } from '../types.js';

/** What happened to the run as a whole, besides the counts. */
export interface RunFacts {
  /** The input was refused before anything was sent: why. */
  rejected?: string;
  /** The operator answered no to the confirmation before sending. */
  notConfirmed?: boolean;
  /** Stopped by SIGINT/SIGTERM: the exit code of the signal. */
  interruptedWith?: ExitCodeValue;
  /** Sending stopped on an error no retry can mend: credentials refused, not the endpoint. */
  fatal?: SyncError;
  /** --max-not-found tripped. */
  /** `unchanged`: diff/mirror customers counted by the answer the state holds for them (0 otherwise). */
  notFoundGuard?: { notFound: number; answered: number; threshold: string; unchanged?: number };
  /** Where sending stopped, for the message ("after file:line"). */
  stoppedAfter?: string;
  /** A report file or the journal could not be written (full disk, read-only, permissions): exit 8. */
  localStorage?: LocalStorageError;
}

export interface RunOutcome {
  status: RunStatus;
  exitCode: ExitCodeValue;
  /** Why the run ended the way it did, when the counts do not say it. */
  message?: string;
}

export const NOT_CONFIRMED_MESSAGE = 'not confirmed: nothing was sent (answer y to send, or pass --yes)';

/**
 * local storage (exit 8) → rejected → not confirmed → interrupted → fatal (credentials, endpoint,
 * requests rejected) → not-found guard → failed (customers to send and none delivered) → partial
 * (some failed or not sent: exit 1; only rejected ones undelivered: exit 7) → succeeded (every valid
 * customer updated or not found, also when there were none).
 */
export function decideOutcome(counts: Counts, facts: RunFacts): RunOutcome {
  const where = facts.stoppedAfter ? ` after ${facts.stoppedAfter}` : '';
  // First: whatever else happened, the same volume would fail a retry the same way.
  const storage = facts.localStorage ?? (facts.fatal instanceof LocalStorageError ? facts.fatal : undefined);
  if (storage !== undefined) {
    return { status: 'failed', exitCode: ExitCode.LocalStorage, message: `${storage.message}${where ? ` Sending stopped${where}.` : ''}` };
  }
  if (facts.rejected !== undefined) return { status: 'rejected', exitCode: ExitCode.InputRejected, message: facts.rejected };
  if (facts.notConfirmed) return { status: 'rejected', exitCode: ExitCode.Usage, message: NOT_CONFIRMED_MESSAGE };
  if (facts.interruptedWith !== undefined) {
    return { status: 'interrupted', exitCode: facts.interruptedWith, message: `interrupted${where}; rerun the same command to resume.` };
  }
  const { fatal } = facts;
  if (fatal instanceof AuthError) {
    return {
      status: 'failed',
      exitCode: fatal.exitCode,
      message: `authentication rejected (${fatal.status}); stopped sending${where}. Check the token, then rerun the same command to resume.`,
    };
  }
  // The endpoint is unavailable for longer than the run waits (--max-outage, --max-retry-wait):
  // exit 1 so the scheduler retries later; partial when some customers were delivered.
  if (fatal !== undefined && fatal.exitCode === ExitCode.PartialFailure) {
    const delivered = deliveredOf(counts);
    return { status: delivered === 0 ? 'failed' : 'partial', exitCode: ExitCode.PartialFailure, message: fatal.message };
  }
  // The endpoint's own message (a wrong URL; requests rejected, exit 6: RequestsRejectedError)
  // says it stopped and what to fix.
  if (fatal !== undefined) return { status: 'failed', exitCode: fatal.exitCode, message: fatal.message };
  if (facts.notFoundGuard !== undefined) {
    const { notFound, answered, threshold, unchanged = 0 } = facts.notFoundGuard;
    const counted = unchanged > 0 ? `${answered} customers answered (${unchanged} of them unchanged, by the state's earlier answers)` : `the first ${answered} customers answered`;
    return {
      status: 'failed',
      exitCode: ExitCode.NotFoundGuard,
      message:
        `${notFound} of ${counted} were not found, more than --max-not-found ${threshold}: ` +
        'the wrong environment (--env/--endpoint) or id column (--id-column)? Stopped sending; a retry cannot help.',
    };
  }
  // A summary written before `rejected` existed has none.
  const rejected = counts.rejected ?? 0;
  const retryable = counts.failed + counts.notSent;
  if (retryable + rejected === 0) return { status: 'succeeded', exitCode: ExitCode.Ok };
  const delivered = deliveredOf(counts);
  const status = delivered === 0 ? 'failed' : 'partial';
  // A retry can still deliver failed and unsent customers: exit 1 even when some were rejected too.
  if (retryable > 0) return { status, exitCode: ExitCode.PartialFailure };
  return {
    status,
    exitCode: ExitCode.CustomersRejected,
    message:
      `the endpoint rejected ${rejected} ${rejected === 1 ? 'customer' : 'customers'} one by one (HTTP 400 sent alone)` +
      `${delivered > 0 ? ', every other customer was delivered' : ''}: see rejects.csv for each reason. ` +
      'Fix them at the source; resending them unchanged cannot help.',
  };
}

/** Customers the endpoint holds as the input says: answered, cleared, or unchanged since an earlier answer. */
function deliveredOf(counts: Counts): number {
  // Summaries written before incremental sync have no `cleared` nor `unchanged`.
  return counts.updated + counts.notFound + (counts.cleared ?? 0) + (counts.unchanged ?? 0);
}

/** Worst first: the status of a merged report is the worst of its parts. */
const SEVERITY: readonly RunStatus[] = ['rejected', 'interrupted', 'failed', 'partial', 'succeeded'];

export function worstStatus(statuses: readonly RunStatus[]): RunStatus {
  return SEVERITY.find((status) => statuses.includes(status)) ?? 'succeeded';
}

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (SEVERITY as readonly string[]).includes(value);
}
