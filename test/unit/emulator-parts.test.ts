/** The emulator's pure parts: the rate window, the seeded randomness, option checks, id lists. */
import { parseIdList, resolveEmulatorOptions, checkFaults, DEFAULT_FAULTS } from '../../src/emulator/index.js';
import { SlidingWindow } from '../../src/emulator/sliding-window.js';
import { mulberry32 } from '../../src/emulator/prng.js';

describe('SlidingWindow', () => {
  it('admits at most `limit` events in any 1-second window and frees a slot exactly 1 s later', () => {
    const window = new SlidingWindow(3);
    const admitted = [0, 10, 20, 30, 999, 1000, 1005, 1010].map((t) => window.tryAdmit(t));
    expect(admitted).toEqual([true, true, true, false, false, true, false, true]);
  });

  it('never lets more than `limit` admitted events fall within 1 s, whatever the arrivals', () => {
    const random = mulberry32(7);
    const window = new SlidingWindow(5);
    const times: number[] = [];
    for (let t = 0; t < 20_000; t += random() * 60) if (window.tryAdmit(t)) times.push(t);
    const crowded = times.some((t, i) => i >= 5 && t - times[i - 5]! < 1000);
    expect(crowded).toBe(false);
    expect(times.length).toBeGreaterThan(5 * 19);
  });

  it('admits everything when the limit is 0 (no rate limit)', () => {
    const window = new SlidingWindow(0);
    expect(Array.from({ length: 100 }, () => window.tryAdmit(0)).every(Boolean)).toBe(true);
  });
});

describe('mulberry32', () => {
  it('repeats the same sequence for the same seed and differs for another seed', () => {
    const take = (seed: number) => Array.from({ length: 5 }, mulberry32(seed));
    expect(take(1)).toEqual(take(1));
    expect(take(1)).not.toEqual(take(2));
    expect(take(1).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('resolveEmulatorOptions', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveEmulatorOptions({});
    expect(resolved).toEqual({
      ok: true,
      value: {
        host: '127.0.0.1',
        port: 0,
        tokens: ['dev-token'],
        known: 'all',
        faults: DEFAULT_FAULTS,
        seed: 1,
        maxBodyBytes: 10 * 1024 * 1024,
      },
    });
  });

  it('reads a one-shot iterable of known ids once', () => {
    function* ids() {
      yield 'a';
      yield 'b';
    }
    const resolved = resolveEmulatorOptions({ known: ids() });
    expect(resolved.ok && [...(resolved.value.known as Set<string>)]).toEqual(['a', 'b']);
  });

  it('reports every bad value with its option path, but never a token', () => {
    const resolved = resolveEmulatorOptions({
      port: -1,
      tokens: ['secret with space'],
      faults: { slowRate: Number.NaN, retryAfter: 'minutes' as never, storm: { count: 1.5, retryAfterSeconds: 1 } },
    });
    expect(resolved.ok).toBe(false);
    const problems = resolved.ok ? [] : resolved.error;
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(['port', 'tokens', 'faults.slowRate', 'faults.retryAfter', 'faults.storm']);
    expect(problems.find((p) => p.path === 'faults.slowRate')).toEqual({
      path: 'faults.slowRate',
      expected: 'a number between 0 and 1',
      got: 'NaN',
    });
    expect(JSON.stringify(problems)).not.toContain('secret');
  });

  it('refuses an unknown fault name instead of silently injecting nothing', () => {
    const checked = checkFaults({ errorRatio: 0.5 });
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.error[0]).toMatchObject({ path: 'faults', got: "'errorRatio'" });
  });
});

describe('parseIdList', () => {
  it('reads one trimmed id a line, ignoring a BOM, CRLF and blank lines', () => {
    expect(parseIdList('\uFEFFa-1\r\n  b-2 \n\n\r\nc-3')).toEqual(['a-1', 'b-2', 'c-3']);
  });
});
