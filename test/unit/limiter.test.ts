/**
 * Pacing is checked with real timers and generous tolerances: spacing at least 90% of the
 * interval, and order of events, never exact durations.
 */
import { createLimiter, NOT_STARTED, type Limiter } from '../../src/pipeline/send/limiter.js';

let limiter: Limiter | undefined;
afterEach(() => limiter?.stop());

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `count` jobs at once, each recording when it started and holding its slot for `holdMs`. */
async function startTimes(l: Limiter, count: number, holdMs = 0): Promise<number[]> {
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: count }, () =>
      l.run(async () => {
        starts.push(Date.now());
        await delay(holdMs);
      }),
    ),
  );
  return starts.sort((a, b) => a - b);
}

/**
 * Starts are paced when, over the run, they are at least 90% of the interval apart on average and
 * no second holds more than the rate. (One gap may be short when a timer fires late on a busy
 * machine; the grid catches up, so a single gap is not asserted.)
 */
function expectPaced(starts: number[], intervalMs: number, rate: number): void {
  expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual((starts.length - 1) * intervalMs * 0.9);
  expect(mostInAnySecond(starts)).toBeLessThanOrEqual(rate);
}

/** The largest number of starts in any closed window [t, t + 1000 ms]. */
function mostInAnySecond(starts: number[]): number {
  return Math.max(...starts.map((from) => starts.filter((t) => t >= from && t <= from + 1000).length));
}

/** Keeps the event loop busy, as parsing a large CSV chunk would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('createLimiter', () => {
  it('spaces request starts evenly at the configured rate', async () => {
    limiter = createLimiter({ rate: 20, concurrency: 10 });
    expectPaced(await startTimes(limiter, 6), 50, 20);
  });

  it('never starts more than `rate` requests in any one-second window', async () => {
    limiter = createLimiter({ rate: 8, concurrency: 10 });
    expect(mostInAnySecond(await startTimes(limiter, 10))).toBeLessThanOrEqual(8);
  });

  it('keeps that bound when a stalled event loop fires several due starts at once', async () => {
    limiter = createLimiter({ rate: 5, concurrency: 8 });
    const starts: number[] = [];
    const l = limiter;
    const jobs = Array.from({ length: 8 }, (_, i) =>
      l.run(async () => {
        starts.push(Date.now());
        // Stall once the following starts are already scheduled, so their timers come due together.
        if (i === 0) setTimeout(() => stall(700), 50);
      }),
    );
    await Promise.all(jobs);
    expect(mostInAnySecond(starts)).toBeLessThanOrEqual(5);
  });

  it('keeps no more than `concurrency` requests in flight', async () => {
    for (const rate of [0, 200]) {
      limiter = createLimiter({ rate, concurrency: 2 });
      let inFlight = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 6 }, () =>
          limiter!.run(async () => {
            most = Math.max(most, ++inFlight);
            await delay(30);
            inFlight--;
          }),
        ),
      );
      expect(most).toBe(2);
      limiter.stop();
    }
  });

  it('starts nothing during a pause, then resumes at the configured pace without a burst', async () => {
    limiter = createLimiter({ rate: 20, concurrency: 10 });
    await limiter.run(async () => {});
    const pausedAt = Date.now();
    limiter.pauseFor(300);
    const starts = await startTimes(limiter, 4);
    expect(starts[0]! - pausedAt).toBeGreaterThanOrEqual(290);
    expectPaced(starts, 50, 20);
  });

  it('holds back jobs already queued when the pause begins', async () => {
    limiter = createLimiter({ rate: 10, concurrency: 4 });
    const starts: number[] = [];
    const l = limiter;
    const first = l.run(async () => {
      starts.push(Date.now());
      l.pauseFor(400);
    });
    const queued = [1, 2].map(() => l.run(async () => void starts.push(Date.now())));
    await Promise.all([first, ...queued]);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(390);
    expect(starts[2]! - starts[0]!).toBeGreaterThanOrEqual(390 + 90);
  });

  it('pauses an unlimited limiter too', async () => {
    limiter = createLimiter({ rate: 0, concurrency: 4 });
    const pausedAt = Date.now();
    limiter.pauseFor(200);
    const starts = await startTimes(limiter, 3);
    expect(starts[0]! - pausedAt).toBeGreaterThanOrEqual(190);
  });

  it('gives up on a queued job when its signal fires, without ever running it', async () => {
    limiter = createLimiter({ rate: 0, concurrency: 1 });
    const stop = new AbortController();
    let ran = false;
    const busy = limiter.run(() => delay(100));
    const queued = limiter.run(async () => {
      ran = true;
    }, stop.signal);
    stop.abort();
    await expect(queued).resolves.toBe(NOT_STARTED);
    await busy;
    await delay(10);
    expect(ran).toBe(false);
  });

  it('lets a started job finish when its signal fires', async () => {
    limiter = createLimiter({ rate: 5, concurrency: 1 });
    const stop = new AbortController();
    const running = limiter.run(async () => {
      stop.abort();
      await delay(20);
      return 'done';
    }, stop.signal);
    await expect(running).resolves.toBe('done');
  });

  it('on stop, settles every queued job as not started', async () => {
    for (const rate of [0, 2]) {
      const l = createLimiter({ rate, concurrency: 1 });
      let busyStarted!: () => void;
      const started = new Promise<void>((resolve) => (busyStarted = resolve));
      const busy = l.run(async () => {
        busyStarted();
        await delay(50);
        return 'finished';
      });
      const queued = [l.run(async () => 'ran'), l.run(async () => 'ran')];
      await started;
      l.stop();
      await expect(Promise.all(queued)).resolves.toEqual([NOT_STARTED, NOT_STARTED]);
      await expect(busy).resolves.toBe('finished');
      await expect(l.run(async () => 'ran')).resolves.toBe(NOT_STARTED);
    }
  });

  it('propagates the failure of a job', async () => {
    limiter = createLimiter({ rate: 0, concurrency: 1 });
    await expect(limiter.run(() => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
  });

  it('rejects bad options up front as a bug (the config checked --rate and --concurrency), naming the option and the value', () => {
    expect(() => createLimiter({ rate: -1, concurrency: 1 })).toThrow(RangeError);
    expect(() => createLimiter({ rate: -1, concurrency: 1 })).toThrow(/rate.*got -1/);
    expect(() => createLimiter({ rate: Number.NaN, concurrency: 1 })).toThrow(/rate.*got NaN/);
    expect(() => createLimiter({ rate: 1, concurrency: 0 })).toThrow(/concurrency.*got 0/);
    expect(() => createLimiter({ rate: 1, concurrency: 1.5 })).toThrow(/concurrency.*got 1.5/);
  });
});
