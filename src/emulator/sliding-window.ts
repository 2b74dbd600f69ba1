/**
 * A sliding 1-second window: admits at most `limit` events in any window of `windowMs`. It keeps
 * only the times of the last `limit` admitted events (a ring), so each check is O(1): an event is
 * admitted when fewer than `limit` were admitted, or the oldest of the last `limit` is out of the
 * window. Refused events are not recorded, as a real limiter does not count what it turned away.
 */
export class SlidingWindow {
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(
    readonly limit: number,
    private readonly windowMs = 1000,
  ) {
    this.times = new Float64Array(limit);
  }

  /** Records the event at `now` (ms) and returns true if it fits in the window. */
  tryAdmit(now: number): boolean {
    if (this.limit === 0) return true;
    if (this.filled === this.limit && now - (this.times[this.next] ?? 0) < this.windowMs) return false;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.limit;
    this.filled = Math.min(this.filled + 1, this.limit);
    return true;
  }
}
