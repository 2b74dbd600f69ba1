/** Output in JSON mode: error and summary lines, and the level of a run's outcome. */
import { PassThrough } from 'node:stream';
import { isJsonFormat, jsonLine, outcomeLevel } from '../../src/core/log.js';
import { formatSummary, summaryLines } from '../../src/pipeline/report/format-summary.js';
import type { Summary } from '../../src/pipeline/report/index.js';

describe('isJsonFormat', () => {
  it('is json for json, text for text, and for auto json unless stdout is a terminal', () => {
    const pipe = new PassThrough();
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    expect(isJsonFormat('json', tty)).toBe(true);
    expect(isJsonFormat('text', pipe)).toBe(false);
    expect(isJsonFormat('auto', pipe)).toBe(true);
    expect(isJsonFormat('auto', tty)).toBe(false);
  });
});

describe('jsonLine', () => {
  it('is one JSON object on one line, with level, message, fields, run id and timestamp, scrubbed', () => {
    const line = jsonLine('error', 'two\nlines with tok_abc', { exitCode: 2, detail: 'tok_abc' }, 'run-1', ['tok_abc']);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 'error',
      message: 'two\nlines with [REDACTED]',
      exitCode: 2,
      detail: '[REDACTED]',
      runId: 'run-1',
    });
    expect(new Date(String(record.timestamp)).toISOString()).toBe(record.timestamp);
    expect(line).not.toContain('tok_abc');
  });
});

describe('outcomeLevel', () => {
  it.each([
    [{ status: 'succeeded', exitCode: 0 }, 'info'],
    [{ status: 'partial', exitCode: 1 }, 'warn'],
    [{ status: 'interrupted', exitCode: 130 }, 'warn'],
    [{ status: 'interrupted', exitCode: 143 }, 'warn'],
    [{ status: 'failed', exitCode: 4 }, 'error'],
    [{ status: 'failed', exitCode: 1 }, 'error'],
    [{ status: 'rejected', exitCode: 3 }, 'error'],
    [{ status: 'rejected', exitCode: 2 }, 'error'],
    [{ status: 'failed', exitCode: 5 }, 'error'],
    [{ exitCode: 70 }, 'error'],
  ])('%j is %s', (outcome, level) => {
    expect(outcomeLevel(outcome)).toBe(level);
  });
});

describe('summaryLines', () => {
  const summary = {
    status: 'partial',
    dryRun: false,
    counts: { rows: 10, invalid: 1, duplicates: 0, customers: 9, updated: 7, notFound: 0, failed: 2 },
    requests: { byStatus: { 200: 3, 500: 2 }, total: 5, retries: 2 },
    startedAt: '2026-11-21T02:00:00.000Z',
    finishedAt: '2026-11-21T02:00:01.000Z',
    durationMs: 1000,
    inputs: [],
    options: {},
    runId: 'r',
    exitCode: 1,
  } as unknown as Summary;

  it('are the labelled lines formatSummary prints, next advice last', () => {
    const lines = summaryLines(summary, '/tmp/report');
    expect(lines.map(([label]) => label)).toEqual(['status', 'rows', 'customers', 'requests', 'duration', 'report', 'next']);
    expect(formatSummary(summary, '/tmp/report').trimEnd().split('\n')).toHaveLength(lines.length);
    expect(lines.at(-1)![1]).toContain('retry.csv');
  });
});
