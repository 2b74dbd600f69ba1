/**
 * The fingerprint of a customer's segments, as the incremental state keeps it: what lets a night's
 * export be compared with what the endpoint last acknowledged without keeping the segments.
 *
 * Segments are a set: the order of columns or rows is no change, and a repeated (type, value) pair
 * counts once. Type and value are compared exactly as sent (the input stage has trimmed them). Null
 * segments and [] both mean "no segments", so they share EMPTY_FINGERPRINT.
 *
 * The pairs are sorted by type, then value, repeats skipped, and fed to two independent 32-bit
 * multiply-xorshift hashes as (length, code units) of each type and value: lengths make the stream
 * parse back one way only, so it is a canonical form of the set, hashed without building a string
 * (building one per customer, from the wire JSON and then from pieces, cost more than the parse).
 * Each lane ends with murmur3's finaliser; 53 bits are kept, a safe integer that SQLite stores as an
 * INTEGER: a changed customer is mistaken for an unchanged one with odds of 2^-53.
 *
 * STABILITY: the state compares tonight's fingerprints with ones written by earlier builds. Change
 * the canonical form or the hash only together with FINGERPRINT_SCHEME, which makes the next run a
 * visible full resync instead of a silently wrong diff.
 */
import { fmix32 } from '../pipeline/dedupe/index.js';
import type { Segment, WideShape } from '../core/types.js';

/** Bump whenever `fingerprintOf` would give another value for the same segments. */
export const FINGERPRINT_SCHEME = 3;

const { imul } = Math;
const SEED_A = 0x9e3779b9;
const SEED_B = 0x85ebca77;
const MUL_A = 0x5bd1e995;
const MUL_B = 0x27d4eb2f;
const HI_FACTOR = 2 ** 21;
/** Customers with more segments than this are sorted by Array.prototype.sort (a copy); fewer, by insertion into `order`. */
const SMALL = 16;

/**
 * The segments of the customer being hashed, in canonical order (JS is single-threaded and this
 * does not re-enter): sorting a reused array by insertion costs less than copying and sorting
 * through a comparator, for the few segments a customer has.
 */
const order: Segment[] = [];

/** The two lanes, while one customer is hashed; mixText works on locals and stores them back once per text. */
let laneA = SEED_A;
let laneB = SEED_B;

/** A text as (length, code units) into both lanes; the length as two 16-bit units (a text may be longer than 65,535). */
function mixText(text: string): void {
  const n = text.length;
  let a = imul(laneA ^ (n & 0xffff), MUL_A);
  a ^= a >>> 15;
  let b = imul(laneB ^ (n & 0xffff), MUL_B);
  b ^= b >>> 13;
  a = imul(a ^ (n >>> 16), MUL_A);
  a ^= a >>> 15;
  b = imul(b ^ (n >>> 16), MUL_B);
  b ^= b >>> 13;
  for (let i = 0; i < n; i++) {
    const unit = text.charCodeAt(i);
    a = imul(a ^ unit, MUL_A);
    a ^= a >>> 15;
    b = imul(b ^ unit, MUL_B);
    b ^= b >>> 13;
  }
  laneA = a;
  laneB = b;
}

/** The fingerprint of a customer's segments (null and [] alike: no segments). */
export function fingerprintOf(segments: readonly Segment[] | null): number {
  if (segments === null || segments.length === 0) return EMPTY_FINGERPRINT;
  const n = segments.length;
  const sorted = n === 1 ? segments : n > SMALL ? [...segments].sort(bySegment) : sortedInOrder(segments);
  laneA = SEED_A;
  laneB = SEED_B;
  let previous: Segment | undefined;
  for (let i = 0; i < n; i++) {
    const segment = sorted[i] as Segment;
    if (previous !== undefined && previous.type === segment.type && previous.value === segment.value) continue;
    previous = segment;
    mixText(segment.type);
    mixText(segment.value);
  }
  return finish(laneA, laneB);
}

/**
 * fingerprintOf the segments of a wide row's cells (InputRow.cells), without building them: the
 * types are distinct, so `shape.order` is the canonical order, and no pair repeats.
 */
export function fingerprintOfCells(shape: WideShape, cells: readonly string[]): number {
  const { order, types } = shape;
  let any = false;
  laneA = SEED_A;
  laneB = SEED_B;
  for (let i = 0; i < order.length; i++) {
    const column = order[i] as number;
    const value = cells[column] as string;
    if (value === '') continue;
    any = true;
    mixText(types[column] as string);
    mixText(value);
  }
  return any ? finish(laneA, laneB) : EMPTY_FINGERPRINT;
}

/**
 * `segments` sorted by type, then value, into order[0 … n) (insertion sort; ties are repeats,
 * skipped anyway). Entries past n are an earlier customer's: never read, and kept so the array's
 * storage is not given back and regrown per customer.
 */
function sortedInOrder(segments: readonly Segment[]): Segment[] {
  for (let n = 0; n < segments.length; n++) {
    const segment = segments[n] as Segment;
    let at = n;
    while (at > 0 && bySegment(order[at - 1] as Segment, segment) > 0) {
      order[at] = order[at - 1] as Segment;
      at--;
    }
    order[at] = segment;
  }
  return order;
}

function bySegment(x: Segment, y: Segment): number {
  if (x.type !== y.type) return x.type < y.type ? -1 : 1;
  return x.value === y.value ? 0 : x.value < y.value ? -1 : 1;
}

/** 32 bits of lane a and 21 of lane b: 53 bits, exactly representable as a JS number. */
function finish(a: number, b: number): number {
  return fmix32(a) * HI_FACTOR + (fmix32(b) >>> 11);
}

/** The fingerprint of no segments (null or []): a customer the endpoint holds no segments for. */
export const EMPTY_FINGERPRINT = finish(SEED_A, SEED_B);
