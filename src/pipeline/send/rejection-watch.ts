/**
 * Tells a 400 about particular customers from a 400 about the requests themselves (the API changed,
 * the payload is wrong), from the answers the Sender gets. State only, no I/O.
 *
 * The endpoint is on probation ('unknown') until it accepts a request. While on probation, the
 * first request answered 400 is not bisected: PROBE_SINGLES of its customers (first, middle, last)
 * are sent alone, and every other request of several customers waits (`probing`). If each is
 * refused the same way (one signature: the endpoint's type/code/details, or its message) while
 * nothing was accepted, no customer is at fault: `systemic()`. One 200 anywhere, or customers
 * refused for different reasons, shows the 400s are about customers ('per-customer'): bisection as
 * usual, and a customer refused alone is `rejected`.
 *
 * An endpoint that starts refusing everything mid-run is caught the same way: STREAK_TO_SUSPECT
 * 400s in a row with one signature and no 200 between them put it back on probation, so the next
 * 400 is probed instead of bisected.
 */
import type { HttpOutcome } from './post-outcome.js';

/** Customers of the first refused request sent alone; all refused the same way means systemic. */
export const PROBE_SINGLES = 3;
/** 400s in a row, with one signature and no 200 between them, that put the endpoint back on probation. */
export const STREAK_TO_SUSPECT = 6;

export type RejectionVerdict = 'systemic' | 'per-customer' | 'undecided';

export class RejectionWatch {
  private mode: 'unknown' | 'per-customer' = 'unknown';
  /** While on probation: how many customers sent alone were refused, by signature. */
  private readonly evidence = new Map<string, number>();
  private streak = { signature: '', count: 0 };
  private probe: { done: Promise<void>; release: () => void } | undefined;
  /**
   * 400s for several customers that arrived while on probation and are not settled yet: from the
   * moment the answer arrives (before its request gives up its limiter slot) until it starts a
   * probe or waits for one, no other request of several customers starts either.
   */
  private readonly arriving = new Set<HttpOutcome>();
  private waiters: (() => void)[] = [];

  /** The 400s are known to be about customers: bisect, and a customer refused alone is rejected. */
  get perCustomer(): boolean {
    return this.mode === 'per-customer';
  }

  /** A probe is running: requests of several customers wait for its verdict. */
  get probing(): boolean {
    return this.probe !== undefined;
  }

  /** A probe is running or about to start: a request of several customers must not start now. */
  get holding(): boolean {
    return this.probe !== undefined || this.arriving.size > 0;
  }

  /**
   * Called with each answer as it arrives, inside its limiter slot: a 400 for several customers
   * while on probation holds the other requests of several customers until `settling` it.
   */
  arrived(outcome: HttpOutcome, customers: number): void {
    if (customers > 1 && this.mode === 'unknown' && isRejection(outcome)) this.arriving.add(outcome);
  }

  /** The answer `arrived` was given is being settled (its probe starts, or it waits for one). */
  settling(outcome: HttpOutcome): void {
    if (this.arriving.delete(outcome)) this.wake();
  }

  /** Resolves when nothing holds requests back any more (no probe running or about to start). */
  async settled(): Promise<void> {
    if (!this.holding) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Starts a probe; call the function returned when its answers are all observed. */
  startProbe(): () => void {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const probe = { done, release };
    this.probe = probe;
    return () => {
      if (this.probe === probe) this.probe = undefined;
      probe.release();
      this.wake();
    };
  }

  /** Every final answer of a request of `customers` customers, in arrival order. */
  observe(outcome: HttpOutcome, customers: number): void {
    if (outcome.kind === 'ok') {
      this.mode = 'per-customer';
      this.evidence.clear();
      this.streak = { signature: '', count: 0 };
      return;
    }
    if (!isRejection(outcome)) return;
    const signature = signatureOf(outcome);
    this.streak = signature === this.streak.signature ? { signature, count: this.streak.count + 1 } : { signature, count: 1 };
    if (this.mode === 'per-customer' && this.streak.count >= STREAK_TO_SUSPECT) {
      // Nothing accepted for a while, and every refusal alike: on probation again.
      this.mode = 'unknown';
      this.evidence.clear();
    }
    if (this.mode !== 'unknown' || customers !== 1) return;
    this.evidence.set(signature, (this.evidence.get(signature) ?? 0) + 1);
    // Customers refused alone for different reasons: the refusals are about them.
    if (this.evidence.size > 1) {
      this.mode = 'per-customer';
      this.evidence.clear();
    }
  }

  private wake(): void {
    if (this.holding) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** What the answers observed so far say. */
  verdict(): RejectionVerdict {
    if (this.mode === 'per-customer') return 'per-customer';
    return this.systemic() === undefined ? 'undecided' : 'systemic';
  }

  /** The endpoint's reason when the 400s are about the requests themselves; else undefined. */
  systemic(): string | undefined {
    if (this.mode !== 'unknown' || this.evidence.size !== 1) return undefined;
    const [first] = this.evidence;
    if (first === undefined) return undefined;
    const [signature, count] = first;
    return count >= PROBE_SINGLES ? signature : undefined;
  }
}

/** A 400: the endpoint refuses the request as it is (not a throttle, not a failure of its own). */
export function isRejection(outcome: HttpOutcome): outcome is Extract<HttpOutcome, { kind: 'http' }> {
  return outcome.kind === 'http' && outcome.status === 400;
}

/**
 * How a refusal is told apart from another: the endpoint's message as interpreted (its
 * type/code/details, or an excerpt of the body). Two customers refused for their own reasons
 * differ (the details name the field or the id); a refusal of the request itself does not.
 */
export function signatureOf(outcome: Extract<HttpOutcome, { kind: 'http' }>): string {
  return outcome.message;
}

/** The positions of up to `k` customers spread over [start, end): first, last, and evenly between. */
export function spreadPicks(start: number, end: number, k: number): number[] {
  const n = end - start;
  if (n <= k) return Array.from({ length: n }, (_, i) => start + i);
  if (k === 1) return [start];
  const picks = new Set<number>();
  for (let j = 0; j < k; j++) picks.add(start + Math.round((j * (n - 1)) / (k - 1)));
  return [...picks].sort((a, b) => a - b);
}

/** [start, end) without the picked positions, as contiguous ranges. */
export function gapsBetween(start: number, end: number, picks: readonly number[]): [number, number][] {
  const gaps: [number, number][] = [];
  let from = start;
  for (const pick of picks) {
    if (pick > from) gaps.push([from, pick]);
    from = pick + 1;
  }
  if (end > from) gaps.push([from, end]);
  return gaps;
}
