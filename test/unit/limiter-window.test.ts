import { StartWindow } from '../../src/pipeline/send/start-window.js';

describe('StartWindow', () => {
  it('lets starts through at once while the window has room', () => {
    const window = new StartWindow(3);
    expect([window.reserve(0).at, window.reserve(10).at, window.reserve(20).at]).toEqual([0, 10, 20]);
  });

  it('holds a start back until the start `limit` places before it is more than a window old', () => {
    const window = new StartWindow(3);
    [0, 10, 20].forEach((t) => window.reserve(t));
    expect(window.reserve(30).at).toBe(1001);
    expect(window.reserve(30).at).toBe(1011);
    expect(window.reserve(2000).at).toBe(2000);
  });

  it('never puts more than `limit` reserved starts in any closed window', () => {
    const window = new StartWindow(5);
    // Twenty starts all due at the same instant, as after an event-loop stall.
    const starts = Array.from({ length: 20 }, () => window.reserve(500).at);
    for (const from of starts) {
      expect(starts.filter((t) => t >= from && t <= from + 1000).length).toBeLessThanOrEqual(5);
    }
  });

  it('allows ceil(rate) starts per window for a fractional rate', () => {
    const window = new StartWindow(1.25);
    expect([window.reserve(0).at, window.reserve(0).at, window.reserve(0).at]).toEqual([0, 0, 1001]);
  });

  it('counts a pushed-back start from its later time: a cold first request bunches with nothing', () => {
    const window = new StartWindow(2);
    const first = window.reserve(0);
    window.reserve(10);
    // The first request's answer came at 150 ms: the endpoint may have seen it that late.
    window.pushBack(first, 150);
    expect(window.reserve(20).at).toBe(1151);
  });

  it('ignores a push-back once the slot holds a newer start', () => {
    const window = new StartWindow(1);
    const first = window.reserve(0);
    window.reserve(5);
    window.pushBack(first, 3000);
    expect(window.reserve(10).at).toBe(2002);
  });
});
