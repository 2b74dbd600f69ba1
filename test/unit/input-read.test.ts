import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { FileReader, readInputs, type FileFacts, type InputFile, type InputOptions } from '../../src/pipeline/input/index.js';
import type { InputRow } from '../../src/core/types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const OPTS: InputOptions = { idColumn: 'document_id', skipEmpty: false, maxRecordBytes: 1 << 20, maxFields: 1000 };

function fixture(name: string): InputFile {
  const file = path.join(FIXTURES, name);
  return { path: file, display: file };
}

async function collect(chunks: AsyncIterable<InputRow[]>): Promise<InputRow[]> {
  const out: InputRow[] = [];
  for await (const rows of chunks) out.push(...rows);
  return out;
}

/** Reads bytes fed in the given chunks, the way readInputs feeds a file. */
function parseChunks(chunks: Buffer[], opts: Partial<InputOptions> = {}): InputRow[] {
  const reader = new FileReader('mem.csv', 0, { ...OPTS, ...opts });
  const rows: InputRow[] = [];
  let taken: InputRow[];
  for (const chunk of chunks) {
    reader.write(chunk);
    while ((taken = reader.takeRows()).length > 0) rows.push(...taken);
  }
  reader.end();
  while ((taken = reader.takeRows()).length > 0) rows.push(...taken);
  return rows;
}

function oneByteChunks(text: string | Buffer): Buffer[] {
  return [...Buffer.from(text)].map((byte) => Buffer.from([byte]));
}

const lineAndId = (rows: InputRow[]): [number, string][] => rows.map((r) => [r.line, r.id]);

describe('line numbers', () => {
  const text =
    '\ufeffdocument_id,tier,note\r\n' + // 1
    'a,gold,plain\r\n' + // 2
    '\r\n' + // 3 blank
    'b,silver,"two\r\nlines"\r\n' + // 4-5
    '   \n' + // 6 whitespace only
    'c,bronze,"three\nshort\nlines"\n' + // 7-9
    'd,gold,"lone\rcr"\r' + // 10-11 (a lone CR ends a line too)
    'e,"x,y","say ""hi"""\n' + // 12
    '\n\n' + // 13-14
    'f,gold,end'; // 15, no final line break

  test('name the physical line where each record starts', async () => {
    const expected = [
      [2, 'a'],
      [4, 'b'],
      [7, 'c'],
      [10, 'd'],
      [12, 'e'],
      [15, 'f'],
    ];
    expect(lineAndId(parseChunks([Buffer.from(text)]))).toEqual(expected);
  });

  test('do not depend on where chunks are cut', async () => {
    const whole = parseChunks([Buffer.from(text)]);
    expect(parseChunks(oneByteChunks(text))).toEqual(whole);
  });

  test('are right for a generated file with random quoting, breaks and blank lines', async () => {
    const { text: generated, lines } = generateCsv(2000, 11);
    const rows = parseChunks([Buffer.from(generated)]);
    expect(rows.map((r) => r.line)).toEqual(lines);
    expect(rows.every((r) => r.invalid === undefined)).toBe(true);
  });

  test('are right when a multi-line record and a last record without a line break are completed together', async () => {
    // The parser holds back the end of a chunk, so both records are completed only by end().
    const rows = parseChunks([Buffer.from('document_id,note\na,"x\ny"\nb')]);
    expect(lineAndId(rows)).toEqual([
      [2, 'a'],
      [4, 'b'],
    ]);
  });

  test('are right for multi-line records cut by chunk boundaries anywhere', async () => {
    const { text: generated, lines } = generateCsv(300, 5);
    const bytes = Buffer.from(generated);
    for (const size of [7, 64, 1000]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      expect(parseChunks(chunks).map((r) => r.line)).toEqual(lines);
    }
  });

  test('survive many records completed by one chunk', async () => {
    const body = Array.from({ length: 20000 }, (_, i) => `id-${i},gold\n`).join('');
    const rows = parseChunks([Buffer.from(`document_id,tier\n${body}`)]);
    expect(rows).toHaveLength(20000);
    expect(rows[19999]).toEqual({ file: 0, line: 20001, id: 'id-19999', segments: [{ type: 'tier', value: 'gold' }] });
  });
});

/** A CSV whose record start lines are known by construction (seeded, so deterministic). */
function generateCsv(records: number, seed: number): { text: string; lines: number[] } {
  let state = seed;
  const random = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const breaks = ['\n', '\r\n', '\r'];
  // A lone CR followed by an LF would read as one CRLF break: never put '\n' right after '\r'.
  const nextBreak = (): string => {
    const options = text.endsWith('\r') ? breaks.slice(1) : breaks;
    return options[random(options.length)] as string;
  };
  const pieces = ['plain', 'with,comma', 'say "hi"', 'multi\nline', 'crlf\r\ninside', 'cr\ronly', 'ünï', ''];
  let text = 'document_id,a,b\n';
  let line = 2;
  const lines: number[] = [];
  for (let i = 0; i < records; i++) {
    while (random(5) === 0) {
      text += nextBreak();
      line++;
    }
    lines.push(line);
    const fields = [`id-${i}`, pieces[random(pieces.length)] as string, pieces[random(pieces.length)] as string];
    for (const field of fields) {
      for (let k = 0; k < field.length; k++) if (field[k] === '\n' || (field[k] === '\r' && field[k + 1] !== '\n')) line++;
    }
    const quote = (f: string): string => (/[",\r\n]/.test(f) || random(3) === 0 ? `"${f.replace(/"/g, '""')}"` : f);
    text += fields.map(quote).join(',');
    text += nextBreak();
    line++;
  }
  return { text, lines };
}

describe('layouts through the reader', () => {
  test('wide fixture: every row, trimmed, with the all-blank row clearing segments', async () => {
    const rows = await collect(readInputs([fixture('customers-wide.csv')], OPTS));
    expect(rows).toHaveLength(31);
    expect(rows[4]).toEqual({
      file: 0,
      line: 6,
      id: '1148-2212',
      segments: [
        { type: 'tier', value: 'gold' },
        { type: 'region', value: 'North, coastal' },
        { type: 'churn_risk', value: 'low' },
      ],
    });
    expect(rows[12]).toEqual({ file: 0, line: 14, id: '1999-2531', segments: [] });
    expect(rows[30]).toEqual({
      file: 0,
      line: 32,
      id: '1555-2795',
      segments: [
        { type: 'tier', value: 'gold' },
        { type: 'region', value: 'east' },
      ],
    });
  });

  test('wide fixture with skipEmpty: the all-blank row is skipped', async () => {
    const rows = await collect(readInputs([fixture('customers-wide.csv')], { ...OPTS, skipEmpty: true }));
    expect(rows.filter((r) => r.skipped)).toEqual([expect.objectContaining({ line: 14, id: '1999-2531', skipped: true })]);
  });

  test('semicolon fixture: BOM, CRLF and a quoted delimiter', async () => {
    const facts: FileFacts[] = [];
    const rows = await collect(readInputs([fixture('customers-semicolon.csv')], OPTS, facts));
    expect(facts[0]).toMatchObject({ delimiter: ';', layout: 'wide', header: ['document_id', 'tier', 'region', 'churn_risk'] });
    expect(rows.at(-1)).toEqual({
      file: 0,
      line: 12,
      id: '1370-2530',
      segments: [
        { type: 'tier', value: 'gold' },
        { type: 'region', value: 'Nord; côte' },
        { type: 'churn_risk', value: 'low' },
      ],
    });
  });

  test('json fixture: arrays, null and [] with quotes inside values', async () => {
    const rows = await collect(readInputs([fixture('customers-json.csv')], OPTS));
    const byLine = new Map(rows.map((r) => [r.line, r]));
    expect(byLine.get(14)).toEqual({ file: 0, line: 14, id: '1444-2636', segments: null });
    expect(byLine.get(15)?.segments).toEqual([]);
    expect(byLine.get(16)?.segments).toEqual([
      { type: 'tier', value: 'gold' },
      { type: 'note', value: 'likes "premium", weekends' },
    ]);
    expect(rows.every((r) => r.invalid === undefined)).toBe(true);
  });

  test('long fixture: one row per record, at its own line, marked long', async () => {
    const facts: FileFacts[] = [];
    const rows = await collect(readInputs([fixture('customers-long.csv')], OPTS, facts));
    expect(rows).toHaveLength(28);
    expect(rows.slice(0, 4)).toEqual([
      { file: 0, line: 2, id: '1000-2000', long: true, segments: [{ type: 'tier', value: 'gold' }] },
      { file: 0, line: 3, id: '1000-2000', long: true, segments: [{ type: 'region', value: 'north' }] },
      { file: 0, line: 4, id: '1000-2000', long: true, segments: [{ type: 'churn_risk', value: 'low' }] },
      { file: 0, line: 5, id: '1037-2053', long: true, segments: [{ type: 'tier', value: 'silver' }] },
    ]);
    expect(rows.find((r) => r.id === '1370-2530')).toEqual({ file: 0, line: 27, id: '1370-2530', long: true, segments: [] });
    expect(rows.at(-1)).toEqual({ file: 0, line: 29, id: '1000-2000', long: true, segments: [{ type: 'tier', value: 'bronze' }] });
    expect(rows.every((r) => r.long === true && r.moreLines === undefined)).toBe(true);
    expect(facts[0]).toMatchObject({ layout: 'long', rows: 28, segmentTypes: ['tier', 'region', 'churn_risk'] });
  });

  test('several files read as one stream, each row naming its file', async () => {
    const rows = await collect(readInputs([fixture('customers-json.csv'), fixture('customers-long.csv')], OPTS));
    expect(rows[0]?.file).toBe(0);
    expect(rows.at(-1)?.file).toBe(1);
  });
});

describe('chunks of rows', () => {
  test('each chunk of bytes gives its rows in one chunk, so a large file takes far fewer awaits than rows', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'input-chunks-'));
    try {
      const file = path.join(dir, 'many.csv');
      await fs.writeFile(file, `document_id,tier\n${Array.from({ length: 50_000 }, (_, i) => `id-${i},gold\n`).join('')}`);
      const sizes: number[] = [];
      for await (const chunk of readInputs([{ path: file, display: file }], OPTS)) sizes.push(chunk.length);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(50_000);
      expect(sizes.length).toBeLessThan(50);
      expect(sizes.every((n) => n > 0)).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('without buildSegments the rows are the same, checked alike, only without segments', async () => {
    const files = ['customers-wide.csv', 'customers-json.csv', 'customers-long.csv'].map(fixture);
    const built = await collect(readInputs(files, { ...OPTS, skipEmpty: true }));
    const checked = await collect(readInputs(files, { ...OPTS, skipEmpty: true, buildSegments: false }));
    expect(checked).toEqual(
      built.map(({ segments, ...rest }) => (segments?.length === 0 && rest.file === 0 ? { ...rest, blank: true } : rest)),
    );
    expect(checked.some((r) => r.skipped)).toBe(true);
  });
});

describe('gzip', () => {
  test('a .gz file reads like its content, and its sha256 is of the compressed bytes', async () => {
    const facts: FileFacts[] = [];
    const rows = await collect(readInputs([fixture('customers.csv.gz')], OPTS, facts));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toEqual({
      file: 0,
      line: 2,
      id: '1000-2000',
      segments: [
        { type: 'tier', value: 'bronze' },
        { type: 'region', value: 'north' },
      ],
    });
    const raw = await fs.readFile(fixture('customers.csv.gz').path);
    expect(facts[0]?.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  test('gzip is recognised by its magic bytes whatever the file name', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'input-gz-'));
    try {
      const file = path.join(dir, 'export.csv');
      await fs.writeFile(file, gzipSync('document_id,tier\nx,gold\n'));
      expect(await collect(readInputs([{ path: file, display: file }], OPTS))).toEqual([
        { file: 0, line: 2, id: 'x', segments: [{ type: 'tier', value: 'gold' }] },
      ]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('repeatability and facts', () => {
  const files = ['customers-wide.csv', 'customers-json.csv', 'customers-long.csv', 'customers-semicolon.csv', 'customers.csv.gz'].map(
    fixture,
  );

  test('reading twice gives equal rows and equal facts', async () => {
    const firstFacts: FileFacts[] = [];
    const secondFacts: FileFacts[] = [];
    const first = await collect(readInputs(files, OPTS, firstFacts));
    const second = await collect(readInputs(files, OPTS, secondFacts));
    expect(second).toEqual(first);
    expect(secondFacts).toEqual(firstFacts);
  });

  test('facts describe each file', async () => {
    const facts: FileFacts[] = [];
    await collect(readInputs(files.slice(0, 1), OPTS, facts));
    const raw = await fs.readFile(files[0]?.path as string);
    expect(facts).toEqual([
      {
        path: files[0]?.display,
        sha256: createHash('sha256').update(raw).digest('hex'),
        rows: 31,
        layout: 'wide',
        delimiter: ',',
        encoding: 'utf-8',
        header: ['document_id', 'tier', 'region', 'churn_risk'],
        idColumn: 'document_id',
        segmentTypes: ['tier', 'region', 'churn_risk'],
        typeStats: [
          {
            type: 'tier',
            distinct: 4,
            distinctCapped: false,
            values: 30,
            top: [
              ['gold', 8],
              ['bronze', 8],
              ['silver', 7],
            ],
          },
          { type: 'region', distinct: expect.any(Number), distinctCapped: false, values: expect.any(Number), top: expect.any(Array) },
          { type: 'churn_risk', distinct: expect.any(Number), distinctCapped: false, values: expect.any(Number), top: expect.any(Array) },
        ],
        ignoredColumns: [],
        repeatedHeaders: 0,
        notes: [],
      },
    ]);
  });

  test('a given delimiter and layout are used instead of detection', async () => {
    const rows = parseChunks([Buffer.from('document_id;type;value\nx;tier;gold\n')], { delimiter: ';', layout: 'wide' });
    expect(rows).toEqual([
      {
        file: 0,
        line: 2,
        id: 'x',
        segments: [
          { type: 'type', value: 'tier' },
          { type: 'value', value: 'gold' },
        ],
      },
    ]);
  });

  test('a forced long layout reads a header with extra columns', async () => {
    const rows = parseChunks([Buffer.from('document_id,type,value,source\nx,tier,gold,crm\n')], { layout: 'long' });
    expect(rows).toEqual([{ file: 0, line: 2, id: 'x', long: true, segments: [{ type: 'tier', value: 'gold' }] }]);
  });

  test('a custom id column is honoured', async () => {
    const rows = parseChunks([Buffer.from('tier,customer\ngold,x\n')], { idColumn: 'customer' });
    expect(rows).toEqual([{ file: 0, line: 2, id: 'x', segments: [{ type: 'tier', value: 'gold' }] }]);
  });
});
