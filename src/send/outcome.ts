/**
 * What one POST came to, as a value. Every failure the endpoint or the network can produce is one
 * of these kinds, so no raw HTTP-library error (which carries the Authorization header) ever
 * leaves src/send/http.ts.
 */

export type HttpOutcome =
  /** 2xx with `{updatedCustomers: string[]}`. */
  | { kind: 'ok'; updated: string[] }
  /** 2xx whose body is not that shape: a failure, never a success. */
  | { kind: 'malformed'; status: number; reason: string }
  /** Any other status. `message` is safe to show: built from {type,code,details} or a short excerpt. */
  | { kind: 'http'; status: number; retryAfterMs?: number; message: string }
  /** The connection failed: ECONNRESET, ECONNREFUSED, ... */
  | { kind: 'network'; code: string }
  /** Our total deadline for the request fired. */
  | { kind: 'timeout' }
  /** The caller's signal fired (hard stop). */
  | { kind: 'aborted' };

/** The key under which a request is counted in the run's statistics. */
export function statsKey(outcome: HttpOutcome): string {
  switch (outcome.kind) {
    case 'ok':
      return '200';
    case 'http':
      return String(outcome.status);
    default:
      return outcome.kind;
  }
}

/** A short explanation for logs and the report (a failed customer's `detail`). Never holds the token. */
export function describeOutcome(outcome: HttpOutcome): string {
  switch (outcome.kind) {
    case 'ok':
      return `HTTP 200 with ${outcome.updated.length} updated`;
    case 'malformed':
      return `malformed response (HTTP ${outcome.status}): ${outcome.reason}`;
    case 'http':
      return `HTTP ${outcome.status}: ${outcome.message}`;
    case 'network':
      return `network error ${outcome.code}`;
    case 'timeout':
      return 'request deadline exceeded';
    case 'aborted':
      return 'interrupted in flight';
  }
}

/** 401 and 403: the token is missing, expired or lacks rights. */
export function isAuthRejection(
  outcome: HttpOutcome,
): outcome is Extract<HttpOutcome, { kind: 'http' }> & { status: 401 | 403 } {
  return outcome.kind === 'http' && (outcome.status === 401 || outcome.status === 403);
}
