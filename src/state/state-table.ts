/**
 * The segment state in memory: every customer the state tracks, as a fixed-size record told apart
 * by 96 bits of its id's hash (the ids themselves stay in the database), with an open-addressing
 * table of row numbers placed by the high half of that hash. A diff or mirror run loads it once
 * before pass 1 (SegmentState.loadTable) and the job asks it of every customer it meets
 * (src/pipeline/incremental.ts, StateDiff).
 *
 * One record per customer, its fields side by side (32 bytes: two cache lines at most, one page),
 * rather than one typed array per field: a night's lookups come in the input's order, random to the
 * table, and on these virtual machines each random access to another page is a TLB miss that costs
 * about as much as the rest of the lookup. With seven arrays a lookup touched seven pages.
 *
 * Two ids alike in all 96 bits, the only way to mistake one customer for another, are a chance of
 * 1 in 2^64 per lookup: far below the 2^-53 of the fingerprints. Reading each id back to compare it
 * (as the dedupe index does) cost a random read per customer, 10 µs each.
 *
 * The arrays are also what the state's table file holds (state-table-file.ts), byte for byte.
 */
import { checkHash, hashInto } from '../pipeline/dedupe/index.js';

/** 32-bit words per record: fp (a float64, words 0-1), hi, lo, check, since, acked, status. */
export const RECORD_WORDS = 8;
const W_HI = 2;
const W_LO = 3;
const W_CHECK = 4;
const W_SINCE = 5;
const W_ACKED = 6;
const W_STATUS = 7;
/** A bit of the status word the job may set on a row (StateDiff: named by tonight's input); never stored. */
const MARK = 0x80;
const MIN_SLOTS = 1024;

/** The smallest power of two ≥ 2 × customers (a load factor of at most one half), at least MIN_SLOTS. */
export function slotsFor(customers: number): number {
  let slots = MIN_SLOTS;
  while (slots < 2 * customers) slots *= 2;
  return slots;
}

/** [hi, lo] of the id being looked up or added (JS is single-threaded and nothing here re-enters). */
const hashed = new Uint32Array(2);

export class StateTable {
  /** Row + 1 per slot, 0 for an empty slot. */
  slots: Uint32Array;
  private mask: number;
  /** The records; `fps` and `words` view the same bytes (a record is 4 float64s or 8 words). */
  private fps: Float64Array;
  words: Uint32Array;
  /** Rows in use. */
  size = 0;

  constructor(capacity: number, from?: { slots: Uint32Array; words: Uint32Array; size: number }) {
    if (from !== undefined) {
      this.slots = from.slots;
      this.words = from.words;
      this.size = from.size;
    } else {
      this.slots = new Uint32Array(slotsFor(capacity));
      this.words = new Uint32Array(Math.max(capacity, 1) * RECORD_WORDS);
    }
    this.mask = this.slots.length - 1;
    this.fps = new Float64Array(this.words.buffer, this.words.byteOffset, this.words.length / 2);
  }

  /** Customers the records have room for before they grow. */
  get capacity(): number {
    return this.words.length / RECORD_WORDS;
  }

  /** A customer the table does not hold yet (a caller that is not sure asks rowOf first); returns its row. */
  add(id: string, fingerprint: number, status: number, since: number, acked: number): number {
    if (this.size === this.capacity) this.growRecords(this.size * 2);
    if (2 * (this.size + 1) > this.slots.length) this.growSlots();
    const row = this.size++;
    hashInto(id, hashed);
    const base = row * RECORD_WORDS;
    this.words[base + W_HI] = hashed[0] as number;
    this.words[base + W_LO] = hashed[1] as number;
    this.words[base + W_CHECK] = checkHash(id);
    this.set(row, fingerprint, status, since, acked);
    this.place(row);
    return row;
  }

  /** Overwrites a row's fields (its mark stays). */
  set(row: number, fingerprint: number, status: number, since: number, acked: number): void {
    const base = row * RECORD_WORDS;
    this.fps[base / 2] = fingerprint;
    this.words[base + W_SINCE] = since;
    this.words[base + W_ACKED] = acked;
    this.words[base + W_STATUS] = (status & ~MARK) | ((this.words[base + W_STATUS] as number) & MARK);
  }

  /** The row of an id, or -1. Reads of the arrays are `as number`: in range by construction. */
  rowOf(id: string): number {
    hashInto(id, hashed);
    const hi = hashed[0] as number;
    const lo = hashed[1] as number;
    const { slots, words, mask } = this;
    let check = -1;
    for (let slot = hi & mask; ; slot = (slot + 1) & mask) {
      const ref = slots[slot] as number;
      if (ref === 0) return -1;
      const base = (ref - 1) * RECORD_WORDS;
      if (words[base + W_LO] !== lo || words[base + W_HI] !== hi) continue;
      if (check === -1) check = checkHash(id);
      if (words[base + W_CHECK] === check) return ref - 1;
    }
  }

  fingerprint(row: number): number {
    return this.fps[row * (RECORD_WORDS / 2)] as number;
  }

  /** The stored status (1 updated, 2 not_found), without the mark. */
  status(row: number): number {
    return (this.words[row * RECORD_WORDS + W_STATUS] as number) & ~MARK;
  }

  since(row: number): number {
    return this.words[row * RECORD_WORDS + W_SINCE] as number;
  }

  acked(row: number): number {
    return this.words[row * RECORD_WORDS + W_ACKED] as number;
  }

  /** Marks a row; returns whether it was marked already. */
  mark(row: number): boolean {
    const at = row * RECORD_WORDS + W_STATUS;
    const status = this.words[at] as number;
    this.words[at] = status | MARK;
    return (status & MARK) !== 0;
  }

  isMarked(row: number): boolean {
    return ((this.words[row * RECORD_WORDS + W_STATUS] as number) & MARK) !== 0;
  }

  /** Every mark gone: what the table file holds has none. */
  clearMarks(): void {
    const { words } = this;
    for (let at = W_STATUS; at < this.size * RECORD_WORDS; at += RECORD_WORDS) words[at] = (words[at] as number) & ~MARK;
  }

  /** The records in use, as they are written to the table file. */
  usedWords(): Uint32Array {
    return this.words.subarray(0, this.size * RECORD_WORDS);
  }

  private place(row: number): void {
    const { slots, mask } = this;
    let slot = (this.words[row * RECORD_WORDS + W_HI] as number) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = row + 1;
  }

  /** Room for `capacity` customers. */
  private growRecords(capacity: number): void {
    const words = new Uint32Array(Math.max(capacity, 1) * RECORD_WORDS);
    words.set(this.usedWords());
    this.words = words;
    this.fps = new Float64Array(words.buffer, 0, words.length / 2);
  }

  /** Twice the slots, every row placed again: the load factor stays at most one half. */
  private growSlots(): void {
    this.slots = new Uint32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let row = 0; row < this.size; row++) this.place(row);
  }
}
