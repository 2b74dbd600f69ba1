/**
 * The sync job as a list of steps. Everything the job decides is in here or in the stage it calls;
 * the command (src/commands/run.ts) only parses options, prints and exits.
 *
 *   1. lock the state dir (one run at a time)
 *   2. open the inputs (stdin is spooled so it can be read twice)
 *   3. pass 1: read and validate everything, build the id index; nothing is sent yet
 *   4. guardrail: too many invalid rows → rejected, nothing sent
 *   5. pass 2: read again, skip what an earlier run acknowledged, batch, send, reconcile, report
 *   6. summary, journal, metrics
 */
import os from 'node:os';
import { promises as fs } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { InputError } from '../errors.js';
import { estimateRecords, openInputs, type InputFile } from '../input/index.js';
import { SpoolInterrupted } from '../input/open.js';
import { IdIndex } from '../dedupe/index.js';
import { acquireLock } from '../state/index.js';
import { emptyCounts } from './tally.js';
import { startProgress, type ProgressState } from './progress.js';
import type { JobContext, JobResult } from './context.js';
import { summaryBuilder, type SummaryBuilder } from './summary.js';
import { validatePass, writeUnsentReport } from './validate-pass.js';
import { sendPass } from './send-pass.js';
import { REPORT_FILES } from '../report/index.js';
import path from 'node:path';

export type { JobContext, JobResult } from './context.js';

export async function runJob(ctx: JobContext): Promise<JobResult> {
  const { config, log } = ctx;
  const runId = ctx.runId ?? randomUUID();
  const startedAt = new Date();
  // Locked before anything is created: a run turned away (exit 2) leaves no report or temp dir.
  const lock = config.dryRun ? undefined : await acquireLock({ stateDir: config.stateDir, runId, onWarning: (m) => log.warn(m) });
  try {
    await fs.mkdir(config.reportDir, { recursive: true });
    return await inTempDir((tmpDir) => syncFiles(ctx, tmpDir, summaryBuilder(ctx, runId, startedAt)));
  } finally {
    await lock?.release();
  }
}

async function inTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(`${os.tmpdir()}/segment-sync-`);
  try {
    return await use(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Opens the inputs (spooling stdin into `tmpDir`) and syncs them; a structural problem is a rejection. */
async function syncFiles(ctx: JobContext, tmpDir: string, finish: SummaryBuilder): Promise<JobResult> {
  let cleanupInputs = async (): Promise<void> => {};
  try {
    const opened = await openInputs(ctx.config.files, { tmpDir, signal: ctx.signals.stop, notice: (message) => ctx.log.info(message) });
    cleanupInputs = opened.cleanup;
    return await syncInputs(ctx, opened.files, tmpDir, finish);
  } catch (error) {
    // A signal while stdin was spooled: nothing was read or sent, the spool is gone.
    if (error instanceof SpoolInterrupted) return finish.done(emptyCounts(), [], { interruptedWith: ctx.signals.interruptedWith() });
    if (!(error instanceof InputError)) throw error;
    // No row could be reported: leave no results.csv or retry.csv of an earlier run beside this summary.
    await removeReportFiles(ctx.config.reportDir, [REPORT_FILES.results, REPORT_FILES.retry]);
    return finish.rejected(error.message, emptyCounts(), []);
  } finally {
    await cleanupInputs();
  }
}

async function syncInputs(ctx: JobContext, files: InputFile[], tmpDir: string, finish: SummaryBuilder): Promise<JobResult> {
  const { config, log } = ctx;
  // Sized for the input up front: growing the index means replaying its log.
  const index = new IdIndex({ dir: tmpDir, expectedIds: await estimateRecords(files) });
  try {
    const progress: ProgressState = { phase: 'validating', rowsRead: 0, customersDone: 0, customersTotal: 0, counts: emptyCounts() };
    const stopProgress = startProgress(log, progress, config.progressIntervalMs);
    try {
      log.info('validating input', { files: files.map((f) => f.display) });
      const scan = await validatePass(ctx, files, index, progress);
      const inputs = scan.facts.map((f) => ({ path: f.path, sha256: f.sha256, rows: f.rows }));
      if (scan.rejection) {
        log.error('input rejected, nothing sent', { reason: scan.rejection });
        await writeUnsentReport(ctx, files, index, 'not sent: input rejected');
        return finish.rejected(scan.rejection, scan.counts, inputs);
      }
      if (scan.stopped) return finish.done(scan.counts, inputs, { interruptedWith: ctx.signals.interruptedWith() });
      if (config.dryRun) return finish.done(scan.counts, inputs, { dryRun: true });
      progress.phase = 'sending';
      progress.customersTotal = scan.counts.customers;
      return await sendPass(ctx, files, index, scan.facts, progress, finish);
    } finally {
      stopProgress();
    }
  } finally {
    index.close();
  }
}

async function removeReportFiles(dir: string, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => fs.rm(path.join(dir, name), { force: true })));
}
