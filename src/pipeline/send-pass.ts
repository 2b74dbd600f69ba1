/**
 * Pass 2: sends the spooled customers (what pass 1 validated, not the input files again) that an
 * earlier run of the same inputs did not get answered (full) or that the state does not hold as
 * they are (diff, mirror), and records each answer in the ledger and in the resume journal or the
 * state. The report is written afterwards, from the ledger.
 *
 * The send stage (axios) is imported when this pass starts: loading it was a good part
 * of the start-up of every run, and dry runs and rejected runs never send.
 */
import { setFlagsFromString } from 'node:v8';
import { DEFAULTS, USER_AGENT } from '../config/defaults.js';
import { exceeds } from '../config/threshold.js';
import { batchCustomers, type BatchLimits } from './batch/index.js';
import type { Sender, SenderStats, SendEvent } from './send/index.js';
import { openJournal, runFingerprint, type AckStatus, type Journal, type SegmentState } from '../state/index.js';
import type { BatchResult, Counts, CustomerRow } from '../core/types.js';
import type { ProgressState } from './progress.js';
import type { SendContext } from './context.js';
import type { Intake } from './validate-pass.js';
import { spooledFingerprint } from './incremental.js';
import type { SyncError } from '../core/errors.js';
import type * as SendModule from './send/index.js';

/** How sending ended, besides the outcomes in the ledger. */
export interface SendResult {
  requests: Record<string, number>;
  retries: number;
  /** The adaptive pace the run learned (sender.stats().pace), for summary.json. */
  pace?: SenderStats['pace'];
  /** Customers an earlier run of the same inputs got answers for (resumed), when it was resumed. */
  resumedFrom?: number;
  /** The endpoint refused the token, or is not the endpoint (the sender's fatal error). */
  fatal?: SyncError;
  /** With `fatal`: the detail of the customers it left unsent, as the sender words it. */
  fatalDetail?: string;
  /** --max-not-found tripped: the share of not-found customers when it did (unchanged ones included). */
  notFoundGuard?: { notFound: number; answered: number; unchanged: number };
  /** Where the answers were recorded, still open: the run ends it once its outcome is known. */
  acks: AckLog;
}

/**
 * Where acknowledged requests are recorded as they arrive, before the next is taken: the resume
 * journal (--mode full), or the incremental state (diff, mirror), which is its own resume record.
 */
export interface AckLog {
  record(customers: readonly CustomerRow[], outcomes: readonly AckStatus[]): void;
  /** The run's outcome is known (exit 0: every customer definitive). */
  end(run: { status: string; exitCode: number; counts: Counts }): Promise<void>;
  /** The run could not even write its report: keep what was recorded, for the rerun. */
  abandon(): Promise<void>;
}

/** diff, mirror: the run's state, and what its run record says. */
export interface StateRun {
  state: SegmentState;
  runId: string;
  startedAt: Date;
}

/**
 * The pass as its steps: open where the answers are recorded (a resumed run's answers applied),
 * start the sender (stopped by a signal or by --max-not-found), send every customer not answered
 * yet, give those whose requests failed a last try, and say how sending ended.
 */
export async function sendPass(
  ctx: SendContext,
  intake: Intake,
  progress: ProgressState,
  stateRun: StateRun | undefined,
): Promise<SendResult> {
  const { acks, resumedFrom } = await openAcks(ctx, intake, stateRun);
  progress.customersTotal = countToSend(intake);
  const sending = await startSending(ctx, intake, progress, acks);
  try {
    await sending.sendFrom((ordinal) => intake.ledger.isPending(ordinal));
    await lastTry(ctx, intake, sending);
  } finally {
    sending.close();
  }
  return endOfSending(ctx, sending, acks, resumedFrom);
}

/** The resume journal (full) or the state (diff, mirror); a resumed run's answers are already applied. */
async function openAcks(
  ctx: SendContext,
  intake: Intake,
  stateRun: StateRun | undefined,
): Promise<{ acks: AckLog; resumedFrom: number | undefined }> {
  const opened =
    stateRun === undefined ? await journalAcks(ctx, intake) : { acks: stateAcks(ctx.config, stateRun), resumedFrom: undefined };
  if (opened.resumedFrom !== undefined) ctx.log.info('resuming an earlier run of the same inputs', { acknowledged: opened.resumedFrom });
  return opened;
}

/** The pass under way: its sender, what stops it, and how it sends what a selection of the spool picks. */
interface Sending {
  sender: Sender;
  guard: NotFoundGuard;
  /** A stop signal, or the guard tripped. */
  stop: AbortSignal;
  /** Sends the spooled customers `select` picks (never the spoiled ones), in batches, until stopped. */
  sendFrom(select: (ordinal: number) => boolean): Promise<void>;
  close(): void;
}

async function startSending(ctx: SendContext, intake: Intake, progress: ProgressState, acks: AckLog): Promise<Sending> {
  const { config, log, signals } = ctx;
  const { ledger, spool } = intake;
  const send = await import('./send/index.js');
  boundHeapGrowth();
  const limits: BatchLimits = { maxCustomers: config.batchSize, maxBytes: config.maxBatchBytes };
  const guard = new NotFoundGuard(ctx, progress.customersTotal, unchangedAnswers(ledger));
  const stop = AbortSignal.any([signals.stop, guard.signal]);
  const { sender, close } = createSender(send, { ...ctx, stop }, limits, acks);
  const sendFrom = async (select: (ordinal: number) => boolean): Promise<void> => {
    const customers = spool.customers((ordinal) => ledger.isSpoiled(ordinal) || !select(ordinal));
    const batches = until(
      batchCustomers(customers, limits, (customer, bytes) =>
        log.warn('one customer is larger than --max-batch-bytes; sending it alone', { id: customer.id, bytes }),
      ),
      () => stop.aborted || sender.stoppedBy() !== undefined,
    );
    for await (const result of send.sendInOrder(batches, (batch) => sender.send(batch), { window: config.concurrency * 2 + 2 })) {
      recordOutcomes(intake, result);
      progress.customersDone += result.outcomes.length;
      guard.observe(result);
      if (result.unexpectedCount > 0)
        log.warn('endpoint reported ids that were not sent', { count: result.unexpectedCount, sample: result.unexpectedIds.slice(0, 5) });
    }
  };
  return { sender, guard, stop, sendFrom, close };
}

/**
 * Before giving up on a customer, its batch gets a last try once the main pass is over: a failure
 * that outlived its attempts may have been a bad minute of the endpoint's. Not once stopped.
 */
async function lastTry(ctx: SendContext, intake: Intake, sending: Sending): Promise<void> {
  const failed = countFailed(intake);
  if (failed === 0 || sending.stop.aborted || sending.sender.stoppedBy() !== undefined) return;
  ctx.log.warn('last try for the customers whose requests failed', { customers: failed });
  await sending.sendFrom((ordinal) => intake.ledger.outcome(ordinal) === 'failed');
}

/** How sending ended: the requests, the pace learned, and what stopped it if anything did. */
function endOfSending(ctx: SendContext, { sender, guard }: Sending, acks: AckLog, resumedFrom: number | undefined): SendResult {
  const stats = sender.stats();
  ctx.log.info('send: pace at the end', { ...stats.pace, outages: stats.outage.opened, longestOutageMs: stats.outage.longestMs });
  return {
    requests: stats.requests,
    retries: stats.retries,
    pace: stats.pace,
    resumedFrom,
    fatal: sender.stoppedBy(),
    ...(sender.stoppedBy() !== undefined && { fatalDetail: sender.notSentReason() }),
    notFoundGuard: guard.tripped,
    acks,
  };
}

/**
 * While sending, the heap's live set is small (the batches in flight), but nearly every customer
 * read from the spool lives through two scavenges (it waits for its request's answer) and is
 * promoted: the old generation filled with those dead customers up to V8's default limit, about
 * four times the live set, before each full collection. That garbage was most of a send run's
 * peak RSS above the dry run's (230 MB vs 140 MB for a million customers). Growing the limit by
 * 30% of the live set instead costs more frequent full collections of a small heap (no measurable
 * CPU) and keeps the send phase's RSS at pass 1's. The flag is read by V8 at each collection.
 */
function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=30');
}

/** --mode full: the resume journal of these inputs and options; an earlier run's answers are applied. */
async function journalAcks(ctx: SendContext, intake: Intake): Promise<{ acks: AckLog; resumedFrom: number | undefined }> {
  const { config, log } = ctx;
  const journal = await openJournal({
    stateDir: config.stateDir,
    fingerprint: runFingerprint({
      inputs: intake.facts,
      endpoint: config.endpoint,
      idColumn: config.idColumn,
      layout: config.layout,
      delimiter: config.delimiter,
      skipEmpty: config.skipEmpty,
      shard: config.shard,
      encoding: config.encoding,
      segmentColumns: config.segmentColumns,
      ignoreColumns: config.ignoreColumns,
    }),
    fresh: config.fresh,
    onWarning: (m) => log.warn(m),
  });
  const acks: AckLog = {
    record: (customers, outcomes) =>
      journal.record(
        customers.map((c) => c.ordinal),
        [...outcomes],
      ),
    // Every customer definitive: the next run of these inputs starts afresh.
    end: (run) => (run.exitCode === 0 ? journal.complete() : journal.close()),
    abandon: () => journal.close(),
  };
  return { acks, resumedFrom: journal.resumed ? applyJournal(journal, intake) : undefined };
}

/** --mode diff, mirror: each acknowledged request updates the state, in one transaction. */
function stateAcks(config: SendContext['config'], { state, runId, startedAt }: StateRun): AckLog {
  state.beginRun({ runId, startedAt, mode: config.mode === 'mirror' ? 'mirror' : 'diff', fullResync: config.fullResync });
  return {
    record: (customers, outcomes) =>
      state.record(customers.map((c, i) => ({ id: c.id, fingerprint: spooledFingerprint(c), status: outcomeAt(outcomes, i) }))),
    end: async (run) => {
      state.finishRun(run);
      state.close();
    },
    abandon: async () => state.close(),
  };
}

/** Customers this run has to send: the valid ones not resumed nor unchanged, and mirror's clears. */
function countToSend(intake: Intake): number {
  let pending = 0;
  for (let ordinal = 0; ordinal < intake.ledger.customers; ordinal++)
    if (intake.ledger.isPending(ordinal) && !intake.ledger.isSpoiled(ordinal)) pending++;
  return pending;
}

/** Customers an earlier run got answers for keep them, and are not sent again. */
function applyJournal(journal: Journal, intake: Intake): number {
  const { ledger } = intake;
  let applied = 0;
  for (let ordinal = 0; ordinal < ledger.customers; ordinal++) {
    const status = journal.status(ordinal);
    if (status === undefined || ledger.isSpoiled(ordinal)) continue;
    ledger.setOutcome(ordinal, status, undefined, true);
    applied++;
  }
  return applied;
}

function countFailed(intake: Intake): number {
  let failed = 0;
  for (let ordinal = 0; ordinal < intake.ledger.customers; ordinal++) if (intake.ledger.outcome(ordinal) === 'failed') failed++;
  return failed;
}

function recordOutcomes(intake: Intake, result: BatchResult): void {
  const { customers } = result.batch;
  customers.forEach((customer, i) => intake.ledger.setOutcome(customer.ordinal, outcomeAt(result.outcomes, i), result.errors[i]));
}

/**
 * --max-not-found: once the first answers are in (DEFAULTS.notFoundSample customers, or all of this
 * run's when fewer), a share of not-found customers above the threshold stops sending at once: the
 * wrong environment or id column, which no retry can mend.
 *
 * In diff and mirror the customers sent are the few that changed, a skewed sample (new customers the
 * platform does not know yet, rechecked not-found ones): the unchanged customers count too, as the
 * answers the state holds for them (a wrong endpoint or id column has no state, so they are none).
 */
class NotFoundGuard {
  private readonly controller = new AbortController();
  private answered = 0;
  private notFound = 0;
  tripped: { notFound: number; answered: number; unchanged: number } | undefined;

  constructor(
    private readonly ctx: SendContext,
    private readonly toSend: number,
    private readonly unchanged: { found: number; notFound: number },
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  observe(result: BatchResult): void {
    for (const outcome of result.outcomes) {
      if (outcome === 'updated' || outcome === 'not_found') this.answered++;
      if (outcome === 'not_found') this.notFound++;
    }
    if (this.tripped !== undefined || this.answered < Math.min(DEFAULTS.notFoundSample, this.toSend)) return;
    const { found, notFound } = this.unchanged;
    if (!exceeds(this.ctx.config.maxNotFound, this.notFound + notFound, this.answered + found + notFound)) return;
    this.tripped = { notFound: this.notFound + notFound, answered: this.answered + found + notFound, unchanged: found + notFound };
    this.controller.abort();
  }
}

/** diff, mirror: the unchanged customers, by the answer the state holds for them. */
function unchangedAnswers(ledger: Intake['ledger']): { found: number; notFound: number } {
  const answers = { found: 0, notFound: 0 };
  for (let ordinal = 0; ordinal < ledger.customers; ordinal++) {
    if (ledger.outcome(ordinal) !== 'unchanged') continue;
    if (ledger.unchangedSince(ordinal).notFound) answers.notFound++;
    else answers.found++;
  }
  return answers;
}

/** The send stage's module, loaded when sending starts (a dry run never loads it). */
type SendStage = typeof SendModule;

function createSender(
  send: SendStage,
  ctx: SendContext & { stop: AbortSignal },
  limits: BatchLimits,
  acks: AckLog,
): { sender: Sender; close: () => void } {
  const { createHttpClient, createLimiter, Sender, DEFAULT_RETRY_POLICY } = send;
  const { config, log, signals } = ctx;
  const client = createHttpClient({
    endpoint: config.endpoint,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: DEFAULTS.maxResponseBytes,
    userAgent: USER_AGENT,
  });
  const limiter = createLimiter({ rate: config.rate, concurrency: config.concurrency, maxOutageMs: config.maxOutageMs });
  const sender = new Sender({
    client,
    limiter,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts, maxRetryWaitMs: config.maxRetryWaitMs },
    token: ctx.token,
    stop: ctx.stop,
    abort: signals.abort,
    limits,
    onEvent: (event: SendEvent) => log.log(send.eventLevel(event), `send: ${event.type}`, event),
    // Journalled as each request is acknowledged, not when its batch's turn comes: after a kill -9
    // only requests in flight are sent again.
    onAcknowledged: (customers: readonly CustomerRow[], outcomes) => acks.record(customers, outcomes),
  });
  const close = (): void => {
    limiter.stop();
    client.close();
  };
  return { sender, close };
}

/** Ends the stream of batches as soon as `stopped()` says so (a stop signal, a guard). */
async function* until<T>(source: AsyncIterable<T>, stopped: () => boolean): AsyncGenerator<T> {
  if (stopped()) return;
  for await (const item of source) {
    yield item;
    if (stopped()) return;
  }
}

/** The answer for customer `i` of a batch: a sender's result has one per customer. */
function outcomeAt<T>(outcomes: readonly T[], i: number): T {
  const outcome = outcomes[i];
  if (outcome === undefined) throw new RangeError(`the sender's result has no outcome for customer ${i} of its batch`);
  return outcome;
}
