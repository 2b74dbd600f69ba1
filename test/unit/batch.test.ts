import { batchCustomers, requestBody, type BatchLimits } from '../../src/pipeline/batch/index.js';
import type { Batch, CustomerRow, Segment } from '../../src/core/types.js';

let nextOrdinal = 0;

/** A customer as the spool yields it: its wire JSON serialised once, in pass 1. */
function customer(id: string, segments: Segment[] | null = [{ type: 'tier', value: 'gold' }]): CustomerRow {
  return {
    ordinal: nextOrdinal++,
    id,
    json: JSON.stringify({ document_id: id, segments }),
    clears: segments === null || segments.length === 0,
  };
}

/** The customers in chunks of three, as the spool yields them (the last one may be shorter). */
async function* stream<T>(items: readonly T[]): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += 3) yield items.slice(i, i + 3);
}

async function collect(
  customers: CustomerRow[],
  limits: BatchLimits,
  onOversized?: (customer: CustomerRow, bytes: number) => void,
): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of batchCustomers(stream(customers), limits, onOversized)) batches.push(batch);
  return batches;
}

const bodyBytes = (customers: readonly CustomerRow[]): number => Buffer.byteLength(requestBody(customers));
const ids = (batch: Batch): string[] => batch.customers.map((c) => c.id);
const roomy = (maxCustomers: number): BatchLimits => ({ maxCustomers, maxBytes: 1_048_576 });

beforeEach(() => {
  nextOrdinal = 0;
});

describe('requestBody', () => {
  it("joins the customers' JSON into exactly the wire shape of the contract, null segments included", () => {
    const customers = [customer('a-1', [{ type: 'tier', value: 'gold' }]), customer('b-2', null), customer('c-3', [])];
    expect(requestBody(customers)).toBe(`{"customers":[${customers.map((c) => c.json).join(',')}]}`);
    expect(JSON.parse(requestBody(customers))).toEqual({
      customers: [
        { document_id: 'a-1', segments: [{ type: 'tier', value: 'gold' }] },
        { document_id: 'b-2', segments: null },
        { document_id: 'c-3', segments: [] },
      ],
    });
  });

  it('builds a valid empty body from no customers', () => {
    expect(requestBody([])).toBe('{"customers":[]}');
  });
});

describe('batchCustomers', () => {
  it('closes a batch at maxCustomers and numbers batches from 0', async () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => customer(id));
    const batches = await collect(rows, roomy(2));
    expect(batches.map(ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(batches.map((b) => b.seq)).toEqual([0, 1, 2]);
  });

  it('closes a batch at maxBytes when that comes before maxCustomers', async () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => customer(id));
    const twoFit = bodyBytes(rows.slice(0, 2));
    const batches = await collect(rows, { maxCustomers: 100, maxBytes: twoFit });
    expect(batches.map(ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('fills a batch up to exactly maxBytes, and one byte less pushes the last customer out', async () => {
    const rows = ['a', 'b', 'c'].map((id) => customer(id));
    const exact = bodyBytes(rows);
    expect((await collect(rows, { maxCustomers: 100, maxBytes: exact })).map(ids)).toEqual([['a', 'b', 'c']]);
    expect((await collect(rows, { maxCustomers: 100, maxBytes: exact - 1 })).map(ids)).toEqual([['a', 'b'], ['c']]);
  });

  it('reports bytes equal to the UTF-8 length of the request body, for non-ASCII and escaped values', async () => {
    const rows = [
      customer('ñandú-1', [{ type: 'región', value: 'Bogotá' }]),
      customer('客户-2', [
        { type: '等级', value: '金' },
        { type: 'emoji', value: '😀🎉' },
      ]),
      customer('q"3', [{ type: 'path', value: 'C:\\temp\n"quoted"' }]),
      customer('lone-\uD800', null),
      customer('plain-5'),
    ];
    const batches = await collect(rows, { maxCustomers: 2, maxBytes: 1_048_576 });
    expect(batches).toHaveLength(3);
    for (const batch of batches) {
      expect(batch.bytes).toBe(bodyBytes(batch.customers));
      expect(JSON.parse(requestBody(batch.customers)).customers.map((c: { document_id: string }) => c.document_id)).toEqual(ids(batch));
    }
  });

  it('respects a byte cap measured in UTF-8 bytes, not UTF-16 characters', async () => {
    const rows = ['😀😀😀😀', '日本語日本語', 'ééééé'].map((v, i) => customer(`id-${i}`, [{ type: 't', value: v }]));
    const twoFit = bodyBytes(rows.slice(0, 2));
    expect(requestBody(rows.slice(0, 2)).length).toBeLessThan(twoFit);
    const batches = await collect(rows, { maxCustomers: 100, maxBytes: twoFit });
    expect(batches.map(ids)).toEqual([['id-0', 'id-1'], ['id-2']]);
    for (const batch of batches) expect(batch.bytes).toBeLessThanOrEqual(twoFit);
  });

  it('passes the spooled customers through unchanged: same objects, ordinals and JSON, in order', async () => {
    const rows = [customer('a', null), customer('b'), customer('c', [])];
    const batches = await collect(rows, roomy(2));
    expect(batches.flatMap((b) => b.customers)).toEqual(rows);
    batches.flatMap((b) => b.customers).forEach((c, i) => expect(c).toBe(rows[i]));
    expect(batches.flatMap((b) => b.customers.map((c) => c.ordinal))).toEqual([0, 1, 2]);
  });

  it('yields nothing for no customers, also when the spool yields empty chunks', async () => {
    expect(await collect([], roomy(10))).toEqual([]);
    async function* empties(): AsyncGenerator<CustomerRow[]> {
      yield [];
      yield [];
    }
    const batches: Batch[] = [];
    for await (const batch of batchCustomers(empties(), roomy(10))) batches.push(batch);
    expect(batches).toEqual([]);
  });

  it('fills batches across chunk boundaries', async () => {
    const rows = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => customer(id));
    const batches = await collect(rows, roomy(5));
    expect(batches.map(ids)).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['f', 'g'],
    ]);
  });

  it('applies a lowered maxCustomers (as the sender does after a 413) to the batches built afterwards', async () => {
    const limits = roomy(3);
    const rows = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => customer(id));
    const sizes: number[] = [];
    for await (const batch of batchCustomers(stream(rows), limits)) {
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
    expect(reported).toEqual([['big', bodyBytes([big])]]);
    expect(batches[1]!.bytes).toBe(bodyBytes(batches[1]!.customers));
    expect(batches[1]!.bytes).toBeGreaterThan(maxBytes);
  });

  it('does not call the oversized callback for customers that fit', async () => {
    const rows = ['a', 'b', 'c'].map((id) => customer(id));
    const reported: string[] = [];
    await collect(rows, { maxCustomers: 1, maxBytes: bodyBytes([rows[0]!]) }, (row) => reported.push(row.id));
    expect(reported).toEqual([]);
  });

  it('never exceeds either cap except for a lone oversized customer, over a varied stream', async () => {
    const rows: CustomerRow[] = [];
    for (let i = 0; i < 300; i++) {
      rows.push(
        customer(`c-${i}`, i % 17 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => ({ type: `t${k}`, value: 'ü'.repeat(i % 13) }))),
      );
    }
    const limits = { maxCustomers: 9, maxBytes: 600 };
    const batches = await collect(rows, limits);
    for (const batch of batches) {
      expect(batch.bytes).toBe(bodyBytes(batch.customers));
      expect(batch.customers.length).toBeLessThanOrEqual(limits.maxCustomers);
      if (batch.customers.length > 1) expect(batch.bytes).toBeLessThanOrEqual(limits.maxBytes);
    }
    expect(batches.flatMap(ids)).toEqual(rows.map((r) => r.id));
    expect(batches.map((b) => b.seq)).toEqual(batches.map((_, i) => i));
  });
});
