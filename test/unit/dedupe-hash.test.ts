import { hashHiInto, hashId, hashInto, shardOf } from '../../src/pipeline/dedupe/hash.js';

/** The documented algorithm, written independently with BigInt arithmetic mod 2^32. */
function referenceHash(id: string): [number, number] {
  const M = 0xffffffffn;
  const mul = (a: bigint, b: bigint) => (a * b) & M;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M;
  const fmix = (h: bigint) => {
    h ^= h >> 16n;
    h = mul(h, 0x85ebca6bn);
    h ^= h >> 13n;
    h = mul(h, 0xc2b2ae35n);
    return h ^ (h >> 16n);
  };
  let fnv = 0x811c9dc5n;
  let murmur = 0x9747b28cn;
  for (let i = 0; i < id.length; i++) {
    const unit = BigInt(id.charCodeAt(i));
    fnv = mul(fnv ^ unit, 0x01000193n);
    murmur ^= mul(rotl(mul(unit, 0xcc9e2d51n), 15n), 0x1b873593n);
    murmur = (mul(rotl(murmur, 13n), 5n) + 0xe6546b64n) & M;
  }
  const length = BigInt(id.length);
  return [Number(fmix(fnv ^ length)), Number(fmix(murmur ^ length))];
}

const SAMPLE_IDS = ['', 'a', '1232-2323', 'CUST-000001', 'e\u0301', '😀', '\uD800', '123e4567-e89b-12d3-a456-426614174000'];

describe('hashId', () => {
  it('computes the documented FNV-1a / murmur3 halves over UTF-16 code units', () => {
    for (const id of SAMPLE_IDS) expect(hashId(id)).toEqual(referenceHash(id));
  });

  it('is pinned: these values must never change (shards of one run may come from different builds)', () => {
    expect(hashId('1232-2323')).toEqual([0xb445d6a4, 0x9bdb37c1]);
    expect(hashId('CUST-000001')).toEqual([0x9dcdcfd7, 0x30437792]);
    expect(hashId('😀')).toEqual([0xe4b287ba, 0x40d2c1b9]);
    expect(hashId('123e4567-e89b-12d3-a456-426614174000')).toEqual([0x2d4e822b, 0x40ee1d18]);
  });

  it('tells apart ids that differ only in Unicode normalisation (ids are compared as sent)', () => {
    expect(hashId('\u00e9')).not.toEqual(hashId('e\u0301'));
  });

  it('hashHiInto writes the high half alone (the id index hashes with it)', () => {
    const out = new Uint32Array(1);
    for (const id of [...SAMPLE_IDS, 'aa-bb-1', '\u00ff\u0100']) {
      hashHiInto(id, out);
      expect(out[0]).toBe(referenceHash(id)[0]);
    }
  });

  it('writes the same halves into a caller buffer', () => {
    const out = new Uint32Array(2);
    hashInto('aa-bb-1', out);
    expect([out[0], out[1]]).toEqual(hashId('aa-bb-1'));
  });
});

describe('shardOf', () => {
  it('is pinned: the sharding rule of --shard i/n is the low half mod n', () => {
    expect(['aa-bb-1', 'cc-dd-2', 'ee-ff-3', 'CUST-000001'].map((id) => shardOf(id, 4))).toEqual([1, 0, 3, 2]);
    expect(['aa-bb-1', 'cc-dd-2', 'ee-ff-3', 'CUST-000001'].map((id) => shardOf(id, 7))).toEqual([5, 2, 2, 6]);
    expect(shardOf('123e4567-e89b-12d3-a456-426614174000', 16)).toBe(8);
  });

  it('spreads sequential ids evenly over shards', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 80_000; i++) counts[shardOf(`CUST-${String(i).padStart(7, '0')}`, 8)]!++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('puts every id in shard 0 when there is one shard', () => {
    expect(SAMPLE_IDS.every((id) => shardOf(id, 1) === 0)).toBe(true);
  });

  it('rejects a shard count that is not a positive integer, naming the value', () => {
    expect(() => shardOf('a', 0)).toThrow('shard count must be a positive integer, got 0');
    expect(() => shardOf('a', 2.5)).toThrow('got 2.5');
  });
});
