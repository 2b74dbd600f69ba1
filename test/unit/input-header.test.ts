import { readHeader, type Columns, type HeaderOptions, type HeaderResult } from '../../src/pipeline/input/header.js';

const opts: HeaderOptions = { idColumn: 'document_id' };

function problemOf(result: HeaderResult): { code: string; line: number; message: string } {
  if (result.ok) throw new Error(`expected a problem, got columns ${JSON.stringify(result.value)}`);
  return result.error;
}

function columnsOf(result: HeaderResult): Columns {
  if (!result.ok) throw new Error(`expected columns, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

describe('readHeader', () => {
  test('trims names and maps a wide header', () => {
    expect(columnsOf(readHeader([' tier ', 'document_id ', 'region'], 1, opts))).toEqual({
      layout: 'wide',
      names: ['tier', 'document_id', 'region'],
      id: 1,
      width: 3,
      fullWidth: 3,
      segments: [
        { index: 0, type: 'tier' },
        { index: 2, type: 'region' },
      ],
      selected: false,
      ignored: [],
      notes: [],
    });
  });

  test('locates the json and long columns wherever they are', () => {
    expect(columnsOf(readHeader(['segments', 'document_id'], 1, opts))).toMatchObject({ layout: 'json', id: 1, segments: 0 });
    expect(columnsOf(readHeader(['value', 'type', 'document_id'], 1, opts))).toMatchObject({ layout: 'long', id: 2, type: 1, value: 0 });
  });

  test('matches the id, type, value and segments columns in any case, trimmed', () => {
    expect(columnsOf(readHeader(['Document_ID', ' Type ', 'VALUE'], 1, opts))).toMatchObject({ layout: 'long', id: 0, type: 1, value: 2 });
    expect(columnsOf(readHeader(['DOCUMENT_ID', 'Segments'], 1, opts))).toMatchObject({ layout: 'json', id: 0, segments: 1 });
    expect(columnsOf(readHeader(['tier', 'Customer '], 1, { idColumn: 'customer' }))).toMatchObject({ layout: 'wide', id: 1 });
  });

  test('keeps the wide segment type as the header writes it (trimmed)', () => {
    const columns = columnsOf(readHeader(['document_id', ' Churn Risk '], 1, opts));
    expect(columns.layout === 'wide' && columns.segments).toEqual([{ index: 1, type: 'Churn Risk' }]);
  });

  test('a missing id column names the columns found and the --id-column option', () => {
    const problem = problemOf(readHeader(['customer_id', 'tier'], 3, opts));
    expect(problem.code).toBe('MISSING_ID_COLUMN');
    expect(problem.line).toBe(3);
    expect(problem.message).toContain('"customer_id", "tier"');
    expect(problem.message).toContain('--id-column');
  });

  test('a single-column header hints at a wrong delimiter', () => {
    const problem = problemOf(readHeader(['document_id;tier'], 1, opts));
    expect(problem.code).toBe('MISSING_ID_COLUMN');
    expect(problem.message).toContain('--delimiter');
  });

  test('a huge header is summarised, not dumped', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `column_${i}`);
    const problem = problemOf(readHeader(names, 1, opts));
    expect(problem.message).toContain('and 4990 more');
    expect(problem.message.length).toBeLessThan(600);
  });

  test('duplicated names after trimming are a problem naming both columns', () => {
    const problem = problemOf(readHeader(['document_id', 'tier', 'region', ' tier '], 1, opts));
    expect(problem.code).toBe('DUPLICATE_HEADER');
    expect(problem.message).toContain('"tier" appears twice (columns 2 and 4)');
  });

  test('names differing only in case are duplicates too (they are matched ignoring case)', () => {
    const problem = problemOf(readHeader(['document_id', 'Tier', 'tier'], 1, opts));
    expect(problem.code).toBe('DUPLICATE_HEADER');
    expect(problem.message).toContain('"Tier" (as "tier") appears twice');
  });

  test('an empty header name between named ones is a problem', () => {
    expect(problemOf(readHeader(['document_id', '', 'tier'], 1, opts)).code).toBe('EMPTY_HEADER_NAME');
    expect(problemOf(readHeader(['', 'document_id', 'tier'], 1, opts)).code).toBe('EMPTY_HEADER_NAME');
  });

  test('trailing columns without a name are left out, with a note', () => {
    const columns = columnsOf(readHeader(['document_id', 'tier', '', ' '], 1, opts));
    expect(columns).toMatchObject({ layout: 'wide', width: 2, fullWidth: 4, segments: [{ index: 1, type: 'tier' }] });
    expect(columns.notes).toEqual([expect.stringContaining('2 columns without a name')]);
  });

  test('a wide file with only the id column is a problem', () => {
    expect(problemOf(readHeader(['document_id'], 1, opts)).code).toBe('NO_SEGMENT_COLUMNS');
    expect(problemOf(readHeader(['document_id', '', ''], 1, opts)).code).toBe('NO_SEGMENT_COLUMNS');
  });
});

describe('layout detection in the header', () => {
  test('a long header with extra columns ignores them, with a note', () => {
    const columns = columnsOf(readHeader(['document_id', 'Type', 'Value', 'source'], 1, opts));
    expect(columns).toMatchObject({ layout: 'long', type: 1, value: 2, ignored: ['source'] });
    expect(columns.notes).toEqual([expect.stringContaining('"source"')]);
  });

  test.each([
    [['document_id', 'segments', 'type', 'value']],
    [['document_id', 'segments', 'tier']],
    [['document_id', 'type', 'tier']],
    [['document_id', 'value', 'segment']],
  ])('%j could be read two ways: refused, naming --layout', (names) => {
    const problem = problemOf(readHeader(names, 2, opts));
    expect(problem).toMatchObject({ code: 'AMBIGUOUS_LAYOUT', line: 2 });
    expect(problem.message).toContain('--layout');
  });

  test('a forced layout settles an ambiguous header', () => {
    expect(columnsOf(readHeader(['document_id', 'segments', 'tier'], 1, { ...opts, layout: 'json' }))).toMatchObject({
      layout: 'json',
      segments: 1,
      ignored: ['tier'],
    });
    expect(columnsOf(readHeader(['document_id', 'segments', 'tier'], 1, { ...opts, layout: 'wide' }))).toMatchObject({ layout: 'wide' });
    expect(columnsOf(readHeader(['document_id', 'segments', 'type', 'value'], 1, { ...opts, layout: 'long' }))).toMatchObject({
      layout: 'long',
      ignored: ['segments'],
    });
  });

  test('a forced long or json layout ignores extra columns, with a note', () => {
    const columns = columnsOf(readHeader(['document_id', 'type', 'value', 'source'], 1, { ...opts, layout: 'long' }));
    expect(columns).toMatchObject({ layout: 'long', ignored: ['source'] });
    expect(columns.notes).toHaveLength(1);
  });

  test('a forced layout must find its columns', () => {
    const problem = problemOf(readHeader(['document_id', 'tier'], 1, { ...opts, layout: 'long' }));
    expect(problem.code).toBe('LAYOUT_MISMATCH');
    expect(problem.message).toContain('"document_id", "type", "value"');
    expect(problemOf(readHeader(['document_id', 'tier'], 1, { ...opts, layout: 'json' })).code).toBe('LAYOUT_MISMATCH');
  });

  test('a forced wide layout treats segments as a segment type', () => {
    expect(columnsOf(readHeader(['document_id', 'segments'], 1, { ...opts, layout: 'wide' })).layout).toBe('wide');
  });
});

describe('--segment-columns and --ignore-columns', () => {
  const header = ['customer_id', 'email', 'Tier', 'region', 'Churn risk'];
  const id = { idColumn: 'customer_id' };

  test('--segment-columns sends only the listed columns, matched in any case, renamed, in header order', () => {
    const columns = columnsOf(
      readHeader(header, 1, {
        ...id,
        segmentColumns: [
          { header: ' churn RISK ', type: 'churn_risk' },
          { header: 'tier', type: 'tier' },
        ],
      }),
    );
    expect(columns).toMatchObject({
      layout: 'wide',
      selected: true,
      segments: [
        { index: 2, type: 'tier' },
        { index: 4, type: 'churn_risk' },
      ],
      ignored: ['email', 'region'],
    });
  });

  test('a listed column missing from the header is a structural problem naming it and the columns found', () => {
    const problem = problemOf(
      readHeader(header, 1, {
        ...id,
        segmentColumns: [
          { header: 'tier', type: 'tier' },
          { header: 'segment', type: 'segment' },
        ],
      }),
    );
    expect(problem.code).toBe('MISSING_SEGMENT_COLUMN');
    expect(problem.message).toContain('"segment"');
    expect(problem.message).toContain('"customer_id", "email", "Tier", "region", "Churn risk"');
  });

  test('listing the id column, or one column twice, is a problem', () => {
    expect(problemOf(readHeader(header, 1, { ...id, segmentColumns: [{ header: 'Customer_ID', type: 'x' }] })).code).toBe(
      'SEGMENT_COLUMN_IS_ID',
    );
    expect(
      problemOf(
        readHeader(header, 1, {
          ...id,
          segmentColumns: [
            { header: 'tier', type: 'a' },
            { header: 'TIER', type: 'b' },
          ],
        }),
      ).code,
    ).toBe('DUPLICATE_SEGMENT_COLUMN');
  });

  test('--ignore-columns sends every other column; a listed column that is missing is only a note', () => {
    const columns = columnsOf(readHeader(header, 1, { ...id, ignoreColumns: ['EMAIL', 'exported_at'] }));
    expect(columns).toMatchObject({
      layout: 'wide',
      selected: true,
      segments: [
        { index: 2, type: 'Tier' },
        { index: 3, type: 'region' },
        { index: 4, type: 'Churn risk' },
      ],
      ignored: ['email'],
    });
    expect(columns.notes).toEqual([expect.stringContaining('"exported_at"'), expect.stringContaining('"email"')]);
  });

  test('ignoring every column leaves nothing to send: a problem', () => {
    expect(problemOf(readHeader(['document_id', 'email'], 1, { ...opts, ignoreColumns: ['email'] })).code).toBe('NO_SEGMENT_COLUMNS');
  });

  test('with --segment-columns, a header that would be ambiguous is read as wide', () => {
    expect(
      columnsOf(readHeader(['document_id', 'type', 'tier'], 1, { ...opts, segmentColumns: [{ header: 'tier', type: 'tier' }] })).layout,
    ).toBe('wide');
  });

  test('columns left out by --ignore-columns take no part in detecting the layout', () => {
    expect(problemOf(readHeader(['document_id', 'email', 'type', 'tier'], 1, { ...opts, ignoreColumns: ['email'] })).code).toBe(
      'AMBIGUOUS_LAYOUT',
    );
    expect(columnsOf(readHeader(['document_id', 'segments', 'exported_at'], 1, { ...opts, ignoreColumns: ['exported_at'] }))).toMatchObject(
      { layout: 'json', ignored: ['exported_at'] },
    );
  });

  test('--segment-columns on a long or json header is refused: those types cannot be chosen by column', () => {
    const problem = problemOf(
      readHeader(['document_id', 'type', 'value'], 1, { ...opts, segmentColumns: [{ header: 'type', type: 'type' }] }),
    );
    expect(problem.code).toBe('SEGMENT_COLUMNS_NOT_WIDE');
    expect(problem.message).toContain('--layout wide');
    expect(
      problemOf(readHeader(['document_id', 'segments'], 1, { ...opts, layout: 'json', segmentColumns: [{ header: 'x', type: 'x' }] })).code,
    ).toBe('SEGMENT_COLUMNS_NOT_WIDE');
  });

  test('--ignore-columns on a long header is a note: its other columns are ignored anyway', () => {
    const columns = columnsOf(readHeader(['document_id', 'type', 'value', 'source'], 1, { ...opts, ignoreColumns: ['source'] }));
    expect(columns).toMatchObject({ layout: 'long', ignored: ['source'] });
    expect(columns.notes.some((n) => n.includes('--ignore-columns'))).toBe(true);
  });
});
