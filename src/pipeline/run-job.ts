/**
 * The sync job as a list of steps. Everything the job decides is in here or in the stage it calls;
 * the command (src/cli/run.ts, src/cli/execute.ts) parses options, reads the token, sets up
 * logging and signals, prints, pushes the metrics (--pushgateway: not the job's concern) and exits.
 *
 *   1. lock the state dir (one run at a time)
 *   2. open the inputs (stdin is spooled to a file)
 *   3. diff, mirror: load the state of this endpoint into memory (incremental.ts)
 *   4. pass 1: read and validate everything; spool the customers to send (diff, mirror: set the
 *      unchanged aside), log every row; then the long-layout customers, and mirror's clears
 *   5. guardrails: too many invalid rows, too many customers cleared → rejected, nothing sent
 *   6. the plan: what will be sent, where, how long it takes (and, on a terminal, a confirmation)
 *   7. pass 2: send the spooled customers an earlier run did not get answered (resume), recording
 *      each answer in the resume journal (full) or the state (diff, mirror)
 *   8. the report: results.csv for every row, retry.csv, rejects.csv, summary.json
 */
import os from 'node:os';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { InputError, LocalStorageError } from '../core/errors.js';
import { ensureDir, storageGuard } from '../core/storage-error.js';
import { formatThreshold } from '../config/threshold.js';
import { estimateRecords, openInputs, SpoolInterrupted, type InputFile } from './input/index.js';
import { IdIndex } from './dedupe/index.js';
import { acquireLock, SegmentState } from '../state/index.js';
import { REPORT_FILES, RejectsWriter, RetryWriter } from './report/index.js';
import type { Customer, Layout } from '../core/types.js';
import { countOutcomes, emptyCounts } from './tally.js';
import { startProgress, type ProgressState } from './progress.js';
import { sends, type JobContext, type JobResult, type SendContext } from './context.js';
import { summaryBuilder, type SummaryBuilder } from './summary.js';
import { keepsState, validatePass, type Intake } from './validate-pass.js';
import { sendPass, type SendResult } from './send-pass.js';
import { applyState, StateDiff, type StateFacts } from './incremental.js';
import { checkGuards } from './guards.js';
import { buildPlan, logPlan } from './plan.js';
import { resolver, type RunTime, type Unsent } from './result-rows.js';

export type { JobContext, JobResult, JobTarget } from './context.js';

export async function runJob(ctx: JobContext): Promise<JobResult> {
  const { config, log } = ctx;
  const runId = ctx.runId ?? randomUUID();
  const startedAt = new Date();
  // Locked before anything is created: a run turned away (exit 2) leaves no report or temp dir.
  const lock = config.dryRun ? undefined : await acquireLock({ stateDir: config.stateDir, runId, onWarning: (m) => log.warn(m) });
  try {
    await ensureDir(config.reportDir, 'the report');
    return await inTempDir((tmpDir) => syncFiles(ctx, tmpDir, { runId, startedAt, finish: summaryBuilder(ctx, runId, startedAt) }));
  } finally {
    await lock?.release();
  }
}

async function inTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await storageGuard(os.tmpdir(), 'temporary files (TMPDIR)', () => fs.mkdtemp(`${os.tmpdir()}/segment-sync-`), true);
  try {
    return await use(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** This run: its identity (the state records it) and how it writes summary.json. */
interface RunOf {
  runId: string;
  startedAt: Date;
  finish: SummaryBuilder;
}

/** Opens the inputs (spooling stdin into `tmpDir`) and syncs them; a structural problem is a rejection. */
async function syncFiles(ctx: JobContext, tmpDir: string, run: RunOf): Promise<JobResult> {
  const { finish } = run;
  let cleanupInputs = async (): Promise<void> => {};
  try {
    const opened = await openInputs(ctx.config.files, { tmpDir, signal: ctx.signals.stop, notice: (message) => ctx.log.info(message) });
    cleanupInputs = opened.cleanup;
    return await syncInputs(ctx, opened.files, tmpDir, run);
  } catch (error) {
    // A signal while stdin was spooled: nothing was read or sent, the spool is gone.
    if (error instanceof SpoolInterrupted) return finish(emptyCounts(), [], { facts: { interruptedWith: ctx.signals.interruptedWith() } });
    if (error instanceof LocalStorageError)
      return reportStorageFailure(ctx, error, () => finish(emptyCounts(), [], { facts: { localStorage: error } }));
    if (!(error instanceof InputError)) throw error;
    ctx.log.error('input rejected, nothing sent', { reason: error.message });
    // No row could be reported: leave no results.csv or retry.csv of an earlier run beside this summary.
    await removeReportFiles(ctx.config.reportDir, [REPORT_FILES.results, REPORT_FILES.retry, REPORT_FILES.rejects]);
    return finish(emptyCounts(), [], { facts: { rejected: error.message } });
  } finally {
    await cleanupInputs();
  }
}

async function syncInputs(ctx: JobContext, files: InputFile[], tmpDir: string, run: RunOf): Promise<JobResult> {
  const { config, log } = ctx;
  const { finish } = run;
  const expectedRows = await estimateRecords(files);
  const progress: ProgressState = { phase: 'validating', rowsRead: 0, customersDone: 0, customersTotal: 0, counts: emptyCounts() };
  const stopProgress = startProgress(log, progress, config.progressIntervalMs);
  if (config.mode !== 'full' && !keepsState(config))
    log.warn(`--mode ${config.mode} without --endpoint or --env: the state is kept per endpoint, so this dry run does not consult it`);
  let state: SegmentState | undefined;
  let index: IdIndex | undefined;
  let intake: Intake | undefined;
  try {
    // Opened and loaded before pass 1, which compares the customers with it as it meets them.
    state = keepsState(config) ? openState(ctx) : undefined;
    const diff = state === undefined || state.fresh ? undefined : StateDiff.load(state, config);
    // Sized for the input up front (growing the index means replaying its log); on a night, for
    // the ids new to the state only: pass 1 dedupes the others in the state's table (StateFirstSeen).
    index = new IdIndex({ dir: tmpDir, expectedIds: Math.max(0, expectedRows - (diff?.tracked ?? 0)) });
    log.info('validating input', { files: files.map((f) => f.display) });
    const pass1 = await validatePass(ctx, files, index, tmpDir, progress, expectedRows, diff);
    // A signal during validation: nothing was sent, and no row was decided yet.
    if (pass1.stopped) return await finish(pass1.counts, pass1.facts, { facts: { interruptedWith: ctx.signals.interruptedWith() } });
    index.close();
    intake = pass1.intake;
    logInputNotes(ctx, intake);
    let incremental: Incremental | undefined;
    if (state !== undefined) {
      const facts = await applyState(config, intake, state, diff, ctx.signals.stop);
      // A signal while the long customers were gathered: as during validation, nothing was sent.
      if (facts === undefined)
        return await finish(intake.counts, intake.facts, { facts: { interruptedWith: ctx.signals.interruptedWith() } });
      incremental = { state, facts };
    }
    return await decideAndSend(
      ctx,
      intake,
      files.map((f) => f.display),
      progress,
      run,
      incremental,
    );
  } finally {
    state?.close();
    stopProgress();
    index?.close();
    // A run that ended before its report leaves no results.csv written straight behind (a no-op once it is committed).
    await intake?.rowLog.discard();
  }
}

/** The state of this endpoint (id column, shard): read-only in a dry run, which takes no lock. */
function openState(ctx: JobContext): SegmentState {
  const { config, log } = ctx;
  if (config.endpoint === undefined) throw new TypeError('the state is kept per endpoint, and this run has none');
  return SegmentState.open({
    stateDir: config.stateDir,
    identity: { endpoint: config.endpoint, idColumn: config.idColumn, shard: config.shard },
    write: !config.dryRun,
    onWarning: (message) => log.warn(message),
  });
}

/** diff, mirror: the run's state and what it decided. */
interface Incremental {
  state: SegmentState;
  facts: StateFacts;
}

/** Steps 5 to 8: the guardrails, the plan (and confirmation), sending, the report. */
async function decideAndSend(
  ctx: JobContext,
  intake: Intake,
  displays: string[],
  progress: ProgressState,
  run: RunOf,
  incremental: Incremental | undefined,
): Promise<JobResult> {
  const { config, log } = ctx;
  const { finish } = run;
  const runTime: RunTime | undefined = incremental && ((n) => incremental.state.runStartedAt(n));
  const details = { state: incremental?.facts };
  const rejected = checkGuards(config, intake, incremental?.facts.clears);
  if (rejected !== undefined) {
    log.error('input rejected, nothing sent', { reason: rejected });
    await writeResults(ctx, intake, displays, { kind: 'valid', detail: 'not sent: input rejected' }, runTime);
    return await finish(intake.counts, intake.facts, { ...details, facts: { rejected } });
  }
  const plan = await buildPlan(ctx, intake, incremental?.facts);
  logPlan(ctx, plan);
  // The dry run ends here; a send goes on, with its endpoint and token.
  if (!sends(ctx)) {
    await writeResults(ctx, intake, displays, { kind: 'valid', detail: '' }, runTime);
    return await finish(intake.counts, intake.facts, { ...details, facts: {} });
  }
  // Nothing to send (diff: every customer unchanged) is nothing to confirm.
  if (ctx.confirm !== undefined && plan.toSend > 0 && !(await ctx.confirm(plan))) {
    // Ctrl-C at the question is an interruption like any other; a "no" is the operator's answer.
    const interruptedWith = ctx.signals.interruptedWith();
    await writeResults(ctx, intake, displays, { kind: 'valid', detail: 'not sent: not confirmed' }, runTime);
    return await finish(intake.counts, intake.facts, {
      ...details,
      facts: interruptedWith === undefined ? { notConfirmed: true } : { interruptedWith },
    });
  }
  progress.phase = 'sending';
  progress.counts = intake.counts;
  const stateRun = incremental && { state: incremental.state, runId: run.runId, startedAt: run.startedAt };
  const sent = await sendPass(ctx, intake, progress, stateRun);
  return await reportSend(ctx, intake, displays, sent, progress, finish, incremental?.facts, runTime);
}

/** After sending: the outcomes counted, results.csv, retry.csv, rejects.csv, summary.json; the journal kept or deleted. */
async function reportSend(
  ctx: SendContext,
  intake: Intake,
  displays: string[],
  sent: SendResult,
  progress: ProgressState,
  finish: SummaryBuilder,
  stateFacts: StateFacts | undefined,
  runTime: RunTime | undefined,
): Promise<JobResult> {
  const { counts } = intake;
  countOutcomes(counts, intake.ledger);
  const interruptedWith = ctx.signals.interruptedWith();
  const answered = counts.updated + counts.cleared + counts.notFound + counts.failed + counts.rejected - (sent.resumedFrom ?? 0);
  const stoppedAfter = `${answered} of ${progress.customersTotal} customers were answered`;
  // A report file the disk refuses does not stop the others (summary.json is small): exit 8.
  const resultsFailure = await storageFailureOf(ctx, () =>
    writeResults(ctx, intake, displays, { kind: 'not_sent', detail: unsentDetail(sent, interruptedWith !== undefined) }, runTime),
  );
  const retryFailure = await storageFailureOf(ctx, () => writeRetry(ctx, intake));
  const storage = resultsFailure ?? retryFailure;
  const facts = {
    localStorage: storage,
    interruptedWith,
    fatal: sent.fatal,
    ...(sent.notFoundGuard && { notFoundGuard: { ...sent.notFoundGuard, threshold: formatThreshold(ctx.config.maxNotFound) } }),
    ...(interruptedWith !== undefined || sent.fatal ? { stoppedAfter } : {}),
  };
  const details = { requests: sent.requests, retries: sent.retries, resumedFrom: sent.resumedFrom, pace: sent.pace, state: stateFacts };
  let result: JobResult;
  try {
    result = await reportStorageFailure(ctx, storage, () => finish(counts, intake.facts, { ...details, facts }));
  } catch (error) {
    // Not even summary.json could be written: what was acknowledged is still kept whole, for the rerun.
    await sent.acks.abandon().catch(() => undefined);
    throw error;
  }
  const { status, exitCode } = result.summary;
  const closing = await storageFailureOf(ctx, () => sent.acks.end({ status, exitCode, counts }));
  // A journal that could not be removed would make tomorrow's identical input look done: exit 8.
  if (closing !== undefined)
    result = await reportStorageFailure(ctx, closing, () =>
      finish(counts, intake.facts, { ...details, facts: { ...facts, localStorage: closing } }),
    );
  return result;
}

/** Runs a write; a LocalStorageError is logged and returned (the run goes on to write what it can), anything else thrown. */
async function storageFailureOf(ctx: JobContext, write: () => Promise<void>): Promise<LocalStorageError | undefined> {
  try {
    await write();
    return undefined;
  } catch (error) {
    if (!(error instanceof LocalStorageError)) throw error;
    ctx.log.error(error.message, { dir: error.dir, errno: error.errno });
    return error;
  }
}

/**
 * Writes summary.json through `finish`. When that fails too (the report dir itself is the
 * problem), the first storage error is what the run ends with: main prints it on stderr, exit 8.
 */
async function reportStorageFailure(
  ctx: JobContext,
  failure: LocalStorageError | undefined,
  finishRun: () => Promise<JobResult>,
): Promise<JobResult> {
  try {
    return await finishRun();
  } catch (error) {
    if (!(error instanceof LocalStorageError)) throw error;
    ctx.log.error(`the report could not be written: ${error.message}`, { dir: error.dir, errno: error.errno });
    throw failure ?? error;
  }
}

/** Why a customer the run never got to was not sent. */
function unsentDetail(sent: SendResult, interrupted: boolean): string {
  if (interrupted) return 'not sent: run interrupted';
  if (sent.fatalDetail !== undefined) return sent.fatalDetail;
  if (sent.notFoundGuard) return 'not sent: stopped by --max-not-found';
  return 'not sent';
}

async function writeResults(
  ctx: JobContext,
  intake: Intake,
  displays: string[],
  unsent: Unsent,
  runTime: RunTime | undefined,
): Promise<void> {
  await intake.rowLog.writeResults(ctx.config.reportDir, displays, resolver(intake.ledger, unsent, runTime));
}

/**
 * retry.csv: every customer not delivered (failed or not sent), in the inputs' layout; rejects.csv:
 * the customers the endpoint rejected one by one, in the same layout plus the reason (a resend
 * would be rejected again, so they are not in retry.csv).
 */
async function writeRetry(ctx: JobContext, intake: Intake): Promise<void> {
  const { config } = ctx;
  const { ledger } = intake;
  const spec = { layout: retryLayout(ctx, intake), idColumn: config.idColumn, segmentTypes: unionOfSegmentTypes(intake) };
  const retry = RetryWriter.open(config.reportDir, spec);
  const rejects = RejectsWriter.open(config.reportDir, spec);
  try {
    // Nothing to retry nor rejected (most nights): no need to read the spool through.
    const { counts } = intake;
    if (counts.failed + counts.notSent + counts.rejected === 0) return;
    // Delivered, or not to be sent (unchanged): nothing to retry.
    const settled = (ordinal: number): boolean => {
      const outcome = ledger.outcome(ordinal);
      return ledger.isSpoiled(ordinal) || outcome === 'updated' || outcome === 'not_found' || outcome === 'unchanged';
    };
    for await (const customers of intake.spool.customers(settled)) {
      for (const customer of customers) {
        const parsed = JSON.parse(customer.json) as Customer;
        if (ledger.outcome(customer.ordinal) === 'rejected')
          rejects.add(parsed, ledger.error(customer.ordinal) ?? 'rejected by the endpoint');
        else retry.add(parsed);
      }
    }
  } finally {
    await Promise.all([retry.commit(), rejects.commit()]);
  }
}

/**
 * retry.csv is read back as one input, so it has one layout: the inputs' own when they share one;
 * json when they mix layouts (a json-layout customer may hold types no wide column has, and json
 * holds any customer, null segments included), or when --segment-columns renamed columns (retry.csv
 * holds the types sent, not the headers read).
 */
function retryLayout(ctx: JobContext, intake: Intake): Layout {
  const layouts = new Set(intake.facts.map((f) => f.layout));
  if (layouts.size !== 1 || ctx.config.segmentColumns !== undefined) return 'json';
  const [first] = intake.facts;
  if (first === undefined) throw new TypeError('a run with no input files reached its report');
  return first.layout;
}

function unionOfSegmentTypes(intake: Intake): string[] {
  const types = new Set<string>();
  for (const f of intake.facts) for (const t of f.segmentTypes) types.add(t);
  return [...types];
}

/** What the input stage noticed and worked around (sep= line, ignored columns, repeated headers). */
function logInputNotes(ctx: JobContext, intake: Intake): void {
  for (const f of intake.facts) {
    for (const note of f.notes) ctx.log.warn(`${f.path}: ${note}`);
  }
}

async function removeReportFiles(dir: string, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => fs.rm(path.join(dir, name), { force: true })));
}
