/**
 * The circuit breaker: when the endpoint is down, stop every sender and probe it, one request at
 * a time with backoff, instead of letting each batch burn its attempts. Pure: the caller gives the
 * times; the scheduler (limiter.ts) asks it whether a request may start.
 *
 *   closed ──(TRIP_AFTER bad answers in a row)──▶ open ──(probe time)──▶ half-open (one probe)
 *      ▲                                          ▲                          │
 *      └──────────────(any good answer)───────────┴──────(probe failed)──────┘
 *
 * A bad answer is one waiting might change: 5xx, 429, 408, network errors, timeouts. (A malformed
 * 2xx is neither: the endpoint is up but garbling; it uses attempts as usual.) A good answer is a 2xx with the right shape, or any definitive answer (a 400, a 413: the
 * endpoint is up and reading requests). The bad answers that trip the breaker and every answer
 * while it is open are "free": they do not use up the attempts of their customers.
 *
 * The outage is timed from the first bad answer of the streak. Once it has lasted --max-outage
 * the last probe's failure gives up (the run stops sending and exits 1, to be retried later);
 * a probe is always made at that deadline, so an outage that ends just before it is ridden out.
 */

export const BREAKER_TUNING = Object.freeze({
  /**
   * Bad answers in a row that open the breaker. Below the default --max-attempts (6), so during
   * an outage no request can use up its attempts before the breaker opens; high enough that 20%
   * of 5xx (a streak of 5 has odds 1 in 3,000) rarely opens it, and when it does it costs a second.
   */
  tripAfter: 5,
  /** First wait before a probe; doubles with each failed probe. */
  probeBaseMs: 1_000,
  /** Longest wait between probes: an outage's end is noticed within this (one request per 5 s is no load). */
  probeCapMs: 5_000,
});

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerVerdict =
  /** The failure counts as an attempt of its request (the breaker stays closed). */
  | { kind: 'counted' }
  /** The failure is part of an outage: no attempt used. `opened`: this answer opened the breaker. */
  | { kind: 'free'; opened: boolean }
  /** The outage lasted --max-outage: stop sending. */
  | { kind: 'give-up'; outageMs: number };

export interface BreakerStats {
  /** Times the breaker opened. */
  opened: number;
  /** Probes sent while it was open. */
  probes: number;
  /** The longest outage ridden out or given up on, in ms (first bad answer to first good one). */
  longestMs: number;
}

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private streak = 0;
  private streakStartedAt = 0;
  private nextProbeAt = 0;
  private failedProbes = 0;
  private readonly counts: BreakerStats = { opened: 0, probes: 0, longestMs: 0 };

  constructor(
    private readonly maxOutageMs: number,
    private readonly tuning = BREAKER_TUNING,
  ) {
    if (!(maxOutageMs >= 0)) throw new TypeError(`maxOutageMs must be ≥ 0 (got ${maxOutageMs})`);
  }

  current(): BreakerState {
    return this.state;
  }

  stats(): BreakerStats {
    return { ...this.counts };
  }

  /**
   * The earliest time a request may start: `now` when closed, the probe time when open, Infinity
   * while a probe is out (its answer decides).
   */
  earliest(now: number): number {
    if (this.state === 'closed') return now;
    if (this.state === 'half-open') return Number.POSITIVE_INFINITY;
    return Math.max(now, this.nextProbeAt);
  }

  /** A request starts at `now` (allowed by `earliest`); true when it is the probe. */
  started(): boolean {
    if (this.state !== 'open') return false;
    this.state = 'half-open';
    this.counts.probes++;
    return true;
  }

  /** A good answer at `now`: the endpoint is up. True when this closed the breaker. */
  good(now: number): { closed: boolean; outageMs: number } {
    const wasOpen = this.state !== 'closed';
    const outageMs = wasOpen ? now - this.streakStartedAt : 0;
    if (wasOpen) this.counts.longestMs = Math.max(this.counts.longestMs, outageMs);
    this.state = 'closed';
    this.streak = 0;
    this.failedProbes = 0;
    return { closed: wasOpen, outageMs };
  }

  /**
   * A bad answer at `now`. `probe`: it answered the probe. `retryAfterMs`: the endpoint asked to
   * wait (the next probe waits at least that long).
   */
  bad(now: number, probe: boolean, retryAfterMs = 0): BreakerVerdict {
    if (this.state === 'closed') {
      if (this.streak === 0) this.streakStartedAt = now;
      this.streak++;
      if (this.streak < this.tuning.tripAfter) return { kind: 'counted' };
      this.state = 'open';
      this.counts.opened++;
      this.failedProbes = 0;
      this.nextProbeAt = this.probeTime(now, retryAfterMs);
      return { kind: 'free', opened: true };
    }
    // An answer of a request that was in flight when the breaker opened: free, and no probe's.
    if (!probe) {
      const deadline = this.streakStartedAt + this.maxOutageMs;
      this.nextProbeAt = Math.max(this.nextProbeAt, Math.min(deadline, now + retryAfterMs));
      return { kind: 'free', opened: false };
    }
    const outageMs = now - this.streakStartedAt;
    if (outageMs >= this.maxOutageMs) {
      this.counts.longestMs = Math.max(this.counts.longestMs, outageMs);
      return { kind: 'give-up', outageMs };
    }
    this.failedProbes++;
    this.state = 'open';
    this.nextProbeAt = this.probeTime(now, retryAfterMs);
    return { kind: 'free', opened: false };
  }

  /** Exponential backoff from the failed probes, at least Retry-After, never past the deadline. */
  private probeTime(now: number, retryAfterMs: number): number {
    const backoff = Math.min(this.tuning.probeCapMs, this.tuning.probeBaseMs * 2 ** this.failedProbes);
    const deadline = this.streakStartedAt + this.maxOutageMs;
    return Math.min(deadline, now + Math.max(backoff, retryAfterMs));
  }
}
