import { delimiterFromPrefix, detectDelimiter, detectLayout, firstLine } from '../../src/input/detect.js';

describe('detectDelimiter', () => {
  test.each([
    ['document_id,tier,region', ','],
    ['document_id;tier;region', ';'],
    ['document_id\ttier\tregion', '\t'],
    ['document_id|tier|region', '|'],
  ])('picks the delimiter of %j', (line, expected) => {
    expect(detectDelimiter(line)).toBe(expected);
  });

  test('counts only delimiters outside quotes', () => {
    expect(detectDelimiter('"id,with,commas";tier;"region, coast"')).toBe(';');
  });

  test('takes the most frequent candidate', () => {
    expect(detectDelimiter('a;b;c;d,e')).toBe(';');
  });

  test('breaks ties in favour of the comma', () => {
    expect(detectDelimiter('a;b,c')).toBe(',');
    expect(detectDelimiter('document_id')).toBe(',');
  });
});

describe('firstLine', () => {
  test('skips blank lines and stops at the first line break outside quotes', () => {
    expect(firstLine('\n  \r\n"a\nb",c\r\nrest', false)).toBe('"a\nb",c');
  });

  test('waits for more text while the line may continue', () => {
    expect(firstLine('document_id,ti', false)).toBeUndefined();
    expect(firstLine('document_id,ti', true)).toBe('document_id,ti');
  });
});

describe('delimiterFromPrefix', () => {
  test('ignores a UTF-8 BOM and detects across chunk boundaries', () => {
    const chunks = [Buffer.from('\ufeffdocument_id;ti'), Buffer.from('er\r\n1;gold\r\n')];
    expect(delimiterFromPrefix(chunks.slice(0, 1), false)).toBeUndefined();
    expect(delimiterFromPrefix(chunks, false)).toBe(';');
  });

  test('falls back to the comma for a file without any line', () => {
    expect(delimiterFromPrefix([Buffer.from('  \n')], true)).toBe(',');
  });
});

describe('detectLayout', () => {
  test('id + segments is json, in any column order', () => {
    expect(detectLayout(['document_id', 'segments'], 'document_id')).toBe('json');
    expect(detectLayout(['segments', 'document_id'], 'document_id')).toBe('json');
  });

  test('id + type + value is long', () => {
    expect(detectLayout(['document_id', 'type', 'value'], 'document_id')).toBe('long');
  });

  test('anything else is wide, and names are case-sensitive', () => {
    expect(detectLayout(['document_id', 'tier', 'region'], 'document_id')).toBe('wide');
    expect(detectLayout(['document_id', 'Segments'], 'document_id')).toBe('wide');
    expect(detectLayout(['document_id', 'segments', 'tier'], 'document_id')).toBe('wide');
  });

  test('uses the configured id column', () => {
    expect(detectLayout(['customer', 'type', 'value'], 'customer')).toBe('long');
    expect(detectLayout(['document_id', 'type', 'value'], 'customer')).toBe('wide');
  });
});
