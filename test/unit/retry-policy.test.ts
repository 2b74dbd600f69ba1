import type { HttpOutcome } from '../../src/pipeline/send/post-outcome.js';
import {
  DEFAULT_RETRY_POLICY,
  isRetryable,
  retryDelay,
  validateRetryPolicy,
  type RetryPolicy,
} from '../../src/pipeline/send/retry-policy.js';

const policy: RetryPolicy = { maxAttempts: 6, baseMs: 500, capMs: 30_000 };
const serverError: HttpOutcome = { kind: 'http', status: 503, message: 'busy' };
const http = (status: number): HttpOutcome => ({ kind: 'http', status, message: 'x' });

describe('retryDelay', () => {
  it('draws the wait uniformly between 0 and an exponential ceiling (full jitter)', () => {
    expect(retryDelay(serverError, 1, policy, () => 0)).toBe(0);
    expect(retryDelay(serverError, 1, policy, () => 0.5)).toBe(250);
    expect(retryDelay(serverError, 2, policy, () => 0.5)).toBe(500);
    expect(retryDelay(serverError, 3, policy, () => 0.5)).toBe(1000);
    expect(retryDelay(serverError, 3, policy, () => 0.999_999)).toBeLessThan(2000);
  });

  it('never lets the ceiling grow past capMs', () => {
    const longPolicy = { ...policy, maxAttempts: 50 };
    expect(retryDelay(serverError, 30, longPolicy, () => 0.999_999)).toBeLessThan(30_000);
    expect(retryDelay(serverError, 30, longPolicy, () => 0.5)).toBe(15_000);
  });

  it('uses Retry-After as given, without jitter', () => {
    const limited: HttpOutcome = { kind: 'http', status: 429, message: 'slow down', retryAfterMs: 7_000 };
    expect(retryDelay(limited, 1, policy, () => 0)).toBe(7_000);
    expect(retryDelay(limited, 5, policy, () => 0.9)).toBe(7_000);
  });

  it('stops once maxAttempts attempts have been made', () => {
    expect(retryDelay(serverError, 5, policy, () => 0.5)).toBeDefined();
    expect(retryDelay(serverError, 6, policy, () => 0.5)).toBeUndefined();
    expect(retryDelay(serverError, 1, { ...policy, maxAttempts: 1 })).toBeUndefined();
  });

  it('does not retry client errors other than 408 and 429, nor a cancelled request', () => {
    for (const status of [400, 401, 403, 404, 409, 413, 422, 302]) {
      expect(retryDelay(http(status), 1, policy)).toBeUndefined();
    }
    expect(retryDelay({ kind: 'aborted' }, 1, policy)).toBeUndefined();
  });
});

describe('isRetryable', () => {
  it('retries 408, 429, 5xx, network failures, deadlines and malformed answers', () => {
    const retryable: HttpOutcome[] = [
      http(408),
      http(429),
      http(500),
      http(502),
      http(503),
      http(504),
      { kind: 'network', code: 'ECONNRESET' },
      { kind: 'timeout' },
      { kind: 'malformed', status: 200, reason: 'body is not JSON' },
    ];
    for (const outcome of retryable) expect(isRetryable(outcome)).toBe(true);
  });
});

describe('validateRetryPolicy', () => {
  it('accepts the defaults', () => {
    expect(validateRetryPolicy({ ...DEFAULT_RETRY_POLICY })).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('names the field and the bad value, as a bug (the config checked --max-attempts)', () => {
    expect(() => validateRetryPolicy({ ...policy, maxAttempts: 0 })).toThrow(RangeError);
    expect(() => validateRetryPolicy({ ...policy, maxAttempts: 0 })).toThrow(/maxAttempts.*got 0/);
    expect(() => validateRetryPolicy({ ...policy, baseMs: -1 })).toThrow(/baseMs.*got -1/);
    expect(() => validateRetryPolicy({ ...policy, capMs: 100 })).toThrow(/capMs.*got 100/);
  });
});
