/** The arithmetic of the benchmark, kept pure so it can be tested without running anything. */

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  // `as number`: the list is not empty, so 0 <= mid - 1 < mid < length for an even count, mid < length for an odd one.
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

export interface RateFigures {
  requests: number;
  /** (n-1) intervals over the time from the first start to the last. */
  achievedPerSecond: number;
  /** achieved / asked. */
  ratio: number;
  /** Most starts within any window [t, t + 1 s). */
  maxInAnySecond: number;
}

/** How well request start times (ms, any order) kept to `rate` requests per second. */
export function rateFigures(starts: readonly number[], rate: number): RateFigures {
  const sorted = [...starts].sort((a, b) => a - b);
  const span = sorted.length > 1 ? (sorted.at(-1) as number) - (sorted[0] as number) : 0; // length > 1: both exist
  const achievedPerSecond = perSecond(sorted.length - 1, span);
  return { requests: sorted.length, achievedPerSecond, ratio: achievedPerSecond / rate, maxInAnySecond: maxInWindow(sorted, 1000) };
}

/**
 * The most points of a sorted list inside any half-open window of `widthMs`. Every busiest window
 * can be slid right until it starts at a point, so only windows starting at points are tried.
 */
export function maxInWindow(sorted: readonly number[], widthMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    // `as number`: last < sorted.length, and first <= last for widthMs > 0 (a point is not that far from itself).
    while ((sorted[last] as number) - (sorted[first] as number) >= widthMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** A point of progress: customers done by a time (epoch ms). */
export interface ProgressPoint {
  atMs: number;
  done: number;
}

/** Customers per second from the first point to the last, or undefined with fewer than two. */
export function rateBetween(points: readonly ProgressPoint[]): number | undefined {
  const first = points[0];
  const last = points.at(-1);
  if (first === undefined || last === undefined || last.atMs <= first.atMs) return undefined;
  return perSecond(last.done - first.done, last.atMs - first.atMs);
}
