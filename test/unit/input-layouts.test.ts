import type { Columns } from '../../src/input/header.js';
import { LongBlocks, SKIPPED_EMPTY, checkJsonRecord, checkWideRecord, mapJsonRecord, mapWideRecord, parseSegmentsCell } from '../../src/input/layouts.js';
import type { InputRow } from '../../src/types.js';

const wide: Extract<Columns, { layout: 'wide' }> = { layout: 'wide', names: ['document_id', 'tier', 'region'], id: 0 };
const json: Extract<Columns, { layout: 'json' }> = { layout: 'json', names: ['document_id', 'segments'], id: 0, segments: 1 };
const long: Extract<Columns, { layout: 'long' }> = { layout: 'long', names: ['document_id', 'type', 'value'], id: 0, type: 1, value: 2 };

describe('wide layout', () => {
  test('non-blank cells become segments named by their column, trimmed', () => {
    expect(mapWideRecord(wide, [' 42-1 ', ' gold ', 'north, coast'], 1, 7, false)).toEqual({
      file: 1,
      line: 7,
      id: '42-1',
      segments: [
        { type: 'tier', value: 'gold' },
        { type: 'region', value: 'north, coast' },
      ],
    });
  });

  test('a blank cell means no segment of that type', () => {
    expect(mapWideRecord(wide, ['42-1', '  ', 'north'], 0, 2, false).segments).toEqual([{ type: 'region', value: 'north' }]);
  });

  test('an all-blank row clears the segments', () => {
    expect(mapWideRecord(wide, ['42-1', '', ' '], 0, 2, false)).toEqual({ file: 0, line: 2, id: '42-1', segments: [] });
  });

  test('with skipEmpty an all-blank row is skipped, not counted as a mistake', () => {
    expect(mapWideRecord(wide, ['42-1', '', ''], 0, 2, true)).toEqual({ file: 0, line: 2, id: '42-1', invalid: SKIPPED_EMPTY, skipped: true });
  });

  test('the id column may be anywhere', () => {
    const columns = { ...wide, names: ['tier', 'document_id', 'region'], id: 1 };
    expect(mapWideRecord(columns, ['gold', '42-1', ''], 0, 2, false)).toEqual({ file: 0, line: 2, id: '42-1', segments: [{ type: 'tier', value: 'gold' }] });
  });

  test.each([
    [['42-1', 'gold'], 'wrong number of fields: expected 3, got 2'],
    [['42-1', 'gold', 'north', 'x'], 'wrong number of fields: expected 3, got 4'],
    [['  ', 'gold', 'north'], 'empty document_id'],
    [['x'.repeat(513), 'gold', 'north'], 'document_id longer than 512 characters (513)'],
  ])('%j is invalid: %s', (record, reason) => {
    expect(mapWideRecord(wide, record, 0, 5, false).invalid).toBe(reason);
  });

  test('an id of exactly 512 characters is fine', () => {
    expect(mapWideRecord(wide, ['x'.repeat(512), 'gold', ''], 0, 5, false).invalid).toBeUndefined();
  });
});

describe('json layout', () => {
  test('parses and trims the segments', () => {
    const row = mapJsonRecord(json, ['42-1', '[{"type":" tier ","value":" gold ","extra":1}]'], 0, 3);
    expect(row).toEqual({ file: 0, line: 3, id: '42-1', segments: [{ type: 'tier', value: 'gold' }] });
  });

  test('null and [] are both valid and different', () => {
    expect(mapJsonRecord(json, ['42-1', ' null '], 0, 3).segments).toBeNull();
    expect(mapJsonRecord(json, ['42-1', '[]'], 0, 3).segments).toEqual([]);
  });

  test.each([
    ['', 'segments is empty; write [] or null'],
    ['{"type":"tier","value":"gold"}', 'segments must be a JSON array of {"type","value"} objects, or null'],
    ['["gold"]', 'segments[0]: must be an object {"type","value"}'],
    ['[{"type":"tier","value":1}]', 'segments[0]: "type" and "value" must both be strings'],
    ['[{"type":"tier","value":"a"},{"type":" ","value":"b"}]', 'segments[1]: empty segment type'],
    ['[{"type":"tier","value":" "}]', 'segments[0]: blank value for segment type "tier"'],
  ])('%j is invalid', (cell, reason) => {
    expect(parseSegmentsCell(cell)).toEqual({ ok: false, reason });
  });

  test('bad JSON says so with a short reason', () => {
    const parsed = parseSegmentsCell(`[{"type":"tier",${'x'.repeat(500)}`);
    expect(parsed.ok).toBe(false);
    const reason = parsed.ok ? '' : parsed.reason;
    expect(reason).toMatch(/^bad JSON in segments: /);
    expect(reason.length).toBeLessThan(140);
  });

  test('a wrong number of fields is invalid', () => {
    expect(mapJsonRecord(json, ['42-1', '[]', 'x'], 0, 3).invalid).toBe('wrong number of fields: expected 2, got 3');
  });
});

describe('long layout', () => {
  function run(records: [string[], number][]): InputRow[] {
    const blocks = new LongBlocks(long, 2);
    const rows: InputRow[] = [];
    for (const [record, line] of records) {
      const row = blocks.map(record, line);
      if (row) rows.push(row);
    }
    const last = blocks.finish();
    if (last) rows.push(last);
    return rows;
  }

  test('consecutive rows of one id form one customer at the first line', () => {
    const rows = run([
      [['a', 'tier', 'gold'], 2],
      [[' a ', 'region', 'north'], 3],
      [['b', 'tier', 'silver'], 4],
    ]);
    expect(rows).toEqual([
      { file: 2, line: 2, moreLines: [3], id: 'a', segments: [{ type: 'tier', value: 'gold' }, { type: 'region', value: 'north' }] },
      { file: 2, line: 4, id: 'b', segments: [{ type: 'tier', value: 'silver' }] },
    ]);
  });

  test('an id that comes back later is another row with the same id', () => {
    const rows = run([
      [['a', 'tier', 'gold'], 2],
      [['b', 'tier', 'silver'], 3],
      [['a', 'tier', 'bronze'], 4],
    ]);
    expect(rows.map((r) => [r.id, r.line])).toEqual([['a', 2], ['b', 3], ['a', 4]]);
  });

  test('a lone row with blank type and value is the customer with no segments', () => {
    expect(run([[['a', ' ', ''], 2]])).toEqual([{ file: 2, line: 2, id: 'a', segments: [] }]);
  });

  test('a blank row next to real segments makes the customer invalid', () => {
    const [row] = run([
      [['a', 'tier', 'gold'], 2],
      [['a', '', ''], 3],
    ]);
    expect(row?.invalid).toMatch(/^line 3 has a blank type and value/);
  });

  test('one broken row invalidates its whole block, reported at the first line', () => {
    const rows = run([
      [['a', 'tier', 'gold'], 2],
      [['a', 'region', ''], 3],
      [['a', 'churn', 'low'], 4],
      [['b', 'tier', 'gold'], 5],
    ]);
    expect(rows).toEqual([
      { file: 2, line: 2, moreLines: [3, 4], id: 'a', invalid: 'blank value for segment type "region" on line 3' },
      { file: 2, line: 5, id: 'b', segments: [{ type: 'tier', value: 'gold' }] },
    ]);
  });

  test.each([
    [['a', '', 'gold'], 'empty segment type on line 2'],
    [['a', 'tier'], 'wrong number of fields on line 2: expected 3, got 2'],
    [['', 'tier', 'gold'], 'empty document_id'],
  ])('%j is invalid: %s', (record, reason) => {
    expect(run([[record, 2]])[0]?.invalid).toBe(reason);
  });

  test('rows with an empty id never merge into one block', () => {
    const rows = run([
      [['', 'tier', 'gold'], 2],
      [['', 'tier', 'gold'], 3],
    ]);
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
  });
});

describe('check-only mapping (the validation pass builds no segments)', () => {
  /** A row as the full mapping gives it, without its segments. */
  const withoutSegments = ({ segments: _segments, ...rest }: InputRow): InputRow => rest;

  test.each([
    ['a valid row', ['42-1', ' gold ', 'north'], false],
    ['an all-blank row', ['42-1', '', ' '], false],
    ['an all-blank row with skipEmpty', ['42-1', '', ' '], true],
    ['a short row', ['42-1', 'gold'], false],
    ['an empty id', ['  ', 'gold', 'north'], false],
    ['a too long id', ['x'.repeat(513), 'gold', 'north'], false],
  ])('wide, %s: the full mapping without segments', (_name, record, skipEmpty) => {
    const checked = checkWideRecord(wide, record, 1, 7, skipEmpty);
    expect(checked).toEqual(withoutSegments(mapWideRecord(wide, record, 1, 7, skipEmpty)));
    expect(checked).not.toHaveProperty('segments');
  });

  test.each([['[{"type":"tier","value":"gold"}]'], ['null'], ['[{"type":"tier","value":" "}]'], ['{bad'], ['']])(
    'json %j gives the full mapping without segments',
    (cell) => {
      const checked = checkJsonRecord(json, ['42-1', cell], 0, 3);
      expect(checked).toEqual(withoutSegments(mapJsonRecord(json, ['42-1', cell], 0, 3)));
      expect(checked).not.toHaveProperty('segments');
    },
  );

  test('long blocks apply every rule and keep no segments', () => {
    const records: [string[], number][] = [
      [['a', 'tier', 'gold'], 2],
      [['a', 'region', 'north'], 3],
      [['b', 'tier', ''], 4],
      [['c', '', ''], 5],
      [['d', 'tier', 'gold'], 6],
      [['d', '', ''], 7],
    ];
    const mapAll = (blocks: LongBlocks): InputRow[] => {
      const rows = records.flatMap(([record, line]) => blocks.map(record, line) ?? []);
      const last = blocks.finish();
      return last === undefined ? rows : [...rows, last];
    };
    const checked = mapAll(new LongBlocks(long, 0, false));
    expect(checked).toEqual(mapAll(new LongBlocks(long, 0)).map(withoutSegments));
    expect(checked.map((r) => [r.line, r.invalid === undefined])).toEqual([[2, true], [4, false], [5, true], [6, false]]);
    expect(checked.some((r) => 'segments' in r)).toBe(false);
  });
});
