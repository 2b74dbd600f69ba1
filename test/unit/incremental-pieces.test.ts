/**
 * The pieces of incremental sync outside the state store (which test/unit/state-segment-state.test.ts
 * covers): the spool's fingerprints and clears, the ledger's unchanged and cleared customers, how
 * results.csv words them, the counts, --max-clear with mirror's clears, the options, and report
 * merge keeping rows of no input line last. End to end over several nights: test/integration/incremental.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { CustomerSpool } from '../../src/pipeline/spool/index.js';
import { EMPTY_FINGERPRINT, fingerprintOf } from '../../src/state/segments-fingerprint.js';
import { Ledger } from '../../src/pipeline/ledger.js';
import { CLEARED_DETAIL, resolver } from '../../src/pipeline/result-rows.js';
import { countOutcomes, emptyCounts } from '../../src/pipeline/tally.js';
import { checkGuards } from '../../src/pipeline/guards.js';
import { resolveRunConfig } from '../../src/config/run-options.js';
import { UsageError } from '../../src/core/errors.js';
import { mergeReports, ResultsWriter, writeSummary, type Summary } from '../../src/pipeline/report/index.js';
import { parseThreshold } from '../../src/config/threshold.js';
import type { CustomerRow, Segment } from '../../src/core/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'incremental-pieces-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function read(spool: CustomerSpool): Promise<CustomerRow[]> {
  const out: CustomerRow[] = [];
  for await (const chunk of spool.customers()) out.push(...chunk);
  return out;
}

const gold: Segment = { type: 'tier', value: 'gold' };
const north: Segment = { type: 'region', value: 'north' };
const south: Segment = { type: 'region', value: 'south' };

describe('segments fingerprint', () => {
  // Pinned (computed by the build that introduced FINGERPRINT_SCHEME 3): states written by earlier
  // builds are compared with tonight's fingerprints, so a faster fingerprintOf must give these
  // very values (or bump FINGERPRINT_SCHEME). Past 16 segments it sorts another way; past 65,535
  // units a length takes its second half.
  test.each([
    ['one segment', [gold], 3380551973788653],
    ['three, unsorted', [gold, north, { type: 'channel', value: 'web' }], 5289638918668777],
    [
      'a repeat, an empty value, astral code points',
      [
        { type: 'b', value: 'é😀' },
        { type: 'a', value: '' },
        { type: 'b', value: 'é😀' },
      ],
      2515819435081388,
    ],
    ['20 segments with repeats', Array.from({ length: 20 }, (_, i) => ({ type: `t${i % 7}`, value: `v${(i * 7) % 11}` })), 97302962448276],
    ['a value of 70,000 units', [{ type: 'x', value: 'y'.repeat(70_000) }], 2480005242535738],
  ])('%s: pinned', (_name, segments, value) => {
    expect(fingerprintOf(segments)).toBe(value);
  });

  test('is a set: order and repeats are no change; any value change is one', () => {
    expect(fingerprintOf([gold, north])).toBe(fingerprintOf([north, gold, north]));
    expect(fingerprintOf([gold, north])).not.toBe(fingerprintOf([gold, south]));
    expect(fingerprintOf([gold])).not.toBe(EMPTY_FINGERPRINT);
    expect(fingerprintOf(null)).toBe(EMPTY_FINGERPRINT);
    expect(fingerprintOf([])).toBe(EMPTY_FINGERPRINT);
    expect(Number.isSafeInteger(fingerprintOf([gold]))).toBe(true);
    // Lengths make the stream parse back one way only: moving characters between type and value,
    // or between segments, is a change.
    expect(fingerprintOf([{ type: 'ab', value: 'c' }])).not.toBe(fingerprintOf([{ type: 'a', value: 'bc' }]));
    expect(
      fingerprintOf([
        { type: 'a', value: 'b' },
        { type: 'c', value: 'd' },
      ]),
    ).not.toBe(
      fingerprintOf([
        { type: 'a', value: 'bc' },
        { type: '', value: 'd' },
      ]),
    );
    // 20,000 customers with one value each: no two fingerprints alike.
    const seen = new Set(Array.from({ length: 20_000 }, (_, i) => fingerprintOf([gold, { type: 'n', value: String(i) }])));
    expect(seen.size).toBe(20_000);
  });
});

describe('customer spool with fingerprints', () => {
  test('a wide customer and a long one with the same segments in another order share a fingerprint; null and [] are empty', async () => {
    const spool = new CustomerSpool({ dir, fingerprints: true });
    spool.addCustomer(0, 'wide', [gold, north], fingerprintOf([gold, north]));
    spool.addLongRecord(1, 'long', north);
    spool.addLongRecord(1, 'long', gold);
    spool.addLongRecord(1, 'long', north);
    spool.addCustomer(2, 'null', null, fingerprintOf(null));
    spool.addCustomer(3, 'none', [], fingerprintOf([]));
    spool.finish();
    const [wide, long, nul, none] = await read(spool);
    expect(wide!.fingerprint).toBe(long!.fingerprint);
    expect(nul!.fingerprint).toBe(EMPTY_FINGERPRINT);
    expect(none!.fingerprint).toBe(EMPTY_FINGERPRINT);
    expect(wide!.json).toBe(JSON.stringify({ document_id: 'wide', segments: [gold, north] }));
  });

  test('without fingerprints (--mode full) the customers carry none', async () => {
    const spool = new CustomerSpool({ dir });
    spool.addCustomer(0, 'a\tb', [gold]);
    spool.addLongRecord(1, 'c', gold);
    spool.finish();
    const customers = await read(spool);
    expect(customers.map((c) => [c.id, c.fingerprint])).toEqual([
      ['a\tb', undefined],
      ['c', undefined],
    ]);
  });

  test('clears appended after finish() come last, with no segments and the empty fingerprint', async () => {
    const spool = new CustomerSpool({ dir, fingerprints: true });
    spool.addCustomer(0, 'kept', [gold]);
    spool.finish();
    spool.appendClears(1, ['gone-1', 'gone "2"']);
    const customers = await read(spool);
    expect(customers.slice(1)).toEqual([
      { ordinal: 1, id: 'gone-1', json: '{"document_id":"gone-1","segments":[]}', clears: true, fingerprint: EMPTY_FINGERPRINT },
      { ordinal: 2, id: 'gone "2"', json: '{"document_id":"gone \\"2\\"","segments":[]}', clears: true, fingerprint: EMPTY_FINGERPRINT },
    ]);
    expect(() => spool.appendClears(3, [])).toThrow(TypeError);
  });
});

describe('ledger, results.csv and counts of an incremental run', () => {
  function ledgerOf(): Ledger {
    const ledger = new Ledger();
    for (let ordinal = 0; ordinal < 4; ordinal++) ledger.open(ordinal, false);
    ledger.setUnchanged(0, 7, false);
    ledger.setUnchanged(1, 8, true);
    ledger.setOutcome(2, 'updated');
    expect(ledger.openClears(2)).toBe(4);
    ledger.setOutcome(4, 'updated');
    ledger.setOutcome(5, 'failed', 'HTTP 503');
    return ledger;
  }
  const runTime = (run: number): string => `2026-11-${20 + run}T02:00:00.000Z`;

  test('unchanged says since when (and when not found); a clear the endpoint acknowledged is cleared, one that failed is failed', () => {
    const resolve = resolver(ledgerOf(), { kind: 'not_sent', detail: 'not sent: run interrupted' }, runTime);
    expect(resolve(0, 0, 2)).toEqual({ status: 'unchanged', detail: 'unchanged since 2026-11-27T02:00:00.000Z' });
    expect(resolve(1, 0, 3)).toEqual({
      status: 'unchanged',
      detail: 'not found on 2026-11-28T02:00:00.000Z, segments unchanged since; --recheck-not-found sends it again',
    });
    expect(resolve(2, 0, 4)).toEqual({ status: 'updated', detail: '' });
    expect(resolve(3, 0, 5)).toEqual({ status: 'not_sent', detail: 'not sent: run interrupted' });
    expect(resolve(4, -1, 0)).toEqual({ status: 'cleared', detail: CLEARED_DETAIL });
    expect(resolve(5, -1, 0)).toEqual({ status: 'failed', detail: 'HTTP 503' });
  });

  test('a dry run says which customers would be cleared', () => {
    const ledger = new Ledger();
    ledger.open(0, false);
    ledger.openClears(1);
    const resolve = resolver(ledger, { kind: 'valid', detail: '' }, runTime);
    expect(resolve(1, -1, 0)).toEqual({ status: 'valid', detail: 'not in the input: would be cleared (--mode mirror)' });
  });

  test('each count is the number of results.csv rows of that status, clears included', () => {
    const counts = emptyCounts();
    countOutcomes(counts, ledgerOf());
    expect(counts).toMatchObject({ unchanged: 2, updated: 1, cleared: 1, failed: 1, notSent: 1, notFound: 0 });
  });
});

describe('--max-clear with mirror clears', () => {
  const config = { maxInvalid: parseThreshold('--max-invalid', '100,10%'), maxClear: parseThreshold('--max-clear', '10%') };
  const intake = (customers: number, toClear: number) => ({
    read: { rows: customers, invalid: 0 },
    counts: { ...emptyCounts(), customers, toClear },
  });

  test('a night that lost 30% of its customers is refused, naming both causes', () => {
    // 700 customers in the file, 300 gone from it (counted in toClear), 5 blank rows.
    const reason = checkGuards(config, intake(700, 305), 300);
    expect(reason).toContain('305 of 1000 (31%) customers would have all their segments cleared');
    expect(reason).toContain('300 gone from the input');
    expect(reason).toContain('--max-clear 10%');
  });

  test('when only customers gone from the input would be cleared, the reason says only that', () => {
    const reason = checkGuards(config, intake(700, 300), 300);
    expect(reason).toContain('(300 gone from the input, which --mode mirror clears)');
    expect(reason).not.toContain('blank');
    expect(reason).not.toContain('--skip-empty');
    expect(reason).toContain('a file that lost customers is better fixed at the source');
  });

  test('a few customers gone is no reason to refuse', () => {
    expect(checkGuards(config, intake(990, 10), 10)).toBeUndefined();
  });
});

describe('options', () => {
  const base = {
    files: ['a.csv'],
    endpoint: 'http://127.0.0.1:1/api/v3/customers/segments',
    idColumn: 'document_id',
    maxInvalid: '100',
    maxClear: '10%',
    maxNotFound: '50%',
    maxRecordBytes: 1000,
    maxInputBytes: 1000,
    maxCompressionRatio: 0,
    logLevel: 'info',
    logFormat: 'json',
    progressInterval: 10,
    batchSize: 10,
    maxBatchBytes: 1000,
    rate: 1,
    concurrency: 1,
    maxAttempts: 1,
    maxRetryWait: 1,
    maxOutage: 1,
    timeout: 1,
    grace: 1,
    stateDir: 's',
    jobName: 'j',
  };

  test('--mode defaults to full and takes diff and mirror with their options', () => {
    expect(resolveRunConfig({ ...base, mode: 'full' }, {})).toMatchObject({ mode: 'full', fullResync: false, recheckNotFound: false });
    expect(resolveRunConfig({ ...base, mode: 'mirror', fullResync: true, recheckNotFound: true }, {})).toMatchObject({
      mode: 'mirror',
      fullResync: true,
      recheckNotFound: true,
    });
  });

  test.each([
    [{ mode: 'sideways' }, /--mode must be one of full, diff, mirror/],
    [{ mode: 'full', fullResync: true }, /--full-resync needs --mode diff or mirror/],
    [{ mode: 'full', recheckNotFound: true }, /--recheck-not-found needs --mode diff or mirror/],
    [{ mode: 'diff', fresh: true }, /--fresh is for --mode full/],
  ])('refuses %j', (args, message) => {
    expect(() => resolveRunConfig({ ...base, ...args }, {})).toThrow(UsageError);
    expect(() => resolveRunConfig({ ...base, ...args }, {})).toThrow(message);
  });
});

describe('report merge with mirror clears', () => {
  test("each shard's rows of no input line come after every input row", async () => {
    const shard = async (index: number, rows: [number, string, string][], gone: string[]): Promise<string> => {
      const out = path.join(dir, `shard-${index}`);
      const results = ResultsWriter.open(out, ['night.csv']);
      for (const [line, id, status] of rows) await results.write({ file: 0, line, id, status: status as 'updated', detail: '' });
      for (const id of gone) await results.writeUnplaced(id, 'cleared', CLEARED_DETAIL);
      await results.commit();
      const summary: Summary = {
        status: 'succeeded',
        dryRun: false,
        counts: { ...emptyCounts(), rows: rows.length, cleared: gone.length },
        requests: { byStatus: {}, total: 1, retries: 0 },
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:01.000Z',
        durationMs: 1000,
        inputs: [{ path: 'night.csv', sha256: '0'.repeat(64), rows: 4 }],
        options: {},
        runId: `r${index}`,
        exitCode: 0,
        shard: { index, count: 2 },
        mode: 'mirror',
      };
      await writeSummary(out, summary);
      return out;
    };
    const dirs = [
      await shard(
        0,
        [
          [2, 'a', 'updated'],
          [4, 'c', 'unchanged'],
        ],
        ['x', 'y'],
      ),
      await shard(
        1,
        [
          [3, 'b', 'updated'],
          [5, 'd', 'updated'],
        ],
        ['z'],
      ),
    ];
    const merged = await mergeReports(dirs, path.join(dir, 'merged'));
    expect(merged).not.toBeInstanceOf(UsageError);
    expect((merged as Summary).counts.cleared).toBe(3);
    const records = parse(readFileSync(path.join(dir, 'merged', 'results.csv'), 'utf8')) as string[][];
    expect(records.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual([
      'line document_id status',
      '2 a updated',
      '3 b updated',
      '4 c unchanged',
      '5 d updated',
      ' x cleared',
      ' y cleared',
      ' z cleared',
    ]);
  });
});

describe('--max-not-found in diff and mirror', () => {
  test("the message says the unchanged customers were counted by the state's answers", async () => {
    const { decideOutcome } = await import('../../src/pipeline/run-outcome.js');
    const outcome = decideOutcome(
      { ...emptyCounts(), customers: 100, notFound: 60 },
      { notFoundGuard: { notFound: 60, answered: 100, unchanged: 40, threshold: '50%' } },
    );
    expect(outcome.exitCode).toBe(5);
    expect(outcome.message).toContain(
      "60 of 100 customers answered (40 of them unchanged, by the state's earlier answers) were not found, more than --max-not-found 50%",
    );
  });
});
