/**
 * Batch → BatchResult: every customer of the batch ends `updated`, `not_found`, `failed`,
 * `rejected` or `not_sent` with a reason. `send` never rejects for anything the endpoint or the network does; those are values.
 *
 * A batch may become several requests (slices of it): a batch above the current size limit is sent
 * in chunks, a 413 splits a request in halves and lowers the limit for the rest of the run, and a
 * 400 bisects a request until the customers the endpoint rejects are isolated (`rejected`). Until
 * the endpoint has accepted a request, a 400 is first probed instead (rejection-watch.ts): a few of
 * its customers are sent alone, and when each is refused the same way the endpoint rejects the
 * requests themselves.
 *
 * A SendFailure ends the run's sending (`stoppedBy()` returns it): a definitive 401/403 (AuthError,
 * exit 4), a misconfigured endpoint before any request succeeded (EndpointError, exit 2: see
 * misconfiguration.ts), 400s that are not about customers (RequestsRejectedError, exit 6), an
 * acknowledgement that could not be recorded (LocalStorageError, exit 8), or an outage longer than
 * the run waits (UnavailableError, exit 1). From then on no request starts and every customer not
 * delivered fails with a detail that starts with 'not sent: '. A wrong URL costs the requests in flight when its
 * first answer comes back: at most --concurrency.
 */
import { setMaxListeners } from 'node:events';
import { AuthError, EndpointError, LocalStorageError, RequestsRejectedError } from '../../core/errors.js';
import type { Batch, BatchResult, CustomerOutcome, CustomerRow } from '../../core/types.js';
import { RequestBody } from './body.js';
import type { HttpClient } from './http.js';
import { NOT_STARTED, type Feedback, type Limiter, type LimiterEvent, type LimiterStats } from './limiter.js';
import { endpointError, misconfiguration, notSentDetail } from './misconfiguration.js';
import { describeOutcome, isAuthRejection, statsKey, type HttpOutcome } from './post-outcome.js';
import { reconcile, UNEXPECTED_SAMPLE_SIZE } from './reconcile.js';
import { gapsBetween, isRejection, PROBE_SINGLES, RejectionWatch, spreadPicks } from './rejection-watch.js';
import { backoff, isRetryable, isThrottling, validateRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { sleep } from './sleep.js';
import { TokenRenewal, type TokenProvider } from './token-renewal.js';
import { outageTooLong, retryWaitTooLong, UnavailableError } from './unavailable.js';

export const NOT_SENT_INTERRUPTED = 'not sent: run interrupted';
export const NOT_SENT_AUTH = 'not sent: authentication rejected';
/** The start of the detail of customers not sent because the endpoint rejects every request. */
export const NOT_SENT_REJECTED = 'not sent: the endpoint rejects the requests themselves';
export const NOT_SENT_STORAGE = 'not sent: the state dir cannot be written';

export type SendEvent =
  | { type: 'retry'; seq: number; attempt: number; delayMs: number; reason: string }
  | { type: 'pause'; seq: number; ms: number; status: number }
  | { type: 'split413'; seq: number; from: number; to: number }
  | { type: 'bisect400'; seq: number; size: number; reason: string }
  /** A 400 before the endpoint accepted anything: `singles` of its customers are sent alone first. */
  | { type: 'probe400'; seq: number; size: number; singles: number; reason: string }
  /** The probe's customers were all refused the same way: the run stops sending (exit 6). */
  | { type: 'requestsRejected'; seq: number; reason: string }
  /** `ids` is a sample (at most UNEXPECTED_SAMPLE_SIZE per answer), `count` how many there were. */
  | { type: 'unexpectedIds'; seq: number; count: number; ids: string[] }
  | { type: 'authRetry'; seq: number; status: number }
  | { type: 'authRejected'; seq: number; status: number }
  /** Before any success the endpoint answered 404/405/3xx or failed on TLS/DNS: the run stops sending. */
  | { type: 'endpointMisconfigured'; seq: number; endpoint: string; answer: string }
  /** The scheduler's pace (requests/s, 0 = unlimited) changed notably: lowered by a 429, or recovering. */
  | { type: 'pace'; seq: number; from: number; to: number; reason: 'throttled' | 'recovering' }
  /** The circuit breaker opened after `failures` bad answers in a row: senders stop, probes start. */
  | { type: 'outageStarted'; seq: number; failures: number }
  | { type: 'outageOver'; seq: number; ms: number }
  /** The outage lasted --max-outage, or a Retry-After exceeded --max-retry-wait: the run stops sending. */
  | { type: 'unavailable'; seq: number; message: string };

/**
 * What ends a run's sending: the token was rejected (exit 4), the endpoint URL is wrong (exit 2),
 * the endpoint rejects the requests themselves (exit 6), an acknowledgement could not be journalled
 * (the state dir is full or unwritable: exit 8), or the endpoint is unavailable for longer than the
 * run waits (exit 1, resumed by a rerun).
 */
export type SendFailure = AuthError | EndpointError | RequestsRejectedError | LocalStorageError | UnavailableError;

export interface SenderOptions {
  /** `target` (origin + path) names the endpoint in an EndpointError; without it, "the endpoint". */
  client: Pick<HttpClient, 'post'> & Partial<Pick<HttpClient, 'target'>>;
  limiter: Limiter;
  retry: RetryPolicy;
  token: TokenProvider;
  /** Graceful stop: no request starts after it fires; customers not sent fail 'not sent: run interrupted'. */
  stop: AbortSignal;
  /** Hard stop after the grace period: requests in flight are cancelled ('interrupted in flight'). */
  abort: AbortSignal;
  /** Shared with the batcher; lowered after a 413 so later batches are built smaller. */
  limits: { maxCustomers: number };
  onEvent?: (event: SendEvent) => void;
  /** Called after each 200, before `send` resolves, so a journal can record even part of a batch. */
  onAcknowledged?: (customers: readonly CustomerRow[], outcomes: readonly ('updated' | 'not_found')[]) => void;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface SenderStats {
  /** Requests by HTTP status, or 'network' / 'timeout' / 'malformed' / 'aborted'. */
  requests: Record<string, number>;
  retries: number;
  splits: number;
  bisections: number;
  /** The adaptive pace: requested, final and lowest (requests/s, 0 = unlimited), and the 429 decreases. */
  pace: LimiterStats['pace'];
  /** The circuit breaker: times it opened, probes, the longest outage (ms). */
  outage: LimiterStats['outage'];
}

/** Customers [start, end) of a batch, sent as one request. */
interface Slice {
  batch: Batch;
  result: BatchResult;
  start: number;
  end: number;
}

/** 'shrunk': a 413 lowered the size limit below this request while it waited its turn. */
type Attempt =
  /**
   * `auth`: for a 401/403, whether the request may be retried with a rotated token (see judgeAuth);
   * `counts`: a failure uses up an attempt (not during an outage).
   */
  | { kind: 'sent'; outcome: HttpOutcome; token: string; misconfigured: boolean; auth?: Promise<boolean>; counts: boolean }
  | { kind: 'not-sent'; reason: string }
  | { kind: 'shrunk' }
  /** Held back while a 400 is probed (rejection-watch.ts): sent once the probe is over. */
  | { kind: 'held' };

type Answer =
  | { kind: 'answered'; outcome: HttpOutcome; attempts: number }
  | { kind: 'not-sent'; reason: string }
  | { kind: 'shrunk' }
  | { kind: 'held' };

export class Sender {
  private readonly counts: Omit<SenderStats, 'pace' | 'outage'> = { requests: {}, retries: 0, splits: 0, bisections: 0 };
  private failure: SendFailure | undefined;
  /** Fired with `failure`: queued requests and backoffs end at once. */
  private readonly halt = new AbortController();
  /** Whether any request got a 200 with updatedCustomers: from then on a 404 or TLS error is a failure like any other. */
  private succeeded = false;
  private readonly renewal: TokenRenewal;
  private readonly rejections = new RejectionWatch();
  /** Pending judgements of 401/403 answers: no request starts while one is open. */
  private readonly authGates = new Set<Promise<void>>();
  /** Either stop, or a fatal answer: nothing new starts once one has fired. */
  private readonly noNewRequests: AbortSignal;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly options: SenderOptions) {
    validateRetryPolicy(options.retry);
    const { maxCustomers } = options.limits;
    // From --batch-size (checked by resolveRunConfig): a bad one is a bug.
    if (!Number.isInteger(maxCustomers) || maxCustomers < 1) {
      throw new RangeError(`maxCustomers must be a whole number ≥ 1 (got ${String(maxCustomers)}).`);
    }
    this.renewal = new TokenRenewal(options.token);
    this.noNewRequests = AbortSignal.any([options.stop, options.abort, this.halt.signal]);
    // Every queued request listens to it: many listeners is the design, not a leak.
    setMaxListeners(0, this.noNewRequests);
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? sleep;
  }

  async send(batch: Batch): Promise<BatchResult> {
    const size = batch.customers.length;
    const result: BatchResult = {
      batch,
      outcomes: new Array<CustomerOutcome>(size).fill('failed'),
      errors: new Array<string | undefined>(size).fill(undefined),
      unexpectedIds: [],
      unexpectedCount: 0,
    };
    if (size > 0) await this.deliver({ batch, result, start: 0, end: size });
    return result;
  }

  stats(): SenderStats {
    return { ...this.counts, requests: { ...this.counts.requests }, ...this.options.limiter.stats() };
  }

  /**
   * The SendFailure that stopped the sending (any of the five kinds, not only an AuthError), or
   * undefined; from then on nothing is sent. The first one wins. The job's exit code is
   * `stoppedBy().exitCode`.
   */
  stoppedBy(): SendFailure | undefined {
    return this.failure;
  }

  private async deliver(slice: Slice): Promise<void> {
    const max = this.options.limits.maxCustomers;
    if (sizeOf(slice) > max) return this.deliverAll(chunks(slice, max));
    if (this.failure) return notSent(slice, this.notSentReason());
    const answer = await this.postWithRetries(slice);
    if (answer.kind === 'shrunk') return this.deliver(slice);
    if (answer.kind === 'held') {
      await this.rejections.settled();
      return this.deliver(slice);
    }
    if (answer.kind === 'not-sent') return notSent(slice, answer.reason);
    return this.settle(slice, answer.outcome, answer.attempts);
  }

  private async deliverAll(slices: Slice[]): Promise<void> {
    await Promise.all(slices.map((slice) => this.deliver(slice)));
  }

  private async settle(slice: Slice, outcome: HttpOutcome, attempts: number): Promise<void> {
    this.rejections.observe(outcome, sizeOf(slice));
    this.rejections.settling(outcome);
    return this.settleObserved(slice, outcome, attempts);
  }

  /** `settle`, once the answer was shown to the rejection watch. */
  private async settleObserved(slice: Slice, outcome: HttpOutcome, attempts: number): Promise<void> {
    const single = sizeOf(slice) === 1;
    if (outcome.kind === 'ok') return this.acknowledge(slice, outcome.updated);
    if (outcome.kind === 'http' && outcome.status === 413 && !single) return this.splitTooLarge(slice);
    if (isRejection(outcome)) return single ? this.refusedAlone(slice, outcome) : this.bisect(slice, outcome);
    fail(slice, failureDetail(outcome, attempts));
  }

  /**
   * A customer refused sent alone: `rejected` with the endpoint's reason, unless the refusals turn
   * out to be about the requests themselves (then it was not at fault: not sent).
   */
  private async refusedAlone(slice: Slice, outcome: Extract<HttpOutcome, { kind: 'http' }>): Promise<void> {
    // A probe running now may yet show that no customer is at fault.
    await this.rejections.settled();
    const systemic = this.rejections.systemic();
    if (systemic !== undefined) this.stopRejected(slice.batch.seq, systemic);
    if (this.failure instanceof RequestsRejectedError) return notSent(slice, this.notSentReason());
    reject(slice, describeOutcome(outcome));
  }

  /** A 413: the halves are sent (the limit was already lowered to a half, in `attempt`). */
  private async splitTooLarge(slice: Slice): Promise<void> {
    const half = Math.ceil(sizeOf(slice) / 2);
    this.counts.splits++;
    this.emit({ type: 'split413', seq: slice.batch.seq, from: sizeOf(slice), to: half });
    await this.deliverAll(halves(slice));
  }

  /**
   * A 400 rejects the whole request for what may be one customer. Sending the halves separately,
   * recursively, narrows it down to the customers rejected even alone; everyone else is delivered.
   * Until the endpoint has shown that its 400s are about customers, the request is probed instead,
   * and while a probe runs, it waits for the verdict.
   */
  private async bisect(slice: Slice, outcome: Extract<HttpOutcome, { kind: 'http' }>): Promise<void> {
    if (!this.rejections.perCustomer) {
      if (this.rejections.holding) {
        await this.rejections.settled();
        if (this.failure) return notSent(slice, this.notSentReason());
        return this.bisect(slice, outcome);
      }
      return this.probe(slice, outcome);
    }
    this.counts.bisections++;
    this.emit({ type: 'bisect400', seq: slice.batch.seq, size: sizeOf(slice), reason: outcome.message });
    await this.deliverAll(halves(slice));
  }

  /**
   * A 400 before the endpoint accepted anything (or after a streak of identical 400s): a few of
   * the request's customers (first, middle, last) are sent alone while every other request of
   * several customers waits. All refused the same way: the endpoint rejects the requests
   * themselves, and the run stops sending. Otherwise those customers are settled by their own
   * answers and the rest of the request is sent again, in the pieces between them.
   */
  private async probe(slice: Slice, outcome: Extract<HttpOutcome, { kind: 'http' }>): Promise<void> {
    const release = this.rejections.startProbe();
    const picks = spreadPicks(slice.start, slice.end, PROBE_SINGLES);
    const singles = picks.map((start): Slice => ({ ...slice, start, end: start + 1 }));
    this.counts.bisections++;
    this.emit({ type: 'probe400', seq: slice.batch.seq, size: sizeOf(slice), singles: singles.length, reason: outcome.message });
    let answers: Answer[];
    try {
      answers = await Promise.all(singles.map((single) => this.postWithRetries(single)));
      for (const answer of answers) if (answer.kind === 'answered') this.rejections.observe(answer.outcome, 1);
      const systemic = this.rejections.systemic();
      if (systemic !== undefined) this.stopRejected(slice.batch.seq, systemic);
    } finally {
      release();
    }
    if (this.failure) return notSent(slice, this.notSentReason());
    const settled = singles.map(async (single, i): Promise<void> => {
      const answer = answers[i];
      if (answer === undefined) throw new RangeError(`single ${i} of ${singles.length} has no answer`);
      if (answer.kind === 'answered') return this.settleObserved(single, answer.outcome, answer.attempts);
      if (answer.kind === 'not-sent') return notSent(single, answer.reason);
      return this.deliver(single);
    });
    const rest = gapsBetween(slice.start, slice.end, picks).map(([start, end]) => this.deliver({ ...slice, start, end }));
    await Promise.all([...settled, ...rest]);
  }

  /** The 400s are about the requests, not customers: the run's fatal failure (exit 6). */
  private stopRejected(seq: number, reason: string): void {
    const refused = this.counts.requests['400'] ?? 0;
    const error = new RequestsRejectedError(
      `The endpoint rejects the requests themselves, not particular customers: ${refused} requests were answered HTTP 400, ` +
        `and ${PROBE_SINGLES} customers sent alone were each refused the same way (${reason}). ` +
        'The API may have changed or the payload is wrong; no customer is at fault and a retry cannot help. Stopped sending.',
      reason,
    );
    if (this.stopWith(error)) this.emit({ type: 'requestsRejected', seq, reason });
  }

  private acknowledge(slice: Slice, updated: string[]): void {
    const customers = slice.batch.customers.slice(slice.start, slice.end);
    const { outcomes, unexpectedIds, unexpectedCount } = reconcile(
      customers.map((c) => c.id),
      updated,
    );
    outcomes.forEach((outcome, i) => {
      slice.result.outcomes[slice.start + i] = outcome;
      slice.result.errors[slice.start + i] = undefined;
    });
    if (unexpectedCount > 0) {
      // A hostile answer may list any number of ids: the batch keeps a capped sample and a count
      // (never `push(...ids)`, which overflows the stack with a few hundred thousand of them).
      const { result } = slice;
      for (const id of unexpectedIds) {
        if (result.unexpectedIds.length >= UNEXPECTED_SAMPLE_SIZE) break;
        result.unexpectedIds.push(id);
      }
      result.unexpectedCount += unexpectedCount;
      this.emit({ type: 'unexpectedIds', seq: slice.batch.seq, count: unexpectedCount, ids: unexpectedIds });
    }
    try {
      this.options.onAcknowledged?.(customers, outcomes);
    } catch (error) {
      // The journal cannot be written (full disk, read-only state dir): these customers were
      // delivered, but a rerun could not know it for the next ones either. Stop sending; the report
      // says why (exit 8) and the journal keeps what it has, so the rerun resumes from there.
      if (!(error instanceof LocalStorageError)) throw error;
      this.stopWith(error);
    }
  }

  /**
   * Attempts one request until it gets an answer that retrying cannot change. Throttling (429, 503
   * with Retry-After) and failures during an outage (the breaker open) do not use up attempts.
   */
  private async postWithRetries(slice: Slice): Promise<Answer> {
    // The customers' JSON as spooled, encoded per attempt into a reused buffer (body.ts).
    const body = new RequestBody(slice.batch.customers, slice.start, slice.end);
    let attempt = 1;
    let throttles = 0;
    let authRetried = false;
    for (;;) {
      const sent = await this.attempt(body, sizeOf(slice), slice.batch.seq, authRetried);
      if (sent.kind !== 'sent') return sent;
      const { outcome } = sent;
      this.count(outcome);
      // This answer (or one that came back with it) showed the endpoint is misconfigured: the
      // customers were not delivered anywhere, and nothing is retried.
      if (sent.misconfigured) return { kind: 'not-sent', reason: this.notSentReason() };
      if (sent.auth !== undefined) {
        // One retry with a rotated token, outside the retry budget; a second rejection is final.
        // Decided (and recorded) while no other request could start: see `judgeAuth`.
        if (!(await sent.auth)) return { kind: 'answered', outcome, attempts: attempt };
        authRetried = true;
        continue;
      }
      if (!isRetryable(outcome)) return { kind: 'answered', outcome, attempts: attempt };
      if (this.failure) return { kind: 'not-sent', reason: `${this.notSentReason()} (last attempt: ${describeOutcome(outcome)})` };
      const throttled = isThrottling(outcome);
      const counted = sent.counts && !throttled;
      if (counted && attempt >= this.options.retry.maxAttempts) return { kind: 'answered', outcome, attempts: attempt };
      const retryAfterMs = outcome.kind === 'http' ? outcome.retryAfterMs : undefined;
      // Free failures of an outage wait in the scheduler, which lets only probes through.
      const delayMs =
        retryAfterMs ??
        (counted
          ? backoff(attempt, this.options.retry, this.random)
          : throttled
            ? backoff(++throttles, this.options.retry, this.random)
            : 0);
      await this.backOff(slice, outcome, attempt, delayMs);
      if (this.noNewRequests.aborted) {
        const reason = this.failure ? this.notSentReason() : NOT_SENT_INTERRUPTED;
        return { kind: 'not-sent', reason: `${reason} (last attempt: ${describeOutcome(outcome)})` };
      }
      if (counted) attempt++;
    }
  }

  /**
   * A 401/403 just came back, and the request still holds its limiter slot. Whether a rotated
   * token can be retried with takes a re-read of the token file (an await); until that is decided
   * and, if final, recorded, no queued request may start (`authGates`): one that slipped in between
   * would go out with the refused token and be refused too. Resolves to true when the request may
   * be retried with a new token; false once the run's authentication failure is recorded.
   */
  private judgeAuth(status: number, token: string, alreadyRetried: boolean, seq: number): Promise<boolean> {
    const decided = (async (): Promise<boolean> => {
      const renewed = !alreadyRetried && (await this.renewal.renewed(token));
      this.recordAuthRejection(seq, status, renewed);
      return renewed;
    })();
    const gate: Promise<void> = decided.then(
      () => undefined,
      () => undefined,
    );
    this.authGates.add(gate);
    void gate.then(() => this.authGates.delete(gate));
    return decided;
  }

  /** Queued requests wait here while a 401/403 is being judged (see `judgeAuth`). */
  private async authSettled(): Promise<void> {
    while (this.authGates.size > 0) await Promise.all([...this.authGates]);
  }

  /** Records a 401/403: a retry with the rotated token, or the run's authentication failure. */
  private recordAuthRejection(seq: number, status: number, renewed: boolean): void {
    if (renewed) {
      this.emit({ type: 'authRetry', seq, status });
      return;
    }
    this.stopWith(
      new AuthError(
        `The endpoint rejected the access token (HTTP ${status}). Check that it is valid and has rights to ` +
          'update customer segments; a token from --token-file was re-read once before giving up.',
        status,
      ),
    );
    this.emit({ type: 'authRejected', seq, status });
  }

  /**
   * Called as each answer arrives, in arrival order: the first success settles that the endpoint
   * is right; before it, a misconfiguration stops the run. True when `outcome` is one.
   */
  private judgeEndpoint(outcome: HttpOutcome, seq: number): boolean {
    if (outcome.kind === 'ok') this.succeeded = true;
    if (this.succeeded) return false;
    const found = misconfiguration(outcome);
    if (!found) return false;
    const error = endpointError(this.options.client.target ?? 'the endpoint', found);
    if (this.stopWith(error)) this.emit({ type: 'endpointMisconfigured', seq, endpoint: error.endpoint, answer: error.answer });
    return true;
  }

  /** Records the run's fatal failure (the first one wins) and stops everything queued. True if it was the first. */
  private stopWith(failure: SendFailure): boolean {
    if (this.failure) return false;
    this.failure = failure;
    this.halt.abort();
    return true;
  }

  /** The detail of customers not sent because of the fatal failure. */
  /** Why customers were not sent once the run's fatal failure came (also for those never batched). */
  notSentReason(): string {
    if (this.failure instanceof RequestsRejectedError) return `${NOT_SENT_REJECTED} (HTTP 400: ${this.failure.reason})`;
    if (this.failure instanceof LocalStorageError) return NOT_SENT_STORAGE;
    if (this.failure instanceof UnavailableError) return this.failure.notSentDetail;
    return this.failure instanceof EndpointError ? notSentDetail(this.failure) : NOT_SENT_AUTH;
  }

  private count(outcome: HttpOutcome): void {
    const key = statsKey(outcome);
    this.counts.requests[key] = (this.counts.requests[key] ?? 0) + 1;
  }

  /**
   * One request through the limiter, with the token current at the moment it starts. Requests
   * queued before a 413 are checked against the limit again when their turn comes: sent at their
   * old size they would only be answered 413 too.
   */
  private async attempt(body: RequestBody, customers: number, seq: number, authRetried = false): Promise<Attempt> {
    const { limiter } = this.options;
    const started = await limiter.run(async (start): Promise<Attempt> => {
      if (this.authGates.size > 0) await this.authSettled();
      if (this.failure) return { kind: 'not-sent', reason: this.notSentReason() };
      if (customers > this.options.limits.maxCustomers) return { kind: 'shrunk' };
      // A 400 is being probed: a request of several customers would only add to the refusals.
      if (customers > 1 && this.rejections.holding) return { kind: 'held' };
      const token = this.options.token.current();
      const outcome = await this.options.client.post(body, token, this.options.abort);
      const misconfigured = this.judgeEndpoint(outcome, seq);
      // Before this request gives up its slot, so that no queued one slips in before a probe.
      this.rejections.arrived(outcome, customers);
      // The scheduler learns from every answer (pace, breaker) before this job gives up its slot.
      const feedback = feedbackOf(outcome);
      const verdict = feedback ? limiter.record(start, feedback) : { counts: true, events: [] };
      this.emitLimiterEvents(verdict.events, seq);
      if (verdict.giveUp)
        this.stopUnavailable(outageTooLong(verdict.giveUp.outageMs, verdict.giveUp.maxOutageMs, describeOutcome(outcome)), seq);
      // The endpoint asked the whole client to wait. Paused before this job gives up its slot, so
      // the next queued request cannot slip in first. Longer than --max-retry-wait: stop instead.
      if (outcome.kind === 'http' && outcome.retryAfterMs !== undefined) {
        const { maxRetryWaitMs } = this.options.retry;
        if (outcome.retryAfterMs > maxRetryWaitMs)
          this.stopUnavailable(retryWaitTooLong(outcome.retryAfterMs, maxRetryWaitMs, describeOutcome(outcome)), seq);
        else limiter.pauseFor(outcome.retryAfterMs);
      }
      // Likewise, no later request may start at a size the endpoint just refused.
      if (outcome.kind === 'http' && outcome.status === 413 && customers > 1) this.lowerLimitBelow(customers);
      // Judged before this job gives up its slot, for the same reason.
      const auth = !misconfigured && isAuthRejection(outcome) ? this.judgeAuth(outcome.status, token, authRetried, seq) : undefined;
      return { kind: 'sent', outcome, token, misconfigured, auth, counts: verdict.counts };
    }, this.noNewRequests);
    if (started !== NOT_STARTED) return started;
    return { kind: 'not-sent', reason: this.failure ? this.notSentReason() : NOT_SENT_INTERRUPTED };
  }

  private emitLimiterEvents(events: readonly LimiterEvent[], seq: number): void {
    for (const event of events) {
      if (event.type !== 'outageGaveUp') this.emit({ ...event, seq });
    }
  }

  /** The endpoint will not take requests for longer than the run waits: stop sending (exit 1). */
  private stopUnavailable(error: UnavailableError, seq: number): void {
    if (this.stopWith(error)) this.emit({ type: 'unavailable', seq, message: error.message });
  }

  /** After a 413 for `customers` (> 1): no request larger than half of it from now on. */
  private lowerLimitBelow(customers: number): void {
    const half = Math.ceil(customers / 2);
    this.options.limits.maxCustomers = Math.min(this.options.limits.maxCustomers, half);
  }

  private async backOff(slice: Slice, outcome: HttpOutcome, attempt: number, delayMs: number): Promise<void> {
    if (outcome.kind === 'http' && outcome.retryAfterMs !== undefined) {
      this.emit({ type: 'pause', seq: slice.batch.seq, ms: outcome.retryAfterMs, status: outcome.status });
    }
    this.counts.retries++;
    this.emit({ type: 'retry', seq: slice.batch.seq, attempt, delayMs, reason: describeOutcome(outcome) });
    await this.sleep(delayMs, this.noNewRequests);
  }

  private emit(event: SendEvent): void {
    this.options.onEvent?.(event);
  }
}

/** What an answer tells the scheduler; undefined for a request cancelled by the hard stop. */
function feedbackOf(outcome: HttpOutcome): Feedback | undefined {
  if (outcome.kind === 'ok') return { kind: 'ok' };
  if (outcome.kind === 'aborted') return undefined;
  if (outcome.kind === 'malformed') return { kind: 'malformed' };
  const retryAfter = outcome.kind === 'http' && outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {};
  if (outcome.kind === 'http' && isThrottling(outcome)) return { kind: 'throttled', status: outcome.status, ...retryAfter };
  if (isRetryable(outcome)) return { kind: 'failed', ...retryAfter };
  return { kind: 'answered' };
}

/** The `detail` of customers whose request ended in `outcome`. */
function failureDetail(outcome: HttpOutcome, attempts: number): string {
  if (isAuthRejection(outcome)) return `authentication rejected (${outcome.status})`;
  if (outcome.kind === 'http' && outcome.status === 413) return 'payload too large (HTTP 413 for this customer alone)';
  const description = describeOutcome(outcome);
  return attempts > 1 && outcome.kind !== 'aborted' ? `${description} (after ${attempts} attempts)` : description;
}

/**
 * Ends the slice's customers with an outcome other than an answer: `failed` (their request failed),
 * `rejected` (refused sent alone while the endpoint accepts others) or `not_sent` (no request for
 * them was answered), each with why.
 */
function settleAs(outcome: 'failed' | 'rejected' | 'not_sent', slice: Slice, reason: string): void {
  for (let i = slice.start; i < slice.end; i++) {
    slice.result.outcomes[i] = outcome;
    slice.result.errors[i] = reason;
  }
}

const fail = (slice: Slice, reason: string): void => settleAs('failed', slice, reason);
const reject = (slice: Slice, reason: string): void => settleAs('rejected', slice, reason);
const notSent = (slice: Slice, reason: string): void => settleAs('not_sent', slice, reason);

function sizeOf(slice: Slice): number {
  return slice.end - slice.start;
}

function halves(slice: Slice): Slice[] {
  const middle = slice.start + Math.ceil(sizeOf(slice) / 2);
  return [
    { ...slice, end: middle },
    { ...slice, start: middle },
  ];
}

function chunks(slice: Slice, size: number): Slice[] {
  const parts: Slice[] = [];
  for (let start = slice.start; start < slice.end; start += size) {
    parts.push({ ...slice, start, end: Math.min(start + size, slice.end) });
  }
  return parts;
}
