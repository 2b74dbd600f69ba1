import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IdIndex, type IdIndexOptions, type IdLocation } from '../../src/pipeline/dedupe/id-index.js';
import { MAX_ID_LENGTH } from '../../src/pipeline/input/options.js';

let dir: string;
const open: IdIndex[] = [];

/** Where the id log's records are: the default in-memory head, or a smaller one (see the .each blocks). */
let memoryLogBytes: number | undefined;

function newIndex(opts: Partial<IdIndexOptions> = {}): IdIndex {
  const index = new IdIndex({ dir, ...(memoryLogBytes !== undefined && { memoryLogBytes }), ...opts });
  open.push(index);
  return index;
}

/** Every id lands on the same slot with the same tag: only the exact comparison can tell them apart. */
const everythingCollides: IdIndexOptions['hash'] = (_id, out) => {
  out[0] = 7;
};

/**
 * Where a row is, as the classifier records it. The ordinal defaults to the line, so every
 * expectation below also checks that the ordinal comes back with the file and line.
 */
function at(file: number, line: number, ordinal = line): IdLocation {
  return { file, line, ordinal };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'id-index-test-'));
});

afterEach(() => {
  for (const index of open.splice(0)) index.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IdIndex.firstSeen', () => {
  it('records a new id and returns where an id was first seen on later calls', () => {
    const index = newIndex();
    expect(index.firstSeen('aa-bb-1', at(0, 2))).toBeUndefined();
    expect(index.firstSeen('cc-dd-2', at(0, 3))).toBeUndefined();
    expect(index.firstSeen('aa-bb-1', at(1, 9))).toEqual(at(0, 2));
    expect(index.firstSeen('aa-bb-1', at(1, 12))).toEqual(at(0, 2));
    expect(index.size).toBe(2);
  });

  it('keeps file, line and ordinal numbers up to 2^32 - 1', () => {
    const index = newIndex();
    index.firstSeen('x', at(0xffffffff, 0xffffffff, 0xfffffffe));
    index.firstSeen('y'.repeat(MAX_ID_LENGTH), at(0xfffffffe, 0xfffffffd, 0xfffffffc));
    index.firstSeen('\u0100'.repeat(MAX_ID_LENGTH), at(0x80000000, 0x7fffffff, 0x80000001));
    expect(index.lookup('x')).toEqual(at(0xffffffff, 0xffffffff, 0xfffffffe));
    expect(index.lookup('y'.repeat(MAX_ID_LENGTH))).toEqual(at(0xfffffffe, 0xfffffffd, 0xfffffffc));
    expect(index.lookup('\u0100'.repeat(MAX_ID_LENGTH))).toEqual(at(0x80000000, 0x7fffffff, 0x80000001));
  });

  it('rejects an id longer than MAX_ID_LENGTH (the job reports such rows as invalid)', () => {
    const index = newIndex();
    expect(() => index.firstSeen('z'.repeat(MAX_ID_LENGTH + 1), at(0, 2))).toThrow(RangeError);
    expect(index.size).toBe(0);
    expect(index.lookup('z'.repeat(MAX_ID_LENGTH + 1))).toBeUndefined();
  });

  it('returns the ordinal recorded with the first occurrence, not the one a later row offers', () => {
    const index = newIndex();
    expect(index.firstSeen('a', at(0, 2, 0))).toBeUndefined();
    expect(index.firstSeen('b', at(0, 3, 1))).toBeUndefined();
    expect(index.firstSeen('a', at(1, 40, 2))).toEqual(at(0, 2, 0));
    expect(index.lookup('b')).toEqual(at(0, 3, 1));
  });

  it('rejects a negative or fractional line or ordinal instead of wrapping it', () => {
    expect(() => newIndex().firstSeen('x', at(0, -1))).toThrow(RangeError);
    expect(() => newIndex().firstSeen('x', at(0, 2, -1))).toThrow(RangeError);
    expect(() => newIndex().firstSeen('x', at(0, 2, 1.5))).toThrow('file, line and ordinal must be unsigned 32-bit integers, got 0:2#1.5');
  });
});

// The id log keeps its head in memory and the rest in a file: every exactness rule must hold for
// records in both places (1 MiB: the first write buffer in memory, later ones in the file).
describe.each([
  ['the log in memory', undefined],
  ['the log partly in memory, partly in the file', 1 << 20],
  ['the log in the file', 0],
])('with %s', (_where, bytes) => {
  beforeEach(() => {
    memoryLogBytes = bytes;
  });
  afterEach(() => {
    memoryLogBytes = undefined;
  });

  describe('IdIndex exactness when hashes collide', () => {
    it('never merges distinct ids that share slot and tag, and still finds their duplicates', () => {
      const index = newIndex({ hash: everythingCollides });
      const ids = Array.from({ length: 1500 }, (_, i) => `id-${i}`);
      ids.forEach((id, i) => expect(index.firstSeen(id, at(0, i + 2))).toBeUndefined());
      expect(index.size).toBe(1500);
      ids.forEach((id, i) => expect(index.firstSeen(id, at(1, 5))).toEqual(at(0, i + 2)));
      expect(index.lookup('id-1500')).toBeUndefined();
    });

    it('tells apart ids that differ only in length, the padding unit or the last code unit', () => {
      const index = newIndex({ hash: everythingCollides });
      const ids = ['a', 'a\u0000', 'ab', 'ac', 'abc', 'abd', ''];
      ids.forEach((id, i) => expect(index.firstSeen(id, at(0, i))).toBeUndefined());
      ids.forEach((id, i) => expect(index.lookup(id)).toEqual(at(0, i)));
    });

    it('tells apart a Latin-1 id and a UTF-16 one of equal length, even with the same stored bytes', () => {
      const index = newIndex({ hash: everythingCollides });
      // 'ab' is stored as the bytes 61 62 (and a zero pad); '\u6261\u0000' as the units 6261 0000,
      // which are the same four bytes on a little-endian machine: only the form tells them apart.
      const ids = ['ab', '\u6261\u0000', 'caf\u00e9', 'caf\u0119', '\u00e9t\u00e9', '\u0119t\u00e9', 'a\u0100', 'a\u0000'];
      ids.forEach((id, i) => expect(index.firstSeen(id, at(1, i + 2))).toBeUndefined());
      ids.forEach((id, i) => expect(index.firstSeen(id, at(2, 99))).toEqual(at(1, i + 2)));
      expect(index.lookup('\u6261')).toBeUndefined();
      expect(index.lookup('caf\u0100')).toBeUndefined();
      expect(index.size).toBe(ids.length);
    });

    it('compares code units 128 to 255 exactly (one byte each, never sign-extended or folded)', () => {
      const index = newIndex({ hash: everythingCollides });
      const ids = [
        '\u0080',
        '\u00ff',
        '\u007f',
        '\u00ff\u00fe',
        '\u00fe\u00ff',
        '\u00c9',
        '\u00e9',
        'x\u00a0y',
        'x y',
        '\u00ff\u00ff\u00ff\u00ff\u00ff',
      ];
      ids.forEach((id, i) => expect(index.firstSeen(id, at(0, i))).toBeUndefined());
      ids.forEach((id, i) => expect(index.lookup(id)).toEqual(at(0, i)));
      expect(index.lookup('\u00ff\u00ff\u00ff\u00ff')).toBeUndefined();
      expect(index.lookup('\u017f')).toBeUndefined();
    });

    it('keeps colliding Latin-1 and UTF-16 records of mixed lengths across growth', () => {
      const index = newIndex({ hash: everythingCollides });
      const id = (i: number): string => (i % 3 === 0 ? `\u00e9-${i}` : i % 3 === 1 ? `\u0119-${i}` : `${'k'.repeat(i % 11)}${i}`);
      // 1500 ids > 0.75 × the 1024 initial slots: growth replays the log's mixed records.
      for (let i = 0; i < 1500; i++) expect(index.firstSeen(id(i), at(i % 4, i))).toBeUndefined();
      for (let i = 0; i < 1500; i++) expect(index.lookup(id(i))).toEqual(at(i % 4, i));
      expect(index.lookup('\u00e9-1')).toBeUndefined();
    });

    it('keeps every colliding id across growth', () => {
      const index = newIndex({ hash: everythingCollides });
      // 1500 ids > 0.75 × the 1024 initial slots: at least one growth replays the log.
      for (let i = 0; i < 1500; i++) index.firstSeen(`k${i}`, at(2, i));
      for (let i = 0; i < 1500; i++) expect(index.lookup(`k${i}`)).toEqual(at(2, i));
    });
  });

  describe('IdIndex with real ids', () => {
    it('compares code units exactly: accents, emoji, surrogate pairs and lone surrogates', () => {
      const index = newIndex();
      const ids = ['\u00e9', 'e\u0301', '😀', '\uD83D', '\uDE00', '\uDE00\uD83D', '日本-42', 'ß', 'SS', '\uFEFFx', 'x'];
      ids.forEach((id, i) => expect(index.firstSeen(id, at(0, i))).toBeUndefined());
      ids.forEach((id, i) => expect(index.firstSeen(id, at(1, 100))).toEqual(at(0, i)));
      expect(index.size).toBe(ids.length);
    });

    it('keeps the empty id and ids of odd and even length through growth', () => {
      const index = newIndex();
      const ids = ['', 'a', 'ab', 'abc', '😀', '😀x'];
      ids.forEach((id, i) => index.firstSeen(id, at(3, i)));
      for (let i = 0; i < 5000; i++) index.firstSeen(`grow-${i}`, at(0, 100 + i));
      ids.forEach((id, i) => expect(index.firstSeen(id, at(4, 4))).toEqual(at(3, i)));
      expect(index.size).toBe(5000 + ids.length);
    });

    it('keeps ids of every length up to MAX_ID_LENGTH in both forms, across write buffers and growth', () => {
      const index = newIndex();
      // Records of up to 1 KiB, Latin-1 and UTF-16 alternating (1.2 MB): they straddle a 1 MiB buffer.
      const ids: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const prefix = `${i}:`;
        const unit = i % 2 === 0 ? 'a' : '\u0101';
        ids.push(prefix + unit.repeat(Math.max(0, ((i * 37) % (MAX_ID_LENGTH + 1)) - prefix.length)));
      }
      ids.forEach((id, i) => expect(index.firstSeen(id, at(i % 5, i, 3 * i))).toBeUndefined());
      ids.forEach((id, i) => expect(index.firstSeen(id, at(9, 9))).toEqual(at(i % 5, i, 3 * i)));
      expect(index.size).toBe(ids.length);
    });

    it('keeps all of 300k ids through growth and log flushes, and finds each first location', () => {
      const index = newIndex();
      const n = 300_000;
      for (let i = 0; i < n; i++) index.firstSeen(`CUST-${i}`, at(i % 3, i));
      expect(index.size).toBe(n);
      for (let i = 0; i < n; i++) {
        const kept = index.firstSeen(`CUST-${i}`, at(9, 9));
        if (kept?.file !== i % 3 || kept.line !== i || kept.ordinal !== i) throw new Error(`CUST-${i} lost: ${JSON.stringify(kept)}`);
      }
      expect(index.lookup(`CUST-${n}`)).toBeUndefined();
      expect(index.size).toBe(n);
    });
  });
});

describe('IdIndex.lookup', () => {
  it('does not insert', () => {
    const index = newIndex();
    expect(index.lookup('a')).toBeUndefined();
    expect(index.size).toBe(0);
    expect(index.firstSeen('a', at(0, 7))).toBeUndefined();
  });
});

describe('IdIndex.prefetch', () => {
  it('is only a hint: ids prefetched or not, before the first id, across growth and with collisions, come out alike', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `P-${i % 3_000}`);
    const chunks = (size: number): string[][] =>
      Array.from({ length: Math.ceil(ids.length / size) }, (_, c) => ids.slice(c * size, (c + 1) * size));
    for (const opts of [{}, { expectedIds: 3_000 }, { hash: everythingCollides }]) {
      const plain = newIndex(opts);
      const hinted = newIndex(opts);
      // Chunks larger than the scratch it starts with, an empty one, and repeated hints.
      const seenPlain = ids.map((id, i) => plain.firstSeen(id, at(0, i + 2)));
      const seenHinted: (IdLocation | undefined)[] = [];
      hinted.prefetch([]);
      for (const chunk of chunks(1_500)) {
        hinted.prefetch(chunk.map((id) => ({ id })));
        hinted.prefetch(chunk.map((id) => ({ id })));
        for (const id of chunk) seenHinted.push(hinted.firstSeen(id, at(0, seenHinted.length + 2)));
      }
      expect(seenHinted).toEqual(seenPlain);
      expect(hinted.size).toBe(3_000);
      expect(hinted.memoryBytes()).toBe(plain.memoryBytes());
    }
  });

  it('before the first id commits nothing, and leaves the size hint to be replaced', () => {
    const hinted = newIndex({ expectedIds: 1_000_000, memoryLogBytes: 0 });
    const plain = newIndex({ memoryLogBytes: 0 });
    hinted.prefetch([{ id: 'a' }, { id: 'b' }]);
    expect(hinted.memoryBytes()).toBe(plain.memoryBytes());
    // As the classifier does on a first long record: the index grows as customers come instead.
    hinted.expect(0);
    for (let i = 0; i < 2_000; i++) {
      hinted.prefetch([{ id: `x${i}` }]);
      hinted.firstSeen(`x${i}`, at(0, i));
      plain.firstSeen(`x${i}`, at(0, i));
    }
    expect(hinted.memoryBytes()).toBe(plain.memoryBytes());
  });

  it('refuses a closed index, like every other call', () => {
    const index = newIndex();
    index.close();
    expect(() => index.prefetch([{ id: 'a' }])).toThrow('closed');
  });
});

describe('IdIndex memory', () => {
  it('holds about 8 bytes per slot whatever the ids length', () => {
    // With the log's head in memory, long ids would take more: this is the table's own cost.
    const short = newIndex({ memoryLogBytes: 0 });
    const long = newIndex({ memoryLogBytes: 0 });
    for (let i = 0; i < 20_000; i++) {
      short.firstSeen(`${i}`, at(0, i));
      long.firstSeen(`${i}-${'z'.repeat(500)}`, at(0, i));
    }
    expect(long.memoryBytes()).toBe(short.memoryBytes());
    const buffers = short.memoryBytes() - 32_768 * 8; // 20k ids at load ≤ 0.75 → 32,768 slots
    expect(buffers).toBeLessThanOrEqual(2 << 20);
  });

  it('keeps the log in memory up to memoryLogBytes, then writes it to the file', () => {
    const index = newIndex({ memoryLogBytes: 2 << 20 });
    for (let i = 0; i < 150_000; i++) index.firstSeen(`CUSTOMER-${i}`, at(0, i));
    // 150k records of ~20 bytes (5 of numbers, up to 15 Latin-1 units) are ~3 MB: two 1 MiB chunks
    // kept, the write buffer and the record read.
    expect(index.memoryBytes() - 262_144 * 8).toBeLessThanOrEqual((3 << 20) + 4096);
    expect(index.memoryBytes() - 262_144 * 8).toBeGreaterThanOrEqual(3 << 20);
    expect(index.firstSeen('CUSTOMER-1', at(1, 1))).toEqual(at(0, 1));
    expect(index.firstSeen('CUSTOMER-149999', at(1, 1))).toEqual(at(0, 149_999));
  });

  it('growing leaves the log where it is: no write buffer of memory is set aside per growth', () => {
    const index = newIndex({ memoryLogBytes: 8 << 20 });
    // 20k records of ~10 bytes fit the first write buffer; the table doubles 5 times (1,024 → 32,768 slots).
    for (let i = 0; i < 20_000; i++) index.firstSeen(`g${i}`, at(0, i));
    expect(index.memoryBytes() - 32_768 * 8).toBeLessThan((1 << 20) + 4096);
    for (let i = 0; i < 20_000; i += 997) expect(index.firstSeen(`g${i}`, at(1, 1))).toEqual(at(0, i));
  });

  it('sizes the table up front from expectedIds, on the first id', () => {
    const hinted = newIndex({ expectedIds: 100_000, memoryLogBytes: 0 });
    const plain = (): IdIndex => newIndex({ memoryLogBytes: 0 });
    // Not before: the hint may still be replaced (expect()), and nothing is committed for it.
    expect(hinted.memoryBytes()).toBe(plain().memoryBytes());
    hinted.firstSeen('h0', at(0, 0));
    const sized = hinted.memoryBytes();
    expect(sized - plain().memoryBytes()).toBe((262_144 - 1024) * 8); // 100k ids at load ≤ 0.75 → 262,144 slots
    for (let i = 1; i < 100_000; i++) hinted.firstSeen(`h${i}`, at(0, i));
    expect(hinted.memoryBytes()).toBe(sized);
  });

  it('expect() replaces the hint while the index is empty, and is ignored once an id is in', () => {
    const hinted = newIndex({ expectedIds: 1_000_000, memoryLogBytes: 0 });
    const plain = newIndex({ memoryLogBytes: 0 });
    hinted.expect(0);
    for (let i = 0; i < 20_000; i++) {
      expect(hinted.firstSeen(`e${i}`, at(0, i))).toBeUndefined();
      plain.firstSeen(`e${i}`, at(0, i));
    }
    // Grown as it filled, like an index without a hint.
    expect(hinted.memoryBytes()).toBe(plain.memoryBytes());
    hinted.expect(1_000_000);
    for (let i = 0; i < 20_000; i++) expect(hinted.firstSeen(`e${i}`, at(1, i))).toEqual(at(0, i));
    expect(hinted.memoryBytes()).toBe(plain.memoryBytes());
  });
});

describe('IdIndex lifecycle and options', () => {
  it('leaves no file behind in its directory once closed', () => {
    const index = new IdIndex({ dir });
    for (let i = 0; i < 100_000; i++) index.firstSeen(`f${i}`, at(0, i));
    index.close();
    expect(readdirSync(dir)).toEqual([]);
    expect(() => index.firstSeen('f1', at(0, 1))).toThrow('closed');
    expect(() => index.close()).not.toThrow();
  });

  it('rejects bad options, naming the option and the value', () => {
    expect(() => new IdIndex({ dir: '' })).toThrow('IdIndex option dir must be a directory path, got ""');
    expect(() => new IdIndex({ dir, expectedIds: -1 })).toThrow(/expectedIds must be a whole number ≥ 0, got -1/);
    expect(() => new IdIndex({ dir, expectedIds: 1.5 })).toThrow(/got 1.5/);
  });

  // The capped hint sizes the largest table up front: with the default (2^29 slots = 4 GiB) that
  // took a minute, so the test injects a small maximum; the code path is the same.
  it('caps a huge size hint instead of failing (it is only an estimate)', () => {
    const maxSlots = 1 << 12;
    const index = newIndex({ expectedIds: Number.MAX_SAFE_INTEGER, maxSlots });
    expect(index.firstSeen('a', at(0, 2))).toBeUndefined();
    // Sized for the cap, not beyond: it holds maxSlots × maxLoad ids, then says so clearly.
    for (let i = 1; i < maxSlots * 0.75; i++) expect(index.firstSeen(`id-${i}`, at(0, i + 2))).toBeUndefined();
    expect(() => index.firstSeen('one-too-many', at(0, 1))).toThrow(/too many distinct document_id values.*at most 3072/);
    expect(index.firstSeen('a', at(0, 99))).toEqual(at(0, 2));
  });

  it('rejects a maxSlots that is not a power of two in range', () => {
    for (const maxSlots of [1000, 512, 3 * 1024, 2 ** 30]) expect(() => newIndex({ maxSlots })).toThrow(/maxSlots must be a power of two/);
  });

  it('fails clearly when the directory does not exist', () => {
    expect(() => new IdIndex({ dir: path.join(dir, 'missing') })).toThrow(/ENOENT/);
  });
});
