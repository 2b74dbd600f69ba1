import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { defaultsOf, inputOptions, resolveRunConfig, sendOptions } from '../../src/config/run-options.js';
import { IdIndex } from '../../src/dedupe/index.js';
import { openInputs } from '../../src/input/index.js';
import { validatePass } from '../../src/job/validate-pass.js';
import { emptyCounts } from '../../src/job/tally.js';
import type { JobContext } from '../../src/job/context.js';
import type { StopSignals } from '../../src/job/signals.js';
import { ExitCode } from '../../src/exit-codes.js';

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
  return { stop: stop.signal, abort: new AbortController().signal, interruptedWith: () => (stopped ? ExitCode.Terminated : undefined), dispose: () => {} };
}

async function validate(stopped: boolean) {
  const file = path.join(dir, 'in.csv');
  await fs.writeFile(file, 'document_id,tier\na,gold\nb,silver\na,bronze\n');
  const reportDir = path.join(dir, 'report');
  await fs.mkdir(reportDir);
  const config = resolveRunConfig({ ...defaultsOf(inputOptions), ...defaultsOf(sendOptions), files: [file], dryRun: true, reportDir }, {});
  const ctx: JobContext = { config, log: winston.createLogger({ silent: true }), signals: signals(stopped) };
  const { files, cleanup } = await openInputs([file], { tmpDir: dir });
  const index = new IdIndex({ dir });
  try {
    const progress = { phase: 'validating' as const, rowsRead: 0, customersDone: 0, customersTotal: 0, counts: emptyCounts() };
    return { result: await validatePass(ctx, files, index, progress), reportDir };
  } finally {
    index.close();
    await cleanup();
  }
}

describe('validatePass', () => {
  it('counts rows, duplicates and customers, and writes results.csv in a dry run', async () => {
    const { result, reportDir } = await validate(false);
    expect(result.stopped).toBeUndefined();
    expect(result.counts).toMatchObject({ rows: 3, duplicates: 1, customers: 2 });
    expect(await fs.readFile(path.join(reportDir, 'results.csv'), 'utf8')).toContain('4,a,duplicate,duplicate of line 2');
  });

  it('stops at once when a stop signal has come, leaving no half-written results.csv', async () => {
    const { result, reportDir } = await validate(true);
    expect(result.stopped).toBe(true);
    await expect(fs.stat(path.join(reportDir, 'results.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('summary options', () => {
  it('never records the Pushgateway credentials', async () => {
    const { summaryBuilder } = await import('../../src/job/summary.js');
    const reportDir = await fs.mkdtemp(path.join(dir, 'r-'));
    const config = resolveRunConfig(
      { ...defaultsOf(inputOptions), ...defaultsOf(sendOptions), files: ['a.csv'], dryRun: true, reportDir, pushgateway: 'https://ops:s3cret-pw@gw.example/' },
      {},
    );
    const ctx: JobContext = { config, log: winston.createLogger({ silent: true }), signals: signals(false) };
    const { summary } = await summaryBuilder(ctx, 'run-1', new Date()).done(emptyCounts(), [], { dryRun: true });
    expect(JSON.stringify(summary)).not.toContain('s3cret-pw');
    expect(await fs.readFile(path.join(reportDir, 'summary.json'), 'utf8')).not.toContain('s3cret-pw');
  });
});
