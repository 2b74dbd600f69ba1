/**
 * --mode diff and mirror: what the incremental state says of tonight's customers.
 *
 *   1. before pass 1, the state is loaded into an in-memory table (StateDiff over the state's
 *      StateTable): from the state's table file when it matches the database, else one sequential
 *      scan of the database; ~46 bytes per customer tracked whatever the ids' length (32-byte
 *      records at a load factor of 0.7)
 *   2. pass 1 asks it of every wide or json customer as it is met: an unchanged one (the endpoint
 *      acknowledged these very segments) is set aside in the ledger and never spooled, so the spool
 *      holds only what will be sent; invalid rows mark their ids present (never cleared). The same
 *      lookup dedupes the ids the state tracks (StateFirstSeen)
 *   3. after pass 1 (applyState), the long-layout customers, whose segments are known only once
 *      gathered; then mirror's clears: the customers the state holds segments for that tonight's
 *      input does not name get ordinals after the input's, a spool entry and a results.csv row
 *
 * Deciding in pass 1 is what keeps a night with 1% changed near the cost of a dry run: staging
 * every fingerprint in SQLite and joining cost as much as pass 1 itself, and spooling every
 * customer's JSON as much again, to send 1% of them. The state is written only as the endpoint
 * acknowledges requests (see send-pass.ts, stateAcks): this step reads.
 */
import { EMPTY_FINGERPRINT, MET_MAX, type SegmentState, type StateTable } from '../state/index.js';
import type { RunConfig } from '../config/run-options.js';
import type { CustomerRow } from '../core/types.js';
import { checkLocation, type IdIndex, type IdLocation } from './dedupe/index.js';
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

/** An unchanged customer: the run whose answer recorded its segments, and whether it was not found. */
export interface Unchanged {
  since: number;
  notFound: boolean;
}

/**
 * The state, loaded for one run's questions (see the file header): the state's in-memory table
 * (src/state/state-table.ts), whose rows this run marks as tonight's input names them.
 */
export class StateDiff {
  /** full resync: only customers acknowledged since the resync began count as unchanged (none without one). */
  private readonly oldestAck: number;
  /**
   * The last id looked up and its row: pass 1 asks of each customer twice in a row (dedupe, then
   * unchanged), and the second lookup would hash the id and read its record again. Kept with the
   * table's words it is valid for (the table re-places its rows when it grows).
   */
  private lastId: string | undefined;
  private lastRow = -1;
  private lastWords: Uint32Array | undefined;

  private constructor(
    private readonly table: StateTable,
    private readonly options: Pick<RunConfig, 'recheckNotFound' | 'fullResync'>,
    resyncFrom: number | undefined,
  ) {
    this.oldestAck = !options.fullResync ? 0 : (resyncFrom ?? Number.POSITIVE_INFINITY);
  }

  /** Loads a state that is not fresh (SegmentState.loadTable). */
  static load(state: SegmentState, options: Pick<RunConfig, 'recheckNotFound' | 'fullResync'>): StateDiff {
    return new StateDiff(state.loadTable(), options, state.resyncFrom());
  }

  /** Tracked customers: the ids pass 1 can dedupe in the table (see dedupe). */
  get tracked(): number {
    return this.table.size;
  }

  /**
   * Pass 1's dedupe for this night: the ids the state tracks are told apart by its table (see
   * StateFirstSeen), the others by `index`, exactly.
   */
  dedupe(index: IdIndex, noteLimit?: number): StateFirstSeen {
    return new StateFirstSeen(this, this.table, index, noteLimit);
  }

  /** The row of an id in the table, or -1. */
  rowOf(id: string): number {
    const { table } = this;
    if (id === this.lastId && table.words === this.lastWords) return this.lastRow;
    const row = table.rowOf(id);
    this.lastId = id;
    this.lastRow = row;
    this.lastWords = table.words;
    return row;
  }

  /** A valid customer of tonight: unchanged (not to be sent), or undefined. Marks it present. */
  unchanged(id: string, fingerprint: number): Unchanged | undefined {
    const { table } = this;
    const row = this.rowOf(id);
    if (row < 0) return undefined;
    table.mark(row);
    if (table.fingerprint(row) !== fingerprint || table.acked(row) < this.oldestAck) return undefined;
    const status = table.status(row);
    if (status === UPDATED) return { since: table.since(row), notFound: false };
    if (status === NOT_FOUND && !this.options.recheckNotFound) return { since: table.since(row), notFound: true };
    return undefined;
  }

  /** An id of tonight's input that is not sent (an invalid row, a customer a broken record spoiled): never cleared. */
  present(id: string): void {
    const row = this.rowOf(id);
    if (row >= 0) this.table.mark(row);
  }

  /**
   * mirror: the customers to clear, in id order: updated with segments, and not named by
   * tonight's input. The table keeps no ids and its rows are not in id order (a night's new
   * customers are added at the end): a scan of the state gives the ids, each looked up. No scan
   * when nobody is to be cleared.
   */
  *absent(state: SegmentState): Generator<string> {
    const { table } = this;
    let gone = 0;
    for (let row = 0; row < table.slots; row++) if (table.isRow(row) && this.clears(row)) gone++;
    if (gone === 0) return;
    for (const [id] of state.scan()) {
      const row = table.rowOf(id);
      if (row >= 0 && this.clears(row)) yield id;
    }
  }

  /** Updated with segments, and not named tonight. */
  private clears(row: number): boolean {
    const { table } = this;
    return !table.isMarked(row) && table.status(row) === UPDATED && table.fingerprint(row) !== EMPTY_FINGERPRINT;
  }
}

/**
 * Pass 1's dedupe (the Classifier's `ids`) on a diff or mirror night. Most of a night's customers
 * are ones the state already tracks, and pass 1 looks each of them up in the state's table anyway
 * (unchanged?): that lookup also tells whether the id was met before tonight, by a note in the
 * row's own record (StateTable.met: no other memory is touched at random), which numbers the
 * first meeting; where it was, for a duplicate to name, is kept in meeting order. Only ids new to
 * the state go to the exact id index, whose table and log (~35 bytes an id, the table's in random
 * pages) cost a 2M-customer night ~0.8 s.
 *
 * The table tells its customers apart by 96 bits of the id's hash, as the state itself does (two
 * ids alike in all of them would already be one customer to the state; a chance of 2^-64 per
 * lookup, see state-table.ts), so deduping by it is exact for the same ids the diff is.
 */
export class StateFirstSeen {
  /** Per first meeting of a tracked id (k = its met note - 1): [ordinal, line], written in order. */
  private readonly meetings: Uint32Array;
  /** Per first meeting: its file, once a file after the first has one (else all 0). */
  private files: Uint32Array | undefined;
  /** Meetings numbered noteLimit - 1 and up (beyond the note's 24 bits): row → meeting. */
  private overflow: Map<number, number> | undefined;
  private count = 0;

  constructor(
    private readonly diff: StateDiff,
    private readonly table: StateTable,
    private readonly index: IdIndex,
    /** The largest met note used (MET_MAX); smaller in tests of the overflow. */
    private readonly noteLimit = MET_MAX,
  ) {
    // A tracked id is met first once at most: a meeting per tracked customer.
    this.meetings = new Uint32Array(2 * table.size);
  }

  firstSeen(id: string, at: IdLocation): IdLocation | undefined {
    const row = this.diff.rowOf(id);
    if (row < 0) return this.index.firstSeen(id, at);
    const { meetings, table } = this;
    const met = table.met(row);
    if (met !== 0) {
      const k = met === this.noteLimit ? this.overflow?.get(row) : met - 1;
      if (k === undefined) throw new TypeError(`state row ${row} is noted as met beyond the notes, but is not in the overflow`);
      return { file: this.files?.[k] ?? 0, line: meetings[2 * k + 1] as number, ordinal: meetings[2 * k] as number };
    }
    checkLocation(at);
    const { file, line, ordinal } = at;
    const k = this.count++;
    if (2 * k >= meetings.length) throw new TypeError(`more first meetings than the ${table.size} customers the state tracks`);
    meetings[2 * k] = ordinal;
    meetings[2 * k + 1] = line;
    if (file !== 0) (this.files ??= new Uint32Array(meetings.length / 2))[k] = file;
    if (k + 1 < this.noteLimit) {
      table.setMet(row, k + 1);
    } else {
      table.setMet(row, this.noteLimit);
      (this.overflow ??= new Map()).set(row, k);
    }
    return undefined;
  }

  /** Forwarded to the id index (the classifier re-sizes it on the first long record). */
  expect(ids: number): void {
    this.index.expect(ids);
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
