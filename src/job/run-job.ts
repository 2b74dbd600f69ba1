/**
 * The sync job as a list of steps. Everything the job decides is in here or in the stage it calls;
 * the command (src/commands/run.ts) only parses options, prints and exits.
 *
 *   1. open the inputs (stdin is spooled so it can be read twice)
 *   2. lock the state dir (one run at a time)
 *   3. pass 1: read and validate everything, build the id index; nothing is sent yet
 *   4. guardrail: too many invalid rows → rejected, nothing sent
 *   5. pass 2: read again, skip what an earlier run acknowledged, batch, send, reconcile, report
 *   6. summary, journal, metrics
 */
import os from 'node:os';
import { promises as fs } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { RunConfig } from '../config/run-options.js';
import { exceeds, formatThreshold } from '../config/threshold.js';
import { DEFAULTS, USER_AGENT } from '../config/defaults.js';
import type { TokenSource } from '../config/token.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { AuthError, InputError } from '../errors.js';
import type { Logger } from '../log.js';
import { batchRows, type BatchLimits } from '../batch.js';
import { openInputs, readInputs, type FileFacts, type InputFile } from '../input/index.js';
import { IdIndex, classify } from '../dedupe/index.js';
import { ResultsWriter, RetryWriter, decideStatus, writeSummary, type Summary } from '../report/index.js';
import { createHttpClient, createLimiter, Sender, sendInOrder, DEFAULT_RETRY_POLICY } from '../send/index.js';
import { acquireLock, openJournal, runFingerprint, type Journal } from '../state/index.js';
import type { Batch, BatchResult, ClassifiedRow, Counts, InputRow, Layout } from '../types.js';
import { countOutcome, countRow, emptyCounts } from './tally.js';
import { resultRows, type SentOutcome } from './result-rows.js';
import { startProgress, type ProgressState } from './progress.js';
import type { StopSignals } from './signals.js';

export interface JobContext {
  config: RunConfig;
  log: Logger;
  signals: StopSignals;
  /** Absent in dry runs. */
  token?: TokenSource;
  runId?: string;
}

export interface JobResult {
  summary: Summary;
  exitCode: ExitCodeValue;
  reportDir: string;
}

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
    const opened = await openInputs(ctx.config.files, { tmpDir });
    cleanupInputs = opened.cleanup;
    return await syncInputs(ctx, opened.files, tmpDir, finish);
  } catch (error) {
    if (error instanceof InputError) return finish.rejected(error.message, emptyCounts(), []);
    throw error;
  } finally {
    await cleanupInputs();
  }
}

async function syncInputs(ctx: JobContext, files: InputFile[], tmpDir: string, finish: SummaryBuilder): Promise<JobResult> {
  const { config, log } = ctx;
  const index = new IdIndex({ dir: tmpDir });
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

interface ValidateResult {
  counts: Counts;
  facts: FileFacts[];
  rejection?: string;
}

/** Pass 1: reads everything once, builds the index; in a dry run it also writes results.csv. */
async function validatePass(ctx: JobContext, files: InputFile[], index: IdIndex, progress: ProgressState): Promise<ValidateResult> {
  const { config } = ctx;
  const facts: FileFacts[] = [];
  const all = { rows: 0, invalid: 0 };
  const counted = countAllRows(readInputs(files, inputOptions(config), facts), all);
  const rows = classify(counted, { ids: index, mode: 'record', shard: config.shard });
  const writer = config.dryRun ? ResultsWriter.open(config.reportDir, files.map((f) => f.display)) : undefined;
  const counts = emptyCounts();
  try {
    for await (const row of rows) {
      countRow(counts, row);
      progress.rowsRead = all.rows;
      if (writer) for (const result of resultRows(row, undefined, files)) await writer.write(result);
    }
    await writer?.commit();
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  // The guard looks at every row of the input, not just this shard's, so all shards decide alike.
  const rejection = exceeds(config.maxInvalid, all.invalid, all.rows)
    ? `${all.invalid} of ${all.rows} rows are invalid, more than --max-invalid ${formatThreshold(config.maxInvalid)}; see results.csv. Nothing was sent.`
    : undefined;
  return { counts, facts, rejection };
}

/** Counts every row read (before shard filtering) and the invalid ones not skipped on purpose. */
async function* countAllRows(rows: AsyncIterable<InputRow>, all: { rows: number; invalid: number }): AsyncGenerator<InputRow> {
  for await (const row of rows) {
    const records = 1 + (row.moreLines?.length ?? 0);
    all.rows += records;
    if (row.invalid !== undefined && !row.skipped) all.invalid += records;
    yield row;
  }
}

/** For a rejected run: results.csv still says what became of every row. */
async function writeUnsentReport(ctx: JobContext, files: InputFile[], index: IdIndex, why: string): Promise<void> {
  const { config } = ctx;
  const writer = ResultsWriter.open(config.reportDir, files.map((f) => f.display));
  try {
    for await (const row of classify(readInputs(files, inputOptions(config), []), { ids: index, mode: 'replay', shard: config.shard })) {
      for (const result of resultRows(row, undefined, files, why)) await writer.write(result);
    }
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** Pass 2: sends every customer not acknowledged by an earlier run, and writes the report in input order. */
async function sendPass(
  ctx: JobContext,
  files: InputFile[],
  index: IdIndex,
  facts: FileFacts[],
  progress: ProgressState,
  finish: SummaryBuilder,
): Promise<JobResult> {
  const { config, log, signals } = ctx;
  const token = ctx.token!;
  const journal = await openJournal({
    stateDir: config.stateDir,
    fingerprint: runFingerprint({
      inputs: facts,
      endpoint: config.endpoint!,
      idColumn: config.idColumn,
      layout: config.layout,
      delimiter: config.delimiter,
      skipEmpty: config.skipEmpty,
      shard: config.shard,
    }),
    fresh: config.fresh,
    onWarning: (m) => log.warn(m),
  });
  // Read now: the count grows as this run acknowledges customers too.
  const acknowledgedBefore = journal.resumed ? journal.acknowledgedCount : undefined;
  if (journal.resumed) log.info('resuming an earlier run of the same inputs', { acknowledged: acknowledgedBefore });

  const limits: BatchLimits = { maxCustomers: config.batchSize, maxBytes: config.maxBatchBytes };
  const { sender, close: closeSender } = createSender(ctx, token, limits, journal);
  const counts = progress.counts;
  const results = ResultsWriter.open(config.reportDir, files.map((f) => f.display));
  const retry = RetryWriter.open(config.reportDir, {
    layout: retryLayout(facts),
    idColumn: config.idColumn,
    segmentTypes: unionOfSegmentTypes(facts),
  });
  let lastRow: ClassifiedRow | undefined;
  try {
    const rows = classify(readInputs(files, inputOptions(config), []), {
      ids: index,
      mode: 'replay',
      shard: config.shard,
      acknowledged: (ordinal: number) => journal.status(ordinal),
    });
    // After a 401/403 the sender fails the remaining customers without a request ('not sent:
    // authentication rejected'), so the rest of the input still flows through: the report covers
    // every row and retry.csv holds every customer not delivered. Only a stop signal cuts it short.
    const batches = until(batchRows(rows, limits, (row, bytes) => log.warn('one customer is larger than --max-batch-bytes; sending it alone', { line: row.line, bytes })),
      () => signals.stop.aborted);
    for await (const result of sendInOrder(batches, (batch) => sender.send(batch), { window: config.concurrency * 2 + 2 })) {
      await reportBatch(result, files, counts, results, retry);
      progress.customersDone += result.outcomes.length;
      progress.rowsRead = counts.rows;
      if (sender.fatal() === undefined) lastRow = result.batch.rows.at(-1) ?? lastRow;
      if (result.unexpectedIds.length > 0) log.warn('endpoint reported ids that were not sent', { count: result.unexpectedIds.length, sample: result.unexpectedIds.slice(0, 5) });
    }
    await results.commit();
  } catch (error) {
    await results.abort();
    throw error;
  } finally {
    closeSender();
    await retry.commit();
  }

  const stats = sender.stats();
  const interruptedWith = signals.interruptedWith();
  const fatal = sender.fatal();
  const result = await finish.done(counts, facts.map((f) => ({ path: f.path, sha256: f.sha256, rows: f.rows })), {
    interruptedWith,
    fatal,
    requests: { ...stats.requests, retries: stats.retries },
    resumedFrom: acknowledgedBefore,
    stoppedAt: interruptedWith || fatal ? lastRow : undefined,
    files,
  });
  if (result.exitCode === ExitCode.Ok) await journal.complete();
  else await journal.close();
  return result;
}

/** Counts and writes a batch's rows in input order; failed customers also go to retry.csv. */
async function reportBatch(result: BatchResult, files: InputFile[], counts: Counts, results: ResultsWriter, retry: RetryWriter): Promise<void> {
  let k = 0; // customers appear in `rows` in the same order as in `batch.customers`
  for (const row of result.batch.rows) {
    countRow(counts, row);
    let sent: SentOutcome | undefined;
    if (row.kind === 'customer') {
      sent = { outcome: result.outcomes[k]!, error: result.errors[k] };
      countOutcome(counts, sent.outcome);
      if (sent.outcome === 'failed') retry.add({ document_id: row.id, segments: row.segments });
      k += 1;
    }
    for (const line of resultRows(row, sent, files)) await results.write(line);
  }
}

function createSender(ctx: JobContext, token: TokenSource, limits: BatchLimits, journal: Journal): { sender: Sender; close: () => void } {
  const { config, log, signals } = ctx;
  const client = createHttpClient({ endpoint: config.endpoint!, timeoutMs: config.timeoutMs, maxResponseBytes: DEFAULTS.maxResponseBytes, userAgent: USER_AGENT });
  const limiter = createLimiter({ rate: config.rate, concurrency: config.concurrency });
  const sender = new Sender({
    client,
    limiter,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
    token,
    stop: signals.stop,
    abort: signals.abort,
    limits,
    onEvent: (event) => log.log(event.type === 'retry' ? 'debug' : 'info', `send: ${event.type}`, event),
    // Journalled as each request is acknowledged, not when its batch's turn comes in the report:
    // after a kill -9 only requests in flight are sent again.
    onAcknowledged: (customers, outcomes) => journal.record(customers.map((c) => c.ordinal), [...outcomes]),
  });
  const close = (): void => {
    limiter.stop();
    client.close();
  };
  return { sender, close };
}

/** Ends the stream of batches as soon as `stopped()` says so (a stop signal was received). */
async function* until<T>(source: AsyncIterable<T>, stopped: () => boolean): AsyncGenerator<T> {
  if (stopped()) return;
  for await (const item of source) {
    yield item;
    if (stopped()) return;
  }
}

/**
 * retry.csv is read back as one input, so it has one layout: the inputs' own when they share one;
 * json when they mix layouts (a json-layout customer may hold types no wide column has, and json
 * holds any customer, null segments included).
 */
function retryLayout(facts: FileFacts[]): Layout {
  const layouts = new Set(facts.map((f) => f.layout));
  return layouts.size === 1 ? facts[0]!.layout : 'json';
}

function unionOfSegmentTypes(facts: FileFacts[]): string[] {
  const types = new Set<string>();
  for (const f of facts) for (const t of f.segmentTypes) types.add(t);
  return [...types];
}

function inputOptions(config: RunConfig) {
  return {
    idColumn: config.idColumn,
    delimiter: config.delimiter,
    layout: config.layout,
    skipEmpty: config.skipEmpty,
    maxRecordBytes: config.maxRecordBytes,
    maxFields: 1000,
    tmpDir: os.tmpdir(),
  };
}

// ---------------------------------------------------------------------------------------------
// Summary and exit code

interface DoneDetails {
  dryRun?: boolean;
  interruptedWith?: ExitCodeValue;
  fatal?: AuthError;
  requests?: Record<string, number>;
  resumedFrom?: number;
  stoppedAt?: ClassifiedRow;
  files?: InputFile[];
}

type SummaryBuilder = ReturnType<typeof summaryBuilder>;

function summaryBuilder(ctx: JobContext, runId: string, startedAt: Date) {
  const { config } = ctx;
  const write = async (summary: Summary): Promise<JobResult> => {
    await writeSummary(config.reportDir, summary);
    return { summary, exitCode: summary.exitCode as ExitCodeValue, reportDir: config.reportDir };
  };
  const base = (counts: Counts, inputs: Summary['inputs']) => {
    const finishedAt = new Date();
    return {
      runId,
      dryRun: config.dryRun,
      counts,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      inputs,
      options: publicOptions(config, ctx.token?.origin),
      ...(config.shard ? { shard: config.shard } : {}),
    };
  };
  return {
    rejected: (message: string, counts: Counts, inputs: Summary['inputs']): Promise<JobResult> =>
      write({ ...base(counts, inputs), status: 'rejected', exitCode: ExitCode.InputRejected, requests: { total: 0, retries: 0 }, message }),
    done: (counts: Counts, inputs: Summary['inputs'], d: DoneDetails): Promise<JobResult> => {
      const status = decideStatus(counts, { interrupted: d.interruptedWith !== undefined, rejected: false, authFailed: d.fatal !== undefined });
      const exitCode: ExitCodeValue = d.interruptedWith ?? (d.fatal ? ExitCode.AuthRejected : counts.failed > 0 ? ExitCode.PartialFailure : ExitCode.Ok);
      const requests = d.requests ?? {};
      const total = Object.entries(requests).filter(([k]) => k !== 'retries').reduce((sum, [, n]) => sum + n, 0);
      return write({
        ...base(counts, inputs),
        status,
        exitCode,
        requests: { ...requests, total, retries: requests.retries ?? 0 },
        ...(d.resumedFrom !== undefined ? { resumed: { acknowledgedBefore: d.resumedFrom } } : {}),
        ...(stopMessage(d) ? { message: stopMessage(d) } : {}),
      });
    },
  };
}

function stopMessage(d: DoneDetails): string | undefined {
  const where = d.stoppedAt && d.files ? ` after ${d.files[d.stoppedAt.file]?.display}:${d.stoppedAt.line}` : '';
  if (d.fatal) return `authentication rejected (${d.fatal.status}); stopped sending${where}. Check the token, then rerun the same command to resume.`;
  if (d.interruptedWith !== undefined) return `interrupted${where}; rerun the same command to resume.`;
  return undefined;
}

/** The options worth recording in summary.json; never the token or its file's content. */
function publicOptions(config: RunConfig, tokenFrom: TokenSource['origin'] | undefined): Record<string, unknown> {
  const { token, ...rest } = config;
  // As resolveToken decided (absent in dry runs): yargs also fills token.value from
  // SEGMENT_SYNC_TOKEN, so the config alone cannot tell the environment from --token.
  return { ...rest, maxInvalid: formatThreshold(config.maxInvalid), ...(tokenFrom && { tokenFrom }) };
}
