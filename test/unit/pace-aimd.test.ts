/** The adaptive pace (AIMD) and the circuit breaker, as pure cores: times are given, no timers. */
import { jest } from '@jest/globals';
import { CircuitBreaker } from '../../src/pipeline/send/breaker.js';
import { StartSchedule } from '../../src/pipeline/send/limiter.js';
import { AdaptivePace } from '../../src/pipeline/send/pace.js';
import { MAX_TIMER_MS, sleep } from '../../src/pipeline/send/sleep.js';

/**
 * A simulated run against a token bucket (`limit`/s, burst 2, Retry-After 1 s): starts as the
 * schedule allows, answers at once. Returns successes/s and the share of 429s.
 */
function simulate(asked: number, limit: number, seconds: number): { achieved: number; share429: number; schedule: StartSchedule } {
  const schedule = new StartSchedule(asked);
  let tokens = 2;
  let last = 0;
  let ok = 0;
  let throttled = 0;
  let now = 0;
  while (now < seconds * 1000) {
    now = Math.max(now + 0.1, schedule.earliest(now));
    const { info } = schedule.start(now);
    tokens = Math.min(2, tokens + ((now - last) * limit) / 1000);
    last = now;
    if (tokens >= 1) {
      tokens--;
      ok++;
      schedule.record(info, { kind: 'ok' }, now + 1);
    } else {
      throttled++;
      schedule.record(info, { kind: 'throttled', status: 429, retryAfterMs: 1000 }, now + 1);
      schedule.pauseFor(now + 1, 1000);
    }
  }
  return { achieved: ok / seconds, share429: throttled / (ok + throttled), schedule };
}

describe('AdaptivePace', () => {
  it('lowers the pace once for a burst of 429s from requests already in flight', () => {
    const pace = new AdaptivePace(100);
    expect(pace.throttled(0, 10, 0)?.to).toBe(25);
    // Started before the decrease: the same overshoot, not new evidence.
    expect(pace.throttled(5, 12, 0)).toBeUndefined();
    expect(pace.throttled(9, 15, 0)).toBeUndefined();
    expect(pace.stats()).toEqual({ requested: 100, final: 25, min: 25, decreases: 1 });
  });

  it('halves or lowers by a fifth when the 429 comes after more successes', () => {
    const steep = new AdaptivePace(40);
    for (let t = 0; t < 5; t++) steep.succeeded(t, t);
    steep.throttled(10, 10, 0);
    expect(steep.current()).toBe(20);
    const gentle = new AdaptivePace(40);
    for (let t = 0; t < 30; t++) gentle.succeeded(t, t * 25);
    gentle.throttled(1000, 1000, 0);
    expect(gentle.current()).toBe(32);
  });

  it('rises while requests succeed, never above the requested rate', () => {
    const pace = new AdaptivePace(30);
    pace.throttled(0, 0, 0);
    let t = 1;
    for (; t < 120_000; t += 50) pace.succeeded(t, t);
    expect(pace.current()).toBe(30);
    expect(pace.stats()).toMatchObject({ requested: 30, final: 30, min: 7.5, decreases: 1 });
  });

  it('unlimited (0) until the first 429, then from the measured start rate', () => {
    const pace = new AdaptivePace(0);
    expect(pace.succeeded(0, 1)).toBeUndefined();
    expect(pace.current()).toBe(0);
    pace.throttled(0, 10, 80);
    expect(pace.current()).toBe(20);
  });

  it(`converges against a token bucket: asked 100 of an API allowing 30/s, ≥ 70% of 30/s achieved and under 15% 429s`, () => {
    const { achieved, share429, schedule } = simulate(100, 30, 60);
    expect(achieved).toBeGreaterThanOrEqual(21);
    expect(share429).toBeLessThan(0.15);
    expect(schedule.stats().pace.final).toBeLessThan(40);
  });

  it('below the API limit provokes no 429', () => {
    const { share429, schedule } = simulate(25, 30, 20);
    expect(share429).toBe(0);
    expect(schedule.stats().pace).toEqual({ requested: 25, final: 25, min: 25, decreases: 0 });
  });
});

describe('CircuitBreaker', () => {
  it('opens after 5 bad answers in a row; those before count as attempts, the 5th and later do not', () => {
    const b = new CircuitBreaker(60_000);
    for (let i = 0; i < 4; i++) expect(b.bad(i, false)).toEqual({ kind: 'counted' });
    expect(b.bad(4, false)).toEqual({ kind: 'free', opened: true });
    expect(b.current()).toBe('open');
    // An answer of a request that was in flight: free, no state change.
    expect(b.bad(5, false)).toEqual({ kind: 'free', opened: false });
  });

  it('a good answer resets the streak', () => {
    const b = new CircuitBreaker(60_000);
    for (let i = 0; i < 4; i++) b.bad(i, false);
    b.good(5);
    for (let i = 0; i < 4; i++) expect(b.bad(10 + i, false).kind).toBe('counted');
  });

  it('probes one at a time with exponential backoff (capped), then closes on a good answer', () => {
    const b = new CircuitBreaker(600_000);
    for (let i = 0; i < 5; i++) b.bad(0, false);
    const gaps: number[] = [];
    let now = 0;
    for (let probe = 0; probe < 6; probe++) {
      const at = b.earliest(now);
      gaps.push(at - now);
      now = at;
      expect(b.started()).toBe(true);
      expect(b.earliest(now)).toBe(Number.POSITIVE_INFINITY);
      expect(b.bad(now, true).kind).toBe('free');
    }
    expect(gaps).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
    expect(b.good(now + 10)).toEqual({ closed: true, outageMs: now + 10 });
    expect(b.current()).toBe('closed');
    expect(b.stats()).toMatchObject({ opened: 1, probes: 6 });
  });

  it('waits at least the Retry-After of a probe', () => {
    const b = new CircuitBreaker(600_000);
    for (let i = 0; i < 5; i++) b.bad(0, false, 3000);
    expect(b.earliest(0)).toBe(3000);
  });

  it('gives up when a probe fails after --max-outage, and probes at the deadline itself', () => {
    const b = new CircuitBreaker(4000);
    for (let i = 0; i < 5; i++) b.bad(0, false);
    let now = 0;
    for (;;) {
      now = b.earliest(now);
      b.started();
      const verdict = b.bad(now, true);
      if (verdict.kind === 'give-up') {
        expect(verdict.outageMs).toBe(4000);
        break;
      }
    }
    expect(now).toBe(4000);
  });
});

describe('StartSchedule', () => {
  it('a failure during an outage does not count; the probe is marked', () => {
    const s = new StartSchedule(0, 60_000);
    // Six requests in flight, all started while the breaker was closed; then their answers.
    const started = Array.from({ length: 6 }, (_, i) => s.start(i).info);
    const verdicts = started.map((info, i) => s.record(info, { kind: 'failed' }, i));
    expect(verdicts.map((v) => v.counts)).toEqual([true, true, true, true, false, false]);
    expect(verdicts[4]!.events).toEqual([{ type: 'outageStarted', failures: 5 }]);
    expect(s.earliest(10)).toBe(1004);
    const probe = s.start(1004).info;
    expect(probe.probe).toBe(true);
    expect(s.record(probe, { kind: 'ok' }, 1010).events).toEqual([{ type: 'outageOver', ms: 1010 }]);
    expect(s.earliest(1011)).toBe(1011);
  });

  it('spaces starts at the pace, and at most `rate` in any second', () => {
    const s = new StartSchedule(10);
    let now = 0;
    const starts: number[] = [];
    for (let i = 0; i < 30; i++) {
      now = s.earliest(now);
      starts.push(now);
      s.start(now);
    }
    for (let i = 10; i < starts.length; i++) expect(starts[i]! - starts[i - 10]!).toBeGreaterThan(1000);
  });
});

describe('sleep', () => {
  it('never hands setTimeout a delay of 2^31 ms or more', async () => {
    const spy = jest.spyOn(global, 'setTimeout');
    const stop = new AbortController();
    const waiting = sleep(3 * 2 ** 31, stop.signal);
    expect(spy.mock.calls.every(([, ms]) => (ms ?? 0) <= MAX_TIMER_MS)).toBe(true);
    stop.abort();
    await waiting;
    spy.mockRestore();
  });
});
