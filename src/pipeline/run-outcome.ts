/**
 * How a run ends, decided in this one module, pure: its status, exit code and message
 * (decideOutcome) and the advice printed after it (nextStep). Its callers only gather facts:
 *
 *   - the run (summary.ts, from what run-job.ts saw: a signal, a storage failure, a fatal
 *     error of the sender, a confirmation declined);
 *   - the guards: what checkGuards (guards.ts) refuses before sending is `rejected`, what
 *     --max-not-found stops while sending (send-pass.ts) is `notFoundGuard`;
 *   - `report merge` (report/merge-summary.ts): the shards' own outcomes are `shards`.
 */
import path from 'node:path';
import { ExitCode, type ExitCodeValue } from '../core/exit-codes.js';
import { AuthError, LocalStorageError, type SyncError } from '../core/errors.js';
import { REPORT_FILES } from '../core/report-files.js';
import type { Counts, RunStatus } from '../core/types.js';

/** What happened to the run as a whole, besides the counts. */
export interface RunFacts {
  /** The input was refused before anything was sent (a structural problem, or a guard before sending): why. */
  rejected?: string;
  /** The operator answered no to the confirmation before sending. */
  notConfirmed?: boolean;
  /** Stopped by SIGINT/SIGTERM/SIGHUP: the exit code of the signal. */
  interruptedWith?: ExitCodeValue;
  /** Sending stopped on an error no retry can mend: credentials refused, not the endpoint. */
  fatal?: SyncError;
  /**
   * --max-not-found tripped. `unchanged`: diff/mirror customers counted by the answer the state
   * holds for them (0 otherwise).
   */
  notFoundGuard?: { notFound: number; answered: number; threshold: string; unchanged?: number };
  /** Where sending stopped, for the message ("after file:line"). */
  stoppedAfter?: string;
  /** A report file or the journal could not be written (full disk, read-only, permissions): exit 8. */
  localStorage?: LocalStorageError;
  /**
   * `report merge`: the outcomes the shards' runs decided. A merged run's outcome is theirs, not
   * one decided again from the summed counts (the facts that decided them are not in the reports).
   */
  shards?: readonly ShardOutcome[];
}

/** A shard's outcome, as its summary.json records it. */
export interface ShardOutcome {
  status: RunStatus;
  exitCode: number;
  message?: string;
  shard?: { index: number; count: number };
}

export interface RunOutcome {
  status: RunStatus;
  exitCode: ExitCodeValue;
  /** Why the run ended the way it did, when the counts do not say it. */
  message?: string;
}

export const NOT_CONFIRMED_MESSAGE = 'not confirmed: nothing was sent (answer y to send, or pass --yes)';

/**
 * shards (report merge) → local storage (exit 8) → rejected → not confirmed → interrupted → fatal
 * (credentials, endpoint, requests rejected) → not-found guard → failed (customers to send and none
 * delivered) → partial (some failed or not sent: exit 1; only rejected ones undelivered: exit 7) →
 * succeeded (every valid customer updated or not found, also when there were none).
 */
export function decideOutcome(counts: Counts, facts: RunFacts): RunOutcome {
  if (facts.shards !== undefined) return mergedOutcome(facts.shards);
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
    const counted =
      unchanged > 0
        ? `${answered} customers answered (${unchanged} of them unchanged, by the state's earlier answers)`
        : `the first ${answered} customers answered`;
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

/**
 * The worst status of the shards, with the exit code of a shard that ended so. Among `partial`
 * shards, exit 1 (failures a retry can deliver) wins over exit 7 (only customers rejected one by
 * one): the retry is still worth it. The message: each shard's, prefixed with the shard.
 */
function mergedOutcome(shards: readonly ShardOutcome[]): RunOutcome {
  const [first] = shards;
  if (first === undefined) throw new RangeError('a merged run has at least one shard');
  const status = worstStatus(shards.map((s) => s.status));
  const worst = shards.filter((s) => s.status === status);
  // As the shard's own run decided it (summary-parse checked that it is an integer).
  const exitCode = (worst.find((s) => s.exitCode === ExitCode.PartialFailure) ?? worst[0] ?? first).exitCode as ExitCodeValue;
  const messages = shards.flatMap((s) =>
    s.message ? [s.shard ? `shard ${s.shard.index}/${s.shard.count}: ${s.message}` : s.message] : [],
  );
  return messages.length > 0 ? { status, exitCode, message: [...new Set(messages)].join('; ') } : { status, exitCode };
}

/** Worst first: the status of a merged report is the worst of its parts. */
const SEVERITY: readonly RunStatus[] = ['rejected', 'interrupted', 'failed', 'partial', 'succeeded'];

export function worstStatus(statuses: readonly RunStatus[]): RunStatus {
  return SEVERITY.find((status) => statuses.includes(status)) ?? 'succeeded';
}

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (SEVERITY as readonly string[]).includes(value);
}

/** A decided run, as its summary.json records it: what the advice of nextStep depends on. */
export interface DecidedRun {
  status: RunStatus;
  exitCode: number;
  counts: Counts;
  dryRun: boolean;
  /** The options recorded: the resend command names --delimiter when the input had another. */
  options: Record<string, unknown>;
}

/**
 * What to do next, printed after the summary (a run's, or a merged one): by exit code first, so the
 * advice matches what a scheduler does with the code. Names files in `reportDir`.
 */
export function nextStep(run: DecidedRun, reportDir: string): string | undefined {
  switch (run.exitCode) {
    case ExitCode.Usage:
      return run.status === 'rejected'
        ? 'nothing was sent; run again and answer y, or pass --yes'
        : 'fix the endpoint or configuration (see message), then run again: retrying as it is cannot help';
    case ExitCode.InputRejected:
      // A structural problem stops reading before any row is reported; a guardrail does not.
      return run.counts.rows > 0
        ? 'fix the input or the option named in the message (rows are in results.csv), then run again: nothing was sent'
        : 'fix the file (see message) and run again: nothing was sent';
    case ExitCode.AuthRejected:
      return 'fix the token, then run the same command again: acknowledged customers are not sent again';
    case ExitCode.NotFoundGuard:
      return 'check --env/--endpoint and --id-column against the platform: most customers are unknown there; a retry cannot help';
    case ExitCode.EndpointRejectsRequests:
      return 'the endpoint refuses the requests themselves (see message): check the API version and payload with the platform; a retry cannot help';
    case ExitCode.CustomersRejected:
      return `fix the customers in ${path.join(reportDir, REPORT_FILES.rejects)} (each with the endpoint's reason) at the source: resending them unchanged cannot help`;
    case ExitCode.LocalStorage:
      return 'free space or fix the permissions of the directory named in the message (or point --report-dir/--state-dir elsewhere), then run the same command again to resume';
    case ExitCode.HungUp:
    case ExitCode.Interrupted:
    case ExitCode.Terminated:
      return 'run the same command again to resume: acknowledged customers are not sent again';
    case ExitCode.PartialFailure: {
      const rejects =
        (run.counts.rejected ?? 0) > 0
          ? `; the rejected ones are in ${path.join(reportDir, REPORT_FILES.rejects)}, to fix at the source`
          : '';
      if (run.counts.failed === 0)
        return `run the same command again: customers not sent yet are sent, acknowledged ones are not${rejects}`;
      return `run the same command again, or resend only the undelivered customers: ${resendCommand(run, reportDir)}${rejects}`;
    }
    default:
      return run.dryRun ? 'to send, use segment-sync run with the same files (without --dry-run)' : undefined;
  }
}

/** retry.csv keeps the layout and id column but is always comma-separated. */
function resendCommand(run: DecidedRun, reportDir: string): string {
  const retry = path.join(reportDir, REPORT_FILES.retry);
  const delimiter = run.options.delimiter;
  const note = typeof delimiter === 'string' && delimiter !== ',' ? ' (with --delimiter ,)' : '';
  return `segment-sync run ${retry} with the same options${note}`;
}
