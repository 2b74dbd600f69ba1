/**
 * When to try a request again, and after how long. Pure: the randomness is a parameter.
 *
 * Backoff is exponential with FULL jitter (a uniformly random wait between 0 and the exponential
 * ceiling): after an outage, senders spread out instead of returning in lock-step. A Retry-After
 * from the endpoint is authoritative and replaces the jitter, up to `maxRetryWaitMs`.
 *
 * Throttling is not failure: a 429, and a 503 with Retry-After ("come back later"), do not use up
 * `maxAttempts`; attempts count the failures (5xx, network errors, timeouts, malformed answers).
 */
import { DEFAULTS } from '../../config/defaults.js';
import type { HttpOutcome } from './post-outcome.js';

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Ceiling of the first backoff; doubles with each attempt. */
  baseMs: number;
  /** Largest backoff ceiling. */
  capMs: number;
  /** The longest Retry-After waited for (--max-retry-wait); a longer one stops sending. */
  maxRetryWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: DEFAULTS.maxAttempts,
  baseMs: 500,
  capMs: 30_000,
  maxRetryWaitMs: DEFAULTS.maxRetryWait * 1000,
});

/**
 * Checks every field up front; the message names the field and the bad value. --max-attempts and
 * --max-retry-wait are checked by resolveRunConfig, naming the flag: a bad value here is a bug (RangeError).
 */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const { maxAttempts, baseMs, capMs } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a whole number ≥ 1 (got ${String(maxAttempts)}).`);
  }
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new RangeError(`retry baseMs must be ≥ 0 (got ${String(baseMs)}).`);
  if (!Number.isFinite(capMs) || capMs < baseMs) {
    throw new RangeError(`retry capMs must be ≥ baseMs (${baseMs}) (got ${String(capMs)}).`);
  }
  return policy;
}

/**
 * 408, 429, 5xx, network and TLS failures, our deadline and malformed 2xx may succeed on another try.
 * (A TLS failure, a 404 or a redirect before any request succeeded never gets here: the Sender
 * stops the run on it, see misconfiguration.ts. After a success they are one bad node or a
 * moment's glitch, and retried like any network error.)
 */
export function isRetryable(outcome: HttpOutcome): boolean {
  switch (outcome.kind) {
    case 'http':
      return outcome.status === 408 || outcome.status === 429 || outcome.status >= 500;
    case 'network':
    case 'tls':
    case 'timeout':
    case 'malformed':
      return true;
    case 'ok':
    case 'aborted':
      return false;
  }
}

/** A 429, or a 503 with Retry-After: the endpoint asks the client to slow down, it did not fail. */
export function isThrottling(outcome: HttpOutcome): boolean {
  return outcome.kind === 'http' && (outcome.status === 429 || (outcome.status === 503 && outcome.retryAfterMs !== undefined));
}

/** Full-jitter backoff before retry number `n` (1-based). */
export function backoff(n: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  return Math.floor(random() * ceiling);
}

/**
 * The wait before the next attempt, or undefined when the request must not be retried.
 * `attempt` is the 1-based number of the attempt that just produced `outcome`.
 */
export function retryDelay(
  outcome: HttpOutcome,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts || !isRetryable(outcome)) return undefined;
  if (outcome.kind === 'http' && outcome.retryAfterMs !== undefined) return outcome.retryAfterMs;
  return backoff(attempt, policy, random);
}
