/**
 * Request pacing and the in-flight cap, shared by every sender of a run.
 *
 * - rate > 0: bottleneck with minTime = 1000/rate (times a small margin, below) and
 *   maxConcurrent = concurrency. bottleneck schedules starts on an exact grid (each start is
 *   max(now, previous slot) + minTime), so the achieved rate does not drift; a StartWindow then
 *   guarantees the "at most `rate` starts in any second" bound at the actual start times,
 *   even after the event loop stalled.
 * - rate = 0 (unlimited): p-limit caps the requests in flight; no pacing.
 *
 * pauseFor (a Retry-After) is enforced at the moment a job would start, for both back-ends: a job
 * whose turn comes during a pause does not start; it waits for the pause to end and queues again,
 * so after the pause bottleneck paces the waiting jobs from the grid (no burst) and no request is
 * made while paused.
 */
import { setMaxListeners } from 'node:events';
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import { UsageError } from '../errors.js';
import { sleep } from './sleep.js';
import { StartWindow } from './start-window.js';

export interface LimiterOptions {
  /**
   * Requests started per second, spread evenly; 0 = unlimited. Fractions are fine (a shard's
   * share); then a single second may hold ceil(rate) starts.
   */
  rate: number;
  /** Requests in flight at once. */
  concurrency: number;
}

/** What `run` gives back when the job never started (the caller's signal fired, or the limiter stopped). */
export const NOT_STARTED: unique symbol = Symbol('not started');
export type NotStarted = typeof NOT_STARTED;

export interface Limiter {
  /** Runs `fn` when pace, cap and pauses allow; NOT_STARTED if `signal` fires or stop() comes first. */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T | NotStarted>;
  /** No request starts for `ms` (all senders); then the configured pace resumes. */
  pauseFor(ms: number): void;
  /** Jobs not yet started never start. Call at the end of a run to release timers. */
  stop(): void;
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

/** Queues jobs and starts them within the cap (and, for bottleneck, on pace). */
interface Backend {
  schedule<T>(job: () => Promise<T>): Promise<T>;
  stop(): void;
}

const DEFERRED: unique symbol = Symbol('deferred by a pause');

export function createLimiter(options: LimiterOptions): Limiter {
  const { rate, concurrency } = validateLimiterOptions(options);
  const backend = rate > 0 ? bottleneckBackend(rate, concurrency) : pLimitBackend(concurrency);
  const stopping = new AbortController();
  // Every queued job listens to it: many listeners is the design, not a leak.
  setMaxListeners(0, stopping.signal);
  let pausedUntil = 0;

  /** Queues `fn` once; DEFERRED when its turn came during a pause. */
  const startWhenAllowed = <T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T | NotStarted | typeof DEFERRED> =>
    new Promise((resolve, reject) => {
      let started = false;
      const unsubscribe = onAnyAbort([signal, stopping.signal], () => {
        if (!started) resolve(NOT_STARTED);
      });
      backend
        .schedule(async () => {
          if (signal?.aborted || stopping.signal.aborted) return NOT_STARTED;
          if (Date.now() < pausedUntil) return DEFERRED;
          started = true;
          return fn();
        })
        // After stop(), bottleneck rejects the jobs it dropped; those already resolved NOT_STARTED.
        .then(resolve, (error: unknown) => (stopping.signal.aborted && !started ? resolve(NOT_STARTED) : reject(error)))
        .finally(unsubscribe);
    });

  const waitOutPause = (signal?: AbortSignal): Promise<void> =>
    sleep(pausedUntil - Date.now(), signal ? AbortSignal.any([signal, stopping.signal]) : stopping.signal);

  return {
    async run(fn, signal) {
      for (;;) {
        if (Date.now() < pausedUntil) await waitOutPause(signal);
        if (signal?.aborted || stopping.signal.aborted) return NOT_STARTED;
        const result = await startWhenAllowed(fn, signal);
        if (result !== DEFERRED) return result;
      }
    },
    pauseFor(ms) {
      pausedUntil = Math.max(pausedUntil, Date.now() + ms);
    },
    stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      backend.stop();
    },
  };
}

export function validateLimiterOptions(options: LimiterOptions): LimiterOptions {
  const { rate, concurrency } = options;
  if (!Number.isFinite(rate) || rate < 0) {
    throw new UsageError(`rate must be a number of requests per second ≥ 0, 0 = unlimited (got ${String(rate)}).`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`concurrency must be a whole number ≥ 1 (got ${String(concurrency)}).`);
  }
  return options;
}

function bottleneckBackend(rate: number, concurrency: number): Backend {
  const bottleneck = new Bottleneck({ minTime: (1000 / rate) * PACING_MARGIN, maxConcurrent: concurrency });
  const window = new StartWindow(rate, 1000 + ENDPOINT_JITTER_MS);
  // The first `concurrency` requests open the connections (and pay the process's cold start): they
  // count as starting when answered, so the endpoint never sees them bunched with the warm ones.
  let coldStarts = concurrency;
  return {
    schedule: (job) =>
      bottleneck.schedule(async () => {
        const now = Date.now();
        const ticket = window.reserve(now);
        await sleep(ticket.at - now);
        if (coldStarts <= 0) return job();
        coldStarts--;
        try {
          return await job();
        } finally {
          window.pushBack(ticket, Date.now());
        }
      }),
    stop: () => {
      bottleneck.stop({ dropWaitingJobs: true }).catch(() => {
        // Stopping twice is the only failure; there is nothing left to release.
      });
    },
  };
}

function pLimitBackend(concurrency: number): Backend {
  const limit = pLimit(concurrency);
  return { schedule: (job) => limit(job), stop: () => limit.clearQueue() };
}

/** Calls `listener` once, when the first of the signals fires; returns the unsubscribe function. */
function onAnyAbort(signals: (AbortSignal | undefined)[], listener: () => void): () => void {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  const unsubscribe = (): void => {
    for (const s of present) s.removeEventListener('abort', fire);
  };
  const fire = (): void => {
    unsubscribe();
    listener();
  };
  if (present.some((s) => s.aborted)) {
    listener();
    return () => {};
  }
  for (const s of present) s.addEventListener('abort', fire, { once: true });
  return unsubscribe;
}
