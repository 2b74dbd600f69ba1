/**
 * The endpoint is not taking requests for longer than the run will wait: a Retry-After above
 * --max-retry-wait, or an outage longer than --max-outage. Sending stops at once; customers not
 * sent are `not_sent` (with `notSentDetail`), the report is written and the run exits 1, so the
 * scheduler's retry resumes it later (the journal keeps what was delivered).
 */
import { SyncError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';

export type UnavailableCode = 'RETRY_AFTER_TOO_LONG' | 'ENDPOINT_UNAVAILABLE';

export class UnavailableError extends SyncError {
  readonly exitCode = ExitCode.PartialFailure;
  constructor(
    code: UnavailableCode,
    message: string,
    /** The `detail` of every customer not sent because of it; starts with 'not sent: '. */
    readonly notSentDetail: string,
  ) {
    super(code, message);
  }
}

export function retryWaitTooLong(waitMs: number, maxMs: number, answer: string): UnavailableError {
  const wait = seconds(waitMs);
  return new UnavailableError(
    'RETRY_AFTER_TOO_LONG',
    `the endpoint asked to wait ${wait} s (Retry-After, ${answer}), more than --max-retry-wait ${seconds(maxMs)} s: ` +
      'stopped sending; rerun the same command later to resume.',
    `not sent: the endpoint asked to wait ${wait} s, more than --max-retry-wait`,
  );
}

export function outageTooLong(outageMs: number, maxMs: number, answer: string): UnavailableError {
  return new UnavailableError(
    'ENDPOINT_UNAVAILABLE',
    `the endpoint failed every request for ${seconds(outageMs)} s (last answer: ${answer}), --max-outage is ${seconds(maxMs)} s: ` +
      'stopped sending; rerun the same command later to resume.',
    `not sent: endpoint unavailable for more than --max-outage (${seconds(maxMs)} s)`,
  );
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
