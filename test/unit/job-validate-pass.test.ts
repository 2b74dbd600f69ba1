import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import winston from 'winston';
import { defaultsOf, inputOptions, resolveRunConfig, sendOptions } from '../../src/config/run-options.js';
import { IdIndex } from '../../src/pipeline/dedupe/index.js';
import { openInputs } from '../../src/pipeline/input/index.js';
import { validatePass, type Intake, type ValidateResult } from '../../src/pipeline/validate-pass.js';
import { resolver } from '../../src/pipeline/result-rows.js';
import { emptyCounts } from '../../src/pipeline/tally.js';
import type { JobContext } from '../../src/pipeline/context.js';
import type { StopSignals } from '../../src/pipeline/signals.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import type { CustomerRow } from '../../src/core/types.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'validate-pass-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function signals(stopped: boolean): StopSignals {
  const stop = new AbortController();
  if (stopped) stop.abort();
  return {
    stop: stop.signal,
    abort: new AbortController().signal,
    interruptedWith: () => (stopped ? ExitCode.Terminated : undefined),
    dispose: () => {},
  };
}

const WIDE = 'document_id,tier\na,gold\nb,silver\na,bronze\n';

/** Runs pass 1 over `contents` (one file each); `check` sees the result while the temp files exist. */
async function validate<T>(
  contents: Record<string, string>,
  check: (result: ValidateResult, reportDir: string) => Promise<T>,
  opts: { stopped?: boolean; layout?: string; dryRun?: boolean } = {},
): Promise<T> {
  const paths: string[] = [];
  for (const [name, text] of Object.entries(contents)) {
    const file = path.join(dir, name);
    await fs.writeFile(file, text);
    paths.push(file);
  }
  const reportDir = path.join(dir, 'report');
  await fs.mkdir(reportDir, { recursive: true });
  const tmpDir = await fs.mkdtemp(path.join(dir, 'tmp-'));
  const config = resolveRunConfig(
    // A run that sends spools every customer; a dry run keeps only the plan's sample.
    {
      ...defaultsOf(inputOptions),
      ...defaultsOf(sendOptions),
      files: paths,
      ...(opts.dryRun ? { dryRun: true } : { endpoint: 'http://127.0.0.1:9/api/v3/customers/segments' }),
      reportDir,
      ...(opts.layout ? { layout: opts.layout } : {}),
    },
    {},
  );
  const ctx: JobContext = { config, log: winston.createLogger({ silent: true }), signals: signals(opts.stopped ?? false) };
  const { files, cleanup } = await openInputs(paths, { tmpDir });
  const index = new IdIndex({ dir: tmpDir });
  try {
    const progress = { phase: 'validating' as const, rowsRead: 0, customersDone: 0, customersTotal: 0, counts: emptyCounts() };
    return await check(await validatePass(ctx, files, index, tmpDir, progress), reportDir);
  } finally {
    index.close();
    await cleanup();
  }
}

function intakeOf(result: ValidateResult): Intake {
  if (result.stopped) throw new Error('pass 1 stopped');
  return result.intake;
}

async function spooled(intake: Intake): Promise<CustomerRow[]> {
  const out: CustomerRow[] = [];
  for await (const chunk of intake.spool.customers()) out.push(...chunk);
  return out;
}

/** results.csv as a dry run writes it, parsed. */
async function dryRunResults(intake: Intake, reportDir: string, displays: string[]): Promise<string[][]> {
  await intake.rowLog.writeResults(reportDir, displays, resolver(intake.ledger, { kind: 'valid', detail: '' }));
  return parse(await fs.readFile(path.join(reportDir, 'results.csv'), 'utf8')) as string[][];
}

describe('validatePass', () => {
  it('counts rows, duplicates and customers, spools the customers and logs every row for results.csv', async () => {
    await validate({ 'in.csv': WIDE }, async (result, reportDir) => {
      expect(result.stopped).toBe(false);
      const intake = intakeOf(result);
      expect(intake.counts).toMatchObject({ rows: 3, invalid: 0, duplicates: 1, customers: 2, toClear: 0 });
      expect(intake.read).toEqual({ rows: 3, invalid: 0 });
      expect(intake.ledger.customers).toBe(2);
      expect(await spooled(intake)).toEqual([
        { ordinal: 0, id: 'a', json: '{"document_id":"a","segments":[{"type":"tier","value":"gold"}]}', clears: false },
        { ordinal: 1, id: 'b', json: '{"document_id":"b","segments":[{"type":"tier","value":"silver"}]}', clears: false },
      ]);
      expect(await dryRunResults(intake, reportDir, ['in.csv'])).toEqual([
        ['line', 'document_id', 'status', 'detail'],
        ['2', 'a', 'valid', ''],
        ['3', 'b', 'valid', ''],
        ['4', 'a', 'duplicate', 'duplicate of line 2'],
      ]);
    });
  });

  it('counts the customers sent with no segments (they clear theirs) and the invalid rows, with their reasons folded', async () => {
    const text = 'document_id,tier,region\na,gold,\nb,,\n,gold,north\nc,,\n,x,y\n';
    await validate({ 'in.csv': text }, async (result) => {
      const intake = intakeOf(result);
      expect(intake.counts).toMatchObject({ rows: 5, invalid: 2, customers: 3, toClear: 2 });
      expect(intake.read).toEqual({ rows: 5, invalid: 2 });
      expect(intake.invalidReasons).toHaveLength(1);
      expect(intake.invalidReasons[0]![1]).toBe(2);
      expect((await spooled(intake)).map((c) => [c.id, c.clears])).toEqual([
        ['a', false],
        ['b', true],
        ['c', true],
      ]);
    });
  });

  it('names the file of the kept row in a multi-file run, and numbers customers across files', async () => {
    await validate({ 'monday.csv': WIDE, 'tuesday.csv': 'document_id,tier\nb,gold\nc,gold\n' }, async (result, reportDir) => {
      const intake = intakeOf(result);
      expect(intake.counts).toMatchObject({ rows: 5, duplicates: 2, customers: 3 });
      expect((await spooled(intake)).map((c) => [c.ordinal, c.id])).toEqual([
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
      ]);
      const displays = intake.facts.map((f) => f.path);
      const rows = await dryRunResults(intake, reportDir, displays);
      expect(rows[0]).toEqual(['line', 'document_id', 'status', 'detail', 'file']);
      const duplicate = rows.find((r) => r[1] === 'b' && r[2] === 'duplicate')!;
      expect(duplicate[3]).toMatch(/^duplicate of line 3 of .*monday\.csv$/);
      expect(duplicate[4]).toMatch(/tuesday\.csv$/);
    });
  });

  it('makes every record of a long-layout id one customer, sorted or not, and counts a lone blank record as clearing', async () => {
    // a's records are consecutive (one chunk, as in a sorted export) and one more comes later.
    const text = 'document_id,type,value\na,tier,gold\na,region,north\nb,,\nc,tier,gold\na,x,y\n';
    await validate({ 'long.csv': text }, async (result, reportDir) => {
      const intake = intakeOf(result);
      expect(intake.counts).toMatchObject({ rows: 5, invalid: 0, duplicates: 0, customers: 3, toClear: 1 });
      expect(await spooled(intake)).toEqual([
        {
          ordinal: 0,
          id: 'a',
          json: '{"document_id":"a","segments":[{"type":"tier","value":"gold"},{"type":"region","value":"north"},{"type":"x","value":"y"}]}',
          clears: false,
        },
        { ordinal: 1, id: 'b', json: '{"document_id":"b","segments":[]}', clears: true },
        { ordinal: 2, id: 'c', json: '{"document_id":"c","segments":[{"type":"tier","value":"gold"}]}', clears: false },
      ]);
      expect((await dryRunResults(intake, reportDir, ['long.csv'])).slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
        ['2', 'a', 'valid'],
        ['3', 'a', 'valid'],
        ['4', 'b', 'valid'],
        ['5', 'c', 'valid'],
        ['6', 'a', 'valid'],
      ]);
    });
  });

  it('holds back every record of a long customer with a broken record or a blank record among others', async () => {
    const text = 'document_id,type,value\na,tier,gold\nb,tier,gold\na,tier,\nb,,\nc,tier,gold\n';
    await validate({ 'long.csv': text }, async (result, reportDir) => {
      const intake = intakeOf(result);
      expect(intake.counts).toMatchObject({ rows: 5, customers: 1, invalid: 4, toClear: 0 });
      expect((await spooled(intake)).map((c) => c.id)).toEqual(['a', 'b', 'c']);
      expect([0, 1, 2].map((o) => intake.ledger.isSpoiled(o))).toEqual([true, true, false]);
      const rows = (await dryRunResults(intake, reportDir, ['long.csv'])).slice(1);
      expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
        ['2', 'a', 'invalid'],
        ['3', 'b', 'invalid'],
        ['4', 'a', 'invalid'],
        ['5', 'b', 'invalid'],
        ['6', 'c', 'valid'],
      ]);
      expect(rows[0]![3]).toMatch(/^another row of this customer is invalid \(line 4: /);
      expect(rows[3]![3]).toContain('line 5 has a blank type and value');
    });
  });

  it('in a dry run keeps only the first customers, for the plan, but counts and logs them all', async () => {
    const many = `document_id,tier\n${Array.from({ length: 50 }, (_, i) => `c${i},gold`).join('\n')}\n`;
    await validate(
      { 'in.csv': many },
      async (result, reportDir) => {
        const intake = intakeOf(result);
        expect(intake.counts).toMatchObject({ rows: 50, customers: 50 });
        expect((await spooled(intake)).map((c) => c.id)).toEqual(['c0', 'c1']);
        expect(await dryRunResults(intake, reportDir, ['in.csv'])).toHaveLength(51);
      },
      { dryRun: true },
    );
  });

  it('stops at once when a stop signal has come: nothing read, and no results.csv', async () => {
    await validate(
      { 'in.csv': WIDE },
      async (result, reportDir) => {
        expect(result.stopped).toBe(true);
        if (!result.stopped) return;
        expect(result.counts.rows).toBe(0);
        await expect(fs.stat(path.join(reportDir, 'results.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
      },
      { stopped: true },
    );
  });
});

describe('summary options', () => {
  it('never records the Pushgateway credentials', async () => {
    const { summaryBuilder } = await import('../../src/pipeline/summary.js');
    const reportDir = await fs.mkdtemp(path.join(dir, 'r-'));
    const config = resolveRunConfig(
      {
        ...defaultsOf(inputOptions),
        ...defaultsOf(sendOptions),
        files: ['a.csv'],
        dryRun: true,
        reportDir,
        pushgateway: 'https://ops:s3cret-pw@gw.example/',
      },
      {},
    );
    const ctx: JobContext = { config, log: winston.createLogger({ silent: true }), signals: signals(false) };
    const { summary } = await summaryBuilder(ctx, 'run-1', new Date())(emptyCounts(), [], { facts: {} });
    expect(JSON.stringify(summary)).not.toContain('s3cret-pw');
    expect(await fs.readFile(path.join(reportDir, 'summary.json'), 'utf8')).not.toContain('s3cret-pw');
  });
});
