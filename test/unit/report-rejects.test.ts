/**
 * rejects.csv (RejectsWriter): the customers the endpoint rejected one by one, in the input's
 * layout plus the reason; and `rejected` through the ledger, the results resolver and the counts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { RejectsWriter, type RetrySpec } from '../../src/pipeline/report/index.js';
import { retryEncoder } from '../../src/pipeline/report/retry-encoding.js';
import { reasonColumnFor } from '../../src/pipeline/report/rejects-writer.js';
import { mergeSummaries } from '../../src/pipeline/report/merge/merge-summary.js';
import { summaryLines } from '../../src/pipeline/report/format-summary.js';
import type { Summary } from '../../src/pipeline/report/summary.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { Ledger } from '../../src/pipeline/ledger.js';
import { resolver } from '../../src/pipeline/result-rows.js';
import { countOutcomes, emptyCounts } from '../../src/pipeline/tally.js';
import type { Customer } from '../../src/core/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-rejects-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const REASON = 'HTTP 400: type=error, code=invalidRequest, details=customers[0].document_id is rejected';
const rejected: [Customer, string][] = [
  [
    {
      document_id: '-12',
      segments: [
        { type: 'tier', value: '=gold' },
        { type: 'region', value: 'north "N"' },
      ],
    },
    REASON,
  ],
  [{ document_id: 'c,2', segments: [] }, '=HYPERLINK("x")'],
];

async function writeRejects(spec: RetrySpec, customers: [Customer, string][]): Promise<string[][]> {
  const writer = RejectsWriter.open(dir, spec);
  for (const [customer, reason] of customers) writer.add(customer, reason);
  const written = await writer.commit();
  expect(written).toBe(path.join(dir, 'rejects.csv'));
  return parse(readFileSync(written!, 'utf8'));
}

describe('RejectsWriter', () => {
  test('wide: the retry layout plus a reason column; input cells exact, the reason neutralised', async () => {
    const records = await writeRejects({ layout: 'wide', idColumn: 'document_id', segmentTypes: ['tier', 'region'] }, rejected);
    expect(records).toEqual([
      ['document_id', 'tier', 'region', 'reason'],
      ['-12', '=gold', 'north "N"', REASON],
      ['c,2', '', '', `'=HYPERLINK("x")`],
    ]);
  });

  test('the input cells are exactly what retry.csv would hold for the same customer', async () => {
    const spec: RetrySpec = { layout: 'long', idColumn: 'id', segmentTypes: [] };
    const records = await writeRejects(spec, rejected);
    const encoder = retryEncoder(spec);
    const retryRecords = parse(encoder.header + rejected.map(([c]) => encoder.encode(c)).join('')) as string[][];
    expect(records.map((r) => r.slice(0, -1))).toEqual(retryRecords);
    expect(records.map((r) => r.at(-1))).toEqual(['reason', REASON, REASON, `'=HYPERLINK("x")`]);
  });

  test('json: id, segments, reason', async () => {
    const records = await writeRejects({ layout: 'json', idColumn: 'document_id', segmentTypes: [] }, [
      [{ document_id: 'J-2', segments: null }, REASON],
    ]);
    expect(records).toEqual([
      ['document_id', 'segments', 'reason'],
      ['J-2', 'null', REASON],
    ]);
  });

  test('no rejected customer: no file, and one from an earlier run in the same dir is removed', async () => {
    writeFileSync(path.join(dir, 'rejects.csv'), 'stale\n');
    const writer = RejectsWriter.open(dir, { layout: 'wide', idColumn: 'document_id', segmentTypes: [] });
    await expect(writer.commit()).resolves.toBeUndefined();
    expect(existsSync(path.join(dir, 'rejects.csv'))).toBe(false);
  });

  test('the reason column never takes the name of an input column', () => {
    expect(reasonColumnFor(['document_id', 'tier'])).toBe('reason');
    expect(reasonColumnFor(['document_id', 'Reason'])).toBe('reason_2');
    expect(reasonColumnFor(['document_id', 'reason', 'reason_2'])).toBe('reason_3');
  });
});

describe('rejected through the ledger, results.csv and the counts', () => {
  test('the ledger keeps `rejected` (code 5) with its reason; results.csv says rejected; counts.rejected', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 4; i++) ledger.open(i, false);
    ledger.setOutcome(0, 'updated');
    ledger.setOutcome(1, 'rejected', REASON);
    ledger.setOutcome(2, 'failed', 'HTTP 500: boom');
    ledger.setOutcome(3, 'not_sent', 'not sent: run interrupted');
    expect([0, 1, 2, 3].map((o) => ledger.outcome(o))).toEqual(['updated', 'rejected', 'failed', 'not_sent']);
    const resolve = resolver(ledger, { kind: 'not_sent', detail: 'not sent' });
    expect(resolve(1, 0, 3)).toEqual({ status: 'rejected', detail: REASON });
    const counts = emptyCounts();
    countOutcomes(counts, ledger);
    expect(counts).toMatchObject({ updated: 1, rejected: 1, failed: 1, notSent: 1 });
  });
});

describe('report merge of shards with rejected customers', () => {
  const shard = (exitCode: number, counts: Partial<Record<string, number>>): Summary =>
    ({
      status: 'partial',
      dryRun: false,
      counts: {
        rows: 0,
        invalid: 0,
        duplicates: 0,
        customers: 0,
        toClear: 0,
        updated: 0,
        notFound: 0,
        failed: 0,
        rejected: 0,
        notSent: 0,
        repeatedHeaders: 0,
        ...counts,
      },
      requests: { byStatus: {}, total: 0, retries: 0 },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      inputs: [{ path: 'in.csv', sha256: 'x', rows: 1 }],
      options: {},
      runId: 'r',
      exitCode,
    }) as Summary;

  test('counts.rejected adds up; exit 1 (a retry can deliver the failed) wins over exit 7', () => {
    const merged = mergeSummaries([
      shard(ExitCode.CustomersRejected, { rejected: 2 }),
      shard(ExitCode.PartialFailure, { failed: 1, rejected: 1 }),
    ]);
    expect(merged.counts.rejected).toBe(3);
    expect(merged.exitCode).toBe(ExitCode.PartialFailure);
    expect(
      mergeSummaries([shard(ExitCode.CustomersRejected, { rejected: 2 }), shard(ExitCode.CustomersRejected, { rejected: 1 })]).exitCode,
    ).toBe(ExitCode.CustomersRejected);
  });
});

describe('the end-of-run summary', () => {
  const summary = (exitCode: number, counts: Partial<Summary['counts']>): Summary =>
    ({
      status: 'partial',
      dryRun: false,
      counts: {
        rows: 5,
        invalid: 0,
        duplicates: 0,
        customers: 5,
        toClear: 0,
        updated: 0,
        notFound: 0,
        failed: 0,
        rejected: 0,
        notSent: 0,
        repeatedHeaders: 0,
        ...counts,
      },
      requests: { byStatus: { 200: 2, 400: 1 }, total: 3, retries: 0 },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      inputs: [{ path: 'in.csv', sha256: 'x', rows: 5 }],
      options: {},
      runId: 'r',
      exitCode,
    }) as Summary;

  test('exit 7: the customers line counts the rejected, the next step points at rejects.csv and says a resend cannot help', () => {
    const lines = new Map(summaryLines(summary(ExitCode.CustomersRejected, { updated: 3, rejected: 2 }), '/r'));
    expect(lines.get('customers')).toBe('5 (updated 3, not found 0, failed 0, rejected 2)');
    expect(lines.get('next')).toMatch(/\/r\/rejects\.csv.*cannot help/);
  });

  test('exit 1 with rejected customers too: resend retry.csv, and the rejected are in rejects.csv', () => {
    const lines = new Map(summaryLines(summary(ExitCode.PartialFailure, { updated: 2, failed: 1, rejected: 2 }), '/r'));
    expect(lines.get('next')).toContain('/r/retry.csv');
    expect(lines.get('next')).toContain('/r/rejects.csv');
  });

  test('exit 6: no retry advice', () => {
    const lines = new Map(summaryLines({ ...summary(ExitCode.EndpointRejectsRequests, { notSent: 5 }), status: 'failed' }, '/r'));
    expect(lines.get('next')).toMatch(/a retry cannot help/);
  });
});
