import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../../src/emulator/prng.js';
import { LongSorter } from '../../src/pipeline/spool/index.js';
import { runChunkBytes } from '../../src/pipeline/spool/long-sort.js';
import type { CustomerRow, Segment } from '../../src/core/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'long-sort-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One long record as pass 1 hands it over: a segment, or none (blank type and value). */
type LongRecord = [ordinal: number, id: string, segment: Segment | undefined];

function sorterOf(records: readonly LongRecord[], runRecords?: number): LongSorter {
  const sorter = new LongSorter({ dir, runRecords });
  for (const [ordinal, id, segment] of records) sorter.add(ordinal, id, segment);
  sorter.finish();
  return sorter;
}

async function read(sorter: LongSorter, skip: (ordinal: number) => boolean = () => false): Promise<CustomerRow[]> {
  const out: CustomerRow[] = [];
  for await (const chunk of sorter.customers(skip)) out.push(...chunk);
  return out;
}

/** What the sorter must yield, computed the obvious way in memory. */
function oracle(records: readonly LongRecord[], skip: (ordinal: number) => boolean = () => false): CustomerRow[] {
  const byOrdinal = new Map<number, { id: string; segments: Segment[]; seen: Set<string> }>();
  for (const [ordinal, id, segment] of records) {
    let customer = byOrdinal.get(ordinal);
    if (customer === undefined) byOrdinal.set(ordinal, (customer = { id, segments: [], seen: new Set() }));
    if (segment === undefined) continue;
    const key = JSON.stringify([segment.type, segment.value]);
    if (customer.seen.has(key)) continue;
    customer.seen.add(key);
    customer.segments.push({ type: segment.type, value: segment.value });
  }
  return [...byOrdinal]
    .sort(([a], [b]) => a - b)
    .filter(([ordinal]) => !skip(ordinal))
    .map(([ordinal, { id, segments }]) => ({
      ordinal,
      id,
      json: JSON.stringify({ document_id: id, segments }),
      clears: segments.length === 0,
    }));
}

/** `n` records of `customers` customers in random order, with repeats and blank records. */
function randomRecords(seed: number, n: number, customers: number): LongRecord[] {
  const random = mulberry32(seed);
  const records: LongRecord[] = [];
  for (let i = 0; i < n; i++) {
    const ordinal = Math.floor(random() * customers);
    const blank = random() < 0.05;
    const segment = blank ? undefined : { type: `t${Math.floor(random() * 4)}`, value: `v${Math.floor(random() * 3)}` };
    records.push([ordinal, `id-${ordinal}-é\t"${ordinal % 7}"`, segment]);
  }
  return records;
}

/** The file descriptors this process holds open on files in `dir` (Linux /proc). */
function openFilesIn(where: string): string[] {
  const fds = readdirSync('/proc/self/fd');
  const targets: string[] = [];
  for (const fd of fds) {
    try {
      targets.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed meanwhile (the readdir's own descriptor)
    }
  }
  return targets.filter((target) => target.startsWith(where + path.sep));
}

const gold = { type: 'tier', value: 'gold' };
const north = { type: 'region', value: 'north' };

describe('LongSorter', () => {
  it('groups unsorted records of many customers by ordinal, in ordinal order', async () => {
    const records: LongRecord[] = [
      [2, 'c', gold],
      [0, 'a', gold],
      [1, 'b', north],
      [2, 'c', north],
      [0, 'a', north],
    ];
    expect(await read(sorterOf(records))).toEqual([
      {
        ordinal: 0,
        id: 'a',
        json: '{"document_id":"a","segments":[{"type":"tier","value":"gold"},{"type":"region","value":"north"}]}',
        clears: false,
      },
      { ordinal: 1, id: 'b', json: '{"document_id":"b","segments":[{"type":"region","value":"north"}]}', clears: false },
      {
        ordinal: 2,
        id: 'c',
        json: '{"document_id":"c","segments":[{"type":"tier","value":"gold"},{"type":"region","value":"north"}]}',
        clears: false,
      },
    ]);
  });

  it("keeps a customer's segments in input order (ties keep input order), also across spilled runs", async () => {
    const segments = Array.from({ length: 10 }, (_, i) => ({ type: `t${i}`, value: `v${9 - i}` }));
    const records: LongRecord[] = segments.flatMap((segment, i): LongRecord[] => [
      [100, 'x', segment],
      [i, `other-${i}`, gold],
    ]);
    for (const runRecords of [undefined, 1, 3]) {
      const [x] = (await read(sorterOf(records, runRecords))).filter((c) => c.id === 'x');
      expect(JSON.parse(x!.json).segments).toEqual(segments);
    }
  });

  it('counts a repeated identical (type, value) pair once, wherever the repeats are', async () => {
    const records: LongRecord[] = [
      [0, 'a', gold],
      [0, 'a', north],
      [1, 'b', gold],
      [0, 'a', { ...gold }],
      [0, 'a', { type: 'tier', value: 'Gold' }],
      [0, 'a', gold],
    ];
    for (const runRecords of [undefined, 2]) {
      const [a] = await read(sorterOf(records, runRecords));
      expect(JSON.parse(a!.json).segments).toEqual([gold, north, { type: 'tier', value: 'Gold' }]);
    }
  });

  it('gives a customer whose only record is blank no segments: it clears them', async () => {
    expect(await read(sorterOf([[0, 'blank', undefined]]))).toEqual([
      { ordinal: 0, id: 'blank', json: '{"document_id":"blank","segments":[]}', clears: true },
    ]);
  });

  it('sends only the wire fields of a segment, in wire order', async () => {
    const extra = { value: 'v', type: 't', note: 'internal' } as Segment;
    const [c] = await read(sorterOf([[0, 'a', extra]]));
    expect(c!.json).toBe('{"document_id":"a","segments":[{"type":"t","value":"v"}]}');
  });

  it('round-trips ids with quotes, backslashes, tabs, newlines, unicode and lone surrogates', async () => {
    const ids = ['q"1', 'back\\slash', 'tab\there', 'new\nline', '日本-😀', 'lone-\uD800', '\u2028sep'];
    const customers = await read(
      sorterOf(
        ids.map((id, i): LongRecord => [i, id, gold]),
        2,
      ),
    );
    expect(customers.map((c) => c.id)).toEqual(ids);
    expect(customers.map((c) => JSON.parse(c.json).document_id)).toEqual(ids);
  });

  it('spills several runs to disk with runRecords: 3 and still merges exactly (seeded random records)', async () => {
    for (const seed of [1, 42]) {
      const records = randomRecords(seed, 3000, 500);
      const sorter = sorterOf(records, 3);
      expect(sorter.spilledRuns).toBe(1000);
      expect(await read(sorter)).toEqual(oracle(records));
    }
  });

  it('merges exactly whatever the run size, with some records kept in memory', async () => {
    const records = randomRecords(7, 2500, 1500);
    const expected = oracle(records);
    for (const runRecords of [1, 7, 1000, 2499, 100_000]) expect(await read(sorterOf(records, runRecords))).toEqual(expected);
  });

  it('leaves out the customers `skip` names', async () => {
    const records = randomRecords(3, 600, 100);
    const skip = (ordinal: number) => ordinal % 3 === 0;
    const customers = await read(sorterOf(records, 5), skip);
    expect(customers).toEqual(oracle(records, skip));
    expect(customers.some((c) => c.ordinal % 3 === 0)).toBe(false);
  });

  it('gives the same customers when read twice', async () => {
    const sorter = sorterOf(randomRecords(9, 500, 80), 4);
    const first = await read(sorter);
    expect(await read(sorter)).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
  });

  it('yields nothing when it got no records, and refuses to be read before finish()', async () => {
    expect(await read(sorterOf([]))).toEqual([]);
    const unfinished = new LongSorter({ dir });
    await expect(read(unfinished)).rejects.toThrow(TypeError);
  });

  it('yields in chunks, and a reader that stops after the first chunk leaves no file open', async () => {
    // More than one chunk of customers, from several runs on disk.
    const records: LongRecord[] = Array.from({ length: 3000 }, (_, i): LongRecord => [(i * 7) % 2500, `c-${(i * 7) % 2500}`, gold]);
    const sorter = sorterOf(records, 500);
    expect(sorter.spilledRuns).toBeGreaterThan(1);
    let chunks = 0;
    for await (const chunk of sorter.customers(() => false)) {
      chunks++;
      expect(chunk.length).toBeGreaterThan(0);
      expect(openFilesIn(dir).length).toBeGreaterThan(0);
      break;
    }
    expect(chunks).toBe(1);
    expect(openFilesIn(dir)).toEqual([]);
    // Read in full afterwards, it is still all there.
    expect(await read(sorter)).toEqual(oracle(records));
    expect(openFilesIn(dir)).toEqual([]);
  });
});

describe('runChunkBytes', () => {
  it('reads 256 KiB of each of a few runs, and less of each as runs multiply (4 MiB for all, at least 16 KiB each)', () => {
    expect(runChunkBytes(0)).toBe(256 << 10);
    expect(runChunkBytes(15)).toBe(256 << 10);
    expect(runChunkBytes(150)).toBe(Math.floor((4 << 20) / 150));
    expect(runChunkBytes(150) * 150).toBeLessThanOrEqual(4 << 20);
    expect(runChunkBytes(10_000)).toBe(16 << 10);
  });
});
