/**
 * The run's ledger of customers, by ordinal: what pass 1 learned about each (long layout, spoiled
 * by a broken record, clears its segments) and what the endpoint made of it. A byte per customer,
 * plus a few lazily allocated columns, so 10M customers cost ~10 MB, not a Map entry each.
 */
import type { CustomerOutcome } from '../core/types.js';

/** Outcome codes (low 3 bits of a customer's byte). PENDING at the end of a run means not sent. */
const PENDING = 0;
const UPDATED = 1;
const NOT_FOUND = 2;
const FAILED = 3;
const NOT_SENT = 4;
const REJECTED = 5;
/** diff/mirror: not sent, the endpoint already holds these segments (or answered not found for them). */
const UNCHANGED = 6;
const UNCHANGED_NOT_FOUND = 7;
const OUTCOME_MASK = 0b111;
const LONG = 1 << 3;
const SPOILED = 1 << 4;
/** long: has a record with a blank type and value ("no segments"). */
const HAS_CLEAR = 1 << 5;
/** long: has a record with a segment. */
const HAS_SEGMENT = 1 << 6;
/** An earlier run of the same inputs got the outcome (resumed). */
const RESUMED = 1 << 7;

/** What the ledger says of a customer at the end: the endpoint's answer, or unchanged (not sent, per the state). */
export type LedgerOutcome = CustomerOutcome | 'unchanged';

const CODE_OF: Record<CustomerOutcome, number> = {
  updated: UPDATED,
  not_found: NOT_FOUND,
  failed: FAILED,
  not_sent: NOT_SENT,
  rejected: REJECTED,
};
const OUTCOME_OF: (LedgerOutcome | undefined)[] = [
  undefined,
  'updated',
  'not_found',
  'failed',
  'not_sent',
  'rejected',
  'unchanged',
  'unchanged',
];

/** An estimate is only a hint: past this many customers the ledger grows as it goes. */
const MAX_PRESIZE = 1 << 26;

export class Ledger {
  private bytes: Uint8Array;
  private size = 0;
  /** long customers: records read, for the counts (lazily allocated). */
  private records: Uint32Array | undefined;
  /** long customers spoiled by a record: why, and the record's line. */
  private readonly spoilers = new Map<number, { reason: string; line: number }>();
  /** long: line of the blank record of a customer that has other records too (it spoils it at the end). */
  private readonly clearLines = new Map<number, number>();
  /** Per customer, 1 + index into `messages` of its last error (lazily allocated). */
  private errorRefs: Uint32Array | undefined;
  private readonly messages: string[] = [];
  private readonly messageIndex = new Map<string, number>();
  /** diff/mirror, unchanged customers: the run number whose answer recorded their segments (lazily allocated). */
  private sinceRuns: Uint32Array | undefined;
  /** mirror: ordinals from here on are customers gone from the input, sent to clear them. */
  private clearsFrom = Number.POSITIVE_INFINITY;

  /** `expected`: customers to size for up front (an estimate; it grows past it), so 10M customers do not cost a doubling to 16M. */
  constructor(expected = 0) {
    this.bytes = new Uint8Array(Math.max(1024, Math.min(expected, MAX_PRESIZE)));
  }

  get customers(): number {
    return this.size;
  }

  /** A new customer (ordinals are given in order, from 0). */
  open(ordinal: number, long: boolean): void {
    if (ordinal !== this.size) throw new RangeError(`customer ${ordinal} opened out of order (next is ${this.size})`);
    if (ordinal >= this.bytes.length) this.bytes = grown(this.bytes, ordinal);
    this.bytes[ordinal] = long ? LONG : 0;
    this.size++;
  }

  isLong(ordinal: number): boolean {
    return ordinal < this.size && (this.byteOf(ordinal) & LONG) !== 0;
  }

  /**
   * mirror: after pass 1, the customers gone from the input that are cleared get the next
   * ordinals. Returns the first of them.
   */
  openClears(count: number): number {
    if (this.clearsFrom !== Number.POSITIVE_INFINITY) throw new TypeError('Ledger.openClears() called twice');
    this.clearsFrom = this.size;
    for (let i = 0; i < count; i++) this.open(this.size, false);
    return this.clearsFrom;
  }

  /** mirror: a customer gone from the input, sent to clear its segments (not an input customer). */
  isClear(ordinal: number): boolean {
    return ordinal >= this.clearsFrom;
  }

  /** diff/mirror: not to be sent, the state says the endpoint holds these segments since run `sinceRun`. */
  setUnchanged(ordinal: number, sinceRun: number, notFound: boolean): void {
    this.sinceRuns ??= new Uint32Array(Math.max(1024, this.bytes.length));
    if (ordinal >= this.sinceRuns.length) this.sinceRuns = grown(this.sinceRuns, ordinal);
    this.sinceRuns[ordinal] = sinceRun;
    this.bytes[ordinal] = (this.byteOf(ordinal) & ~OUTCOME_MASK) | (notFound ? UNCHANGED_NOT_FOUND : UNCHANGED);
  }

  /** For an unchanged customer: the run number its segments were recorded by, and whether it was not found then. */
  unchangedSince(ordinal: number): { run: number; notFound: boolean } {
    return { run: this.sinceRuns?.[ordinal] ?? 0, notFound: (this.byteOf(ordinal) & OUTCOME_MASK) === UNCHANGED_NOT_FOUND };
  }

  /** A long record of customer `ordinal` at `line`: `segments` 0 (blank record) or 1; `invalid` spoils it. */
  addLongRecord(ordinal: number, line: number, segments: number, invalid: string | undefined): void {
    this.records ??= new Uint32Array(Math.max(1024, this.bytes.length));
    if (ordinal >= this.records.length) this.records = grown(this.records, ordinal);
    this.records[ordinal] = (this.records[ordinal] ?? 0) + 1;
    if (invalid !== undefined && !this.spoilers.has(ordinal)) {
      this.spoilers.set(ordinal, { reason: invalid, line });
      this.bytes[ordinal] = this.byteOf(ordinal) | SPOILED;
    }
    if (invalid !== undefined) return;
    if (segments > 0) this.bytes[ordinal] = this.byteOf(ordinal) | HAS_SEGMENT;
    else if (!this.clearLines.has(ordinal)) {
      this.bytes[ordinal] = this.byteOf(ordinal) | HAS_CLEAR;
      this.clearLines.set(ordinal, line);
    }
  }

  /**
   * After pass 1: a long customer with a blank record and other records is spoiled (a blank type
   * and value means "no segments" only as the customer's single record). Returns the ordinals it
   * spoiled, so the counts can move them.
   */
  settleLong(): number[] {
    const spoiled: number[] = [];
    for (const [ordinal, line] of this.clearLines) {
      const b = this.byteOf(ordinal);
      if ((b & HAS_SEGMENT) !== 0 && (b & SPOILED) === 0) {
        this.bytes[ordinal] = b | SPOILED;
        this.spoilers.set(ordinal, {
          reason: `line ${line} has a blank type and value, which means "no segments" only as the customer's single row; remove it or the other rows`,
          line,
        });
        spoiled.push(ordinal);
      }
    }
    // Only the lines of spoiling records are needed from here on.
    for (const ordinal of [...this.clearLines.keys()]) if ((this.byteOf(ordinal) & HAS_SEGMENT) === 0) this.clearLines.delete(ordinal);
    return spoiled;
  }

  /** A long customer whose only records are blank: sent with no segments, it is cleared. */
  longClears(ordinal: number): boolean {
    return (this.byteOf(ordinal) & (HAS_CLEAR | HAS_SEGMENT)) === HAS_CLEAR;
  }

  isSpoiled(ordinal: number): boolean {
    return (this.byteOf(ordinal) & SPOILED) !== 0;
  }

  /** Records of a long customer (1 for others). */
  recordsOf(ordinal: number): number {
    return this.isLong(ordinal) ? (this.records?.[ordinal] ?? 0) : 1;
  }

  /** Why a spoiled long customer is not sent. */
  spoiler(ordinal: number): { reason: string; line: number } | undefined {
    return this.spoilers.get(ordinal);
  }

  setOutcome(ordinal: number, outcome: CustomerOutcome, error?: string, resumed = false): void {
    const b = this.byteOf(ordinal);
    this.bytes[ordinal] = (b & ~OUTCOME_MASK & ~RESUMED) | CODE_OF[outcome] | (resumed ? RESUMED : 0);
    if (error !== undefined) this.setError(ordinal, error);
  }

  /** The endpoint's outcome, `not_sent` when set so, `unchanged` per the state; undefined while pending (never sent). */
  outcome(ordinal: number): LedgerOutcome | undefined {
    return OUTCOME_OF[this.byteOf(ordinal) & OUTCOME_MASK];
  }

  isPending(ordinal: number): boolean {
    return (this.byteOf(ordinal) & OUTCOME_MASK) === PENDING;
  }

  wasResumed(ordinal: number): boolean {
    return (this.byteOf(ordinal) & RESUMED) !== 0;
  }

  error(ordinal: number): string | undefined {
    const ref = this.errorRefs?.[ordinal] ?? 0;
    return ref === 0 ? undefined : this.messages[ref - 1];
  }

  /**
   * The customer's byte. An ordinal never opened reads 0 (pending, nothing known): its byte is still
   * 0, or it lies past the array's end, whose `undefined` the bit masks always turned into 0 (and
   * a write there is dropped, as a typed array drops it).
   */
  private byteOf(ordinal: number): number {
    return this.bytes[ordinal] ?? 0;
  }

  private setError(ordinal: number, message: string): void {
    this.errorRefs ??= new Uint32Array(Math.max(1024, this.bytes.length));
    if (ordinal >= this.errorRefs.length) this.errorRefs = grown(this.errorRefs, ordinal);
    let index = this.messageIndex.get(message);
    if (index === undefined) {
      index = this.messages.push(message) - 1;
      this.messageIndex.set(message, index);
    }
    this.errorRefs[ordinal] = index + 1;
  }
}

function grown<T extends Uint8Array | Uint32Array>(array: T, needed: number): T {
  let length = array.length * 2;
  while (length <= needed) length *= 2;
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}
