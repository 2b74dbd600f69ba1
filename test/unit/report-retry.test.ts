import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { RetryWriter, type RetrySpec } from '../../src/pipeline/report/index.js';
import { CustomerSpool } from '../../src/pipeline/spool/index.js';
import type { Customer, Segment } from '../../src/core/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-retry-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const failed: Customer[] = [
  {
    document_id: '-12',
    segments: [
      { type: 'tier', value: '=gold' },
      { type: 'region, zone', value: 'north "N"' },
    ],
  },
  { document_id: 'c,2', segments: [{ type: 'tier', value: 'multi\nline' }] },
  { document_id: 'c-3', segments: [] },
];

async function writeRetry(spec: RetrySpec, customers: Customer[]): Promise<string[][]> {
  const writer = RetryWriter.open(dir, spec);
  for (const customer of customers) writer.add(customer);
  const written = await writer.commit();
  expect(written).toBe(path.join(dir, 'retry.csv'));
  return parse(readFileSync(written!, 'utf8'));
}

/** How each layout reads back: an independent, minimal reading of the three layouts. */
function readWide([header, ...rows]: string[][]): Customer[] {
  return rows.map(([id, ...cells]) => ({
    document_id: id!,
    segments: cells.flatMap((value, i): Segment[] => (value === '' ? [] : [{ type: header![i + 1]!, value }])),
  }));
}

function readJson([, ...rows]: string[][]): Customer[] {
  return rows.map(([id, segments]) => ({ document_id: id!, segments: JSON.parse(segments!) as Segment[] | null }));
}

function readLong([, ...rows]: string[][]): Customer[] {
  const customers: Customer[] = [];
  for (const [id, type, value] of rows) {
    const previous = customers.at(-1);
    const current: Customer = previous && previous.document_id === id ? previous : { document_id: id!, segments: [] };
    if (current !== previous) customers.push(current);
    if (type !== '') current.segments!.push({ type: type!, value: value! });
  }
  return customers;
}

describe('RetryWriter', () => {
  test('wide: id column plus every segment type column, blank where a customer has no segment', async () => {
    const records = await writeRetry({ layout: 'wide', idColumn: 'customer_id', segmentTypes: ['tier', 'region, zone', 'unused'] }, failed);
    expect(records[0]).toEqual(['customer_id', 'tier', 'region, zone', 'unused']);
    expect(records[3]).toEqual(['c-3', '', '', '']);
    expect(readWide(records)).toEqual(failed);
  });

  test('json: id and the segments as a JSON array, or null', async () => {
    const customers = [...failed, { document_id: 'c-4', segments: null }];
    const records = await writeRetry({ layout: 'json', idColumn: 'document_id', segmentTypes: [] }, customers);
    expect(records[0]).toEqual(['document_id', 'segments']);
    expect(records[4]).toEqual(['c-4', 'null']);
    expect(readJson(records)).toEqual(customers);
  });

  test('json: only the wire fields of a segment are written', async () => {
    const extra = { type: 't', value: 'v', note: 'internal' } as Segment;
    const records = await writeRetry({ layout: 'json', idColumn: 'document_id', segmentTypes: [] }, [
      { document_id: 'x', segments: [extra] },
    ]);
    expect(records[1]).toEqual(['x', '[{"type":"t","value":"v"}]']);
  });

  test('long: one row per segment, and one row with blank type and value for a customer without segments', async () => {
    const records = await writeRetry({ layout: 'long', idColumn: 'document_id', segmentTypes: [] }, failed);
    expect(records).toEqual([
      ['document_id', 'type', 'value'],
      ['-12', 'tier', '=gold'],
      ['-12', 'region, zone', 'north "N"'],
      ['c,2', 'tier', 'multi\nline'],
      ['c-3', '', ''],
    ]);
    expect(readLong(records)).toEqual(failed);
  });

  test('keeps formula-like values exactly as they were (no neutralising quote)', async () => {
    const records = await writeRetry({ layout: 'long', idColumn: 'document_id', segmentTypes: [] }, failed);
    expect(records[1]).toEqual(['-12', 'tier', '=gold']);
  });

  test('writes no file, and returns undefined, when nothing failed', async () => {
    const writer = RetryWriter.open(dir, { layout: 'wide', idColumn: 'document_id', segmentTypes: ['tier'] });
    await expect(writer.commit()).resolves.toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  test('the file appears only on commit, and abort leaves nothing', async () => {
    const writer = RetryWriter.open(dir, { layout: 'json', idColumn: 'document_id', segmentTypes: [] });
    writer.add(failed[0]!);
    expect(existsSync(path.join(dir, 'retry.csv'))).toBe(false);
    await writer.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  test('wide: a segment type that is not a column is refused rather than silently dropped', () => {
    const writer = RetryWriter.open(dir, { layout: 'wide', idColumn: 'document_id', segmentTypes: ['tier'] });
    expect(() => writer.add({ document_id: 'x', segments: [{ type: 'other', value: 'v' }] })).toThrow(/"other" is not a column/);
  });

  test('round-trips the customers as the run writes them: from the spool, wide and long alike', async () => {
    const spool = new CustomerSpool({ dir, longRunRecords: 2 });
    spool.addCustomer(0, '-12', failed[0]!.segments);
    spool.addLongRecord(1, 'c,2', { type: 'tier', value: 'multi\nline' });
    spool.addCustomer(2, 'n-4', null);
    spool.addLongRecord(3, 'c-3', undefined);
    spool.addLongRecord(1, 'c,2', { type: 'tier', value: 'multi\nline' });
    spool.finish();
    const customers: Customer[] = [];
    for await (const chunk of spool.customers()) for (const c of chunk) customers.push(JSON.parse(c.json) as Customer);
    const records = await writeRetry({ layout: 'json', idColumn: 'document_id', segmentTypes: [] }, customers);
    expect(readJson(records)).toEqual([failed[0], failed[1], { document_id: 'n-4', segments: null }, failed[2]]);
    rmSync(path.join(dir, 'retry.csv'));
    const longCustomers = customers.filter((c) => c.segments !== null);
    expect(readLong(await writeRetry({ layout: 'long', idColumn: 'document_id', segmentTypes: [] }, longCustomers))).toEqual(failed);
  });
});
