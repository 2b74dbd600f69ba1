/**
 * An exact set of document_ids that remembers where each was first seen, in 8 bytes of memory per
 * table slot whatever the ids' length — 11 to 21 bytes per id at the load the table keeps (10M ids:
 * a 128 MiB table; a Set<string> would take ~1 GB and stops at 2^24 entries) — plus the id log's
 * head, kept in memory up to a fixed size.
 *
 * Open addressing with linear probing over one Uint32Array of [tag, ref] slot pairs:
 *   - slot and tag both come from the hash's high half (hashHiInto): the slot is its low bits,
 *     the tag all 32, so one hash word is computed per row. The price: two distinct ids share all 32 bits with probability
 *     2^-32, so n ids meet about n²/2^33 false candidates, one compare each — 10M distinct ids:
 *     11,750, each a ~12-20 µs read in the file, 0.1-0.25 s in all. Not the low half: shards are
 *     cut by it (shardOf), so within a shard its low bits are all alike and would crowd every id
 *     into a fraction of the table;
 *   - ref points at the id's record in the id log (memory, then a temp file, see id-log.ts). A tag match is only
 *     a candidate: the stored id is read back and compared code unit by code unit, and a mismatch
 *     keeps probing. A hash collision therefore costs one read, never a customer.
 * Growth doubles the table in place and re-inserts every id of the log, hashed again. The table lives in a resizable ArrayBuffer so that its memory at peak is the new table only:
 * a dropped typed array is freed only at the next major GC, and with nothing else allocating during
 * the replay that came too late (10M ids peaked at 307 MB RSS instead of 212 MB).
 */
import { InputError } from '../../core/errors.js';
import { ID_INDEX_DEFAULTS } from './defaults.js';
import { hashHiInto, type IdHashHi } from './hash.js';
import { IdLog, type IdLocation } from './id-log.js';

export type { IdLocation } from './id-log.js';

export interface IdIndexOptions {
  /** Where the id log (a temp file) goes; it is removed by close() (on POSIX, already when opened). */
  dir: string;
  /** How many distinct ids to size the table for up front (saves the growth steps); a hint. */
  expectedIds?: number;
  /** Replaces the id hash (hashHiInto); for tests that force collisions. */
  hash?: IdHashHi;
  /**
   * The largest table, in slots (a power of two ≥ ID_INDEX_DEFAULTS.initialSlots); default
   * ID_INDEX_DEFAULTS.maxSlots. For tests of the limit, which would otherwise commit 4 GiB.
   */
  maxSlots?: number;
  /** The id log's head kept in memory (default: see memoryLogFor); 0 in tests of the file. */
  memoryLogBytes?: number;
}

const EMPTY_TABLE = new Uint32Array(0);

/** The ES2024 resizable ArrayBuffer (V8 has it since Node 20); the project's ES2023 typings lack it. */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

const SLOT_BYTES = 8;

function validateOptions(opts: IdIndexOptions): void {
  if (typeof opts.dir !== 'string' || opts.dir === '') {
    throw new TypeError(`IdIndex option dir must be a directory path, got ${JSON.stringify(opts.dir)}`);
  }
  const { expectedIds } = opts;
  if (expectedIds !== undefined && !(Number.isSafeInteger(expectedIds) && expectedIds >= 0)) {
    throw new RangeError(`IdIndex option expectedIds must be a whole number ≥ 0, got ${String(expectedIds)}`);
  }
  const { memoryLogBytes } = opts;
  if (memoryLogBytes !== undefined && !(Number.isSafeInteger(memoryLogBytes) && memoryLogBytes >= 0)) {
    throw new RangeError(`IdIndex option memoryLogBytes must be a whole number ≥ 0, got ${String(memoryLogBytes)}`);
  }
  const { maxSlots } = opts;
  if (maxSlots !== undefined) {
    const powerOfTwo = Number.isSafeInteger(maxSlots) && maxSlots > 0 && (maxSlots & (maxSlots - 1)) === 0;
    if (!powerOfTwo || maxSlots < ID_INDEX_DEFAULTS.initialSlots || maxSlots > ID_INDEX_DEFAULTS.maxSlots) {
      throw new RangeError(
        `IdIndex option maxSlots must be a power of two from ${ID_INDEX_DEFAULTS.initialSlots} to ${ID_INDEX_DEFAULTS.maxSlots}, got ${String(maxSlots)}`,
      );
    }
  }
}

/**
 * The id log's head kept in memory: all of it when the whole log is expected to fit in
 * ID_INDEX_DEFAULTS.memoryLogBytes, none when more ids are expected. Files of many ids then keep
 * their memory for the table (10M ids: 128 MiB) and read ids back from the file for duplicates.
 */
function memoryLogFor(expectedIds: number): number {
  return expectedIds * ID_INDEX_DEFAULTS.expectedLogBytesPerId <= ID_INDEX_DEFAULTS.memoryLogBytes ? ID_INDEX_DEFAULTS.memoryLogBytes : 0;
}

/** The smallest power-of-two slot count that holds `ids` below the load limit. */
function slotsFor(ids: number): number {
  let slots = ID_INDEX_DEFAULTS.initialSlots;
  while (slots * ID_INDEX_DEFAULTS.maxLoad < ids) slots *= 2;
  return slots;
}

function tableFull(maxSlots: number): InputError {
  return new InputError(
    'ID_INDEX_FULL',
    `too many distinct document_id values for one run (the id index holds at most ` +
      `${maxSlots * ID_INDEX_DEFAULTS.maxLoad}); split the input or run it in shards (--shard)`,
  );
}

export class IdIndex {
  private readonly maxSlots: number;
  /** Reserves address space for the largest table; only the current size is committed memory. */
  private readonly memory: ResizableArrayBuffer;
  private table: Uint32Array = EMPTY_TABLE;
  private mask = 0;
  private growAt = 0;
  private count = 0;
  private readonly hash: IdHashHi;
  /**
   * The hash of the id being probed, in [0]: reused so that the hot path allocates nothing (a u32
   * passed as a number may be boxed). It has one word for good, so reads of [0] are `as number`.
   */
  private readonly hashed = new Uint32Array(1);
  private readonly log: IdLog;
  /**
   * The table size the hint asks for, applied on the first insert (0 once applied or not larger
   * than the table). Not at construction: the hint may be replaced first (expect()), and shrinking
   * a resizable buffer writes zeros over the whole tail it gives up, so an oversized table
   * committed at construction would cost its full size in RSS even if dropped before any id.
   */
  private presizeSlots = 0;
  /** prefetch's scratch: where each id's probe starts (grows to the largest chunk of rows). */
  private starts = new Uint32Array(1024);
  /** What prefetch read, kept so that its reads are not optimised away. */
  private prefetched = 0;

  constructor(opts: IdIndexOptions) {
    validateOptions(opts);
    this.hash = opts.hash ?? hashHiInto;
    this.maxSlots = opts.maxSlots ?? ID_INDEX_DEFAULTS.maxSlots;
    this.memory = new ResizableArrayBuffer(0, { maxByteLength: SLOT_BYTES * this.maxSlots });
    this.allocate(ID_INDEX_DEFAULTS.initialSlots);
    this.expect(opts.expectedIds ?? 0);
    this.log = new IdLog({
      dir: opts.dir,
      writeBufferBytes: ID_INDEX_DEFAULTS.writeBufferBytes,
      memoryBytes: opts.memoryLogBytes ?? memoryLogFor(opts.expectedIds ?? 0),
    });
  }

  /**
   * Records the id as first seen `at` if new and returns undefined; else returns where it was first
   * seen. `at`'s numbers are copied: the caller may reuse the object.
   */
  firstSeen(id: string, at: IdLocation): IdLocation | undefined {
    if (this.presizeSlots !== 0) this.presize();
    const probe = this.probe(id);
    if (typeof probe !== 'number') return probe;
    this.fill(probe, this.hashed[0] as number, this.log.append(id, at));
    if (++this.count > this.growAt) this.grow();
    return undefined;
  }

  /**
   * Reads the slot where each of these ids' probe starts, all in one tight loop, so that the
   * firstSeen calls for them that follow find their slots in the cache. Only a hint: it changes
   * nothing (a slot that moves when the table grows meanwhile is just not in the cache). A slot
   * read that the next step waits on costs a trip to memory: at 1M ids the table is 16 MiB, and
   * probing took ~0.4 s of a narrow 1M-row dry run's ~1.7 s pass on this project's machines.
   * Reads that wait on nothing overlap: that run's classify step went from ~840 to ~720 ms
   * (medians of 10 alternated runs), hashing every id twice included (~25 ms).
   */
  prefetch(rows: readonly { readonly id: string }[]): void {
    if (this.table === EMPTY_TABLE) throw new Error('the id index is closed');
    // Not before the first id: the table is still empty, and the size hint must wait for it (the
    // first long record replaces it, see expect(); applied here, a 30M-row long file committed a
    // table for 30M ids).
    if (this.count === 0) return;
    const n = rows.length;
    if (this.starts.length < n) this.starts = new Uint32Array(n);
    const { starts, hashed, mask, table } = this;
    for (let i = 0; i < n; i++) {
      this.hash((rows[i] as { readonly id: string }).id, hashed);
      starts[i] = 2 * ((hashed[0] as number) & mask) + 1;
    }
    let read = 0;
    // `as number`: each start is below 2 * (mask + 1), the table's length.
    for (let i = 0; i < n; i++) read += table[starts[i] as number] as number;
    this.prefetched = read;
  }

  /** Where the id was first seen, or undefined if it never was. Inserts nothing. */
  lookup(id: string): IdLocation | undefined {
    const probe = this.probe(id);
    return typeof probe === 'number' ? undefined : probe;
  }

  /**
   * Sizes the table for `ids` ids (0: the smallest, growing as it fills) when the first id comes,
   * replacing the constructor's hint. A hint is often an estimate: a huge one is capped, and the
   * index still grows if it was low. The job's estimate counts rows, and long-layout rows are
   * records, several per customer: a table sized for them would be several times too large (it is
   * committed as it fills), so the job replaces it. Ignored once an id is in.
   */
  expect(ids: number): void {
    if (this.count !== 0) return;
    const slots = slotsFor(Math.min(ids, this.maxSlots * ID_INDEX_DEFAULTS.maxLoad));
    this.presizeSlots = slots > this.mask + 1 ? slots : 0;
  }

  /** Distinct ids recorded. */
  get size(): number {
    return this.count;
  }

  /** Memory held by the index: the table plus the log's buffers (the log itself is on disk). */
  memoryBytes(): number {
    return this.table.byteLength + this.log.memoryBytes();
  }

  /** Releases the table and removes the id log. Idempotent; the index is unusable afterwards. */
  close(): void {
    this.table = EMPTY_TABLE;
    this.memory.resize(0);
    this.log.close();
  }

  /** The id's location if present; else the number of the empty slot where it belongs. */
  private probe(id: string): IdLocation | number {
    const table = this.table;
    if (table === EMPTY_TABLE) throw new Error('the id index is closed');
    this.hash(id, this.hashed);
    const hash = this.hashed[0] as number;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      // `as number`: slot <= mask and the table has 2 * (mask + 1) words.
      const ref = table[2 * slot + 1] as number;
      if (ref === 0) return slot;
      if (table[2 * slot] === hash) {
        const found = this.log.find(ref, id);
        if (found !== undefined) return found;
      }
    }
  }

  private fill(slot: number, tag: number, ref: number): void {
    this.table[2 * slot] = tag;
    this.table[2 * slot + 1] = ref;
  }

  /** Applies the size hint to the still-empty table (growing a resizable buffer writes nothing). */
  private presize(): void {
    const slots = this.presizeSlots;
    this.presizeSlots = 0;
    if (this.table !== EMPTY_TABLE) this.allocate(slots);
  }

  /** Resizes the table to `slots` empty slots. */
  private allocate(slots: number): void {
    const used = this.table.length;
    this.memory.resize(SLOT_BYTES * slots);
    // A fixed-length view (re-made at each resize) reads a little faster than a length-tracking one.
    this.table = new Uint32Array(this.memory, 0, 2 * slots);
    // Growing zero-fills the new part (and leaves it uncommitted until written); the old table's
    // slots are cleared here.
    this.table.fill(0, 0, Math.min(used, this.table.length));
    this.mask = slots - 1;
    this.growAt = Math.floor(slots * ID_INDEX_DEFAULTS.maxLoad);
  }

  /**
   * Doubles the table and re-inserts every id of the log, hashed again (ids there are distinct, so
   * no comparisons). Rare: the table is sized for the input up front; a long-layout run, sized for
   * 0, grows ~log2(customers / 1024) times, replaying twice its ids in all.
   */
  private grow(): void {
    const slots = 2 * (this.mask + 1);
    if (slots > this.maxSlots) throw tableFull(this.maxSlots);
    this.allocate(slots);
    const { table, mask, hashed } = this;
    this.log.forEachId((id, ref) => {
      this.hash(id, hashed);
      const hash = hashed[0] as number;
      let slot = hash & mask;
      while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = hash;
      table[2 * slot + 1] = ref;
    });
  }
}
