import { readHeader, type HeaderResult } from '../../src/input/header.js';

const opts = { idColumn: 'document_id' };

function problemOf(result: HeaderResult): { code: string; line: number; message: string } {
  if (result.ok) throw new Error(`expected a problem, got columns ${JSON.stringify(result.columns)}`);
  return result.problem;
}

describe('readHeader', () => {
  test('trims names and maps a wide header', () => {
    const result = readHeader([' tier ', 'document_id ', 'region'], 1, opts);
    expect(result).toEqual({ ok: true, columns: { layout: 'wide', names: ['tier', 'document_id', 'region'], id: 1 } });
  });

  test('locates the json and long columns wherever they are', () => {
    expect(readHeader(['segments', 'document_id'], 1, opts)).toEqual({
      ok: true,
      columns: { layout: 'json', names: ['segments', 'document_id'], id: 1, segments: 0 },
    });
    expect(readHeader(['value', 'type', 'document_id'], 1, opts)).toEqual({
      ok: true,
      columns: { layout: 'long', names: ['value', 'type', 'document_id'], id: 2, type: 1, value: 0 },
    });
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

  test('an empty header name is a problem', () => {
    expect(problemOf(readHeader(['document_id', 'tier', ''], 1, opts)).code).toBe('EMPTY_HEADER_NAME');
  });

  test('a wide file with only the id column is a problem', () => {
    expect(problemOf(readHeader(['document_id'], 1, opts)).code).toBe('NO_SEGMENT_COLUMNS');
  });

  test('a forced layout must match the header', () => {
    const problem = problemOf(readHeader(['document_id', 'tier'], 1, { ...opts, layout: 'long' }));
    expect(problem.code).toBe('LAYOUT_MISMATCH');
    expect(problem.message).toContain('"document_id", "type", "value"');
  });

  test('a forced wide layout treats segments as a segment type', () => {
    const result = readHeader(['document_id', 'segments'], 1, { ...opts, layout: 'wide' });
    expect(result.ok && result.columns.layout).toBe('wide');
  });
});
