/**
 * The incremental diff reads wide rows as cells (InputOptions.wideCells) and fingerprints them
 * without building segments: the fingerprint must be the very one fingerprintOf gives the segments
 * the row would have had, or a night would resend (or worse, skip) customers.
 */
import type { Columns } from '../../src/pipeline/input/header.js';
import { createRowMapper, mapWideRecord, segmentsOfCells, wideShape } from '../../src/pipeline/input/layouts.js';
import { fingerprintOf, fingerprintOfCells } from '../../src/state/index.js';
import type { InputRow } from '../../src/core/types.js';

type Wide = Extract<Columns, { layout: 'wide' }>;

function wideOf(types: string[]): Wide {
  return {
    width: types.length + 1,
    fullWidth: types.length + 1,
    ignored: [],
    notes: [],
    layout: 'wide',
    names: ['document_id', ...types],
    id: 0,
    segments: types.map((type, i) => ({ index: i + 1, type })),
    selected: false,
  };
}

/** A small deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const TYPE_POOL = ['tier', 'region', 'Tier', 'zone', 'é-type', '日本', 'a', 'ab', 'b', 'churn_risk', 'Z', '_x'];
const VALUE_POOL = ['', '', ' ', 'gold', ' silver ', 'north, coast', 'é', '😀', 'x'.repeat(70), '0', 'gold'];

describe('wide rows as cells', () => {
  test('fingerprintOfCells equals fingerprintOf of the segments built the usual way, on 2,000 random rows', () => {
    const next = random(7);
    for (let n = 0; n < 2000; n++) {
      const count = 1 + Math.floor(next() * 6);
      const types = [...new Set(Array.from({ length: count }, () => TYPE_POOL[Math.floor(next() * TYPE_POOL.length)] as string))];
      const columns = wideOf(types);
      const record = ['id-1', ...types.map(() => VALUE_POOL[Math.floor(next() * VALUE_POOL.length)] as string)];
      const usual = mapWideRecord(columns, record, 0, 2, { skipEmpty: false });
      const asCells = createRowMapper(columns, 0, { skipEmpty: false, wideCells: true }).map(record, 2);
      const { cells, shape } = asCells;
      if (cells === undefined || shape === undefined) throw new Error(`row ${n} came without cells`);
      expect(asCells.segments).toBeUndefined();
      expect(segmentsOfCells(shape, cells)).toEqual(usual.segments);
      expect(fingerprintOfCells(shape, cells)).toBe(fingerprintOf(usual.segments ?? null));
      // A row of blank cells says so, as a row read without segments does.
      expect(asCells.blank === true).toBe((usual.segments ?? []).length === 0);
    }
  });

  test('columns sharing a type (two renamed alike) keep building segments', () => {
    const columns = wideOf(['tier', 'tier']);
    expect(wideShape(columns)).toBeUndefined();
    const row: InputRow = createRowMapper(columns, 0, { skipEmpty: false, wideCells: true }).map(['c1', 'gold', 'gold'], 2);
    expect(row.cells).toBeUndefined();
    expect(row.segments).toEqual([
      { type: 'tier', value: 'gold' },
      { type: 'tier', value: 'gold' },
    ]);
  });

  test('invalid and --skip-empty rows are judged as without cells', () => {
    const columns = wideOf(['tier', 'region']);
    const mapper = createRowMapper(columns, 0, { skipEmpty: true, wideCells: true });
    expect(mapper.map(['', 'gold', 'north'], 3).invalid).toBeDefined();
    expect(mapper.map(['c1', ' ', ''], 4)).toEqual(mapWideRecord(columns, ['c1', ' ', ''], 0, 4, { skipEmpty: true }));
  });
});
