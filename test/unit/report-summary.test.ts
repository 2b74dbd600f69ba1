import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatSummary, writeSummary, type Summary } from '../../src/pipeline/report/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-summary-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function summary(over: Partial<Summary> = {}): Summary {
  return {
    status: 'partial',
    dryRun: false,
    counts: { rows: 1200, invalid: 3, duplicates: 5, customers: 1192, updated: 1100, notFound: 90, failed: 2 },
    requests: { byStatus: { '200': 12, '503': 2 }, total: 14, retries: 2 },
    startedAt: '2026-01-02T03:00:00.000Z',
    finishedAt: '2026-01-02T03:00:04.000Z',
    durationMs: 4000,
    inputs: [{ path: 'export.csv', sha256: 'ab'.repeat(32), rows: 1200 }],
    options: { batchSize: 100, delimiter: ',' },
    runId: 'run-1',
    exitCode: 1,
    ...over,
  };
}

describe('writeSummary', () => {
  test('writes summary.json atomically as 2-space JSON, fields in contract order', async () => {
    await writeSummary(dir, summary({ shard: { index: 1, count: 4 } }));
    expect(readdirSync(dir)).toEqual(['summary.json']);
    const text = readFileSync(path.join(dir, 'summary.json'), 'utf8');
    expect(text.startsWith('{\n  "status": "partial",\n  "dryRun": false,\n  "counts": {')).toBe(true);
    const written = JSON.parse(text) as Summary;
    expect(Object.keys(written)).toEqual([
      'status',
      'dryRun',
      'counts',
      'requests',
      'startedAt',
      'finishedAt',
      'durationMs',
      'inputs',
      'options',
      'runId',
      'exitCode',
      'shard',
    ]);
    expect(written.counts.failed).toBe(2);
    expect(written.shard).toEqual({ index: 1, count: 4 });
    // On disk the requests stay one flat object: statuses, total and retries side by side.
    expect((JSON.parse(text) as { requests: unknown }).requests).toEqual({ '200': 12, '503': 2, total: 14, retries: 2 });
  });

  test('drops token-like option keys at any depth, even when the caller forgot to', async () => {
    const secret = 's3cr3t-token-value';
    const options = {
      token: secret,
      tokenFile: '/run/secrets/token',
      nested: { 'token-file-content': secret, Authorization: `Bearer ${secret}` },
      tokenValue: secret,
    };
    await writeSummary(dir, summary({ options }));
    const text = readFileSync(path.join(dir, 'summary.json'), 'utf8');
    expect(text).not.toContain(secret);
    expect((JSON.parse(text) as Summary).options).toEqual({ tokenFile: '/run/secrets/token', nested: {} });
  });
});

describe('formatSummary', () => {
  test('states the status, every count, requests, duration, throughput and where the report is', () => {
    const text = formatSummary(summary(), 'reports/20260102T030000Z');
    expect(text).toMatch(/^status +partial, exit code 1$/m);
    expect(text).toMatch(/^rows +1,200 \(invalid 3, duplicates 5\)$/m);
    expect(text).toMatch(/^customers +1,192 \(updated 1,100, not found 90, failed 2\)$/m);
    expect(text).toMatch(/^requests +14 \(200: 12, 503: 2, 2 retries\)$/m);
    expect(text).toMatch(/^duration +4\.0 s \(300 rows\/s\)$/m);
    expect(text).toMatch(/^report +reports\/20260102T030000Z$/m);
  });

  test('aligns the values in one column', () => {
    const starts = formatSummary(summary(), 'r')
      .trimEnd()
      .split('\n')
      .map((line) => line.search(/(?<=^\S+\s+)\S/));
    expect(new Set(starts).size).toBe(1);
  });

  test('tells how to resend the failures from retry.csv', () => {
    expect(formatSummary(summary(), 'reports/x')).toMatch(
      /^next +run the same command again, or resend only the undelivered customers: segment-sync run reports\/x\/retry\.csv with the same options$/m,
    );
  });

  test('reminds that retry.csv is comma-separated when the run used another delimiter', () => {
    expect(formatSummary(summary({ options: { delimiter: ';' } }), 'r')).toContain('(with --delimiter ,)');
  });

  test('a dry run shows valid customers and how to send them', () => {
    const dry = summary({
      status: 'succeeded',
      dryRun: true,
      exitCode: 0,
      requests: { byStatus: {}, total: 0, retries: 0 },
      counts: { rows: 10, invalid: 1, duplicates: 1, customers: 8, updated: 0, notFound: 0, failed: 0 },
    });
    const text = formatSummary(dry, 'r');
    expect(text).toMatch(/^customers +8 valid$/m);
    expect(text).toMatch(/^requests +none \(dry run\)$/m);
    expect(text).toMatch(/^next +to send, use segment-sync run with the same files \(without --dry-run\)$/m);
  });

  test('an interrupted run says how to resume, and shows its message', () => {
    const text = formatSummary(summary({ status: 'interrupted', exitCode: 143, message: 'interrupted after export.csv:812' }), 'r');
    expect(text).toMatch(/^message +interrupted after export.csv:812$/m);
    expect(text).toMatch(/^next +run the same command again to resume/m);
  });

  test('a rejected token says to fix the token first', () => {
    const text = formatSummary(summary({ status: 'failed', exitCode: 4, counts: { ...summary().counts, failed: 0 } }), 'r');
    expect(text).toMatch(/^next +fix the token, then run the same command again: acknowledged customers are not sent again$/m);
  });

  test('a clean run has no next step', () => {
    const text = formatSummary(summary({ status: 'succeeded', exitCode: 0, counts: { ...summary().counts, failed: 0 } }), 'r');
    expect(text).not.toMatch(/^next/m);
  });
});
