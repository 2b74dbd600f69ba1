/** What the emulator has been asked: counts by answer, customers received, and arrival times. */

/** Arrival times kept for rate checks; older ones are dropped so a long benchmark stays bounded. */
const MAX_STARTS = 100_000;

/** What the emulator answered (src/pipeline/report/summary.ts's RequestCounts are what a run sent). */
export interface AnsweredRequests {
  total: number;
  /** Keyed by HTTP status ('200', '429', …) or 'reset' for a destroyed socket. */
  byStatus: Record<string, number>;
  /** Customers listed in request bodies that passed validation. */
  customersReceived: number;
}

export class RequestStats {
  private counts: AnsweredRequests = { total: 0, byStatus: {}, customersReceived: 0 };
  private readonly starts = new Float64Array(MAX_STARTS);
  private startCount = 0;

  /** Records the arrival of a POST to the endpoint at `now` (ms). */
  arrived(now: number): void {
    this.starts[this.startCount % MAX_STARTS] = now;
    this.startCount++;
  }

  answered(status: number | 'reset'): void {
    this.counts.total++;
    this.counts.byStatus[status] = (this.counts.byStatus[status] ?? 0) + 1;
  }

  received(customers: number): void {
    this.counts.customersReceived += customers;
  }

  snapshot(): { requests: AnsweredRequests; starts: number[] } {
    return {
      requests: { ...this.counts, byStatus: { ...this.counts.byStatus } },
      starts: this.startsInOrder(),
    };
  }

  clear(): void {
    this.counts = { total: 0, byStatus: {}, customersReceived: 0 };
    this.startCount = 0;
  }

  private startsInOrder(): number[] {
    if (this.startCount <= MAX_STARTS) return Array.from(this.starts.subarray(0, this.startCount));
    const oldest = this.startCount % MAX_STARTS;
    return [...this.starts.subarray(oldest), ...this.starts.subarray(0, oldest)];
  }
}
