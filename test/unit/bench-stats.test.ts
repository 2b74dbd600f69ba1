import { maxInWindow, median, rateBetween, rateFigures } from '../../tools/bench/stats.js';

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('is the mean of the middle two of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses an empty list instead of returning NaN', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('rateFigures', () => {
  const evenly = (count: number, gapMs: number, from = 1_000_000): number[] => Array.from({ length: count }, (_, i) => from + i * gapMs);

  it('counts n-1 intervals between the first and the last start', () => {
    const figures = rateFigures(evenly(101, 20), 50);
    expect(figures.requests).toBe(101);
    expect(figures.achievedPerSecond).toBeCloseTo(50, 10);
    expect(figures.ratio).toBeCloseTo(1, 10);
  });

  it('reports a slower pace as a ratio below 1', () => {
    expect(rateFigures(evenly(11, 25), 50).ratio).toBeCloseTo(0.8, 10);
  });

  it('sorts the starts first, as the emulator keeps them in arrival order', () => {
    expect(rateFigures([40, 0, 20], 50).achievedPerSecond).toBeCloseTo(50, 10);
  });

  it('finds a burst within one second that the average over the whole run smooths out', () => {
    const starts = [...evenly(30, 100, 0), 1001, 1002, 1003, 1004, 1005];
    const figures = rateFigures(starts, 10);
    expect(figures.ratio).toBeLessThan(1.2);
    expect(figures.maxInAnySecond).toBe(15);
  });
});

describe('maxInWindow', () => {
  it('counts a window as half-open: a start exactly one width later is outside', () => {
    expect(maxInWindow([0, 500, 1000], 1000)).toBe(2);
  });

  it('is 0 for no starts and 1 for one', () => {
    expect(maxInWindow([], 1000)).toBe(0);
    expect(maxInWindow([7], 1000)).toBe(1);
  });

  it('finds the busiest window anywhere in the list', () => {
    expect(maxInWindow([0, 2000, 2100, 2200, 2999, 3000, 5000], 1000)).toBe(4);
  });
});

describe('rateBetween', () => {
  it('divides the customers done between the first and last points by the time between them', () => {
    expect(
      rateBetween([
        { atMs: 1000, done: 100 },
        { atMs: 1500, done: 300 },
        { atMs: 3000, done: 1100 },
      ]),
    ).toBeCloseTo(500, 10);
  });

  it('has no answer with fewer than two points in time', () => {
    expect(rateBetween([])).toBeUndefined();
    expect(rateBetween([{ atMs: 5, done: 1 }])).toBeUndefined();
    expect(
      rateBetween([
        { atMs: 5, done: 1 },
        { atMs: 5, done: 9 },
      ]),
    ).toBeUndefined();
  });
});
