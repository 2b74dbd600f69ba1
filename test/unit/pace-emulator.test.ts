/** The emulator's models for pace and outage tests: a token bucket with a burst, an outage window. */
import { emulatorOptionsFromArgs } from '../../src/cli/emulator.js';
import { FaultInjector } from '../../src/emulator/fault-injector.js';
import { checkFaults, DEFAULT_FAULTS } from '../../src/emulator/options.js';
import { startEmulator } from '../../src/emulator/index.js';
import { TokenBucket } from '../../src/emulator/token-bucket.js';

describe('TokenBucket', () => {
  it('lets a burst through, then one request per 1/rate s; refused requests take no token', () => {
    const bucket = new TokenBucket(10, 2);
    expect([0, 0, 0].map((t) => bucket.tryTake(t))).toEqual([true, true, false]);
    expect(bucket.tryTake(50)).toBe(false);
    expect(bucket.tryTake(100)).toBe(true);
    expect(bucket.tryTake(150)).toBe(false);
    // Evenly at the rate: never refused.
    const even = new TokenBucket(10, 2);
    expect(Array.from({ length: 50 }, (_, i) => even.tryTake(i * 100)).every(Boolean)).toBe(true);
  });
});

describe('FaultInjector', () => {
  it('with burst > 0 the rate limit is a token bucket (no full second of burst as in the sliding window)', () => {
    const faults = new FaultInjector({ ...DEFAULT_FAULTS, rateLimit: 10, burst: 2, retryAfterSeconds: 1 }, 1);
    expect([0, 1, 2, 3].map((t) => faults.throttle(t))).toEqual([undefined, undefined, 1, 1]);
    const window = new FaultInjector({ ...DEFAULT_FAULTS, rateLimit: 10 }, 1);
    expect(Array.from({ length: 10 }, (_, t) => window.throttle(t)).every((r) => r === undefined)).toBe(true);
  });

  it('an outage answers from afterSeconds after the first request, for forSeconds', () => {
    const faults = new FaultInjector({ ...DEFAULT_FAULTS, outage: { afterSeconds: 1, forSeconds: 2, retryAfterSeconds: 3 } }, 1);
    expect(faults.outage(10_000)).toBeUndefined();
    expect(faults.outage(10_999)).toBeUndefined();
    expect(faults.outage(11_000)).toEqual({ status: 503, retryAfterSeconds: 3 });
    expect(faults.outage(12_999)).toEqual({ status: 503, retryAfterSeconds: 3 });
    expect(faults.outage(13_000)).toBeUndefined();
    // Set again: the clock restarts at the next request.
    faults.update({ outage: { afterSeconds: 0, forSeconds: 1, status: 502 } });
    expect(faults.outage(20_000)).toEqual({ status: 502 });
  });

  it('checks the outage shape, naming the field', () => {
    expect(checkFaults({ outage: { afterSeconds: 0, forSeconds: 5 } }).ok).toBe(true);
    expect(checkFaults({ outage: null }).ok).toBe(true);
    for (const bad of [
      { forSeconds: 5 },
      { afterSeconds: 0, forSeconds: -1 },
      { afterSeconds: 0, forSeconds: 1, status: 404 },
      { afterSeconds: 0, forSeconds: 1, x: 1 },
    ]) {
      const checked = checkFaults({ outage: bad });
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.error[0]!.path).toBe('faults.outage');
    }
  });
});

describe('emulator', () => {
  it('answers 503 with Retry-After during the outage, then 200 again; counts them', async () => {
    const emulator = await startEmulator({ faults: { outage: { afterSeconds: 0, forSeconds: 0.3, retryAfterSeconds: 2 } } });
    try {
      const post = () =>
        fetch(emulator.url, {
          method: 'POST',
          headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' },
          body: JSON.stringify({ customers: [{ document_id: 'a', segments: [] }] }),
        });
      const during = await post();
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('2');
      await new Promise((r) => setTimeout(r, 350));
      expect((await post()).status).toBe(200);
      expect(emulator.state().requests.byStatus).toEqual({ 200: 1, 503: 1 });
    } finally {
      await emulator.close();
    }
  });
});

describe('emulator flags', () => {
  it('--burst and --outage-* make the token bucket and the outage', () => {
    const parsed = emulatorOptionsFromArgs({ 'rate-limit': 30, burst: 2, 'outage-after': 20, 'outage-for': 20, 'outage-status': 503 });
    expect(parsed.ok && parsed.value.faults).toMatchObject({
      rateLimit: 30,
      burst: 2,
      outage: { afterSeconds: 20, forSeconds: 20, status: 503 },
    });
    const bad = emulatorOptionsFromArgs({ 'outage-for': -3 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error[0]!.path).toBe('--outage-for');
  });
});
