/**
 * The document_id hash: 64 bits as two independent 32-bit halves, computed in one pass over the
 * id's UTF-16 code units (no encoding to bytes, so any JS string — emoji, lone surrogates — hashes
 * without allocating).
 *
 *   hi = FNV-1a 32 over the code units, then the murmur3 finaliser (FNV alone avalanches poorly)
 *   lo = murmur3_32-style block mix, one code unit per block, seed 0x9747b28c, then the finaliser
 *
 * Both halves mix in the length before finalising. The id index uses `hi` alone (hashHiInto
 * computes just that half); sharding uses `lo`.
 *
 * STABILITY: `shardOf` is the sharding rule of `--shard i/n` (`hash(document_id) mod n`). Shards of
 * one run may come from different builds (a rolling image update), so these functions must never
 * change; test/unit/dedupe-hash.test.ts pins known values.
 */

/** Writes the two 32-bit halves of an id's hash into `out[0]` (hi) and `out[1]` (lo). */
export type IdHash = (id: string, out: Uint32Array) => void;

/**
 * Writes one 32-bit hash of an id into `out[0]`: what the id index places and tags ids by. Into a
 * buffer, not returned: a returned u32 beyond the small-integer range is boxed on the heap.
 */
export type IdHashHi = (id: string, out: Uint32Array) => void;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const MURMUR_SEED = 0x9747b28c;
const MURMUR_C1 = 0xcc9e2d51;
const MURMUR_C2 = 0x1b873593;
const MURMUR_N = 0xe6546b64;

// Bound once: a global lookup per code unit is cheap natively but goes through the global object's
// interceptor inside vm contexts (the test runner), where it made hashing ~50× slower.
const { imul } = Math;
const { isInteger } = Number;

/** murmur3's fmix32: every input bit affects every output bit (also the segments fingerprint's finaliser). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const hashInto: IdHash = (id, out) => {
  let fnv = FNV_OFFSET;
  let murmur = MURMUR_SEED;
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    fnv = imul(fnv ^ unit, FNV_PRIME);
    let k = imul(unit, MURMUR_C1);
    k = (k << 15) | (k >>> 17);
    murmur ^= imul(k, MURMUR_C2);
    murmur = (murmur << 13) | (murmur >>> 19);
    murmur = (imul(murmur, 5) + MURMUR_N) | 0;
  }
  out[0] = fmix32(fnv ^ id.length);
  out[1] = fmix32(murmur ^ id.length);
};

/** The high half of hashInto alone (into `out[0]`), without the work of the low half: the id index's hash. */
export const hashHiInto: IdHashHi = (id, out) => {
  let fnv = FNV_OFFSET;
  for (let i = 0; i < id.length; i++) fnv = imul(fnv ^ id.charCodeAt(i), FNV_PRIME);
  out[0] = fmix32(fnv ^ id.length);
};

// Reused by the convenience functions below: JS is single-threaded and they do not re-enter. It
// has two words for good, so its [0] and [1] are read `as number`.
const scratch = new Uint32Array(2);

/** The id's hash as [hi, lo] (unsigned). Allocates; hot paths use `hashInto`. */
export function hashId(id: string): [hi: number, lo: number] {
  hashInto(id, scratch);
  return [scratch[0] as number, scratch[1] as number];
}

/** The shard (0 ≤ shard < count) that owns this id: the unsigned low half of its hash mod count. */
export function shardOf(id: string, count: number): number {
  if (!isInteger(count) || count < 1) {
    throw new RangeError(`shard count must be a positive integer, got ${String(count)}`);
  }
  hashInto(id, scratch);
  return (scratch[1] as number) % count;
}

/**
 * A third 32-bit hash of an id, independent of hashInto's two halves (another multiplier, seed and
 * mix, murmur3's finaliser at the end): the in-memory incremental state (src/pipeline/incremental.ts)
 * tells ids apart by all 96 bits instead of reading them back. Stored only in the state's table
 * file, a cache whose header holds the hashes of a probe id (src/state/state-table-file.ts): a
 * build whose hashes differ ignores the file and scans the database. So it may change between
 * builds; test/unit/incremental-state-diff.test.ts pins it anyway.
 */
export function checkHash(id: string): number {
  let h = 0x2545f491 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    h = imul(h ^ id.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix32(h);
}
