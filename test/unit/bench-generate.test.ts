import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  documentId,
  LONG_HEADER,
  NARROW_HEADER,
  narrowId,
  WIDE_HEADER,
  writeLongUnsortedFile,
  writeNarrowFile,
  writeUniqueIdFile,
  writeWideFile,
} from '../../tools/bench/generate.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-generate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const records = async (file: string): Promise<string[][]> => parse(await readFile(file), { bom: true }) as string[][];

describe('documentId', () => {
  it('gives distinct 10-digit ids to distinct customers', () => {
    const ids = Array.from({ length: 100_000 }, (_, n) => documentId(n));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^\d{10}$/.test(id))).toBe(true);
  });

  it('stays distinct at the far end of the 10M-id file', () => {
    expect(documentId(9_999_999)).not.toBe(documentId(9_999_998));
    expect(documentId(9_999_999)).toMatch(/^\d{10}$/);
  });
});

describe('writeWideFile', () => {
  it('writes the header and the rows it reports, with the share of duplicates asked for', async () => {
    const file = path.join(dir, 'wide.csv');
    const facts = await writeWideFile(file, { rows: 20_000, duplicateShare: 0.05, seed: 7 });
    const [header, ...rows] = await records(file);
    expect(header!.join(',')).toBe(WIDE_HEADER);
    expect(rows).toHaveLength(facts.rows);
    expect(new Set(rows.map((r) => r[0])).size).toBe(facts.customers);
    expect((facts.rows - facts.customers) / facts.rows).toBeCloseTo(0.05, 2);
  });

  it('gives every row one cell per column, quoted cells included', async () => {
    const file = path.join(dir, 'wide.csv');
    await writeWideFile(file, { rows: 2_000, duplicateShare: 0.05, seed: 7 });
    const rows = await records(file);
    expect(rows.every((r) => r.length === 6)).toBe(true);
    expect(rows.some((r) => r[2] === 'north, coast')).toBe(true);
  });

  it('writes the same file for the same seed, so runs measure the same data', async () => {
    const spec = { rows: 1_000, duplicateShare: 0.05, seed: 3 };
    await writeWideFile(path.join(dir, 'a.csv'), spec);
    await writeWideFile(path.join(dir, 'b.csv'), spec);
    expect(await readFile(path.join(dir, 'a.csv'), 'utf8')).toBe(await readFile(path.join(dir, 'b.csv'), 'utf8'));
  });

  it('writes no duplicates when none are asked for', async () => {
    const facts = await writeWideFile(path.join(dir, 'wide.csv'), { rows: 5_000, duplicateShare: 0, seed: 3 });
    expect(facts).toEqual({ rows: 5_000, customers: 5_000 });
  });
});

describe('writeUniqueIdFile', () => {
  it('writes only distinct ids, across more lines than one write holds', async () => {
    const file = path.join(dir, 'ids.csv');
    const facts = await writeUniqueIdFile(file, 70_000);
    const [header, ...rows] = await records(file);
    expect(header).toEqual(['document_id', 'tier']);
    expect(facts).toEqual({ rows: 70_000, customers: 70_000 });
    expect(new Set(rows.map((r) => r[0])).size).toBe(70_000);
  });
});

describe('writeNarrowFile', () => {
  it('writes four short cells a row, ~26 bytes, with the share of duplicates asked for', async () => {
    const file = path.join(dir, 'narrow.csv');
    const facts = await writeNarrowFile(file, { rows: 20_000, duplicateShare: 0.05, seed: 7 });
    const text = await readFile(file, 'utf8');
    const [header, ...rows] = await records(file);
    expect(header!.join(',')).toBe(NARROW_HEADER);
    expect(rows).toHaveLength(facts.rows);
    expect(rows.every((r) => r.length === 4 && r.every((cell) => cell !== ''))).toBe(true);
    expect(new Set(rows.map((r) => r[0])).size).toBe(facts.customers);
    expect((facts.rows - facts.customers) / facts.rows).toBeCloseTo(0.05, 2);
    const bytesPerRow = (Buffer.byteLength(text) - NARROW_HEADER.length - 1) / facts.rows;
    expect(bytesPerRow).toBeGreaterThan(22);
    expect(bytesPerRow).toBeLessThan(30);
  });

  it('gives distinct short ids to distinct customers', () => {
    const ids = Array.from({ length: 100_000 }, (_, n) => narrowId(n));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^C\d{8}$/.test(id))).toBe(true);
  });
});

describe('writeLongUnsortedFile', () => {
  it("writes three rows a customer in the CLI's long layout, no duplicates", async () => {
    const file = path.join(dir, 'long.csv');
    const facts = await writeLongUnsortedFile(file, 5_000, 9);
    const [header, ...rows] = await records(file);
    expect(header!.join(',')).toBe(LONG_HEADER);
    expect(facts).toEqual({ rows: 15_000, customers: 5_000, duplicates: 0 });
    expect(rows).toHaveLength(15_000);
    const byId = new Map<string, string[]>();
    for (const [id, type] of rows) byId.set(id!, [...(byId.get(id!) ?? []), type!]);
    expect(byId.size).toBe(5_000);
    expect([...byId.values()].every((types) => [...types].sort().join() === 'channel,region,tier')).toBe(true);
  });

  it("spreads a customer's rows over the file instead of keeping them together", async () => {
    const file = path.join(dir, 'long.csv');
    await writeLongUnsortedFile(file, 5_000, 9);
    const [, ...rows] = await records(file);
    const adjacent = rows.slice(1).filter((row, i) => row[0] === rows[i]![0]).length;
    expect(adjacent).toBeLessThan(20);
    const first = new Map<string, number>();
    const spans: number[] = [];
    rows.forEach(([id], at) => {
      const seen = first.get(id!);
      if (seen === undefined) first.set(id!, at);
      else spans.push(at - seen);
    });
    // Uniformly shuffled, a customer's rows lie a third of the file apart on average.
    expect(spans.reduce((a, b) => a + b, 0) / spans.length).toBeGreaterThan(rows.length / 5);
  });

  it('writes the same file for the same seed', async () => {
    await writeLongUnsortedFile(path.join(dir, 'a.csv'), 1_000, 3);
    await writeLongUnsortedFile(path.join(dir, 'b.csv'), 1_000, 3);
    expect(await readFile(path.join(dir, 'a.csv'), 'utf8')).toBe(await readFile(path.join(dir, 'b.csv'), 'utf8'));
  });
});
