/**
 * Adaptive pace (AIMD): the run finds the endpoint's rate limit by itself. Pure: the caller gives
 * the times; the scheduler (limiter.ts) applies the pace to its spacing of request starts.
 *
 * - A 429 lowers the pace multiplicatively. Only a request started after the last decrease counts:
 *   the 429s of requests already in flight at the old pace (a burst) lower it once, not once each.
 *   A 429 within a tenth of a second's worth of successes at the pace quarters it, within half a
 *   second's worth halves it: an over-asked rate is left fast (each 429 costs a Retry-After pause
 *   of every sender). A 429 after a longer run of successes means the pace only just crossed the
 *   limit, and lowers it by a fifth.
 * - Successes raise it back (per second of successes, capped at the requested rate): halfway each
 *   second towards a target just below the pace of the last 429 (a binary search: the limit lies
 *   between the two), at most +20%/s, then slowly (probing, +0.25/s + 1%/s) past it. Every 429 costs a whole
 *   Retry-After pause of every sender, so the
 *   pace should spend long just under the limit and cross it rarely: against a token bucket this
 *   gives a 429 every several seconds and 80-90% of the limit in successes.
 * - Never above the requested rate; with no requested rate (0 = unlimited) the first 429 starts the
 *   pace from half the start rate measured over the last second.
 *
 * Only 429 lowers the pace: a 503 with Retry-After is an overloaded or failing service, which the
 * pause and the circuit breaker handle; lowering the pace for an outage would make the run crawl
 * for minutes after the service is back.
 */

export const PACE_TUNING = Object.freeze({
  /** Factor on a 429 within a tenth of a second's worth of successes: the limit is far below. */
  plunge: 0.25,
  /** Factor on a 429 soon after the last decrease (far above the limit). */
  steepDecrease: 0.5,
  /** Factor on a 429 after at least half a second's worth of successes (just above the limit). */
  gentleDecrease: 0.8,
  /** The pace aims a little below the last 429's pace (which was above the limit). */
  target: 0.9,
  /** Share of the distance to the target closed per second of successes below it. */
  towardsTarget: 0.5,
  /** Probing, at or above the target: this share of the pace per second, plus `probeStep`. */
  probeShare: 0.01,
  probeStep: 0.25,
  /** The pace never rises faster than this share of itself per second. */
  maxRiseShare: 0.2,
  /** The pace never goes below this (or the requested rate, when lower). */
  floor: 1,
  /** A pace change is reported when the pace moved at least this share from the last one reported. */
  notableChange: 0.25,
});

export interface PaceStats {
  /** --rate for this process (0 = unlimited). */
  requested: number;
  /** The pace at the end, in requests/s (0 = unlimited: no 429 was ever answered). */
  final: number;
  /** The lowest pace of the run (0 = unlimited throughout). */
  min: number;
  /** Times a 429 lowered the pace. */
  decreases: number;
}

export interface PaceChange {
  from: number;
  to: number;
  reason: 'throttled' | 'recovering';
}

export class AdaptivePace {
  /** Requests/s; 0 = unlimited. */
  private pace: number;
  /** The pace at the last 429: the limit is below it. */
  private ceiling = Number.POSITIVE_INFINITY;
  private minPace: number;
  private decreases = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private lastSuccessAt: number | undefined;
  private successesSinceDecrease = 0;
  private reported: number;
  private readonly floor: number;

  constructor(readonly requested: number) {
    if (!(requested >= 0)) throw new TypeError(`requested rate must be ≥ 0 (got ${requested})`);
    this.pace = requested;
    this.minPace = requested;
    this.reported = requested;
    this.floor = requested > 0 ? Math.min(requested, PACE_TUNING.floor) : PACE_TUNING.floor;
  }

  /** Requests/s now; 0 = unlimited. */
  current(): number {
    return this.pace;
  }

  stats(): PaceStats {
    return { requested: this.requested, final: round(this.pace), min: round(this.minPace), decreases: this.decreases };
  }

  /**
   * A request started at `startedAt` was answered 429 at `now`. `measuredRate` is the start rate
   * of the last second (used only while the pace is unlimited). A notable change, or undefined.
   */
  throttled(startedAt: number, now: number, measuredRate: number): PaceChange | undefined {
    if (startedAt < this.lastDecreaseAt) return undefined;
    const base = this.pace === 0 ? Math.max(this.floor, measuredRate) : this.pace;
    const successes = this.successesSinceDecrease;
    const factor =
      successes >= base / 2 ? PACE_TUNING.gentleDecrease : successes >= base / 10 ? PACE_TUNING.steepDecrease : PACE_TUNING.plunge;
    const from = this.pace;
    this.ceiling = base;
    this.pace = Math.max(this.floor, base * factor);
    this.minPace = this.minPace === 0 ? this.pace : Math.min(this.minPace, this.pace);
    this.decreases++;
    this.lastDecreaseAt = now;
    this.lastSuccessAt = undefined;
    this.successesSinceDecrease = 0;
    return this.notable(from, 'throttled');
  }

  /** A request started at `startedAt` succeeded at `now`. A notable change, or undefined. */
  succeeded(startedAt: number, now: number): PaceChange | undefined {
    if (this.pace === 0 || startedAt < this.lastDecreaseAt) return undefined;
    this.successesSinceDecrease++;
    const last = this.lastSuccessAt;
    this.lastSuccessAt = now;
    if (last === undefined) return undefined;
    // A long gap (a pause, an idle moment) is not a second of successes at this pace.
    const seconds = Math.min(1, Math.max(0, now - last) / 1000);
    const from = this.pace;
    const target = this.ceiling * PACE_TUNING.target;
    const probe = PACE_TUNING.probeStep + this.pace * PACE_TUNING.probeShare;
    const perSecond = Math.min(this.pace * PACE_TUNING.maxRiseShare, Math.max(probe, (target - this.pace) * PACE_TUNING.towardsTarget));
    const raised = this.pace + perSecond * seconds;
    this.pace = this.requested > 0 ? Math.min(this.requested, raised) : raised;
    return this.notable(from, 'recovering');
  }

  private notable(from: number, reason: PaceChange['reason']): PaceChange | undefined {
    const reported = this.reported;
    const moved = reported === 0 ? true : Math.abs(this.pace - reported) / reported >= PACE_TUNING.notableChange;
    const reachedRequested = this.pace === this.requested && reported !== this.requested;
    if (!moved && !reachedRequested) return undefined;
    this.reported = this.pace;
    // from 0 = it was unlimited.
    return { from: round(from), to: round(this.pace), reason };
  }
}

function round(pace: number): number {
  return Math.round(pace * 100) / 100;
}
