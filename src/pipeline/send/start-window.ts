/**
 * The hard half of the rate contract: never more than `limit` request starts in any window of
 * `windowMs`, judged at the moment requests actually start.
 *
 * The scheduler (limiter.ts) spaces starts on a grid, but when the event loop is busy (parsing a
 * CSV chunk) a start can come late and the next ones bunch up behind it. This remembers the last
 * `limit` starts and holds a start back until the oldest of them has left the window. In steady
 * state the grid's pace is slower than this bound, so it never
 * delays anything; it only trims the bunching after a stall. Pure: the caller gives the time.
 */
export class StartWindow {
  /** Ring of the last `limit` reserved start times. */
  private readonly starts: number[];
  private oldest = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 1000,
  ) {
    // A fractional rate (a shard's share, say 1.25/s) averages out over several seconds, so one
    // window may hold ceil(rate) starts.
    this.starts = new Array<number>(Math.max(1, Math.ceil(limit))).fill(Number.NEGATIVE_INFINITY);
  }

  /** The earliest allowed start at or after `now`, without reserving it. */
  earliest(now: number): number {
    return Math.max(now, this.oldestStart() + this.windowMs + 1);
  }

  /** Reserves the earliest allowed start at or after `now`. */
  reserve(now: number): StartTicket {
    // Strictly more than a window after the start `limit` places back, so even a closed window
    // [t, t + windowMs] never holds more than `limit` starts.
    const slot = this.oldest;
    const at = Math.max(now, this.oldestStart() + this.windowMs + 1);
    this.starts[slot] = at;
    this.oldest = (slot + 1) % this.starts.length;
    return { slot, at };
  }

  /**
   * Counts a start as happening at `time` instead (later than reserved). For a request on a new
   * connection the endpoint sees it only after the connection (and TLS) is set up, so its real
   * arrival can be much later than its start while the next requests, on warm connections, arrive
   * at once: judged from the endpoint, the window would hold one start too many. Its answer's time
   * is a safe upper bound of its arrival. A no-op once the ticket's slot has been reused.
   */
  pushBack(ticket: StartTicket, time: number): void {
    if (this.starts[ticket.slot] === ticket.at) this.starts[ticket.slot] = Math.max(ticket.at, time);
  }

  /** The start in the oldest slot (the ring always holds `limit` of them, -Infinity when unused). */
  private oldestStart(): number {
    const start = this.starts[this.oldest];
    if (start === undefined) throw new RangeError(`start window slot ${this.oldest} is outside its ${this.starts.length} slots`);
    return start;
  }
}

export interface StartTicket {
  slot: number;
  at: number;
}
