import { parse } from 'csv-parse/sync';
import { csvCell, neutraliseFormula } from '../../src/pipeline/report/index.js';
import { isFormula, safeCell } from '../../src/pipeline/report/csv.js';

describe('neutraliseFormula', () => {
  test.each(['=', '+', '-', '@', '\t', '\r'])('prefixes a single quote to a cell starting with %j', (trigger) => {
    expect(neutraliseFormula(`${trigger}SUM(A1)`)).toBe(`'${trigger}SUM(A1)`);
  });

  test.each(['+573001234567', '-100', '-12', '+0', '-1.5', '+.5', '-7.', '+1e5', '-2.5E-3', '+12345678901234567890'])(
    'writes the signed number %j as it is: an id, not a formula (joinable with the source)',
    (id) => {
      expect(isFormula(id)).toBe(false);
      expect(neutraliseFormula(id)).toBe(id);
      expect(safeCell(id)).toBe(id);
    },
  );

  test.each([
    '-2+3',
    '+A1',
    "-cmd|' /C calc'!A0",
    '+57 300 123 4567',
    '-',
    '+',
    '--1',
    '+1e',
    '-1.2.3',
    '-0x1F',
    '+1+1',
    '-SUM(A1:A2)',
    '=1',
    '@SUM(A1)',
    '\t-1',
    '\r=1',
  ])('prefixes %j: a spreadsheet would run it', (cell) => {
    expect(isFormula(cell)).toBe(true);
    expect(neutraliseFormula(cell)).toBe(`'${cell}`);
  });

  test('quotes a prefixed cell that also needs CSV quoting, the quote inside', () => {
    expect(safeCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(safeCell('-1,5')).toBe(`"'-1,5"`);
  });

  test('leaves ordinary cells, empty cells and triggers not in first position alone', () => {
    expect(neutraliseFormula('abc-123')).toBe('abc-123');
    expect(neutraliseFormula('')).toBe('');
    expect(neutraliseFormula('a=b')).toBe('a=b');
  });

  test('is idempotent: a neutralised cell is not prefixed again', () => {
    expect(neutraliseFormula(neutraliseFormula('=1+1'))).toBe("'=1+1");
  });
});

describe('csvCell', () => {
  test('quotes only cells that hold a comma, a quote, CR or LF, doubling quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
  });

  test('round-trips awkward cells through a standard CSV parser', () => {
    const cells = ['a,b', '"quoted"', 'multi\r\nline', '', ' spaced ', 'ünïcödé', ',"\n'];
    const line = `${cells.map(csvCell).join(',')}\n`;
    expect(parse(line)).toEqual([cells]);
  });
});
