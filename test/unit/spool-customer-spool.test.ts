import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CustomerSpool } from '../../src/pipeline/spool/index.js';
import type { CustomerRow, Segment } from '../../src/core/types.js';

let dir: string;
const spools: CustomerSpool[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'customer-spool-'));
});
afterEach(() => {
  for (const spool of spools.splice(0)) spool.finish();
  rmSync(dir, { recursive: true, force: true });
});

function newSpool(longRunRecords?: number): CustomerSpool {
  const spool = new CustomerSpool({ dir, longRunRecords });
  spools.push(spool);
  return spool;
}

async function read(spool: CustomerSpool, skip?: (ordinal: number) => boolean): Promise<CustomerRow[]> {
  const out: CustomerRow[] = [];
  for await (const chunk of spool.customers(skip)) out.push(...chunk);
  return out;
}

const wire = (id: string, segments: Segment[] | null): string => JSON.stringify({ document_id: id, segments });
const gold: Segment = { type: 'tier', value: 'gold' };
const north: Segment = { type: 'region', value: 'north' };

function openFilesIn(where: string): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      targets.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the readdir's own descriptor, closed meanwhile
    }
  }
  return targets.filter((target) => target.startsWith(where + path.sep));
}

describe('CustomerSpool', () => {
  it('merges wide/json customers and long customers interleaved by ordinal, in ordinal order', async () => {
    for (const runRecords of [undefined, 1, 2]) {
      const spool = newSpool(runRecords);
      spool.addLongRecord(0, 'L0', gold);
      spool.addCustomer(1, 'W1', [gold]);
      spool.addLongRecord(2, 'L2', north);
      spool.addLongRecord(0, 'L0', north);
      spool.addCustomer(3, 'W3', null);
      spool.addCustomer(4, 'W4', []);
      spool.addLongRecord(5, 'L5', undefined);
      spool.addLongRecord(2, 'L2', gold);
      spool.addCustomer(6, 'W6', [north, gold]);
      spool.finish();
      expect(await read(spool)).toEqual([
        { ordinal: 0, id: 'L0', json: wire('L0', [gold, north]), clears: false },
        { ordinal: 1, id: 'W1', json: wire('W1', [gold]), clears: false },
        { ordinal: 2, id: 'L2', json: wire('L2', [north, gold]), clears: false },
        { ordinal: 3, id: 'W3', json: wire('W3', null), clears: true },
        { ordinal: 4, id: 'W4', json: wire('W4', []), clears: true },
        { ordinal: 5, id: 'L5', json: wire('L5', []), clears: true },
        { ordinal: 6, id: 'W6', json: wire('W6', [north, gold]), clears: false },
      ]);
    }
  });

  it('merges exactly over thousands of customers spread over several chunks, with long runs on disk', async () => {
    const spool = newSpool(50);
    const expected: CustomerRow[] = [];
    const longOrdinals: number[] = [];
    for (let ordinal = 0; ordinal < 5000; ordinal++) {
      if (ordinal % 3 === 0) {
        longOrdinals.push(ordinal);
        expected.push({
          ordinal,
          id: `L${ordinal}`,
          json: wire(`L${ordinal}`, [gold, { type: 'n', value: String(ordinal) }]),
          clears: false,
        });
      } else {
        spool.addCustomer(ordinal, `W${ordinal}`, [{ type: 'n', value: String(ordinal) }]);
        expected.push({ ordinal, id: `W${ordinal}`, json: wire(`W${ordinal}`, [{ type: 'n', value: String(ordinal) }]), clears: false });
      }
    }
    // The long records come in another order than their customers (sorted by the spool).
    for (const ordinal of [...longOrdinals].reverse()) spool.addLongRecord(ordinal, `L${ordinal}`, gold);
    for (const ordinal of longOrdinals) spool.addLongRecord(ordinal, `L${ordinal}`, { type: 'n', value: String(ordinal) });
    spool.finish();
    let chunks = 0;
    for await (const chunk of spool.customers()) {
      chunks++;
      expect(chunk.length).toBeGreaterThan(0);
    }
    expect(chunks).toBeGreaterThan(1);
    expect(await read(spool)).toEqual(expected);
  });

  it('round-trips ids with quotes, backslashes, unicode, tabs and newlines, in both kinds of customer', async () => {
    const ids = ['q"uote', 'back\\slash', '\\"both\\', 'tab\tbed', 'new\nline\r', '日本-😀', 'lone-\uDC00', '', ' spaced '];
    const spool = newSpool(2);
    ids.forEach((id, i) => spool.addCustomer(2 * i, id, [gold]));
    ids.forEach((id, i) => spool.addLongRecord(2 * i + 1, `${id}-long`, gold));
    spool.finish();
    const customers = await read(spool);
    const expectedIds = ids.flatMap((id) => [id, `${id}-long`]);
    expect(customers.map((c) => c.id)).toEqual(expectedIds);
    expect(customers.map((c) => (JSON.parse(c.json) as { document_id: string }).document_id)).toEqual(expectedIds);
  });

  it('keeps segment values with tabs, newlines and quotes intact in the wire JSON', async () => {
    const odd: Segment = { type: 'notes\t"x"', value: 'line 1\nline 2\\' };
    const spool = newSpool();
    spool.addCustomer(0, 'a', [odd]);
    spool.addLongRecord(1, 'b', odd);
    spool.finish();
    const customers = await read(spool);
    expect(customers.map((c) => JSON.parse(c.json))).toEqual([
      { document_id: 'a', segments: [odd] },
      { document_id: 'b', segments: [odd] },
    ]);
  });

  it('sends null segments as null, and marks null and [] as clearing', async () => {
    const spool = newSpool();
    spool.addCustomer(0, 'n', null);
    spool.addCustomer(1, 'e', []);
    spool.addCustomer(2, 's', [gold]);
    spool.finish();
    expect((await read(spool)).map((c) => [c.json, c.clears])).toEqual([
      ['{"document_id":"n","segments":null}', true],
      ['{"document_id":"e","segments":[]}', true],
      ['{"document_id":"s","segments":[{"type":"tier","value":"gold"}]}', false],
    ]);
  });

  it('writes only the wire fields of a segment, in wire order', async () => {
    const spool = newSpool();
    spool.addCustomer(0, 'a', [{ value: 'v', type: 't', line: 7 } as unknown as Segment]);
    spool.finish();
    expect((await read(spool))[0]!.json).toBe('{"document_id":"a","segments":[{"type":"t","value":"v"}]}');
  });

  it('leaves out the customers `skip` names, wide and long alike, and reads the same twice', async () => {
    const spool = newSpool(1);
    for (let ordinal = 0; ordinal < 20; ordinal++) {
      if (ordinal % 2 === 0) spool.addCustomer(ordinal, `W${ordinal}`, [gold]);
      else spool.addLongRecord(ordinal, `L${ordinal}`, gold);
    }
    spool.finish();
    const skipped = (ordinal: number) => ordinal % 4 === 0 || ordinal % 4 === 1;
    const kept = await read(spool, skipped);
    expect(kept.map((c) => c.ordinal)).toEqual([2, 3, 6, 7, 10, 11, 14, 15, 18, 19]);
    expect(await read(spool, skipped)).toEqual(kept);
    expect(await read(spool)).toHaveLength(20);
  });

  it('yields nothing when empty, and refuses to be read before finish()', async () => {
    const empty = newSpool();
    empty.finish();
    empty.finish();
    expect(await read(empty)).toEqual([]);
    await expect(read(newSpool())).rejects.toThrow('CustomerSpool.customers() before finish()');
  });

  it('leaves no file open when the reader stops after the first chunk', async () => {
    const spool = newSpool(100);
    for (let ordinal = 0; ordinal < 6000; ordinal++) {
      if (ordinal % 2 === 0) spool.addCustomer(ordinal, `W${ordinal}`, [gold]);
      else spool.addLongRecord(ordinal, `L${ordinal}`, gold);
    }
    spool.finish();
    for await (const chunk of spool.customers()) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(openFilesIn(dir)).toEqual([]);
    expect(await read(spool)).toHaveLength(6000);
    expect(openFilesIn(dir)).toEqual([]);
  });
});
