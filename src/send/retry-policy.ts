/**
 * When to try a request again, and after how long. Pure: the randomness is a parameter.
 *
 * Backoff is exponential with FULL jitter (a uniformly random wait between 0 and the exponential
 * ceiling): after an outage, senders spread out instead of returning in lock-step. A Retry-After
 * from the endpoint is authoritative and replaces the jitter.
 */
import { DEFAULTS } from '../config/defaults.js';
import { UsageError } from '../errors.js';
import type { HttpOutcome } from './outcome.js';

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Ceiling of the first backoff; doubles with each attempt. */
  baseMs: number;
  /** Largest backoff ceiling. */
  capMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: DEFAULTS.maxAttempts,
  baseMs: 500,
  capMs: 30_000,
});

/** Checks every field up front; the message names the field and the bad value. */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const { maxAttempts, baseMs, capMs } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new UsageError(`maxAttempts must be a whole number ≥ 1 (got ${String(maxAttempts)}).`);
  }
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new UsageError(`retry baseMs must be ≥ 0 (got ${String(baseMs)}).`);
  if (!Number.isFinite(capMs) || capMs < baseMs) {
    throw new UsageError(`retry capMs must be ≥ baseMs (${baseMs}) (got ${String(capMs)}).`);
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
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}
