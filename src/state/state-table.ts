/**
 * The segment state in memory: every customer the state tracks, as a fixed-size record told apart
 * by 96 bits of its id's hash (the ids themselves stay in the database), placed by the high half of
 * that hash. A diff or mirror run loads it once
 * before pass 1 (SegmentState.loadTable) and the job asks it of every customer it meets
 * (src/pipeline/incremental.ts, StateDiff).
 *
 * One record per customer, its fields side by side (32 bytes, in one page), in the open-addressing
 * table itself rather than one typed array per field beside a table of row numbers: a night's
 * lookups come in the input's order, random to the table, and on these virtual machines each
 * random access to another page is a TLB miss that costs about half a microsecond, more than the
 * rest of the lookup. With seven arrays a lookup touched seven pages, with a table of row numbers
 * two; now one.
 *
 * Two ids alike in all 96 bits, the only way to mistake one customer for another, are a chance of
 * 1 in 2^64 per lookup: far below the 2^-53 of the fingerprints. Reading each id back to compare it
 * (as the dedupe index does) cost a random read per customer, 10 µs each.
 *
 * The arrays are also what the state's table file holds (state-table-file.ts), byte for byte.
 */
import { checkHash, hashInto } from '../pipeline/dedupe/index.js';

/** 32-bit words per record: fp (a float64, words 0-1), hi, lo, check, since, acked, status (0: an empty slot). */
export const RECORD_WORDS = 8;
const W_HI = 2;
const W_LO = 3;
const W_CHECK = 4;
const W_SINCE = 5;
const W_ACKED = 6;
const W_STATUS = 7;
/**
 * The status word holds the status in its low 7 bits; the rest is the run's own notes on a row,
 * never stored (clearMarks clears them before the table file is written):
 *   - MARK: named by tonight's input (StateDiff);
 *   - bits 8 to 31, `met`: pass 1 met the id, and where to find its first occurrence (StateFirstSeen).
 * They share the record's word because a note elsewhere is another random memory access per
 * customer (a row-indexed array beside the table cost a 2M night ~0.45 s).
 */
const STATUS_BITS = 0x7f;
const MARK = 0x80;
const MET_SHIFT = 8;
/** The largest `met` note (24 bits). */
export const MET_MAX = 0xffffff;
const MIN_SLOTS = 64;
/** Slots per customer when a table is sized (a load factor of 0.7), and the load factor at which it grows. */
const SLOTS_PER_CUSTOMER = 1 / 0.7;
const MAX_LOAD = 0.8;

/** Slots for a table of `customers` (a load factor of 0.7, at least MIN_SLOTS). */
export function slotsFor(customers: number): number {
  return Math.max(MIN_SLOTS, Math.ceil(customers * SLOTS_PER_CUSTOMER));
}

/** Whether a table of `slots` slots may hold `customers` (the file check, and growth). */
export function fits(customers: number, slots: number): boolean {
  return customers <= slots * MAX_LOAD && slots >= MIN_SLOTS;
}

/** The first slot an id's hash places it in: the high half scaled to the slots (any count, not only a power of two). */
function home(hi: number, slots: number): number {
  return Math.floor((hi / 4294967296) * slots);
}

/** [hi, lo] of the id being looked up or added (JS is single-threaded and nothing here re-enters). */
const hashed = new Uint32Array(2);

/**
 * Linear probing over the records themselves: a lookup reads one record, and the next few when
 * the slot is taken (the same page, most often). A row is a slot number.
 */
export class StateTable {
  /** The slots; `fps` views the same bytes (a record is 4 float64s or 8 words). */
  words: Uint32Array;
  private fps: Float64Array;
  private slotCount: number;
  /** Customers held. */
  size: number;

  constructor(capacity: number, from?: { words: Uint32Array; size: number }) {
    this.words = from?.words ?? new Uint32Array(slotsFor(capacity) * RECORD_WORDS);
    this.size = from?.size ?? 0;
    this.slotCount = this.words.length / RECORD_WORDS;
    this.fps = new Float64Array(this.words.buffer, this.words.byteOffset, this.words.length / 2);
  }

  /** Slots, taken or not: rows are 0 to slots - 1, and a row is in use when isRow(row). */
  get slots(): number {
    return this.slotCount;
  }

  isRow(row: number): boolean {
    return this.words[row * RECORD_WORDS + W_STATUS] !== 0;
  }

  /** A customer the table does not hold yet (a caller that is not sure asks rowOf first); returns its row. */
  add(id: string, fingerprint: number, status: number, since: number, acked: number): number {
    if (status === 0 || (status & ~STATUS_BITS) !== 0) throw new TypeError(`StateTable.add: status ${status} is not a state's status`);
    if (!fits(this.size + 1, this.slotCount)) this.grow(slotsFor(2 * (this.size + 1)));
    hashInto(id, hashed);
    const row = this.free(hashed[0] as number);
    const base = row * RECORD_WORDS;
    this.words[base + W_HI] = hashed[0] as number;
    this.words[base + W_LO] = hashed[1] as number;
    this.words[base + W_CHECK] = checkHash(id);
    this.set(row, fingerprint, status, since, acked);
    this.size++;
    return row;
  }

  /** Overwrites a row's fields (its run notes stay). */
  set(row: number, fingerprint: number, status: number, since: number, acked: number): void {
    const base = row * RECORD_WORDS;
    this.fps[base / 2] = fingerprint;
    this.words[base + W_SINCE] = since;
    this.words[base + W_ACKED] = acked;
    this.words[base + W_STATUS] = ((status & STATUS_BITS) | ((this.words[base + W_STATUS] as number) & ~STATUS_BITS)) >>> 0;
  }

  /** The row of an id, or -1. Reads of the array are `as number`: in range by construction. */
  rowOf(id: string): number {
    hashInto(id, hashed);
    const hi = hashed[0] as number;
    const lo = hashed[1] as number;
    const { words, slotCount } = this;
    let check = -1;
    for (let row = home(hi, slotCount); ;) {
      const base = row * RECORD_WORDS;
      if (words[base + W_STATUS] === 0) return -1;
      if (words[base + W_LO] === lo && words[base + W_HI] === hi) {
        if (check === -1) check = checkHash(id);
        if (words[base + W_CHECK] === check) return row;
      }
      if (++row === slotCount) row = 0;
    }
  }

  fingerprint(row: number): number {
    return this.fps[row * (RECORD_WORDS / 2)] as number;
  }

  /** The stored status (1 updated, 2 not_found), without the run's notes. */
  status(row: number): number {
    return (this.words[row * RECORD_WORDS + W_STATUS] as number) & STATUS_BITS;
  }

  since(row: number): number {
    return this.words[row * RECORD_WORDS + W_SINCE] as number;
  }

  acked(row: number): number {
    return this.words[row * RECORD_WORDS + W_ACKED] as number;
  }

  /** Marks a row. */
  mark(row: number): void {
    const at = row * RECORD_WORDS + W_STATUS;
    this.words[at] = (this.words[at] as number) | MARK;
  }

  isMarked(row: number): boolean {
    return ((this.words[row * RECORD_WORDS + W_STATUS] as number) & MARK) !== 0;
  }

  /** The row's `met` note (0: none yet). */
  met(row: number): number {
    return (this.words[row * RECORD_WORDS + W_STATUS] as number) >>> MET_SHIFT;
  }

  /** Sets the row's `met` note, 1 to MET_MAX. */
  setMet(row: number, value: number): void {
    if (!(Number.isInteger(value) && value >= 1 && value <= MET_MAX)) throw new RangeError(`a met note is 1 to ${MET_MAX}, got ${value}`);
    const at = row * RECORD_WORDS + W_STATUS;
    this.words[at] = (((this.words[at] as number) & (STATUS_BITS | MARK)) | (value << MET_SHIFT)) >>> 0;
  }

  /** Every run note gone (marks, met): what the table file holds has none. */
  clearMarks(): void {
    const { words } = this;
    for (let at = W_STATUS; at < words.length; at += RECORD_WORDS) words[at] = (words[at] as number) & STATUS_BITS;
  }

  /** The first empty slot from an id's home. */
  private free(hi: number): number {
    const { words, slotCount } = this;
    let row = home(hi, slotCount);
    while (words[row * RECORD_WORDS + W_STATUS] !== 0) if (++row === slotCount) row = 0;
    return row;
  }

  /** Every record placed again in `slots` slots. */
  private grow(slots: number): void {
    const old = this.words;
    this.words = new Uint32Array(slots * RECORD_WORDS);
    this.slotCount = slots;
    this.fps = new Float64Array(this.words.buffer, 0, this.words.length / 2);
    for (let base = 0; base < old.length; base += RECORD_WORDS) {
      if (old[base + W_STATUS] === 0) continue;
      const row = this.free(old[base + W_HI] as number);
      this.words.set(old.subarray(base, base + RECORD_WORDS), row * RECORD_WORDS);
    }
  }
}
