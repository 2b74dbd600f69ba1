import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ResultsWriter, type ResultRow } from '../../src/pipeline/report/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'report-results-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const row = (line: number, id: string, status: ResultRow['status'], detail = '', file = 0): ResultRow => ({
  file,
  line,
  id,
  status,
  detail,
});

async function writeAll(inputs: string[], rows: ResultRow[]): Promise<string[][]> {
  const writer = ResultsWriter.open(dir, inputs);
  for (const r of rows) await writer.write(r);
  await writer.commit();
  return parse(readFileSync(path.join(dir, 'results.csv'), 'utf8'));
}

describe('ResultsWriter', () => {
  test('writes an id given as bytes exactly as writeLine writes its string, line numbers counted up or jumping', async () => {
    const lines = [1, 2, 9, 10, 11, 99, 100, 101, 7, 8, 999_999, 1_000_000, 1_000_001, 4_294_967_294, 4_294_967_295, 3];
    const ids = ['plain', '', '+573001234567', '=cmd', 'a,b', 'é😀', '-x', '@', 'quote"d'];
    const viaBytes = ResultsWriter.open(dir, ['a.csv', 'b.csv']);
    const direct = ResultsWriter.open(path.join(dir, 'direct'), ['a.csv', 'b.csv']);
    for (const [i, line] of lines.entries()) {
      const id = `${ids[i % ids.length]!}`;
      const bytes = Buffer.from(`pre${id}post`, 'utf8');
      await viaBytes.writeIdBytes(i % 2, line, bytes, 3, bytes.length - 4, 'valid', i % 3 === 0 ? '' : '=detail, quoted');
      await direct.writeLine(i % 2, line, id, 'valid', i % 3 === 0 ? '' : '=detail, quoted');
    }
    await Promise.all([viaBytes.commit(), direct.commit()]);
    const written = readFileSync(path.join(dir, 'results.csv'), 'utf8');
    expect(written).toBe(readFileSync(path.join(dir, 'direct', 'results.csv'), 'utf8'));
    expect(parse(written).map((r: string[]) => r[0])).toEqual(['line', ...lines.map(String)]);
  });

  test('writes the exact header and one row per input row, in the order given', async () => {
    const records = await writeAll(
      ['a.csv'],
      [
        row(2, 'c-1', 'updated'),
        row(3, 'c-2', 'not_found', 'not in updatedCustomers (customer not found or not updated)'),
        row(4, 'c-1', 'duplicate', 'duplicate of line 2'),
        row(5, '', 'invalid', 'empty document_id'),
      ],
    );
    expect(records).toEqual([
      ['line', 'document_id', 'status', 'detail'],
      ['2', 'c-1', 'updated', ''],
      ['3', 'c-2', 'not_found', 'not in updatedCustomers (customer not found or not updated)'],
      ['4', 'c-1', 'duplicate', 'duplicate of line 2'],
      ['5', '', 'invalid', 'empty document_id'],
    ]);
  });

  test('adds a file column with the display path in multi-file runs', async () => {
    const records = await writeAll(['first.csv', 'dir/second.csv'], [row(2, 'x', 'updated', '', 0), row(2, 'y', 'failed', 'HTTP 503', 1)]);
    expect(records[0]).toEqual(['line', 'document_id', 'status', 'detail', 'file']);
    expect(records.slice(1)).toEqual([
      ['2', 'x', 'updated', '', 'first.csv'],
      ['2', 'y', 'failed', 'HTTP 503', 'dir/second.csv'],
    ]);
  });

  test('neutralises formula triggers in ids, details and file names, then quotes them', async () => {
    const records = await writeAll(
      ['=evil.csv', 'ok.csv'],
      [
        row(2, '-12', 'invalid', '=HYPERLINK("http://x")'),
        row(3, '@id,with comma', 'failed', '+1 "quoted"\nsecond line'),
        row(4, '\tTAB', 'failed', '\rCR', 1),
      ],
    );
    expect(records.slice(1)).toEqual([
      ['2', '-12', 'invalid', `'=HYPERLINK("http://x")`, "'=evil.csv"],
      ['3', "'@id,with comma", 'failed', `'+1 "quoted"\nsecond line`, "'=evil.csv"],
      ['4', "'\tTAB", 'failed', "'\rCR", 'ok.csv'],
    ]);
  });

  test('writeLine writes the fields as write writes the row, and a change of status, detail or file alone shows', async () => {
    const writer = ResultsWriter.open(dir, ['a.csv', 'b.csv']);
    writer.writeLine(0, 2, 'x', 'valid', '');
    await writer.write(row(3, 'y', 'valid', '', 0));
    writer.writeLine(0, 4, 'z', 'invalid', '');
    writer.writeLine(0, 5, 'z', 'invalid', 'empty segment type');
    writer.writeLine(1, 6, 'z', 'invalid', 'empty segment type');
    writer.writeLine(1, 7, 'w', 'valid', '');
    await writer.commit();
    expect(parse(readFileSync(path.join(dir, 'results.csv'), 'utf8')).slice(1)).toEqual([
      ['2', 'x', 'valid', '', 'a.csv'],
      ['3', 'y', 'valid', '', 'a.csv'],
      ['4', 'z', 'invalid', '', 'a.csv'],
      ['5', 'z', 'invalid', 'empty segment type', 'a.csv'],
      ['6', 'z', 'invalid', 'empty segment type', 'b.csv'],
      ['7', 'w', 'valid', '', 'b.csv'],
    ]);
  });

  test('the file is not visible before commit', async () => {
    const rows = 100_000; // ~2 MB: several chunks, so some of them reached the temp file already
    const writer = ResultsWriter.open(dir, ['a.csv']);
    for (let i = 0; i < rows; i++) await writer.write(row(i + 2, `id-${i}`, 'updated'));
    expect(readdirSync(dir)).not.toContain('results.csv');
    await writer.commit();
    expect(readdirSync(dir)).toEqual(['results.csv']);
    expect(readFileSync(path.join(dir, 'results.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(1 + rows);
  });

  test('abort leaves nothing behind, not even the temp file', async () => {
    const writer = ResultsWriter.open(dir, ['a.csv']);
    for (let i = 0; i < 100_000; i++) await writer.write(row(i + 2, `id-${i}`, 'updated'));
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^\.results\.csv\..*\.tmp$/)]);
    await writer.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  test('writes large reports in chunks without losing or reordering rows', async () => {
    const count = 200_000;
    const writer = ResultsWriter.open(dir, ['a.csv']);
    for (let i = 0; i < count; i++) void writer.write(row(i + 2, `customer-${i}`, i % 2 ? 'updated' : 'not_found'));
    await writer.commit();
    const lines = readFileSync(path.join(dir, 'results.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(count + 1);
    expect(lines[1]).toBe('2,customer-0,not_found,');
    expect(lines[count]).toBe(`${count + 1},customer-${count - 1},updated,`);
  });

  test('creates the report directory when it does not exist yet', async () => {
    const nested = path.join(dir, 'reports', 'today');
    const writer = ResultsWriter.open(nested, ['a.csv']);
    await writer.write(row(2, 'x', 'valid'));
    await writer.commit();
    expect(readFileSync(path.join(nested, 'results.csv'), 'utf8')).toBe('line,document_id,status,detail\n2,x,valid,\n');
  });

  test('commit fails, and no file appears, when the directory cannot be written', async () => {
    const blocked = path.join(dir, 'blocked');
    const writer = ResultsWriter.open(blocked, ['a.csv']);
    rmSync(blocked, { recursive: true });
    await writer.write(row(2, 'x', 'updated'));
    await expect(writer.commit()).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
