import { parse } from 'csv-parse/sync';
import { csvCell, neutraliseFormula } from '../../src/report/index.js';

describe('neutraliseFormula', () => {
  test.each(['=', '+', '-', '@', '\t', '\r'])('prefixes a single quote to a cell starting with %j', (trigger) => {
    expect(neutraliseFormula(`${trigger}SUM(A1)`)).toBe(`'${trigger}SUM(A1)`);
  });

  test('neutralises a negative-looking id such as -12', () => {
    expect(neutraliseFormula('-12')).toBe("'-12");
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
