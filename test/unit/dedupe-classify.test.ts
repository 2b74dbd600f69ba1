import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classify, knownStatus, shardOfRow, type ClassifyOptions } from '../../src/dedupe/classify.js';
import { IdIndex } from '../../src/dedupe/id-index.js';
import { UsageError } from '../../src/errors.js';
import type { ClassifiedRow, InputRow } from '../../src/types.js';

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

/** The rows in chunks of three, as the reader yields them (the last one may be shorter). */
async function* stream(rows: InputRow[]): AsyncGenerator<InputRow[]> {
  for (let i = 0; i < rows.length; i += 3) yield rows.slice(i, i + 3);
}

async function run(rows: InputRow[], opts: Omit<ClassifyOptions, 'ids'>, ids = index): Promise<ClassifiedRow[]> {
  const out: ClassifiedRow[] = [];
  for await (const chunk of classify(stream(rows), { ids, ...opts })) out.push(...chunk);
  return out;
}

const seg = [{ type: 'tier', value: 'gold' }];
const valid = (file: number, line: number, id: string): InputRow => ({ file, line, id, segments: seg });

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

describe('classify in record mode (pass 1)', () => {
  it('keeps the first occurrence over the whole run and names the kept file and line on duplicates', async () => {
    expect(await run(twoFiles, { mode: 'record' })).toEqual([
      { kind: 'customer', file: 0, line: 2, id: 'A', segments: seg, ordinal: 0 },
      { kind: 'customer', file: 0, line: 3, id: 'B', segments: seg, ordinal: 1 },
      { kind: 'invalid', file: 0, line: 4, id: '', reason: 'empty document_id' },
      { kind: 'duplicate', file: 0, line: 5, id: 'A', keptFile: 0, keptLine: 2 },
      { kind: 'invalid', file: 0, line: 6, id: 'C', reason: 'wrong number of fields: expected 3, got 2' },
      { kind: 'customer', file: 0, line: 7, id: 'C', segments: seg, ordinal: 2 },
      { kind: 'duplicate', file: 1, line: 2, id: 'B', keptFile: 0, keptLine: 3 },
      { kind: 'customer', file: 1, line: 3, id: 'D', segments: seg, ordinal: 3 },
      { kind: 'invalid', file: 1, line: 5, id: 'E', reason: 'skipped: every segment cell is blank (--skip-empty)', skipped: true },
    ]);
  });

  it("carries a long-layout block's other lines on every kind of row", async () => {
    const rows = await run(
      [
        { file: 0, line: 2, moreLines: [3, 4], id: 'L', segments: seg },
        { file: 0, line: 5, moreLines: [6], id: 'L', segments: seg },
        { file: 0, line: 7, moreLines: [8], id: 'M', invalid: 'blank value for segment type "tier" on line 8' },
      ],
      { mode: 'record' },
    );
    expect(rows.map((r) => [r.kind, r.line, r.moreLines])).toEqual([
      ['customer', 2, [3, 4]],
      ['duplicate', 5, [6]],
      ['invalid', 7, [8]],
    ]);
  });

  it('passes null segments through (the input said null)', async () => {
    const [row] = await run([{ file: 0, line: 2, id: 'N', segments: null }], { mode: 'record' });
    expect(row).toMatchObject({ kind: 'customer', segments: null });
  });
});

describe('classify in replay mode (pass 2)', () => {
  it('yields exactly what the record pass yielded', async () => {
    const rows: InputRow[] = [];
    for (let i = 0; i < 5000; i++) rows.push(valid(i % 2, i + 2, `id-${(i * 7919) % 3000}`));
    const recorded = await run(rows, { mode: 'record' });
    const replayed = await run(rows, { mode: 'replay' });
    expect(replayed).toEqual(recorded);
    expect(recorded.filter((r) => r.kind === 'customer')).toHaveLength(3000);
  });

  it('fails loudly when a row holds an id the record pass never saw (the input changed)', async () => {
    await run([valid(0, 2, 'A')], { mode: 'record' });
    await expect(run([valid(0, 2, 'Z')], { mode: 'replay' })).rejects.toThrow(/changed while the run was reading it/);
  });
});

describe('classify with a shard', () => {
  const many: InputRow[] = Array.from({ length: 400 }, (_, i) => valid(0, i + 2, `cust-${i % 250}`));

  it('yields only its own rows, and the shards together hold every customer exactly once', async () => {
    const all = await run(many, { mode: 'record' });
    const customersOf = (rows: ClassifiedRow[]) => rows.filter((r) => r.kind === 'customer').map((r) => r.id);
    const perShard: ClassifiedRow[][] = [];
    for (let shard = 0; shard < 3; shard++) {
      const ids = new IdIndex({ dir });
      try {
        perShard.push(await run(many, { mode: 'record', shard: { index: shard, count: 3 } }, ids));
      } finally {
        ids.close();
      }
      expect(perShard[shard]!.every((r) => shardOfRow(r.id, 3) === shard)).toBe(true);
    }
    expect(perShard.flatMap(customersOf).sort()).toEqual(customersOf(all).sort());
    expect(perShard.reduce((n, rows) => n + rows.length, 0)).toBe(many.length);
  });

  it('numbers customers within the shard from 0', async () => {
    const rows = await run(many, { mode: 'record', shard: { index: 1, count: 3 } });
    const ordinals = rows.flatMap((r) => (r.kind === 'customer' ? [r.ordinal] : []));
    expect(ordinals).toEqual(ordinals.map((_, i) => i));
  });

  it('reports rows without an id in shard 0 only', async () => {
    const noId: InputRow = { file: 0, line: 2, id: '', invalid: 'empty document_id' };
    expect(await run([noId], { mode: 'record', shard: { index: 0, count: 2 } })).toHaveLength(1);
    expect(await run([noId], { mode: 'record', shard: { index: 1, count: 2 } })).toHaveLength(0);
  });

  it('yields no empty chunk when every row of a chunk belongs to another shard', async () => {
    const chunks: ClassifiedRow[][] = [];
    for await (const chunk of classify(stream(many), { ids: index, mode: 'record', shard: { index: 1, count: 3 } })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
  });

  it('rejects a bad shard at once, naming --shard and the value', () => {
    const ids = index;
    expect(() => classify(stream([]), { ids, mode: 'record', shard: { index: 3, count: 3 } })).toThrow(UsageError);
    expect(() => classify(stream([]), { ids, mode: 'record', shard: { index: 3, count: 3 } })).toThrow(
      '--shard: the shard index must be an integer from 0 to 2, got 3',
    );
    expect(() => classify(stream([]), { ids, mode: 'record', shard: { index: 0, count: 0 } })).toThrow('got 0');
  });
});

describe('classify on resume', () => {
  it('yields customers acknowledged by an earlier run as done, with their status and ordinal', async () => {
    const earlier = new Map<number, 'updated' | 'not_found'>([
      [0, 'updated'],
      [2, 'not_found'],
    ]);
    await run(twoFiles, { mode: 'record' });
    const rows = await run(twoFiles, { mode: 'replay', acknowledged: (ordinal) => earlier.get(ordinal) });
    expect(rows.filter((r) => r.kind === 'done' || r.kind === 'customer')).toEqual([
      { kind: 'done', file: 0, line: 2, id: 'A', ordinal: 0, status: 'updated' },
      { kind: 'customer', file: 0, line: 3, id: 'B', segments: seg, ordinal: 1 },
      { kind: 'done', file: 0, line: 7, id: 'C', ordinal: 2, status: 'not_found' },
      { kind: 'customer', file: 1, line: 3, id: 'D', segments: seg, ordinal: 3 },
    ]);
  });
});

describe('classify options', () => {
  it('rejects an unknown mode when called, before any row is read', () => {
    expect(() => classify(stream([]), { ids: index, mode: 'both' as never })).toThrow(
      `classify option mode must be 'record' or 'replay', got "both"`,
    );
  });
});

describe('knownStatus', () => {
  it('gives the final status of rows that will not be sent, and none for customers to send', async () => {
    const statuses = (await run(twoFiles, { mode: 'record', acknowledged: (o) => (o === 3 ? 'updated' : undefined) })).map(knownStatus);
    expect(statuses).toEqual([undefined, undefined, 'invalid', 'duplicate', 'invalid', undefined, 'duplicate', 'updated', 'invalid']);
  });
});
