import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { documentId, WIDE_HEADER } from '../../tools/bench/generate.js';
import { changesOnNight2, idText, idValue, nightIds, writeNightFile, type NightOrder } from '../../tools/bench/nights.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-nights-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rowsOf = async (file: string): Promise<string[][]> => parse(await readFile(file), { bom: true }) as string[][];
const byId = (rows: string[][]): Map<string, string> => new Map(rows.map((r) => [r[0]!, r.slice(1).join('|')]));

describe('nightIds', () => {
  it('gives the same ids as the wide file generator', () => {
    expect(idText(idValue(12_345))).toBe(documentId(12_345));
  });

  it.each<NightOrder>(['generated', 'sorted', 'shuffled'])('lists every customer once in %s order', (order) => {
    const ids = nightIds(5_000, order, 1);
    expect(new Set(ids).size).toBe(5_000);
    expect([...ids].sort((a, b) => a - b)).toEqual([...nightIds(5_000, 'generated', 1)].sort((a, b) => a - b));
  });

  it('sorts ascending, and shuffles the same way for the same seed', () => {
    const sorted = [...nightIds(2_000, 'sorted', 1)];
    expect(sorted.every((id, i) => i === 0 || id > sorted[i - 1]!)).toBe(true);
    expect(nightIds(2_000, 'shuffled', 5)).toEqual(nightIds(2_000, 'shuffled', 5));
    expect(nightIds(2_000, 'shuffled', 5)).not.toEqual(nightIds(2_000, 'generated', 5));
  });
});

describe('changesOnNight2', () => {
  it('changes exactly one customer in every hundred consecutive ones', () => {
    for (const start of [0, 100, 9_999_900]) {
      const changed = Array.from({ length: 100 }, (_, k) => idValue(start + k)).filter(changesOnNight2);
      expect(changed).toHaveLength(1);
    }
  });
});

describe('writeNightFile', () => {
  it('writes night 2 with the same customers, 1% of them with other segments, in any order', async () => {
    const spec = { customers: 3_000, seed: 42 };
    const f1 = await writeNightFile(path.join(dir, 'n1.csv'), { ...spec, order: 'generated', night: 1 });
    const f2 = await writeNightFile(path.join(dir, 'n2.csv'), { ...spec, order: 'shuffled', night: 2 });
    expect(f1).toEqual({ rows: 3_000, customers: 3_000, changed: 0 });
    expect(f2).toEqual({ rows: 3_000, customers: 3_000, changed: 30 });
    const [h1, ...r1] = await rowsOf(path.join(dir, 'n1.csv'));
    const [h2, ...r2] = await rowsOf(path.join(dir, 'n2.csv'));
    expect(h1!.join(',')).toBe(WIDE_HEADER);
    expect(h2).toEqual(h1);
    expect(r2.map((r) => r[0])).not.toEqual(r1.map((r) => r[0]));
    const m1 = byId(r1);
    const m2 = byId(r2);
    expect([...m2.keys()].sort()).toEqual([...m1.keys()].sort());
    const differ = [...m2].filter(([id, cells]) => m1.get(id) !== cells).map(([id]) => id);
    expect(differ).toHaveLength(30);
    expect(differ.every((id) => changesOnNight2(Number(id)))).toBe(true);
  });

  it('changes only the tier of a changed customer', async () => {
    await writeNightFile(path.join(dir, 'n1.csv'), { customers: 1_000, order: 'sorted', night: 1, seed: 1 });
    await writeNightFile(path.join(dir, 'n2.csv'), { customers: 1_000, order: 'sorted', night: 2, seed: 1 });
    const [, ...r1] = await rowsOf(path.join(dir, 'n1.csv'));
    const [, ...r2] = await rowsOf(path.join(dir, 'n2.csv'));
    r1.forEach((row, i) => {
      const other = r2[i]!;
      expect(other[0]).toBe(row[0]);
      expect(other.slice(2)).toEqual(row.slice(2));
      expect(other[1] !== row[1]).toBe(changesOnNight2(Number(row[0])));
    });
  });
});
