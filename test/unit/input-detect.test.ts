import { detectDelimiter, detectLayout, firstLine, readPrefix, sepLine } from '../../src/pipeline/input/detect.js';

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

describe('readPrefix', () => {
  test('ignores a UTF-8 BOM and detects across chunk boundaries', () => {
    const chunks = [Buffer.from('\ufeffdocument_id;ti'), Buffer.from('er\r\n1;gold\r\n')];
    expect(readPrefix(chunks.slice(0, 1), undefined, false)).toBeUndefined();
    expect(readPrefix(chunks, undefined, false)).toEqual({ delimiter: ';' });
  });

  test('falls back to the comma for a file without any line', () => {
    expect(readPrefix([Buffer.from('  \n')], undefined, true)).toEqual({ delimiter: ',' });
  });

  test('a given delimiter is used at once', () => {
    expect(readPrefix([Buffer.from('document_id;tier')], '|', false)).toEqual({ delimiter: '|' });
  });

  test('a sep= first line sets the delimiter, before and after a BOM', () => {
    expect(readPrefix([Buffer.from('sep=;\r\ndocument_id,tier;region\r\n')], undefined, false)).toEqual({ delimiter: ';', sep: ';' });
    expect(readPrefix([Buffer.from('\ufeffSEP=|\n')], undefined, false)).toEqual({ delimiter: '|', sep: '|' });
    expect(readPrefix([Buffer.from('sep=\t\n')], undefined, false)).toEqual({ delimiter: '\t', sep: '\t' });
  });

  test('a given delimiter wins over the sep= line, which is still recognised (and skipped)', () => {
    expect(readPrefix([Buffer.from('sep=;\n')], ',', false)).toEqual({ delimiter: ',', sep: ';' });
  });

  test('waits while a short first line could still be a sep= line', () => {
    expect(readPrefix([Buffer.from('se')], ',', false)).toBeUndefined();
    expect(readPrefix([Buffer.from('sep=;')], undefined, false)).toBeUndefined();
    expect(readPrefix([Buffer.from('sep=;')], undefined, true)).toEqual({ delimiter: ';', sep: ';' });
  });
});

describe('sepLine', () => {
  test.each([
    ['sep=;\n', ';'],
    ['sep=, \r\n', ','],
    ['Sep=|\r', '|'],
  ])('%j is a sep= line', (text, delimiter) => {
    expect(sepLine(text, false)).toMatchObject({ delimiter });
  });

  test.each([['document_id,tier\n'], ['sep=;;\n'], ['sep=\n'], ['sep="\n'], ['sep= \n'], ['"sep=;"\n'], ['x\nsep=;\n']])(
    '%j is not',
    (text) => {
      expect(sepLine(text, false)).toBe(false);
    },
  );
});

describe('detectLayout', () => {
  test('id + segments is json, in any column order and any case', () => {
    expect(detectLayout(['document_id', 'segments'], 'document_id')).toEqual({ layout: 'json' });
    expect(detectLayout(['Segments', ' DOCUMENT_ID'], 'document_id')).toEqual({ layout: 'json' });
  });

  test('id + type + value is long, whatever else the header has', () => {
    expect(detectLayout(['document_id', 'type', 'value'], 'document_id')).toEqual({ layout: 'long' });
    expect(detectLayout(['document_id', 'Type', 'Value', 'source', 'updated_at'], 'document_id')).toEqual({ layout: 'long' });
  });

  test('a header without segments, type or value is wide', () => {
    expect(detectLayout(['document_id', 'tier', 'region'], 'document_id')).toEqual({ layout: 'wide' });
    expect(detectLayout(['document_id', 'segment', 'types'], 'document_id')).toEqual({ layout: 'wide' });
  });

  test.each([
    [['document_id', 'segments', 'type', 'value']],
    [['document_id', 'segments', 'tier']],
    [['document_id', 'type', 'tier']],
    [['document_id', 'Value']],
  ])('%j is ambiguous', (names) => {
    expect(detectLayout(names, 'document_id')).toEqual({ ambiguous: expect.any(String), advice: expect.stringContaining('--layout') });
  });

  test.each([
    [['document_id', 'segment_type', 'segment_value'], 'segment_type', 'segment_value'],
    [['document_id', 'Segment Type', 'segment value', 'source'], 'Segment Type', 'segment value'],
    [['segmentValue', 'document_id', 'segmentType'], 'segmentType', 'segmentValue'],
    [['document_id', 'attribute_key', 'attribute_value'], 'attribute_key', 'attribute_value'],
    [['document_id', 'seg_name', 'seg_value', 'tier'], 'seg_name', 'seg_value'],
  ])('a long pair under other names (%j) is ambiguous, naming both columns', (names, type, value) => {
    const guess = detectLayout(names, 'document_id');
    expect(guess).toEqual({
      ambiguous: expect.stringContaining(`"${type}" and "${value}"`),
      advice: expect.stringContaining('--layout wide'),
    });
  });

  test.each([
    [['document_id', 'customer_type', 'lifetime_value']],
    [['document_id', 'tier', 'region', 'order_value']],
    [['document_id', 'value_type', 'value_band']],
  ])('columns that only look alike (%j) are still wide', (names) => {
    expect(detectLayout(names, 'document_id')).toEqual({ layout: 'wide' });
  });

  test('a long pair under other names is wide when the columns are chosen', () => {
    expect(detectLayout(['document_id', 'segment_type', 'segment_value'], 'document_id', true)).toEqual({ layout: 'wide' });
  });

  test('with columns chosen, only an exact json or long header is not wide', () => {
    expect(detectLayout(['document_id', 'type', 'tier'], 'document_id', true)).toEqual({ layout: 'wide' });
    expect(detectLayout(['document_id', 'type', 'value', 'tier'], 'document_id', true)).toEqual({ layout: 'wide' });
    expect(detectLayout(['document_id', 'type', 'value'], 'document_id', true)).toEqual({ layout: 'long' });
    expect(detectLayout(['document_id', 'segments'], 'document_id', true)).toEqual({ layout: 'json' });
  });

  test('uses the configured id column', () => {
    expect(detectLayout(['customer', 'type', 'value'], 'customer')).toEqual({ layout: 'long' });
  });
});
