import { MAX_CARRIED_ROWS, batchRows, customerJson, requestBody, type BatchLimits } from '../../src/batch.js';
import type { Batch, ClassifiedRow, CustomerRow, Segment } from '../../src/types.js';

let nextLine = 2;

function customer(id: string, segments: Segment[] | null = [{ type: 'tier', value: 'gold' }]): CustomerRow {
  const line = nextLine++;
  return { kind: 'customer', file: 0, line, id, segments, ordinal: line };
}

function invalid(reason = 'empty document_id'): ClassifiedRow {
  return { kind: 'invalid', file: 0, line: nextLine++, id: '', reason };
}

function duplicate(id: string, keptLine: number): ClassifiedRow {
  return { kind: 'duplicate', file: 0, line: nextLine++, id, keptFile: 0, keptLine };
}

function done(id: string): ClassifiedRow {
  const line = nextLine++;
  return { kind: 'done', file: 0, line, id, ordinal: line, status: 'updated' };
}

/** The rows in chunks of three, as the classifier yields them (the last one may be shorter). */
async function* stream<T>(items: readonly T[]): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += 3) yield items.slice(i, i + 3);
}

async function collect(rows: ClassifiedRow[], limits: BatchLimits, onOversized?: (row: CustomerRow, bytes: number) => void): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of batchRows(stream(rows), limits, onOversized)) batches.push(batch);
  return batches;
}

const bodyBytes = (parts: readonly string[]): number => Buffer.byteLength(requestBody(parts));
const ids = (batch: Batch): string[] => batch.customers.map((c) => c.id);
const lines = (rows: readonly ClassifiedRow[]): number[] => rows.map((r) => r.line);
const roomy = (maxCustomers: number): BatchLimits => ({ maxCustomers, maxBytes: 1_048_576 });

beforeEach(() => {
  nextLine = 2;
});

describe('customerJson and requestBody', () => {
  it('serialise exactly the wire shape of the contract, null segments included', () => {
    const rows = [customer('a-1', [{ type: 'tier', value: 'gold' }]), customer('b-2', null), customer('c-3', [])];
    const body = JSON.parse(requestBody(rows.map(customerJson)));
    expect(body).toEqual({
      customers: [
        { document_id: 'a-1', segments: [{ type: 'tier', value: 'gold' }] },
        { document_id: 'b-2', segments: null },
        { document_id: 'c-3', segments: [] },
      ],
    });
  });

  it('builds a valid empty body from no parts', () => {
    expect(JSON.parse(requestBody([]))).toEqual({ customers: [] });
  });
});

describe('batchRows', () => {
  it('closes a batch at maxCustomers and numbers batches from 0', async () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => customer(id));
    const batches = await collect(rows, roomy(2));
    expect(batches.map(ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(batches.map((b) => b.seq)).toEqual([0, 1, 2]);
  });

  it('closes a batch at maxBytes when that comes before maxCustomers', async () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => customer(id));
    const twoFit = bodyBytes(rows.slice(0, 2).map(customerJson));
    const batches = await collect(rows, { maxCustomers: 100, maxBytes: twoFit });
    expect(batches.map(ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('fills a batch up to exactly maxBytes, and one byte less pushes the last customer out', async () => {
    const rows = ['a', 'b', 'c'].map((id) => customer(id));
    const exact = bodyBytes(rows.map(customerJson));
    expect((await collect(rows, { maxCustomers: 100, maxBytes: exact })).map(ids)).toEqual([['a', 'b', 'c']]);
    expect((await collect(rows, { maxCustomers: 100, maxBytes: exact - 1 })).map(ids)).toEqual([['a', 'b'], ['c']]);
  });

  it('reports bytes equal to the UTF-8 length of the request body, for non-ASCII and escaped values', async () => {
    const rows = [
      customer('ñandú-1', [{ type: 'región', value: 'Bogotá' }]),
      customer('客户-2', [{ type: '等级', value: '金' }, { type: 'emoji', value: '😀🎉' }]),
      customer('q"3', [{ type: 'path', value: 'C:\\temp\n"quoted"' }]),
      customer('lone-\uD800', null),
      customer('plain-5'),
    ];
    const batches = await collect(rows, { maxCustomers: 2, maxBytes: 1_048_576 });
    expect(batches).toHaveLength(3);
    for (const batch of batches) {
      expect(batch.bytes).toBe(bodyBytes(batch.parts));
      expect(JSON.parse(requestBody(batch.parts)).customers.map((c: { document_id: string }) => c.document_id)).toEqual(ids(batch));
    }
  });

  it('respects a byte cap measured in UTF-8 bytes, not UTF-16 characters', async () => {
    const rows = ['😀😀😀😀', '日本語日本語', 'ééééé'].map((v, i) => customer(`id-${i}`, [{ type: 't', value: v }]));
    const twoFit = bodyBytes(rows.slice(0, 2).map(customerJson));
    expect(requestBody(rows.slice(0, 2).map(customerJson)).length).toBeLessThan(twoFit);
    const batches = await collect(rows, { maxCustomers: 100, maxBytes: twoFit });
    expect(batches.map(ids)).toEqual([['id-0', 'id-1'], ['id-2']]);
    for (const batch of batches) expect(batch.bytes).toBeLessThanOrEqual(twoFit);
  });

  it('keeps parts aligned with customers, each part the JSON of its customer', async () => {
    const rows = [customer('a', null), customer('b'), customer('c', [])];
    const [batch] = await collect(rows, roomy(10));
    expect(batch!.parts.map((p) => JSON.parse(p))).toEqual(
      batch!.customers.map((c) => ({ document_id: c.id, segments: c.segments })),
    );
  });

  it('carries rows that are not sent along with the customers that follow them, in input order', async () => {
    const rows = [invalid(), customer('a'), duplicate('a', 3), customer('b'), done('x'), customer('c'), invalid()];
    const batches = await collect(rows, roomy(2));
    expect(batches.map(ids)).toEqual([['a', 'b'], ['c']]);
    expect(batches.flatMap((b) => lines(b.rows))).toEqual(lines(rows));
    expect(batches[0]!.rows.map((r) => r.kind)).toEqual(['invalid', 'customer', 'duplicate', 'customer', 'done']);
    expect(batches[1]!.rows.map((r) => r.kind)).toEqual(['customer', 'invalid']);
  });

  it('yields the rows after the last customer in a final batch', async () => {
    const rows = [customer('a'), customer('b'), invalid(), duplicate('a', 2)];
    const batches = await collect(rows, roomy(1));
    expect(batches.map(ids)).toEqual([['a'], ['b']]);
    expect(batches.at(-1)!.rows.map((r) => r.kind)).toEqual(['customer', 'invalid', 'duplicate']);
  });

  it('yields a customer-less batch for input without customers, and nothing for empty input', async () => {
    const onlyInvalid = [invalid(), invalid('bad JSON in segments')];
    const batches = await collect(onlyInvalid, roomy(10));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ seq: 0, customers: [], parts: [], bytes: bodyBytes([]) });
    expect(lines(batches[0]!.rows)).toEqual(lines(onlyInvalid));
    expect(await collect([], roomy(10))).toEqual([]);
  });

  it('flushes a long run of rows not sent as customer-less batches, numbered in sequence', async () => {
    const carried = Array.from({ length: MAX_CARRIED_ROWS * 2 + 5 }, () => invalid());
    const rows = [...carried, customer('a')];
    const batches = await collect(rows, roomy(10));
    expect(batches.map((b) => [b.seq, b.customers.length, b.rows.length])).toEqual([
      [0, 0, MAX_CARRIED_ROWS],
      [1, 0, MAX_CARRIED_ROWS],
      [2, 1, 6],
    ]);
    expect(batches.flatMap((b) => lines(b.rows))).toEqual(lines(rows));
  });

  it('bounds the rows a batch carries even when a customer is followed by a long run of duplicates', async () => {
    const first = customer('a');
    const rows = [first, ...Array.from({ length: MAX_CARRIED_ROWS * 2 }, () => duplicate('a', first.line)), customer('b')];
    const batches = await collect(rows, roomy(100));
    for (const batch of batches) expect(batch.rows.length - batch.customers.length).toBeLessThanOrEqual(MAX_CARRIED_ROWS);
    expect(batches.flatMap(ids)).toEqual(['a', 'b']);
    expect(batches.flatMap((b) => lines(b.rows))).toEqual(lines(rows));
    expect(batches.map((b) => b.seq)).toEqual(batches.map((_, i) => i));
  });

  it('applies a lowered maxCustomers (as the sender does after a 413) to the batches built afterwards', async () => {
    const limits = roomy(3);
    const rows = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => customer(id));
    const sizes: number[] = [];
    for await (const batch of batchRows(stream(rows), limits)) {
      sizes.push(batch.customers.length);
      limits.maxCustomers = 1;
    }
    expect(sizes).toEqual([3, 1, 1, 1, 1]);
  });

  it('sends an oversized customer alone and reports it with the size of its request body', async () => {
    const small = (id: string) => customer(id, [{ type: 't', value: 'v' }]);
    const big = customer('big', [{ type: 'notes', value: 'x'.repeat(500) }]);
    const rows = [small('a'), small('b'), big, small('c')];
    const maxBytes = 300;
    const reported: [string, number][] = [];
    const batches = await collect(rows, { maxCustomers: 100, maxBytes }, (row, bytes) => reported.push([row.id, bytes]));
    expect(batches.map(ids)).toEqual([['a', 'b'], ['big'], ['c']]);
    expect(reported).toEqual([['big', bodyBytes([customerJson(big)])]]);
    expect(batches[1]!.bytes).toBe(bodyBytes(batches[1]!.parts));
    expect(batches[1]!.bytes).toBeGreaterThan(maxBytes);
  });

  it('does not call the oversized callback for customers that fit', async () => {
    const rows = ['a', 'b', 'c'].map((id) => customer(id));
    const reported: string[] = [];
    await collect(rows, { maxCustomers: 1, maxBytes: bodyBytes([customerJson(rows[0]!)]) }, (row) => reported.push(row.id));
    expect(reported).toEqual([]);
  });

  it('never exceeds either cap except for a lone oversized customer, over a mixed stream', async () => {
    const rows: ClassifiedRow[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 7 === 3) rows.push(invalid());
      else if (i % 11 === 5) rows.push(duplicate(`c-${i - 1}`, 2));
      else rows.push(customer(`c-${i}`, Array.from({ length: i % 4 }, (_, k) => ({ type: `t${k}`, value: 'ü'.repeat(i % 13) }))));
    }
    const limits = { maxCustomers: 9, maxBytes: 600 };
    const batches = await collect(rows, limits);
    for (const batch of batches) {
      expect(batch.bytes).toBe(bodyBytes(batch.parts));
      expect(batch.customers.length).toBeLessThanOrEqual(limits.maxCustomers);
      if (batch.customers.length > 1) expect(batch.bytes).toBeLessThanOrEqual(limits.maxBytes);
    }
    expect(batches.flatMap((b) => lines(b.rows))).toEqual(lines(rows));
  });
});
