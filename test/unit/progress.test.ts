import { jest } from '@jest/globals';
import type { Logger } from '../../src/core/log.js';
import { progressFields, startProgress, type ProgressState } from '../../src/pipeline/progress.js';
import { emptyCounts } from '../../src/pipeline/tally.js';

function sendingState(customersDone: number, customersTotal: number): ProgressState {
  return {
    phase: 'sending',
    rowsRead: 5_000,
    customersDone,
    customersTotal,
    counts: { ...emptyCounts(), updated: 40, notFound: 5, failed: 2 },
  };
}

describe('progressFields while validating', () => {
  it('reports rows read and rows per second, nothing about sending', () => {
    const state: ProgressState = { phase: 'validating', rowsRead: 25_000, customersDone: 0, customersTotal: 0, counts: emptyCounts() };
    expect(progressFields(state, 10_000)).toEqual({ phase: 'validating', rowsRead: 25_000, rowsPerSecond: 2_500 });
  });

  it('rounds rows per second to a whole number', () => {
    const state: ProgressState = { phase: 'validating', rowsRead: 10, customersDone: 0, customersTotal: 0, counts: emptyCounts() };
    expect(progressFields(state, 3_000).rowsPerSecond).toBe(3);
  });
});

describe('progressFields while sending', () => {
  it('reports what was sent of the total, the outcomes, the rate and the time left', () => {
    expect(progressFields(sendingState(200, 1_000), 40_000)).toEqual({
      phase: 'sending',
      rowsRead: 5_000,
      sent: 200,
      of: 1_000,
      updated: 40,
      notFound: 5,
      failed: 2,
      customersPerSecond: 5,
      etaSeconds: 160,
    });
  });

  it('keeps one decimal of the rate and rounds the ETA to whole seconds', () => {
    const fields = progressFields(sendingState(10, 100), 3_000);
    expect(fields.customersPerSecond).toBe(3.3);
    expect(fields.etaSeconds).toBe(27);
  });

  it('has no ETA before the first customer is done', () => {
    expect(progressFields(sendingState(0, 1_000), 10_000).etaSeconds).toBeNull();
  });

  it('reports an ETA of 0 when everything is done, never a negative one', () => {
    expect(progressFields(sendingState(1_000, 1_000), 10_000).etaSeconds).toBe(0);
    expect(progressFields(sendingState(1_200, 1_000), 10_000).etaSeconds).toBe(0);
  });

  it('stays finite when no time has passed', () => {
    const fields = progressFields(sendingState(5, 10), 0);
    expect(Number.isFinite(fields.customersPerSecond)).toBe(true);
    expect(Number.isFinite(fields.etaSeconds)).toBe(true);
  });

  it('counts only the customers done since the phase started in the rate', () => {
    const fields = progressFields(sendingState(300, 1_000), 20_000, 100);
    expect(fields.sent).toBe(300);
    expect(fields.customersPerSecond).toBe(10);
    expect(fields.etaSeconds).toBe(70);
  });
});

describe('startProgress', () => {
  const intervalMs = 1_000;
  let lines: Record<string, unknown>[];
  const log = { info: (_message: string, fields: Record<string, unknown>) => lines.push(fields) } as unknown as Logger;

  beforeEach(() => {
    lines = [];
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('logs a progress line every interval until stopped', () => {
    const state: ProgressState = { phase: 'validating', rowsRead: 0, customersDone: 0, customersTotal: 0, counts: emptyCounts() };
    const stop = startProgress(log, state, intervalMs);
    state.rowsRead = 1_000;
    jest.advanceTimersByTime(intervalMs);
    state.rowsRead = 3_000;
    jest.advanceTimersByTime(intervalMs);
    stop();
    jest.advanceTimersByTime(intervalMs * 5);
    expect(lines).toEqual([
      { phase: 'validating', rowsRead: 1_000, rowsPerSecond: 1_000 },
      { phase: 'validating', rowsRead: 3_000, rowsPerSecond: 1_500 },
    ]);
  });

  it('measures the sending rate from the tick that saw the phase change, not counting earlier customers', () => {
    const state: ProgressState = { phase: 'validating', rowsRead: 0, customersDone: 0, customersTotal: 1_000, counts: emptyCounts() };
    const stop = startProgress(log, state, intervalMs);
    jest.advanceTimersByTime(intervalMs / 2);
    // Sending starts between two ticks, at 100 customers a second.
    state.phase = 'sending';
    state.customersDone = 50;
    jest.advanceTimersByTime(intervalMs / 2);
    state.customersDone = 150;
    jest.advanceTimersByTime(intervalMs);
    stop();
    expect(lines.map((fields) => fields.phase)).toEqual(['sending']);
    expect(lines[0]).toMatchObject({ sent: 150, customersPerSecond: 100, etaSeconds: 9 });
  });
});
