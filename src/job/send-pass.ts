/**
 * Pass 2: reads the input again, skips what an earlier run acknowledged, batches and sends the
 * rest, and writes results.csv and retry.csv in input order as the answers come back.
 *
 * The send stage (axios, bottleneck) is imported when this pass starts: loading it was a good part
 * of the start-up of every run, and dry runs and rejected runs never send.
 */
import { DEFAULTS, USER_AGENT } from '../config/defaults.js';
import type { TokenSource } from '../config/token.js';
import { ExitCode } from '../exit-codes.js';
import { batchRows, type BatchLimits } from '../batch.js';
import { readInputs, type FileFacts, type InputFile } from '../input/index.js';
import { classify, type IdIndex } from '../dedupe/index.js';
import { ResultsWriter, RetryWriter } from '../report/index.js';
import type { Sender } from '../send/index.js';
import { openJournal, runFingerprint, type Journal } from '../state/index.js';
import type { BatchResult, ClassifiedRow, Counts, Layout } from '../types.js';
import { countOutcome, countRow } from './tally.js';
import { writeResult, type SentOutcome } from './result-rows.js';
import type { ProgressState } from './progress.js';
import type { JobContext, JobResult } from './context.js';
import type { SummaryBuilder } from './summary.js';
import { readOptions } from './validate-pass.js';

/** Pass 2: sends every customer not acknowledged by an earlier run, and writes the report in input order. */
export async function sendPass(
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
  progress.customersTotal -= acknowledgedBefore ?? 0;

  const send = await import('../send/index.js');
  const limits: BatchLimits = { maxCustomers: config.batchSize, maxBytes: config.maxBatchBytes };
  const { sender, close: closeSender } = createSender(send, ctx, token, limits, journal);
  const counts = progress.counts;
  const results = ResultsWriter.open(config.reportDir, files.map((f) => f.display));
  const retry = RetryWriter.open(config.reportDir, {
    layout: retryLayout(facts),
    idColumn: config.idColumn,
    segmentTypes: unionOfSegmentTypes(facts),
  });
  let lastRow: ClassifiedRow | undefined;
  try {
    const chunks = classify(readInputs(files, readOptions(config), []), {
      ids: index,
      mode: 'replay',
      shard: config.shard,
      acknowledged: (ordinal: number) => journal.status(ordinal),
    });
    // After a 401/403 the sender fails the remaining customers without a request ('not sent:
    // authentication rejected'), so the rest of the input still flows through: the report covers
    // every row and retry.csv holds every customer not delivered. Only a stop signal cuts it short.
    const batches = until(batchRows(chunks, limits, (row, bytes) => log.warn('one customer is larger than --max-batch-bytes; sending it alone', { line: row.line, bytes })),
      () => signals.stop.aborted);
    for await (const result of send.sendInOrder(batches, (batch) => sender.send(batch), { window: config.concurrency * 2 + 2 })) {
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
  let flushed: Promise<void> | void = undefined;
  for (const row of result.batch.rows) {
    countRow(counts, row);
    let sent: SentOutcome | undefined;
    if (row.kind === 'customer') {
      sent = { outcome: result.outcomes[k]!, error: result.errors[k] };
      countOutcome(counts, sent.outcome);
      if (sent.outcome === 'failed') retry.add({ document_id: row.id, segments: row.segments });
      k += 1;
    }
    flushed = writeResult(results, row, sent, files) ?? flushed;
  }
  // Once per batch: the writer chains its chunks, so the last one written stands for all.
  await flushed;
}

type SendStage = typeof import('../send/index.js');

function createSender(send: SendStage, ctx: JobContext, token: TokenSource, limits: BatchLimits, journal: Journal): { sender: Sender; close: () => void } {
  const { createHttpClient, createLimiter, Sender, DEFAULT_RETRY_POLICY } = send;
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
