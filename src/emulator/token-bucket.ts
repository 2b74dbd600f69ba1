/**
 * A token bucket, as most API gateways limit: `capacity` tokens (the burst), refilled at `rate`
 * per second; a request takes one token or is refused. Unlike the sliding window it allows only a
 * small burst, so a client pacing a little above the rate is refused within a few requests.
 * Refused requests take no token. Pure: callers pass `now` (ms).
 */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    readonly rate: number,
    readonly capacity: number,
  ) {
    this.tokens = capacity;
  }

  tryTake(now: number): boolean {
    if (this.rate === 0) return true;
    if (this.last !== undefined) this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
