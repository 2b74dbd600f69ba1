/**
 * The scheduler of request starts: one place owns the pace, the cap on requests in flight, the
 * pauses the endpoint asks for (Retry-After), the circuit breaker and stop. A pure timing core
 * (StartSchedule: given the time, when may the next request start?) and a thin async adapter
 * (createLimiter: a FIFO queue and one timer).
 *
 * - Pace: starts are spaced 1000/pace ms apart (plus PACING_MARGIN) on a grid: a start that comes
 *   a few ms late (timer lateness) does not push the following ones back, so the achieved rate
 *   does not drift. The pace is adaptive (pace.ts): a 429 lowers it, successes raise it back,
 *   never above --rate.
 * - The hard half of --rate: a StartWindow at the requested rate guarantees "at most `rate`
 *   starts in any second" at the actual start times, even after the event loop stalled.
 * - rate = 0 (unlimited): only the cap, until a 429 gives the pace a value.
 * - pauseFor (a Retry-After): no request starts until it is over; then the pace resumes from the
 *   grid (no burst of the waiting requests).
 * - The breaker (breaker.ts): while open, nothing starts but one probe at a time.
 *
 * Senders report each answer with `record`; its verdict says whether the failure used up an
 * attempt (not during an outage) and whether to give up (the outage lasted --max-outage).
 */
import { BREAKER_TUNING, CircuitBreaker, type BreakerStats } from './breaker.js';
import { AdaptivePace, type PaceChange, type PaceStats } from './pace.js';
import { MAX_TIMER_MS } from './sleep.js';
import { StartWindow, type StartTicket } from './start-window.js';

export interface LimiterOptions {
  /**
   * Requests started per second at most, spread evenly; 0 = unlimited. Fractions are fine (a
   * shard's share); then a single second may hold ceil(rate) starts.
   */
  rate: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** How long an outage is ridden out before `record` says to give up (--max-outage); default: forever. */
  maxOutageMs?: number;
}

/** What `run` gives back when the job never started (the caller's signal fired, or the limiter stopped). */
export const NOT_STARTED: unique symbol = Symbol('not started');
export type NotStarted = typeof NOT_STARTED;

/** Handed to a job when it starts; give it back to `record` with the job's answer. */
export interface StartInfo {
  /** Epoch ms of the start. */
  readonly at: number;
  /** The breaker's probe: the one request allowed while the endpoint is thought down. */
  readonly probe: boolean;
}

/** What a request's answer says about the endpoint. */
export type Feedback =
  /** A 2xx with the right shape. */
  | { kind: 'ok' }
  /** A definitive answer (400, 413, …): the endpoint is up; the pace is not affected. */
  | { kind: 'answered' }
  /** 429 (the pace is lowered), or a 503 with Retry-After. */
  | { kind: 'throttled'; status: number; retryAfterMs?: number }
  /** 5xx, 408, network errors, timeouts. */
  | { kind: 'failed'; retryAfterMs?: number }
  /**
   * A 2xx whose body is not the answer: the endpoint is up but garbling, which no waiting mends.
   * It uses up an attempt and leaves the breaker and the pace as they are.
   */
  | { kind: 'malformed' };

export type LimiterEvent =
  | ({ type: 'pace' } & PaceChange)
  /** The breaker opened: requests stop, probes start. */
  | { type: 'outageStarted'; failures: number }
  | { type: 'outageOver'; ms: number }
  | { type: 'outageGaveUp'; ms: number };

export interface LimiterVerdict {
  /** Whether a failure uses up one of its request's attempts (not throttling, not during an outage). */
  counts: boolean;
  /** The outage lasted --max-outage: stop sending. */
  giveUp?: { outageMs: number; maxOutageMs: number };
  events: LimiterEvent[];
}

export interface LimiterStats {
  pace: PaceStats;
  outage: BreakerStats;
}

export interface Limiter {
  /** Runs `fn` when pace, cap, pauses and the breaker allow; NOT_STARTED if `signal` fires or stop() comes first. */
  run<T>(fn: (start: StartInfo) => Promise<T>, signal?: AbortSignal): Promise<T | NotStarted>;
  /** Reports the answer of a request started with `start` (call it before the job returns). */
  record(start: StartInfo, feedback: Feedback): LimiterVerdict;
  /** No request starts for `ms` (all senders); then the pace resumes. */
  pauseFor(ms: number): void;
  /** Jobs not yet started never start. Call at the end of a run to release timers. */
  stop(): void;
  stats(): LimiterStats;
}

/**
 * Safety margin on the spacing. At exactly 1000/rate ms the grid would sit right on the
 * StartWindow bound, where the ordinary lateness of timers would make the guard step in and the
 * rate drift down; 1.5% more spacing leaves ~15 ms of slack per second and keeps the achieved
 * rate within 2% of the target.
 */
const PACING_MARGIN = 1.015;

/**
 * The endpoint times arrivals with its own clock after its own event loop got to them, so starts
 * exactly a second apart can look a few milliseconds closer from there. The start window is
 * judged over a second plus this much; it stays inside the 15 ms of slack PACING_MARGIN leaves.
 */
const ENDPOINT_JITTER_MS = 10;

/** The pure timing core: when the next request may start, and what a start and an answer change. */
export class StartSchedule {
  readonly pace: AdaptivePace;
  readonly breaker: CircuitBreaker;
  private readonly window: StartWindow | undefined;
  private nextAt = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;
  /** Start times of the last second, for the measured rate (unlimited pace only). */
  private readonly recent: number[] = [];

  constructor(
    rate: number,
    private readonly maxOutageMs = Number.POSITIVE_INFINITY,
  ) {
    this.pace = new AdaptivePace(rate);
    this.breaker = new CircuitBreaker(maxOutageMs);
    this.window = rate > 0 ? new StartWindow(rate, 1000 + ENDPOINT_JITTER_MS) : undefined;
  }

  /** The earliest time (≥ now) the next request may start; Infinity while a probe is out. */
  earliest(now: number): number {
    return Math.max(now, this.pausedUntil, this.nextAt, this.window?.earliest(now) ?? now, this.breaker.earliest(now));
  }

  /** Records a start at `now` (when `earliest(now) <= now`). */
  start(now: number): { info: StartInfo; ticket: StartTicket | undefined } {
    const pace = this.pace.current();
    const interval = pace > 0 ? (1000 / pace) * PACING_MARGIN : 0;
    // On the grid when only a little late; from now when idle (or paused) for longer.
    const base = now >= this.nextAt && now - this.nextAt < interval ? this.nextAt : now;
    this.nextAt = base + interval;
    const ticket = this.window?.reserve(now);
    if (this.pace.current() === 0) {
      this.recent.push(now);
      for (let first = this.recent[0]; first !== undefined && first <= now - 1000; first = this.recent[0]) this.recent.shift();
    }
    return { info: { at: now, probe: this.breaker.started() }, ticket };
  }

  pauseFor(now: number, ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, now + ms);
  }

  record(start: StartInfo, feedback: Feedback, now: number): LimiterVerdict {
    const events: LimiterEvent[] = [];
    const paceChange = (change: PaceChange | undefined): void => {
      if (change) events.push({ type: 'pace', ...change });
    };
    if (feedback.kind === 'malformed') return { counts: this.breaker.current() === 'closed', events };
    if (feedback.kind === 'ok' || feedback.kind === 'answered') {
      const { closed, outageMs } = this.breaker.good(now);
      if (closed) events.push({ type: 'outageOver', ms: outageMs });
      if (feedback.kind === 'ok') paceChange(this.pace.succeeded(start.at, now));
      return { counts: true, events };
    }
    if (feedback.kind === 'throttled' && feedback.status === 429) paceChange(this.pace.throttled(start.at, now, this.measuredRate(now)));
    const verdict = this.breaker.bad(now, start.probe, feedback.retryAfterMs);
    if (verdict.kind === 'give-up') {
      events.push({ type: 'outageGaveUp', ms: verdict.outageMs });
      return { counts: false, giveUp: { outageMs: verdict.outageMs, maxOutageMs: this.maxOutageMs }, events };
    }
    if (verdict.kind === 'free' && verdict.opened) events.push({ type: 'outageStarted', failures: BREAKER_TUNING.tripAfter });
    return { counts: verdict.kind === 'counted', events };
  }

  /** Counts a cold start as happening at `time` (its answer), see StartWindow.pushBack. */
  pushBack(ticket: StartTicket, time: number): void {
    this.window?.pushBack(ticket, time);
  }

  stats(): LimiterStats {
    return { pace: this.pace.stats(), outage: this.breaker.stats() };
  }

  private measuredRate(now: number): number {
    return this.recent.filter((t) => t > now - 1000).length;
  }
}

interface Queued {
  fn: (start: StartInfo) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  unsubscribe: () => void;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const { rate, concurrency, maxOutageMs } = validateLimiterOptions(options);
  const schedule = new StartSchedule(rate, maxOutageMs);
  const queue: Queued[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // The first `concurrency` requests open the connections (and pay the process's cold start): they
  // count as starting when answered, so the endpoint never sees them bunched with the warm ones.
  let coldStarts = concurrency;

  const launch = (job: Queued, now: number): void => {
    job.unsubscribe();
    const { info, ticket } = schedule.start(now);
    const cold = ticket !== undefined && coldStarts-- > 0;
    inFlight++;
    let result: Promise<unknown>;
    try {
      result = job.fn(info);
    } catch (error) {
      result = Promise.reject(error);
    }
    result
      .finally(() => {
        inFlight--;
        if (cold) schedule.pushBack(ticket, Date.now());
        pump();
      })
      .then(job.resolve, job.reject);
  };

  function pump(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (!stopped && queue.length > 0 && inFlight < concurrency) {
      const now = Date.now();
      const at = schedule.earliest(now);
      if (at === Number.POSITIVE_INFINITY) return;
      if (at > now) {
        timer = setTimeout(pump, Math.min(MAX_TIMER_MS, Math.ceil(at - now)));
        return;
      }
      const next = queue.shift();
      if (next === undefined) throw new TypeError('the limiter queue emptied while it was being pumped');
      launch(next, now);
    }
  }

  return {
    run<T>(fn: (start: StartInfo) => Promise<T>, signal?: AbortSignal): Promise<T | NotStarted> {
      if (stopped || signal?.aborted) return Promise.resolve(NOT_STARTED);
      return new Promise<T | NotStarted>((resolve, reject) => {
        const job: Queued = { fn, resolve: resolve as (v: unknown) => void, reject, signal, unsubscribe: () => {} };
        if (signal) {
          const onAbort = (): void => {
            const index = queue.indexOf(job);
            if (index !== -1) queue.splice(index, 1);
            resolve(NOT_STARTED);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          job.unsubscribe = () => signal.removeEventListener('abort', onAbort);
        }
        queue.push(job);
        pump();
      });
    },
    record(start, feedback) {
      const verdict = schedule.record(start, feedback, Date.now());
      // The breaker may have closed, or the pace changed: the next start may be sooner or later.
      queueMicrotask(pump);
      return verdict;
    },
    pauseFor(ms) {
      schedule.pauseFor(Date.now(), ms);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const job of queue.splice(0)) {
        job.unsubscribe();
        job.resolve(NOT_STARTED);
      }
    },
    stats: () => schedule.stats(),
  };
}

/** --rate and --concurrency are checked by resolveRunConfig, naming the flag: a bad value here is a bug (RangeError). */
export function validateLimiterOptions(options: LimiterOptions): LimiterOptions {
  const { rate, concurrency } = options;
  if (!Number.isFinite(rate) || rate < 0) {
    throw new RangeError(`rate must be a number of requests per second ≥ 0, 0 = unlimited (got ${String(rate)}).`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1 (got ${String(concurrency)}).`);
  }
  return options;
}
