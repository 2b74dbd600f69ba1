/**
 * The endpoint's behaviour without the HTTP plumbing: given what arrived, decide the answer (or a
 * reset) and update the state. The order of checks is the contract's:
 *   auth → outage (5xx, maybe Retry-After) → storm/rate limit (429) → reset → 5xx → size (413) → validation (400)
 *   → failing ids (503) → reject-all / rejected ids (400)
 *   → apply → slow/latency → drip/malformed.
 * Any answer other than a 200, and any reset, leaves the customers untouched. Slow, dripping and
 * malformed 200s DO apply the update first: the server did the work and only the answer is late or
 * garbled, which is exactly the case a client must survive by retrying (replace semantics make
 * the retry harmless).
 */
import { err, ok } from '../core/result.js';
import type { Segment } from '../core/types.js';
import {
  type Answer,
  errorAnswer,
  malformedAnswer,
  RESET,
  retryAfterValue,
  serverErrorAnswer,
  tooManyRequestsAnswer,
  updatedAnswer,
  type AnswerOrReset,
} from './answers.js';
import { CustomerStore } from './customer-store.js';
import { FaultInjector } from './fault-injector.js';
import { type Checked, checkFaults, type Faults, type ResolvedEmulatorOptions } from './options.js';
import { parseBulkRequest } from './request-body.js';
import { type AnsweredRequests, RequestStats } from './request-stats.js';
import { rules } from './rules.js';

export interface EmulatorState {
  /** Segments held per customer updated since the start (or the last reset). */
  customers: Record<string, Segment[] | null>;
  requests: AnsweredRequests;
  /** Arrival time (epoch ms, sub-millisecond) of each POST to the endpoint; the last 100k. */
  starts: number[];
}

/** What the HTTP layer knows about a request before reading its body. */
export interface RequestHead {
  authorization: string | undefined;
  contentLength: number | undefined;
}

const UNAUTHORIZED_DETAILS = 'Authorization credentials are missing or invalid';
/** The answer to every request under the reject-all fault: the same for every request and customer. */
export const REJECT_ALL_CODE = 'unsupportedPayload';
export const REJECT_ALL_DETAILS = 'the request body does not match the current version of this API';

export class EmulatorCore {
  readonly maxBodyBytes: number;
  private tokens: ReadonlySet<string>;
  private readonly store: CustomerStore;
  private readonly faults: FaultInjector;
  private readonly stats = new RequestStats();

  /** @param now the clock, in epoch milliseconds (it also dates Retry-After). */
  constructor(
    options: ResolvedEmulatorOptions,
    private readonly now: () => number,
  ) {
    this.maxBodyBytes = options.maxBodyBytes;
    this.tokens = new Set(options.tokens);
    this.store = new CustomerStore(options.known);
    this.faults = new FaultInjector(options.faults, options.seed);
  }

  /** Every decision that needs no body. Undefined means: read the body, then call `afterBody`. */
  beforeBody(head: RequestHead): AnswerOrReset | undefined {
    const now = this.now();
    this.stats.arrived(now);
    if (!this.isAuthorized(head.authorization)) {
      return this.finish(errorAnswer(401, 'unAuthorized', UNAUTHORIZED_DETAILS, { 'www-authenticate': 'Bearer' }));
    }
    const outage = this.faults.outage(now);
    if (outage !== undefined) {
      const answer = serverErrorAnswer(outage.status);
      if (outage.retryAfterSeconds !== undefined) {
        answer.headers['retry-after'] = retryAfterValue(outage.retryAfterSeconds, this.faults.retryAfterFormat, now);
      }
      return this.finish(answer);
    }
    const retryAfterSeconds = this.faults.throttle(now);
    if (retryAfterSeconds !== undefined) {
      const retryAfter = retryAfterValue(retryAfterSeconds, this.faults.retryAfterFormat, now);
      return this.finish(tooManyRequestsAnswer(retryAfter));
    }
    if (this.faults.resetsConnection()) {
      this.stats.answered('reset');
      return RESET;
    }
    const serverError = this.faults.serverError();
    if (serverError !== undefined) return this.finish(serverErrorAnswer(serverError));
    if (head.contentLength !== undefined && head.contentLength > this.maxBodyBytes) return this.tooLarge();
    return undefined;
  }

  /** The body grew past `maxBodyBytes` (announced, or found while reading a chunked body). */
  tooLarge(): Answer {
    return this.finish(errorAnswer(413, 'payloadTooLarge', `The request body exceeds ${this.maxBodyBytes} bytes`));
  }

  afterBody(text: string): Answer {
    const request = parseBulkRequest(text);
    if (!request.ok) return this.finish(errorAnswer(400, 'invalidRequest', request.error));
    const customers = request.value;
    this.stats.received(customers.length);
    if (this.faults.failsForIds(customers)) return this.finish(serverErrorAnswer(503));
    if (this.faults.rejectsAll) return this.finish(errorAnswer(400, REJECT_ALL_CODE, REJECT_ALL_DETAILS));
    const rejected = this.faults.rejected(customers);
    if (rejected !== undefined) {
      const details = `customers[${rejected.index}].document_id '${rejected.id}' is rejected`;
      return this.finish(errorAnswer(400, 'invalidRequest', details));
    }
    const updated = this.store.apply(customers);
    const style = this.faults.successStyle();
    const answer = style.malformed === undefined ? updatedAnswer(updated) : malformedAnswer(style.malformed, updated);
    const delivery = { delayMs: style.slowMs, ...(style.dripMs !== undefined && { dripMs: style.dripMs }) };
    return this.finish({ ...answer, ...delivery });
  }

  notFound(path: string): Answer {
    return this.finish(errorAnswer(404, 'resourceNotFound', `No resource at ${path}`));
  }

  methodNotAllowed(method: string): Answer {
    const details = `${method} is not allowed here; use POST`;
    return this.finish(errorAnswer(405, 'methodNotAllowed', details, { allow: 'POST' }));
  }

  state(): EmulatorState {
    return { customers: this.store.snapshot(), ...this.stats.snapshot() };
  }

  setFaults(changes: unknown): Checked<Faults> {
    const checked = checkFaults(changes);
    if (!checked.ok) return checked;
    this.faults.update(checked.value);
    return ok(this.faults.current());
  }

  /** Replaces the accepted tokens (a rotation: the old ones are answered 401 from now on). */
  setTokens(tokens: unknown): Checked<void> {
    if (!rules.tokenList.test(tokens)) {
      return err([{ path: 'tokens', expected: rules.tokenList.expected }]);
    }
    this.tokens = new Set(tokens as string[]);
    return ok(undefined);
  }

  /** Forgets the customers' segments and the request statistics; faults and tokens stay. */
  reset(): void {
    this.store.clear();
    this.stats.clear();
  }

  private isAuthorized(header: string | undefined): boolean {
    const token = /^Bearer +(\S+)\s*$/i.exec(header ?? '')?.[1];
    return token !== undefined && this.tokens.has(token);
  }

  /** Counts the answer and adds the fixed latency every answer carries. */
  private finish(answer: Answer): Answer {
    this.stats.answered(answer.status);
    return { ...answer, delayMs: answer.delayMs + this.faults.latencyMs };
  }
}
