/**
 * Decides, request by request, which fault to inject. Pure apart from its own state (the PRNG, the
 * rate window, the storm's countdown): no I/O, no clock of its own — callers pass `now`.
 */
import type { Customer } from '../core/types.js';
import { MALFORMED_KINDS, type MalformedKind, SERVER_ERROR_STATUSES, type ServerErrorStatus } from './answers.js';
import type { Faults } from './options.js';
import { chance, mulberry32, pick, type Random } from './prng.js';
import { SlidingWindow } from './sliding-window.js';
import { TokenBucket } from './token-bucket.js';

/** Admits requests under the rate limit: a sliding window, or a token bucket with a burst. */
interface RateLimit {
  tryAdmit(now: number): boolean;
}

function rateLimitOf(faults: Faults): RateLimit {
  if (faults.burst > 0 && faults.rateLimit > 0) {
    const bucket = new TokenBucket(faults.rateLimit, faults.burst);
    return { tryAdmit: (now) => bucket.tryTake(now) };
  }
  return new SlidingWindow(faults.rateLimit);
}

/** An outage's answer: the status and the Retry-After seconds, if any. */
export interface OutageAnswer {
  status: ServerErrorStatus;
  retryAfterSeconds?: number;
}

/** How a successful answer is delivered. */
export interface SuccessStyle {
  slowMs: number;
  dripMs?: number;
  malformed?: MalformedKind;
}

export class FaultInjector {
  private faults: Faults;
  private window: RateLimit;
  /** When the current outage fault's clock started (its first request), if it has. */
  private outageClock: number | undefined;
  private rejectIds: ReadonlySet<string>;
  private readonly random: Random;

  constructor(faults: Faults, seed: number) {
    this.faults = { ...faults };
    this.window = rateLimitOf(this.faults);
    this.rejectIds = new Set(faults.rejectIds);
    this.random = mulberry32(seed);
  }

  current(): Faults {
    const { storm, outage, failIds } = this.faults;
    return {
      ...this.faults,
      storm: storm && { ...storm },
      outage: outage && { ...outage },
      failIds: failIds && { ids: [...failIds.ids], times: failIds.times },
    };
  }

  update(changes: Partial<Faults>): void {
    this.faults = { ...this.faults, ...changes };
    if (changes.rateLimit !== undefined || changes.burst !== undefined) this.window = rateLimitOf(this.faults);
    if (changes.outage !== undefined) this.outageClock = undefined;
    if (changes.rejectIds !== undefined) this.rejectIds = new Set(changes.rejectIds);
  }

  get latencyMs(): number {
    return this.faults.latencyMs;
  }

  get retryAfterFormat(): Faults['retryAfter'] {
    return this.faults.retryAfter;
  }

  /** Seconds to advertise in Retry-After when the request must be answered 429; else undefined. */
  throttle(now: number): number | undefined {
    const { storm } = this.faults;
    if (storm !== null && storm.count > 0) {
      this.faults.storm = storm.count > 1 ? { ...storm, count: storm.count - 1 } : null;
      return storm.retryAfterSeconds;
    }
    return this.window.tryAdmit(now) ? undefined : this.faults.retryAfterSeconds;
  }

  /** The answer of every request during the outage window; undefined outside it. */
  outage(now: number): OutageAnswer | undefined {
    const { outage } = this.faults;
    if (outage === null) return undefined;
    this.outageClock ??= now;
    const from = this.outageClock + outage.afterSeconds * 1000;
    if (now < from || now >= from + outage.forSeconds * 1000) return undefined;
    return { status: outage.status ?? 503, ...(outage.retryAfterSeconds !== undefined && { retryAfterSeconds: outage.retryAfterSeconds }) };
  }

  resetsConnection(): boolean {
    return chance(this.random, this.faults.resetRate);
  }

  serverError(): ServerErrorStatus | undefined {
    return chance(this.random, this.faults.errorRate) ? pick(this.random, SERVER_ERROR_STATUSES) : undefined;
  }

  /** Whether every request is answered 400 (the payload itself refused). */
  get rejectsAll(): boolean {
    return this.faults.rejectAll;
  }

  /** Whether this request (listing `customers`) is one of the first `failIds.times` listing a failing id. */
  failsForIds(customers: readonly Customer[]): boolean {
    const { failIds } = this.faults;
    if (failIds === null || failIds.times === 0) return false;
    if (!customers.some((c) => failIds.ids.includes(c.document_id))) return false;
    this.faults.failIds = { ...failIds, times: failIds.times - 1 };
    return true;
  }

  /** The first customer of the request whose id is configured to be rejected. */
  rejected(customers: readonly Customer[]): { index: number; id: string } | undefined {
    if (this.rejectIds.size === 0) return undefined;
    const index = customers.findIndex((c) => this.rejectIds.has(c.document_id));
    const customer = customers[index]; // undefined for -1
    return customer === undefined ? undefined : { index, id: customer.document_id };
  }

  successStyle(): SuccessStyle {
    const { slowRate, slowMs, dripRate, dripMs, malformedRate } = this.faults;
    return {
      slowMs: chance(this.random, slowRate) ? slowMs : 0,
      ...(chance(this.random, dripRate) && { dripMs }),
      ...(chance(this.random, malformedRate) && { malformed: pick(this.random, MALFORMED_KINDS) }),
    };
  }
}
