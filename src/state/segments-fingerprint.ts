/**
 * The fingerprint of a customer's segments, as the incremental state keeps it: what lets a night's
 * export be compared with what the endpoint last acknowledged without keeping the segments.
 *
 * Segments are a set: the order of columns or rows is no change, and a repeated (type, value) pair
 * counts once. Type and value are compared exactly as sent (the input stage has trimmed them). Null
 * segments and [] both mean "no segments", so they share EMPTY_FINGERPRINT.
 *
 * Each segment is written as `<type length>:<type><value length>:<value>` (segmentPiece): a piece
 * parses back one way only, so sorting the pieces and joining them is a canonical form of the set,
 * cheap to build (it was the wire JSON, whose serialisation cost more than the hashing; the JSON
 * is now written only for the customers sent). It is hashed with the id hash (two independent
 * 32-bit halves) and kept as 53 bits, a safe integer that SQLite stores as an INTEGER: a changed
 * customer is mistaken for an unchanged one with odds of 2^-53.
 *
 * STABILITY: the state compares tonight's fingerprints with ones written by earlier builds. Change
 * the canonical form or the hash only together with FINGERPRINT_SCHEME, which makes the next run a
 * visible full resync instead of a silently wrong diff.
 */
import { hashInto } from '../dedupe/hash.js';
import type { Segment } from '../types.js';

/** Bump whenever `segmentsFingerprint` would give another value for the same segments. */
export const FINGERPRINT_SCHEME = 2;

const scratch = new Uint32Array(2);
const HI_FACTOR = 2 ** 21;

/** One segment as the fingerprint reads it. */
export function segmentPiece(type: string, value: string): string {
  return `${type.length}:${type}${value.length}:${value}`;
}

/**
 * The fingerprint of the set of segments given as their pieces (any order, repeats allowed).
 * Sorts `pieces` in place: every caller builds the array for this call (a copy was garbage for
 * every customer of the night).
 */
export function segmentsFingerprint(pieces: string[]): number {
  let canonical: string;
  if (pieces.length === 0) canonical = '';
  else if (pieces.length === 1) canonical = pieces[0]!;
  else {
    const sorted = pieces.sort();
    canonical = sorted[0]!;
    for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) canonical += sorted[i];
  }
  hashInto(canonical, scratch);
  // 32 bits of hi and 21 of lo: 53 bits, exactly representable as a JS number.
  return scratch[0]! * HI_FACTOR + (scratch[1]! >>> 11);
}

/** The fingerprint of a customer's segments (null and [] alike: no segments). */
export function fingerprintOf(segments: readonly Segment[] | null): number {
  if (segments === null || segments.length === 0) return EMPTY_FINGERPRINT;
  if (segments.length === 1) return segmentsFingerprint([segmentPiece(segments[0]!.type, segments[0]!.value)]);
  return segmentsFingerprint(segments.map((s) => segmentPiece(s.type, s.value)));
}

/** The fingerprint of no segments (null or []): a customer the endpoint holds no segments for. */
export const EMPTY_FINGERPRINT = segmentsFingerprint([]);
