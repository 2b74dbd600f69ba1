import { jsonLines, runFinished, type RunFinished } from '../../tools/bench/child.js';
import { checkCounts } from '../../tools/bench/counts-check.js';
import { sendingProgress } from '../../tools/bench/throughput.js';

const finishedLine = (counts: Partial<RunFinished['counts']>, at = '2026-01-01T00:00:10.000Z'): string =>
  JSON.stringify({
    message: 'run finished',
    timestamp: at,
    status: 'succeeded',
    peakRssMb: 99,
    durationMs: 10_000,
    counts: { rows: 10, invalid: 0, duplicates: 2, customers: 8, updated: 8, notFound: 0, failed: 0, ...counts },
  });

describe('jsonLines and runFinished', () => {
  it('reads the JSON log lines and skips anything else, including a line cut short', () => {
    const stdout = `not json\n{"message":"a"}\n{"message":"b"\n\n{"message":"c"}\n`;
    expect(jsonLines(stdout).map((l) => l.message)).toEqual(['a', 'c']);
  });

  it("finds the 'run finished' line with the peak RSS", () => {
    expect(runFinished(`{"message":"progress"}\n${finishedLine({})}\n`).peakRssMb).toBe(99);
  });

  it("says so when the CLI printed no 'run finished' line", () => {
    expect(() => runFinished('{"message":"progress"}\n')).toThrow("no 'run finished' log line");
  });
});

describe('sendingProgress', () => {
  it('takes the sending-phase progress lines and ends with every customer done at the last line', () => {
    const log = jsonLines(
      [
        JSON.stringify({ message: 'progress', phase: 'validating', rowsRead: 5, timestamp: '2026-01-01T00:00:01.000Z' }),
        JSON.stringify({ message: 'progress', phase: 'sending', sent: 2, timestamp: '2026-01-01T00:00:02.000Z' }),
        JSON.stringify({ message: 'progress', phase: 'sending', sent: 5, timestamp: '2026-01-01T00:00:03.000Z' }),
        finishedLine({ updated: 7, notFound: 1 }),
      ].join('\n'),
    );
    expect(sendingProgress(log)).toEqual([
      { atMs: Date.parse('2026-01-01T00:00:02.000Z'), done: 2 },
      { atMs: Date.parse('2026-01-01T00:00:03.000Z'), done: 5 },
      { atMs: Date.parse('2026-01-01T00:00:10.000Z'), done: 8 },
    ]);
  });

  it('is empty when no progress line fell in the sending phase', () => {
    expect(sendingProgress(jsonLines(finishedLine({})))).toEqual([]);
  });
});

describe('checkCounts', () => {
  const facts = { rows: 10, customers: 8 };

  it('accepts a run whose counts match the generated file', () => {
    expect(() => checkCounts('run', runFinished(finishedLine({})), facts, true)).not.toThrow();
  });

  it('rejects a run that lost a customer, naming the count', () => {
    expect(() => checkCounts('run', runFinished(finishedLine({ customers: 7, duplicates: 3 })), facts, false)).toThrow(
      'the CLI counted customers = 7, the generated file holds 8',
    );
  });

  it('requires every customer updated only of a run that sent', () => {
    const dry = runFinished(finishedLine({ updated: 0 }));
    expect(() => checkCounts('dry run', dry, facts, false)).not.toThrow();
    expect(() => checkCounts('run', dry, facts, true)).toThrow('updated = 0');
  });
});
