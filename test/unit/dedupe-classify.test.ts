import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Classifier, shardOfRow } from '../../src/pipeline/dedupe/classify.js';
import { IdIndex } from '../../src/pipeline/dedupe/id-index.js';
import { MAX_ID_LENGTH } from '../../src/pipeline/input/options.js';
import { Ledger } from '../../src/pipeline/ledger.js';
import type { Shard } from '../../src/config/shard.js';
import type { ClassifiedRow, InputRow, Segment } from '../../src/core/types.js';

let dir: string;
let index: IdIndex;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'classify-test-'));
  index = new IdIndex({ dir });
});

afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Classifies `rows` in chunks of `chunkSize`, the way pass 1 does (validate-pass.ts): the whole
 * chunk is classified first, then each classified row goes to the ledger, which checks that
 * customers are opened in ordinal order.
 */
function run(rows: InputRow[], opts: { shard?: Shard; chunkSize?: number; ids?: IdIndex } = {}): ClassifiedRow[] {
  const ledger = new Ledger();
  const classifier = new Classifier({ ids: opts.ids ?? index, shard: opts.shard });
  const size = opts.chunkSize ?? 3;
  const out: ClassifiedRow[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const chunk = classifier.classify(rows.slice(i, i + size));
    for (const row of chunk) {
      if (row.kind === 'customer') ledger.open(row.ordinal, false);
      if (row.kind === 'part' && row.opens) ledger.open(row.ordinal, true);
    }
    out.push(...chunk);
  }
  expect(classifier.customers).toBe(ledger.customers);
  return out;
}

const seg: Segment[] = [{ type: 'tier', value: 'gold' }];
const valid = (file: number, line: number, id: string): InputRow => ({ file, line, id, segments: seg });
const long = (file: number, line: number, id: string, segment?: Segment, invalid?: string): InputRow => ({
  file,
  line,
  id,
  long: true,
  ...(invalid === undefined ? { segments: segment === undefined ? [] : [segment] } : { invalid }),
});

/** Two files: ids repeat within and across them, plus invalid rows. */
const twoFiles: InputRow[] = [
  valid(0, 2, 'A'),
  valid(0, 3, 'B'),
  { file: 0, line: 4, id: '', invalid: 'empty document_id' },
  valid(0, 5, 'A'),
  { file: 0, line: 6, id: 'C', invalid: 'wrong number of fields: expected 3, got 2' },
  valid(0, 7, 'C'),
  { file: 1, line: 2, id: 'B', segments: null },
  valid(1, 3, 'D'),
  { file: 1, line: 5, id: 'E', invalid: 'skipped: every segment cell is blank (--skip-empty)', skipped: true },
];

describe('Classifier: wide and json rows', () => {
  it('keeps the first occurrence over the whole run and names the kept file and line on duplicates', () => {
    expect(run(twoFiles)).toEqual([
      { kind: 'customer', file: 0, line: 2, id: 'A', segments: seg, clears: false, ordinal: 0 },
      { kind: 'customer', file: 0, line: 3, id: 'B', segments: seg, clears: false, ordinal: 1 },
      { kind: 'invalid', file: 0, line: 4, id: '', reason: 'empty document_id' },
      { kind: 'duplicate', file: 0, line: 5, id: 'A', keptFile: 0, keptLine: 2 },
      { kind: 'invalid', file: 0, line: 6, id: 'C', reason: 'wrong number of fields: expected 3, got 2' },
      { kind: 'customer', file: 0, line: 7, id: 'C', segments: seg, clears: false, ordinal: 2 },
      { kind: 'duplicate', file: 1, line: 2, id: 'B', keptFile: 0, keptLine: 3 },
      { kind: 'customer', file: 1, line: 3, id: 'D', segments: seg, clears: false, ordinal: 3 },
      { kind: 'invalid', file: 1, line: 5, id: 'E', reason: 'skipped: every segment cell is blank (--skip-empty)', skipped: true },
    ]);
  });

  it('classifies alike whatever the chunking', () => {
    expect(run(twoFiles, { chunkSize: 1 })).toEqual(run(twoFiles, { chunkSize: 100, ids: freshIndex() }));
  });

  it('passes null segments through (the input said null)', () => {
    const [row] = run([{ file: 0, line: 2, id: 'N', segments: null }]);
    expect(row).toMatchObject({ kind: 'customer', segments: null });
  });

  it('counts the customers it numbered', () => {
    const classifier = new Classifier({ ids: index });
    classifier.classify(twoFiles.slice(0, 4));
    expect(classifier.customers).toBe(2);
    classifier.classify(twoFiles.slice(4));
    expect(classifier.customers).toBe(4);
  });

  it('numbers 5000 rows of 3000 ids: 3000 customers with ordinals 0…2999 in order of first occurrence', () => {
    const rows: InputRow[] = [];
    for (let i = 0; i < 5000; i++) rows.push(valid(i % 2, i + 2, `id-${(i * 7919) % 3000}`));
    const classified = run(rows, { chunkSize: 64 });
    const customers = classified.flatMap((r) => (r.kind === 'customer' ? [r] : []));
    expect(customers.map((c) => c.ordinal)).toEqual(customers.map((_, i) => i));
    expect(new Set(customers.map((c) => c.id)).size).toBe(3000);
    expect(classified.filter((r) => r.kind === 'duplicate')).toHaveLength(2000);
  });
});

describe('Classifier: long-layout records', () => {
  it('makes every record of an id, anywhere in the run and in any order, a part of one customer', () => {
    const rows = [
      long(0, 2, 'L', { type: 'tier', value: 'gold' }),
      valid(0, 3, 'W'),
      long(0, 4, 'M', { type: 'tier', value: 'silver' }),
      long(0, 5, 'X', { type: 'a', value: '1' }),
      long(0, 6, 'Y', { type: 'a', value: '1' }),
      long(0, 7, 'Z', { type: 'a', value: '1' }),
      long(1, 2, 'M', { type: 'region', value: 'north' }),
      long(1, 3, 'L', { type: 'region', value: 'south' }),
    ];
    // One row a chunk: each record meets its customer in an earlier chunk.
    expect(run(rows, { chunkSize: 1 })).toEqual([
      { kind: 'part', file: 0, line: 2, id: 'L', ordinal: 0, opens: true, segments: [{ type: 'tier', value: 'gold' }] },
      { kind: 'customer', file: 0, line: 3, id: 'W', segments: seg, clears: false, ordinal: 1 },
      { kind: 'part', file: 0, line: 4, id: 'M', ordinal: 2, opens: true, segments: [{ type: 'tier', value: 'silver' }] },
      { kind: 'part', file: 0, line: 5, id: 'X', ordinal: 3, opens: true, segments: [{ type: 'a', value: '1' }] },
      { kind: 'part', file: 0, line: 6, id: 'Y', ordinal: 4, opens: true, segments: [{ type: 'a', value: '1' }] },
      { kind: 'part', file: 0, line: 7, id: 'Z', ordinal: 5, opens: true, segments: [{ type: 'a', value: '1' }] },
      { kind: 'part', file: 1, line: 2, id: 'M', ordinal: 2, opens: false, segments: [{ type: 'region', value: 'north' }] },
      { kind: 'part', file: 1, line: 3, id: 'L', ordinal: 0, opens: false, segments: [{ type: 'region', value: 'south' }] },
    ]);
  });

  // The records of one customer usually come together (a sorted export): they share a chunk, and
  // the later ones must find the customer opened by the first even before the chunk is handled.
  it('makes consecutive records of an id within one chunk parts of one customer, as pass 1 chunks them', () => {
    const rows = [
      long(0, 2, 'L', { type: 'tier', value: 'gold' }),
      long(0, 3, 'L', { type: 'region', value: 'north' }),
      long(0, 4, 'L', { type: 'x', value: 'y' }),
    ];
    expect(run(rows, { chunkSize: 3 }).map((r) => [r.kind, r.line, r.kind === 'part' ? r.ordinal : undefined])).toEqual([
      ['part', 2, 0],
      ['part', 3, 0],
      ['part', 4, 0],
    ]);
  });

  it('joins later records to their long customer among thousands of wide and long customers', () => {
    const rows: InputRow[] = [];
    for (let i = 0; i < 3000; i++) rows.push(i % 2 === 0 ? long(0, i + 2, `L${i}`, { type: 'a', value: '1' }) : valid(0, i + 2, `W${i}`));
    // Second records, in reverse: a long id joins its customer, a wide id is a duplicate.
    for (let i = 2999; i >= 0; i--) rows.push(long(1, 3000 - i + 1, i % 2 === 0 ? `L${i}` : `W${i}`, { type: 'b', value: '2' }));
    const classified = run(rows, { chunkSize: 500 });
    const later = classified.slice(3000);
    expect(later.filter((r) => r.kind === 'part')).toHaveLength(1500);
    expect(later.filter((r) => r.kind === 'duplicate')).toHaveLength(1500);
    for (const row of later) {
      const i = Number(row.id.slice(1));
      if (row.kind === 'part') expect([row.id[0], row.ordinal, row.opens]).toEqual(['L', i, false]);
      else expect([row.kind, row.id[0]]).toEqual(['duplicate', 'W']);
    }
  });

  it('gives a blank record (no segment) segments []', () => {
    expect(run([long(0, 2, 'B')])).toEqual([{ kind: 'part', file: 0, line: 2, id: 'B', ordinal: 0, opens: true, segments: [] }]);
  });

  it('keeps a broken record with a usable id in its customer, marked invalid (it spoils the customer)', () => {
    const rows = [
      long(0, 2, 'L', undefined, 'blank value for segment type "tier"'),
      long(0, 3, 'L', { type: 'a', value: '1' }),
      long(0, 4, 'M', { type: 'a', value: '1' }),
    ];
    expect(run(rows, { chunkSize: 1 })).toEqual([
      { kind: 'part', file: 0, line: 2, id: 'L', ordinal: 0, opens: true, segments: [], invalid: 'blank value for segment type "tier"' },
      { kind: 'part', file: 0, line: 3, id: 'L', ordinal: 0, opens: false, segments: [{ type: 'a', value: '1' }] },
      { kind: 'part', file: 0, line: 4, id: 'M', ordinal: 1, opens: true, segments: [{ type: 'a', value: '1' }] },
    ]);
  });

  it('makes a long record whose id itself is the problem (empty, too long) a plain invalid row claiming nothing', () => {
    const tooLong = 'x'.repeat(MAX_ID_LENGTH + 1);
    const rows = [
      long(0, 2, '', undefined, 'empty document_id'),
      long(0, 3, tooLong, undefined, `document_id longer than ${MAX_ID_LENGTH} characters`),
      long(0, 4, 'ok', { type: 'a', value: '1' }),
    ];
    expect(run(rows, { chunkSize: 1 })).toEqual([
      { kind: 'invalid', file: 0, line: 2, id: '', reason: 'empty document_id' },
      { kind: 'invalid', file: 0, line: 3, id: tooLong, reason: `document_id longer than ${MAX_ID_LENGTH} characters` },
      { kind: 'part', file: 0, line: 4, id: 'ok', ordinal: 0, opens: true, segments: [{ type: 'a', value: '1' }] },
    ]);
    expect(index.lookup('')).toBeUndefined();
  });

  it('keeps the first occurrence between layouts: a long record after a wide row is its duplicate, and the other way round', () => {
    const rows = [
      valid(0, 2, 'W'),
      long(1, 2, 'L', { type: 'a', value: '1' }),
      long(1, 3, 'W', { type: 'a', value: '1' }),
      valid(2, 2, 'L'),
    ];
    expect(run(rows, { chunkSize: 1 })).toEqual([
      { kind: 'customer', file: 0, line: 2, id: 'W', segments: seg, clears: false, ordinal: 0 },
      { kind: 'part', file: 1, line: 2, id: 'L', ordinal: 1, opens: true, segments: [{ type: 'a', value: '1' }] },
      { kind: 'duplicate', file: 1, line: 3, id: 'W', keptFile: 0, keptLine: 2 },
      { kind: 'duplicate', file: 2, line: 2, id: 'L', keptFile: 1, keptLine: 2 },
    ]);
  });
});

describe('Classifier: sizing the id index', () => {
  /** The index, recording the re-sizes the classifier asks for. */
  function spied(): { ids: IdIndex; expects: number[] } {
    const expects: number[] = [];
    const ids = new IdIndex({ dir, expectedIds: 100_000 });
    const resize = ids.expect.bind(ids);
    ids.expect = (n: number) => {
      expects.push(n);
      resize(n);
    };
    return { ids, expects };
  }

  it('drops the rows-based size when the first customer is a long one (its rows are records)', () => {
    const { ids, expects } = spied();
    try {
      run([long(0, 2, 'A', seg[0]), long(0, 3, 'B', seg[0]), long(0, 4, 'A', seg[0])], { ids });
      expect(expects).toEqual([0]);
    } finally {
      ids.close();
    }
  });

  it('keeps it when the first customer is a wide one, even if long records follow', () => {
    const { ids, expects } = spied();
    try {
      run([valid(0, 2, 'A'), long(1, 2, 'B', seg[0])], { ids });
      expect(expects).toEqual([]);
    } finally {
      ids.close();
    }
  });
});

describe('Classifier with a shard', () => {
  const many: InputRow[] = Array.from({ length: 400 }, (_, i) => valid(0, i + 2, `cust-${i % 250}`));

  it('yields only its own rows, and the shards together hold every customer exactly once', () => {
    const all = run(many);
    const customersOf = (rows: ClassifiedRow[]) => rows.filter((r) => r.kind === 'customer').map((r) => r.id);
    const perShard: ClassifiedRow[][] = [];
    for (let shard = 0; shard < 3; shard++) {
      const ids = new IdIndex({ dir });
      try {
        perShard.push(run(many, { shard: { index: shard, count: 3 }, ids }));
      } finally {
        ids.close();
      }
      expect(perShard[shard]!.every((r) => shardOfRow(r.id, 3) === shard)).toBe(true);
    }
    expect(perShard.flatMap(customersOf).sort()).toEqual(customersOf(all).sort());
    expect(perShard.reduce((n, rows) => n + rows.length, 0)).toBe(many.length);
  });

  it('numbers customers within the shard from 0', () => {
    const rows = run(many, { shard: { index: 1, count: 3 } });
    const ordinals = rows.flatMap((r) => (r.kind === 'customer' ? [r.ordinal] : []));
    expect(ordinals.length).toBeGreaterThan(0);
    expect(ordinals).toEqual(ordinals.map((_, i) => i));
  });

  it('reports rows without an id in shard 0 only', () => {
    const noId: InputRow = { file: 0, line: 2, id: '', invalid: 'empty document_id' };
    expect(run([noId], { shard: { index: 0, count: 2 } })).toHaveLength(1);
    expect(run([noId], { shard: { index: 1, count: 2 }, ids: freshIndex() })).toHaveLength(0);
  });

  it('returns an empty chunk when every row of a chunk belongs to another shard', () => {
    const classifier = new Classifier({ ids: index, shard: { index: 1, count: 3 } });
    const others = many.filter((r) => shardOfRow(r.id, 3) !== 1).slice(0, 5);
    expect(classifier.classify(others)).toEqual([]);
  });
});

const extra: IdIndex[] = [];
/** A second, empty index in the same temp dir (closed after the test). */
function freshIndex(): IdIndex {
  const ids = new IdIndex({ dir });
  extra.push(ids);
  return ids;
}
afterEach(() => {
  for (const ids of extra.splice(0)) ids.close();
});
