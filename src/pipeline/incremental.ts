/**
 * --mode diff and mirror: what the incremental state says of tonight's customers.
 *
 *   1. before pass 1, the state is loaded into an in-memory index (StateDiff): one sequential scan
 *      of the database into typed arrays, ~33 bytes per customer tracked whatever the ids' length
 *   2. pass 1 asks it of every wide or json customer as it is met: an unchanged one (the endpoint
 *      acknowledged these very segments) is set aside in the ledger and never spooled, so the spool
 *      holds only what will be sent; invalid rows mark their ids present (never cleared)
 *   3. after pass 1 (applyState), the long-layout customers, whose segments are known only once
 *      gathered; then mirror's clears: the customers the state holds segments for that tonight's
 *      input does not name get ordinals after the input's, a spool entry and a results.csv row
 *
 * Deciding in pass 1 is what keeps a night with 1% changed near the cost of a dry run: staging
 * every fingerprint in SQLite and joining cost as much as pass 1 itself, and spooling every
 * customer's JSON as much again, to send 1% of them. The state is written only as the endpoint
 * acknowledges requests (see send-pass.ts, stateAcks): this step reads.
 */
import { checkHash, hashInto } from './dedupe/index.js';
import { EMPTY_FINGERPRINT, type SegmentState } from '../state/index.js';
import type { RunConfig } from '../config/run-options.js';
import type { CustomerRow } from '../core/types.js';
import type { Intake } from './validate-pass.js';

/** What summary.json and the plan say of the state. */
export interface StateFacts {
  file: string;
  /** No usable state (first run, another endpoint's, corrupt, another scheme): everything is sent, nothing cleared. */
  fresh: boolean;
  /** Customers the state tracked when the run began. */
  tracked: number;
  /** Input customers not sent: unchanged. */
  unchanged: number;
  /** mirror: customers gone from the input, to be cleared. */
  clears: number;
}

/** The state's status codes (SegmentState.scan()). */
const UPDATED = 1;
const NOT_FOUND = 2;
/** Set in a customer's status byte once tonight's input names it. */
const PRESENT = 0x80;

/** An unchanged customer: the run whose answer recorded its segments, and whether it was not found. */
export interface Unchanged {
  since: number;
  notFound: boolean;
}

/**
 * The state, loaded for one run's questions (see the file header): an open-addressing table of row
 * numbers, placed by the high half of the id hash and told apart by its low half and a third,
 * independent 32-bit hash (checkHash). The ids themselves stay in the database: reading each back
 * to compare it (as the dedupe index does) cost a random read per customer, 10 µs each, twice
 * the whole dry run at 2M. Two ids alike in all 96 bits, the only way to mistake one customer for
 * another, are a chance of 1 in 2^64 per lookup: far below the 2^-53 of the fingerprints.
 */
export class StateDiff {
  private readonly table: Uint32Array;
  private readonly mask: number;
  private readonly tags: Uint32Array;
  private readonly checks: Uint32Array;
  private readonly fingerprints: Float64Array;
  private readonly statuses: Uint8Array;
  private readonly since: Uint32Array;
  private readonly acked: Uint32Array;
  /**
   * [hi, lo] of the id being looked up. Reads of it, and of the per-row arrays at a row rowOf
   * returned (table entries are row + 1 for rows < size, the arrays' length), are `as number`:
   * they run per customer and are in range by construction.
   */
  private readonly hashed = new Uint32Array(2);
  /** full resync: only customers acknowledged since the resync began count as unchanged (none without one). */
  private readonly oldestAck: number;

  private constructor(
    size: number,
    private readonly options: Pick<RunConfig, 'recheckNotFound' | 'fullResync'>,
    resyncFrom: number | undefined,
  ) {
    let slots = 1024;
    while (slots < 2 * size) slots *= 2;
    this.table = new Uint32Array(slots);
    this.mask = slots - 1;
    this.tags = new Uint32Array(size);
    this.checks = new Uint32Array(size);
    this.fingerprints = new Float64Array(size);
    this.statuses = new Uint8Array(size);
    this.since = new Uint32Array(size);
    this.acked = new Uint32Array(size);
    this.oldestAck = !options.fullResync ? 0 : (resyncFrom ?? Number.POSITIVE_INFINITY);
  }

  /** Loads a state that is not fresh: one scan of the database. */
  static load(state: SegmentState, options: Pick<RunConfig, 'recheckNotFound' | 'fullResync'>): StateDiff {
    const diff = new StateDiff(state.tracked, options, state.resyncFrom());
    let row = 0;
    for (const [id, fingerprint, status, since, acked] of state.scan()) {
      if (row >= state.tracked) throw new TypeError(`the state scanned more than the ${state.tracked} customers it tracks`);
      diff.insert(id, row);
      diff.fingerprints[row] = fingerprint;
      diff.statuses[row] = status;
      diff.since[row] = since;
      diff.acked[row] = acked;
      row++;
    }
    return diff;
  }

  /** A valid customer of tonight: unchanged (not to be sent), or undefined. Marks it present. */
  unchanged(id: string, fingerprint: number): Unchanged | undefined {
    const row = this.rowOf(id);
    if (row === undefined) return undefined;
    const status = (this.statuses[row] as number) & ~PRESENT;
    this.statuses[row] = status | PRESENT;
    if (this.fingerprints[row] !== fingerprint || (this.acked[row] as number) < this.oldestAck) return undefined;
    if (status === UPDATED) return { since: this.since[row] as number, notFound: false };
    if (status === NOT_FOUND && !this.options.recheckNotFound) return { since: this.since[row] as number, notFound: true };
    return undefined;
  }

  /** An id of tonight's input that is not sent (an invalid row, a customer a broken record spoiled): never cleared. */
  present(id: string): void {
    const row = this.rowOf(id);
    if (row !== undefined) this.statuses[row] = (this.statuses[row] as number) | PRESENT;
  }

  /**
   * mirror: the customers to clear, in id order: updated with segments, and not named by
   * tonight's input. A second scan of the state gives their ids (the table keeps none).
   */
  *absent(state: SegmentState): Generator<string> {
    let row = 0;
    for (const [id] of state.scan()) {
      if (this.statuses[row] === UPDATED && this.fingerprints[row] !== EMPTY_FINGERPRINT) yield id;
      row++;
    }
  }

  private insert(id: string, row: number): void {
    hashInto(id, this.hashed);
    let slot = (this.hashed[0] as number) & this.mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
    this.table[slot] = row + 1;
    this.tags[row] = this.hashed[1] as number;
    this.checks[row] = checkHash(id);
  }

  private rowOf(id: string): number | undefined {
    hashInto(id, this.hashed);
    const tag = this.hashed[1] as number;
    let check: number | undefined;
    for (let slot = (this.hashed[0] as number) & this.mask; ; slot = (slot + 1) & this.mask) {
      // `as number`: slot <= mask, and the table has mask + 1 slots.
      const ref = this.table[slot] as number;
      if (ref === 0) return undefined;
      if (this.tags[ref - 1] !== tag) continue;
      check ??= checkHash(id);
      if (this.checks[ref - 1] === check) return ref - 1;
    }
  }
}

/**
 * After pass 1: the long-layout customers, then mirror's clears. Undefined when `stop` ended it (a
 * signal: nothing was sent, the state is unchanged).
 */
export async function applyState(
  config: Pick<RunConfig, 'mode'>,
  intake: Intake,
  state: SegmentState,
  diff: StateDiff | undefined,
  stop: AbortSignal,
): Promise<StateFacts | undefined> {
  const { counts } = intake;
  // No state to compare with (diff is undefined): every customer is new, none is cleared.
  if (diff !== undefined && !(await diffLong(intake, diff, stop))) return undefined;
  const clears = config.mode === 'mirror' && diff !== undefined ? appendClears(intake, diff, state) : 0;
  counts.toClear += clears;
  return { file: state.file, fresh: state.fresh, tracked: state.tracked, unchanged: counts.unchanged, clears };
}

/** The long-layout customers, gathered: unchanged ones set aside; false when `stop` ended it. */
async function diffLong(intake: Intake, diff: StateDiff, stop: AbortSignal): Promise<boolean> {
  const { ledger, counts } = intake;
  for await (const customers of intake.spool.longCustomers()) {
    // A big long file takes a while to gather; SIGTERM must not wait for the end of it.
    if (stop.aborted) return false;
    for (const customer of customers) {
      // A customer a broken record spoiled is in the input, but not sent: like an invalid row.
      if (ledger.isSpoiled(customer.ordinal)) {
        diff.present(customer.id);
        continue;
      }
      const unchanged = diff.unchanged(customer.id, spooledFingerprint(customer));
      if (unchanged === undefined) continue;
      ledger.setUnchanged(customer.ordinal, unchanged.since, unchanged.notFound);
      counts.unchanged++;
      // Not sent, so it clears nothing: --max-clear counts what is sent.
      if (customer.clears) counts.toClear--;
    }
  }
  return true;
}

/** The fingerprint a run that keeps the state spooled with every customer (its absence is a bug). */
export function spooledFingerprint(customer: CustomerRow): number {
  if (customer.fingerprint === undefined) throw new TypeError(`customer ${customer.ordinal} was spooled without a fingerprint`);
  return customer.fingerprint;
}

/** mirror: the customers gone from the input, after the input's (spool, ledger, row log). */
function appendClears(intake: Intake, diff: StateDiff, state: SegmentState): number {
  const { ledger, rowLog } = intake;
  const first = ledger.customers;
  let count = 0;
  const ids = function* (): Generator<string> {
    for (const id of diff.absent(state)) {
      rowLog.absent(first + count, id);
      count++;
      yield id;
    }
  };
  intake.spool.appendClears(first, ids());
  ledger.openClears(count);
  return count;
}
