/**
 * The input rules of issue 7 through the whole reader (bytes in, rows and facts out): repeated
 * header lines, `sep=`, Excel's trailing unnamed columns, encodings, column selection, the "not a
 * segment column" rule and the per-input facts.
 */
import { InputError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { FileReader, type InputOptions, type ParsedFacts } from '../../src/pipeline/input/index.js';
import type { InputRow } from '../../src/core/types.js';

const OPTS: InputOptions = { idColumn: 'document_id', skipEmpty: false, maxRecordBytes: 1 << 20, maxFields: 1000 };

interface Read {
  rows: InputRow[];
  facts: ParsedFacts;
}

/** Reads bytes fed in the given chunks, the way readInputs feeds a file. */
function read(input: string | Buffer | Buffer[], opts: Partial<InputOptions> = {}): Read {
  const reader = new FileReader('mem.csv', 0, { ...OPTS, ...opts });
  const rows: InputRow[] = [];
  let taken: InputRow[];
  const chunks = Array.isArray(input) ? input : [Buffer.from(input)];
  for (const chunk of chunks) {
    reader.write(chunk);
    while ((taken = reader.takeRows()).length > 0) rows.push(...taken);
  }
  reader.end();
  while ((taken = reader.takeRows()).length > 0) rows.push(...taken);
  return { rows, facts: reader.facts() };
}

/** The InputError reading stops with, and the rows returned before it. */
function refusal(input: string | Buffer | Buffer[], opts: Partial<InputOptions> = {}): InputError & { rowsBefore: InputRow[] } {
  const rows: InputRow[] = [];
  const reader = new FileReader('mem.csv', 0, { ...OPTS, ...opts });
  try {
    let taken: InputRow[];
    for (const chunk of Array.isArray(input) ? input : [Buffer.from(input)]) {
      reader.write(chunk);
      while ((taken = reader.takeRows()).length > 0) rows.push(...taken);
    }
    reader.end();
    while ((taken = reader.takeRows()).length > 0) rows.push(...taken);
  } catch (err) {
    if (err instanceof InputError) return Object.assign(err, { rowsBefore: rows });
    throw err;
  }
  throw new Error('expected the input to be refused');
}

const oneByteChunks = (bytes: Buffer): Buffer[] => [...bytes].map((byte) => Buffer.from([byte]));
const ids = (rows: InputRow[]): [number, string][] => rows.map((r) => [r.line, r.id]);

describe('a data line identical to the header (concatenated exports)', () => {
  // `zcat part-*.csv.gz | segment-sync run -`: each part has its header, maybe its own BOM.
  const parts = 'document_id,tier\na,gold\n' + '\ufeffDocument_ID , TIER\nb,silver\n' + 'document_id,tier\r\nc,bronze\n';

  test('is skipped, counted, and noted; it never becomes a row', () => {
    const { rows, facts } = read(parts);
    expect(ids(rows)).toEqual([
      [2, 'a'],
      [4, 'b'],
      [6, 'c'],
    ]);
    expect(facts).toMatchObject({ rows: 3, repeatedHeaders: 2 });
    expect(facts.notes).toEqual([expect.stringMatching(/^2 lines identical to the header skipped .*first at line 3$/)]);
  });

  test('is skipped in the long and json layouts too', () => {
    const long = read('document_id,type,value\na,tier,gold\ndocument_id,type,value\na,region,north\n');
    expect(long.rows.map((r) => r.line)).toEqual([2, 4]);
    expect(long.facts.repeatedHeaders).toBe(1);
    const json = read('document_id,segments\na,[]\nDOCUMENT_ID,SEGMENTS\n');
    expect(json.rows).toHaveLength(1);
  });

  test('a header line unlike the first one is an invalid row, not a customer named "document_id"', () => {
    const { rows, facts } = read('document_id,tier\na,gold\ndocument_id,region\nb,north\n');
    expect(rows[1]).toMatchObject({ line: 3, id: 'document_id', invalid: expect.stringContaining('share one header') });
    expect(facts.repeatedHeaders).toBe(0);
  });
});

describe('a sep= first line (Excel)', () => {
  const excel = 'sep=;\r\ndocument_id;tier;region\r\n1;gold;"north; coast"\r\n2;silver;\r\n';

  test('sets the delimiter and is skipped; the header is line 2', () => {
    const { rows, facts } = read(excel);
    expect(rows).toEqual([
      {
        file: 0,
        line: 3,
        id: '1',
        segments: [
          { type: 'tier', value: 'gold' },
          { type: 'region', value: 'north; coast' },
        ],
      },
      { file: 0, line: 4, id: '2', segments: [{ type: 'tier', value: 'silver' }] },
    ]);
    expect(facts).toMatchObject({ delimiter: ';', rows: 2, header: ['document_id', 'tier', 'region'] });
    expect(facts.notes).toEqual([expect.stringContaining('sep=;')]);
  });

  test('is read alike whatever the chunks, and after a BOM', () => {
    const whole = read(excel);
    expect(read(oneByteChunks(Buffer.from(`\ufeff${excel}`)))).toEqual(whole);
  });

  test('with --delimiter given, the line is still skipped and the given delimiter is used', () => {
    const { rows, facts } = read('sep=;\ndocument_id,tier\n1,gold\n', { delimiter: ',' });
    expect(ids(rows)).toEqual([[3, '1']]);
    expect(facts.delimiter).toBe(',');
    expect(facts.notes[0]).toContain('--delimiter');
  });

  test('header problems name line 2', () => {
    expect(refusal('sep=,\ncustomer,tier\n')).toMatchObject({ code: 'MISSING_ID_COLUMN', line: 2 });
  });

  test('the same line again later (concatenated Excel exports) is skipped too, with its header', () => {
    const { rows, facts } = read(`${excel}sep=;\r\ndocument_id;tier;region\r\n3;gold;\r\n`);
    expect(ids(rows)).toEqual([
      [3, '1'],
      [4, '2'],
      [7, '3'],
    ]);
    expect(facts.repeatedHeaders).toBe(1);
    expect(facts.notes).toContainEqual(expect.stringContaining('1 more "sep=" line skipped'));
  });

  test('only as the first line: later, it is data', () => {
    const { rows } = read('document_id,tier\nsep=;,x\n');
    expect(rows).toEqual([{ file: 0, line: 2, id: 'sep=;', segments: [{ type: 'tier', value: 'x' }] }]);
  });
});

describe("trailing header columns without a name (Excel's padding)", () => {
  test('are ignored with a note; rows with or without the padding are fine; a value in one is an invalid row', () => {
    const { rows, facts } = read('document_id,tier,,\n1,gold,,\n2,silver\n3,bronze,,x\n4,gold,\n');
    expect(rows.map((r) => [r.id, r.invalid ?? 'ok'])).toEqual([
      ['1', 'ok'],
      ['2', 'ok'],
      ['3', 'a value in column 4, which has no name in the header; name the column or remove the value'],
      ['4', 'wrong number of fields: expected 2 or 4, got 3'],
    ]);
    expect(facts).toMatchObject({ segmentTypes: ['tier'], header: ['document_id', 'tier', '', ''] });
    expect(facts.notes).toEqual([expect.stringContaining('2 columns without a name')]);
  });

  test('an unnamed column between named ones is still a structural problem', () => {
    expect(refusal('document_id,,tier\n1,,gold\n').code).toBe('EMPTY_HEADER_NAME');
  });
});

describe('encodings', () => {
  const text = 'document_id,city,note\r\n1,Bogotá,“quoted”\r\n2,東京,🎉 party\r\n';
  const expected = [
    {
      file: 0,
      line: 2,
      id: '1',
      segments: [
        { type: 'city', value: 'Bogotá' },
        { type: 'note', value: '“quoted”' },
      ],
    },
    {
      file: 0,
      line: 3,
      id: '2',
      segments: [
        { type: 'city', value: '東京' },
        { type: 'note', value: '🎉 party' },
      ],
    },
  ];

  test('a UTF-16 BOM selects UTF-16 by itself, little- or big-endian, characters cut across chunks', () => {
    const le = Buffer.from(`\ufeff${text}`, 'utf16le');
    const be = Buffer.from(le).swap16();
    for (const [bytes, encoding] of [
      [le, 'utf-16le'],
      [be, 'utf-16be'],
    ] as const) {
      const whole = read(bytes);
      expect(whole.rows).toEqual(expected);
      expect(whole.facts.encoding).toBe(encoding);
      expect(read(oneByteChunks(bytes)).rows).toEqual(expected);
    }
  });

  test('--encoding utf-16le reads a UTF-16 file without a BOM', () => {
    expect(read(Buffer.from(text, 'utf16le'), { encoding: 'utf-16le' }).rows).toEqual(expected);
  });

  test('--encoding windows-1252 reads an Excel export (€ and curly quotes), --encoding latin1 a Latin-1 one', () => {
    const cp1252 = Buffer.concat([
      Buffer.from('document_id,city,price\n1,Bogot'),
      Buffer.from([0xe1]),
      Buffer.from(','),
      Buffer.from([0x80, 0x93, 0x35, 0x94]),
      Buffer.from('\n'),
    ]);
    const { rows, facts } = read(cp1252, { encoding: 'windows-1252' });
    expect(rows[0]?.segments).toEqual([
      { type: 'city', value: 'Bogotá' },
      { type: 'price', value: '€“5”' },
    ]);
    expect(facts.encoding).toBe('windows-1252');
    expect(read(cp1252.subarray(0, 30), { encoding: 'latin1' }).facts.encoding).toBe('latin1');
  });

  test('without --encoding, Latin-1 bytes are refused, and the message names --encoding', () => {
    const err = refusal(Buffer.concat([Buffer.from('document_id,city\n1,Bogot'), Buffer.from([0xe1]), Buffer.from('\n')]));
    expect(err).toMatchObject({ code: 'INVALID_UTF8', line: 2 });
    expect(err.message).toContain('re-export the file as UTF-8, or read it with --encoding windows-1252');
  });

  test('NUL bytes are still binary in Latin-1 and Windows-1252', () => {
    for (const encoding of ['latin1', 'windows-1252'] as const) {
      expect(refusal(Buffer.from('document_id,tier\n1,go\u0000ld\n'), { encoding })).toMatchObject({ code: 'BINARY_FILE', line: 2 });
    }
  });

  test('a byte Windows-1252 does not define is refused rather than replaced', () => {
    expect(
      refusal(Buffer.concat([Buffer.from('document_id,tier\n1,'), Buffer.from([0x81]), Buffer.from('\n')]), { encoding: 'windows-1252' }),
    ).toMatchObject({
      code: 'INVALID_ENCODING',
      line: 2,
    });
  });

  test('UTF-8 is recorded as the encoding of a UTF-8 file', () => {
    expect(read('document_id,tier\n1,gold\n').facts.encoding).toBe('utf-8');
    expect(read('document_id,tier\n1,gold\n', { encoding: 'utf-8' }).facts.encoding).toBe('utf-8');
  });
});

describe('layouts through the reader', () => {
  test('a long export with capitalised Type/Value and an extra column is long, the extra column ignored', () => {
    const { rows, facts } = read(
      'Document_ID,Type,Value,source\n3001,tier,gold,crm\n3001,region,north,crm\n3002,tier,silver,web\n3001,churn_risk,low,crm\n',
    );
    expect(rows).toEqual([
      { file: 0, line: 2, id: '3001', long: true, segments: [{ type: 'tier', value: 'gold' }] },
      { file: 0, line: 3, id: '3001', long: true, segments: [{ type: 'region', value: 'north' }] },
      { file: 0, line: 4, id: '3002', long: true, segments: [{ type: 'tier', value: 'silver' }] },
      { file: 0, line: 5, id: '3001', long: true, segments: [{ type: 'churn_risk', value: 'low' }] },
    ]);
    expect(facts).toMatchObject({
      layout: 'long',
      idColumn: 'Document_ID',
      segmentTypes: ['tier', 'region', 'churn_risk'],
      ignoredColumns: ['source'],
      typeStats: [
        {
          type: 'tier',
          distinct: 2,
          top: [
            ['gold', 1],
            ['silver', 1],
          ],
        },
        { type: 'region', distinct: 1 },
        { type: 'churn_risk', distinct: 1 },
      ],
    });
    expect(facts.notes).toEqual([expect.stringContaining('"source"')]);
  });

  test('an ambiguous header is refused with exit 3, naming --layout', () => {
    const err = refusal('document_id,segments,type,value\n1,[],tier,gold\n');
    expect(err).toMatchObject({ code: 'AMBIGUOUS_LAYOUT', line: 1, exitCode: ExitCode.InputRejected });
    expect(err.message).toContain('--layout');
  });

  test('json facts list the types in order of first appearance', () => {
    const { facts } = read(
      'document_id,segments\n1,"[{""type"":""region"",""value"":""north""}]"\n2,null\n3,"[{""type"":""tier"",""value"":""gold""},{""type"":""region"",""value"":""north""}]"\n',
    );
    expect(facts).toMatchObject({
      layout: 'json',
      segmentTypes: ['region', 'tier'],
      typeStats: [{ type: 'region', distinct: 1, values: 2, top: [['north', 2]] }, { type: 'tier' }],
    });
  });
});

describe('--segment-columns and --ignore-columns', () => {
  const file = 'customer_id,email,Tier,Churn risk\n1,a@x,gold,low\n2,b@x,,high\n';
  const id = { idColumn: 'customer_id' };

  test('--segment-columns sends the listed columns under their types; the facts say what is sent and what is not', () => {
    const { rows, facts } = read(file, {
      ...id,
      segmentColumns: [
        { header: 'churn risk', type: 'churn_risk' },
        { header: 'TIER', type: 'tier' },
      ],
    });
    expect(rows[0]?.segments).toEqual([
      { type: 'tier', value: 'gold' },
      { type: 'churn_risk', value: 'low' },
    ]);
    expect(facts).toMatchObject({ segmentTypes: ['tier', 'churn_risk'], ignoredColumns: ['email'] });
  });

  test('a listed column missing from the header refuses the input (exit 3), naming it and the columns found', () => {
    const err = refusal(file, { ...id, segmentColumns: [{ header: 'region', type: 'region' }] });
    expect(err).toMatchObject({ code: 'MISSING_SEGMENT_COLUMN', line: 1, exitCode: ExitCode.InputRejected });
    expect(err.message).toContain('"region"');
    expect(err.message).toContain('"customer_id", "email", "Tier", "Churn risk"');
  });

  test('--ignore-columns sends every other column; one that is missing is a note', () => {
    const { rows, facts } = read(file, { ...id, ignoreColumns: ['Email', 'exported_at'] });
    expect(rows[1]?.segments).toEqual([{ type: 'Churn risk', value: 'high' }]);
    expect(facts.ignoredColumns).toEqual(['email']);
    expect(facts.notes.some((n) => n.includes('"exported_at"'))).toBe(true);
  });
});

describe('the "not a segment column" rule', () => {
  const names = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Eve', 'Farid', 'Gao', 'Hana'];
  const tiers = ['gold', 'silver', 'bronze', 'platinum'];
  /** The export of the issue: customer_id,email,first_name,tier,region,exported_at. */
  function crmExport(rows: number): string {
    const lines = ['customer_id,email,first_name,tier,region,exported_at'];
    for (let i = 0; i < rows; i++) {
      lines.push(
        `c${i},user${i}@example.com,${names[i % names.length]},${tiers[i % 4]},${i % 3 === 0 ? 'north' : 'south'},2026-11-21T02:${String(i).padStart(6, '0')}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
  const id = { idColumn: 'customer_id' };

  test('a 2,000-row file with a unique email column is refused at the end, naming the columns, counts and options', () => {
    const err = refusal(crmExport(2000), id);
    expect(err).toMatchObject({ code: 'NOT_SEGMENT_COLUMNS', line: 1, exitCode: ExitCode.InputRejected });
    expect(err.message).toContain('"email" (more than 1000 distinct of 2000 values)');
    expect(err.message).toContain('"exported_at"');
    expect(err.message).not.toContain('"tier"');
    expect(err.message).toContain('--segment-columns first_name,tier,region');
    expect(err.message).toContain('--ignore-columns email,exported_at');
    // Every row was read first: the rule needs the whole file.
    expect(err.rowsBefore).toHaveLength(2000);
  });

  test('the distinct count is exact below the cap', () => {
    expect(refusal(crmExport(300), id).message).toContain('"email" (300 distinct of 300 values)');
  });

  test('a file with a handful of values per column is not refused', () => {
    const { facts } = read(crmExport(2000), { ...id, ignoreColumns: ['email', 'exported_at'] });
    expect(facts.typeStats.map((s) => [s.type, s.distinct])).toEqual([
      ['first_name', 8],
      ['tier', 4],
      ['region', 2],
    ]);
    expect(facts.typeStats[1]?.top).toEqual([
      ['gold', 500],
      ['silver', 500],
      ['bronze', 500],
    ]);
  });

  test('is not applied when the columns are chosen', () => {
    expect(read(crmExport(2000), { ...id, segmentColumns: [{ header: 'tier', type: 'tier' }] }).facts.segmentTypes).toEqual(['tier']);
  });

  test('a small file (fewer than 50 values) is never refused by it', () => {
    expect(read(crmExport(49), id).rows).toHaveLength(49);
  });

  test('applies only to the wide layout', () => {
    const lines = ['document_id,type,value', ...Array.from({ length: 500 }, (_, i) => `c${i},email,user${i}@example.com`)];
    expect(read(`${lines.join('\n')}\n`).facts.typeStats).toEqual([
      { type: 'email', distinct: 500, distinctCapped: false, values: 500, top: expect.any(Array) },
    ]);
  });
});
