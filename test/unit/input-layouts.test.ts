import type { Columns } from '../../src/pipeline/input/header.js';
import {
  SKIPPED_EMPTY,
  createRowMapper,
  mapJsonRecord,
  mapLongRecord,
  mapWideRecord,
  parseSegmentsCell,
  type RowMapperOptions,
} from '../../src/pipeline/input/layouts.js';
import { TypeStats } from '../../src/pipeline/input/type-stats.js';
import type { InputRow } from '../../src/core/types.js';

type Wide = Extract<Columns, { layout: 'wide' }>;
type Json = Extract<Columns, { layout: 'json' }>;
type Long = Extract<Columns, { layout: 'long' }>;

const base = { width: 3, fullWidth: 3, ignored: [], notes: [] };
const wide: Wide = {
  ...base,
  layout: 'wide',
  names: ['document_id', 'tier', 'region'],
  id: 0,
  segments: [
    { index: 1, type: 'tier' },
    { index: 2, type: 'region' },
  ],
  selected: false,
};
const json: Json = { ...base, width: 2, fullWidth: 2, layout: 'json', names: ['document_id', 'segments'], id: 0, segments: 1 };
const long: Long = { ...base, layout: 'long', names: ['document_id', 'type', 'value'], id: 0, type: 1, value: 2 };
const OPTS: RowMapperOptions = { skipEmpty: false };

describe('wide layout', () => {
  test('non-blank cells become segments named by their column, trimmed', () => {
    expect(mapWideRecord(wide, [' 42-1 ', ' gold ', 'north, coast'], 1, 7, OPTS)).toEqual({
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
    expect(mapWideRecord(wide, ['42-1', '  ', 'north'], 0, 2, OPTS).segments).toEqual([{ type: 'region', value: 'north' }]);
  });

  test('an all-blank row clears the segments', () => {
    expect(mapWideRecord(wide, ['42-1', '', ' '], 0, 2, OPTS)).toEqual({ file: 0, line: 2, id: '42-1', segments: [] });
  });

  test('with skipEmpty an all-blank row is skipped, not counted as a mistake', () => {
    expect(mapWideRecord(wide, ['42-1', '', ''], 0, 2, { skipEmpty: true })).toEqual({
      file: 0,
      line: 2,
      id: '42-1',
      invalid: SKIPPED_EMPTY,
      skipped: true,
    });
  });

  test('the id column may be anywhere', () => {
    const columns: Wide = {
      ...wide,
      names: ['tier', 'document_id', 'region'],
      id: 1,
      segments: [
        { index: 0, type: 'tier' },
        { index: 2, type: 'region' },
      ],
    };
    expect(mapWideRecord(columns, ['gold', '42-1', ''], 0, 2, OPTS)).toEqual({
      file: 0,
      line: 2,
      id: '42-1',
      segments: [{ type: 'tier', value: 'gold' }],
    });
  });

  test('only the selected columns are read, under their (renamed) types', () => {
    const columns: Wide = { ...wide, segments: [{ index: 2, type: 'area' }], selected: true };
    expect(mapWideRecord(columns, ['42-1', 'gold', 'north'], 0, 2, OPTS).segments).toEqual([{ type: 'area', value: 'north' }]);
    // A value only in a column left out is still "no segments" for --skip-empty.
    expect(mapWideRecord(columns, ['42-1', 'gold', ''], 0, 2, { skipEmpty: true }).skipped).toBe(true);
  });

  test.each([
    [['42-1', 'gold'], 'wrong number of fields: expected 3, got 2'],
    [['42-1', 'gold', 'north', 'x'], 'wrong number of fields: expected 3, got 4'],
    [['  ', 'gold', 'north'], 'empty document_id'],
    [['x'.repeat(513), 'gold', 'north'], 'document_id longer than 512 characters (513)'],
  ])('%j is invalid: %s', (record, reason) => {
    expect(mapWideRecord(wide, record, 0, 5, OPTS).invalid).toBe(reason);
  });

  test('an id of exactly 512 characters is fine', () => {
    expect(mapWideRecord(wide, ['x'.repeat(512), 'gold', ''], 0, 5, OPTS).invalid).toBeUndefined();
  });

  test('the values of valid rows are counted per type', () => {
    const stats = new TypeStats();
    mapWideRecord(wide, ['1', 'gold', ''], 0, 2, { ...OPTS, stats });
    mapWideRecord(wide, ['2', 'gold', 'north'], 0, 3, { ...OPTS, stats });
    mapWideRecord(wide, ['3', 'silver'], 0, 4, { ...OPTS, stats }); // invalid: not counted
    expect(stats.stats().map((s) => [s.type, s.values, s.top])).toEqual([
      ['tier', 2, [['gold', 2]]],
      ['region', 1, [['north', 1]]],
    ]);
  });
});

describe('trailing columns without a name (Excel)', () => {
  const padded: Wide = { ...wide, names: ['document_id', 'tier', 'region', '', ''], fullWidth: 5 };

  test('rows of the named width and of the full width are both fine', () => {
    expect(mapWideRecord(padded, ['1', 'gold', 'north'], 0, 2, OPTS).invalid).toBeUndefined();
    expect(mapWideRecord(padded, ['1', 'gold', 'north', '', ' '], 0, 2, OPTS)).toEqual({
      file: 0,
      line: 2,
      id: '1',
      segments: [
        { type: 'tier', value: 'gold' },
        { type: 'region', value: 'north' },
      ],
    });
  });

  test('a value in an unnamed column makes the row invalid, saying so', () => {
    expect(mapWideRecord(padded, ['1', 'gold', 'north', '', 'oops'], 0, 2, OPTS).invalid).toBe(
      'a value in column 5, which has no name in the header; name the column or remove the value',
    );
  });

  test('any other width is wrong, naming both widths', () => {
    expect(mapWideRecord(padded, ['1', 'gold', 'north', ''], 0, 2, OPTS).invalid).toBe('wrong number of fields: expected 3 or 5, got 4');
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
    expect(parseSegmentsCell(cell)).toEqual({ ok: false, error: reason });
  });

  test('bad JSON says so with a short reason', () => {
    const parsed = parseSegmentsCell(`[{"type":"tier",${'x'.repeat(500)}`);
    expect(parsed.ok).toBe(false);
    const reason = parsed.ok ? '' : parsed.error;
    expect(reason).toMatch(/^bad JSON in segments: /);
    expect(reason.length).toBeLessThan(140);
  });

  test('a wrong number of fields is invalid', () => {
    expect(mapJsonRecord(json, ['42-1', '[]', 'x'], 0, 3).invalid).toBe('wrong number of fields: expected 2, got 3');
  });

  test('extra columns of the header are ignored, whatever their cells hold', () => {
    const columns: Json = {
      ...json,
      names: ['source', 'document_id', 'segments'],
      width: 3,
      fullWidth: 3,
      id: 1,
      segments: 2,
      ignored: ['source'],
    };
    expect(mapJsonRecord(columns, ['crm', '42-1', '[]'], 0, 3)).toEqual({ file: 0, line: 3, id: '42-1', segments: [] });
  });

  test('the types and values of the segments are counted', () => {
    const stats = new TypeStats();
    mapJsonRecord(json, ['1', '[{"type":"tier","value":"gold"},{"type":"region","value":"north"}]'], 0, 2, { stats });
    mapJsonRecord(json, ['2', 'null'], 0, 3, { stats });
    expect(stats.types()).toEqual(['tier', 'region']);
  });
});

describe('long layout: one row per record', () => {
  const map = (record: string[], line = 2): InputRow => mapLongRecord(long, record, 4, line);

  test('a record is a row with one segment, marked long', () => {
    expect(map([' a ', ' tier ', ' gold '])).toEqual({
      file: 4,
      line: 2,
      id: 'a',
      long: true,
      segments: [{ type: 'tier', value: 'gold' }],
    });
  });

  test('records of one id stay separate rows, at their own lines, sorted or not', () => {
    const mapper = createRowMapper(long, 4, OPTS);
    const rows = [mapper.map(['a', 'tier', 'gold'], 2), mapper.map(['b', 'tier', 'silver'], 3), mapper.map(['a', 'region', 'north'], 4)];
    expect(rows.map((r) => [r.id, r.line, r.segments])).toEqual([
      ['a', 2, [{ type: 'tier', value: 'gold' }]],
      ['b', 3, [{ type: 'tier', value: 'silver' }]],
      ['a', 4, [{ type: 'region', value: 'north' }]],
    ]);
    expect(rows.every((r) => r.long === true && r.moreLines === undefined)).toBe(true);
  });

  test('a blank type and value is a row with no segments (the dedupe stage decides if it stands alone)', () => {
    expect(map(['a', ' ', ''])).toEqual({ file: 4, line: 2, id: 'a', long: true, segments: [] });
  });

  test.each([
    [['a', '', 'gold'], 'empty segment type'],
    [['a', 'region', ' '], 'blank value for segment type "region"'],
    [['a', 'tier'], 'wrong number of fields: expected 3, got 2'],
    [['', 'tier', 'gold'], 'empty document_id'],
  ])('%j is an invalid row carrying its id: %s', (record, reason) => {
    expect(map(record)).toEqual({ file: 4, line: 2, id: (record[0] as string).trim(), long: true, invalid: reason });
  });

  test('extra columns are not read', () => {
    const columns: Long = { ...long, names: ['document_id', 'type', 'value', 'source'], width: 4, fullWidth: 4, ignored: ['source'] };
    expect(mapLongRecord(columns, ['a', 'tier', 'gold', 'crm'], 0, 2).segments).toEqual([{ type: 'tier', value: 'gold' }]);
    expect(mapLongRecord(columns, ['a', 'tier', 'gold'], 0, 2).invalid).toBe('wrong number of fields: expected 4, got 3');
  });

  test('types are counted in order of first appearance', () => {
    const stats = new TypeStats();
    for (const [type, value] of [
      ['region', 'north'],
      ['tier', 'gold'],
      ['region', 'south'],
      ['', ''],
    ])
      mapLongRecord(long, ['a', type as string, value as string], 0, 2, { stats });
    expect(stats.types()).toEqual(['region', 'tier']);
  });
});

describe('check-only mapping (buildSegments false)', () => {
  /** A row as the full mapping gives it, without its segments (a wide row that has none says `blank`). */
  const withoutSegments = ({ segments: _segments, ...rest }: InputRow): InputRow => rest;
  const wideWithoutSegments = (row: InputRow): InputRow =>
    row.segments !== undefined && row.segments !== null && row.segments.length === 0
      ? { ...withoutSegments(row), blank: true }
      : withoutSegments(row);
  const check = { skipEmpty: false, buildSegments: false };

  test.each([
    ['a valid row', ['42-1', ' gold ', 'north'], false],
    ['an all-blank row', ['42-1', '', ' '], false],
    ['an all-blank row with skipEmpty', ['42-1', '', ' '], true],
    ['a short row', ['42-1', 'gold'], false],
    ['an empty id', ['  ', 'gold', 'north'], false],
    ['a too long id', ['x'.repeat(513), 'gold', 'north'], false],
  ])('wide, %s: the full mapping without segments', (_name, record, skipEmpty) => {
    const checked = mapWideRecord(wide, record, 1, 7, { ...check, skipEmpty });
    expect(checked).toEqual(wideWithoutSegments(mapWideRecord(wide, record, 1, 7, { skipEmpty })));
    expect(checked).not.toHaveProperty('segments');
  });

  test('wide, asked per row: segments while the function says so', () => {
    let want = true;
    const asked = { skipEmpty: false, buildSegments: () => want };
    expect(mapWideRecord(wide, ['42-1', 'gold', ''], 0, 2, asked)).toHaveProperty('segments');
    want = false;
    expect(mapWideRecord(wide, ['42-2', 'gold', ''], 0, 3, asked)).toEqual({ file: 0, line: 3, id: '42-2' });
    expect(mapWideRecord(wide, ['42-3', '', ''], 0, 4, asked)).toEqual({ file: 0, line: 4, id: '42-3', blank: true });
    // json and long rows are always built unless the option is false: their segments say what they are.
    expect(mapJsonRecord(json, ['42-1', 'null'], 0, 5, asked)).toHaveProperty('segments', null);
    expect(mapLongRecord(long, ['a', 'tier', 'gold'], 0, 6, asked)).toHaveProperty('segments');
  });

  test.each([['[{"type":"tier","value":"gold"}]'], ['null'], ['[{"type":"tier","value":" "}]'], ['{bad'], ['']])(
    'json %j gives the full mapping without segments',
    (cell) => {
      const checked = mapJsonRecord(json, ['42-1', cell], 0, 3, check);
      expect(checked).toEqual(withoutSegments(mapJsonRecord(json, ['42-1', cell], 0, 3)));
      expect(checked).not.toHaveProperty('segments');
    },
  );

  test.each([[['a', 'tier', 'gold']], [['a', '', '']], [['a', 'tier', '']], [['', 'tier', 'gold']]])(
    'long %j gives the full mapping without segments',
    (record) => {
      const checked = mapLongRecord(long, record, 0, 3, check);
      expect(checked).toEqual(withoutSegments(mapLongRecord(long, record, 0, 3)));
      expect(checked).not.toHaveProperty('segments');
    },
  );
});
