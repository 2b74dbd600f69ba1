/**
 * Layout mapping: one data record → one InputRow. Pure apart from the TypeStats it feeds. Ids,
 * types and values are trimmed. A record that cannot be sent becomes a row with `invalid` set
 * (never an exception): row problems are counted against --max-invalid later.
 *
 * Long records are mapped one by one, each its own row marked `long`: all rows of an id, anywhere
 * in the run, form that customer, and grouping them is the dedupe stage's job (it spills to disk
 * for files that do not fit in memory).
 *
 * With buildSegments false (a pass that sends nothing) every rule is applied but valid rows come
 * without segments (a wide row whose segment cells are all blank says `blank`).
 */
import { err, ok, type Result } from '../../core/result.js';
import type { InputRow, Segment, WideShape } from '../../core/types.js';
import type { Columns, WideSegmentColumn } from './header.js';
import { MAX_ID_LENGTH } from './options.js';
import type { TypeStats, ValueCounter } from './type-stats.js';

export interface RowMapper {
  /** Maps one data record. */
  map(record: readonly string[], line: number): InputRow;
}

export const SKIPPED_EMPTY = 'skipped: every segment cell is blank (--skip-empty)';

export type WideColumns = Extract<Columns, { layout: 'wide' }>;
export type JsonColumns = Extract<Columns, { layout: 'json' }>;
export type LongColumns = Extract<Columns, { layout: 'long' }>;

export interface RowMapperOptions {
  /** wide: an all-blank row is skipped (--skip-empty). */
  skipEmpty: boolean;
  /** false: check rows only; valid rows come without `segments`. Unset = true. */
  buildSegments?: boolean | (() => boolean);
  /** Told every non-blank (type, value) of the valid rows. */
  stats?: TypeStats;
  /** wide: see InputOptions.wideCells. */
  wideCells?: boolean;
}

export function createRowMapper(columns: Columns, file: number, opts: RowMapperOptions): RowMapper {
  switch (columns.layout) {
    case 'wide': {
      const counters = opts.stats === undefined ? undefined : columns.segments.map((c) => opts.stats?.counter(c.type));
      const shape = opts.wideCells === true ? wideShape(columns) : undefined;
      return { map: (record, line) => mapWide(columns, record, file, line, opts, counters, shape) };
    }
    case 'json':
      return { map: (record, line) => mapJsonRecord(columns, record, file, line, opts) };
    case 'long':
      return { map: (record, line) => mapLongRecord(columns, record, file, line, opts) };
  }
}

/**
 * wide: each non-blank cell of a segment column is a segment {type: the column's type, value:
 * the cell}; other columns (left out by --segment-columns/--ignore-columns) are not read.
 */
export function mapWideRecord(
  columns: WideColumns,
  record: readonly string[],
  file: number,
  line: number,
  opts: RowMapperOptions,
): InputRow {
  const counters = opts.stats === undefined ? undefined : columns.segments.map((c) => opts.stats?.counter(c.type));
  return mapWide(columns, record, file, line, opts, counters);
}

/** `counters[i]` counts the values of `columns.segments[i]`. */
function mapWide(
  columns: WideColumns,
  record: readonly string[],
  file: number,
  line: number,
  opts: RowMapperOptions,
  counters: (ValueCounter | undefined)[] | undefined,
  shape?: WideShape,
): InputRow {
  const id = idOf(record, columns.id);
  const problem = recordProblem(record, columns, id);
  if (problem !== undefined) return { file, line, id, invalid: problem };
  const build = wanted(opts.buildSegments);
  const segmentColumns = columns.segments;
  // With a shape (InputOptions.wideCells) the cells are kept as they are, instead of segments.
  const cells = build && shape !== undefined ? new Array<string>(segmentColumns.length) : undefined;
  const segments: Segment[] | undefined = build && cells === undefined ? [] : undefined;
  let filled = false;
  for (let i = 0; i < segmentColumns.length; i++) {
    const column = segmentColumns[i] as WideSegmentColumn;
    const value = (record[column.index] as string).trim();
    if (cells !== undefined) cells[i] = value;
    if (value === '') continue;
    filled = true;
    counters?.[i]?.add(value);
    segments?.push({ type: column.type, value });
  }
  // No segment at all means "clear this customer" (the endpoint replaces): only on purpose.
  if (opts.skipEmpty && !filled) return { file, line, id, invalid: SKIPPED_EMPTY, skipped: true };
  if (cells !== undefined) return filled ? { file, line, id, cells, shape } : { file, line, id, cells, shape, blank: true };
  if (segments !== undefined) return { file, line, id, segments };
  return filled ? { file, line, id } : { file, line, id, blank: true };
}

/**
 * The shape of a wide file's cells (see WideShape), or undefined when two segment columns share a
 * type (--segment-columns can rename two columns alike): their rows keep building segments.
 */
export function wideShape(columns: WideColumns): WideShape | undefined {
  const types = columns.segments.map((c) => c.type);
  if (new Set(types).size !== types.length) return undefined;
  const order = types.map((_, i) => i).sort((a, b) => ((types[a] as string) < (types[b] as string) ? -1 : 1));
  return { types, order };
}

/** A row's segments from its cells (InputRow.cells): the non-blank ones, in the columns' order. */
export function segmentsOfCells(shape: WideShape, cells: readonly string[]): Segment[] {
  const segments: Segment[] = [];
  for (let i = 0; i < cells.length; i++) {
    const value = cells[i] as string;
    if (value !== '') segments.push({ type: shape.types[i] as string, value });
  }
  return segments;
}

/** A wide row's segments are built unless the option says not (false, or a function answering false). */
function wanted(build: RowMapperOptions['buildSegments']): boolean {
  return typeof build === 'function' ? build() : (build ?? true);
}

/** json: the segments cell holds a JSON array of {type, value}, or null. */
export function mapJsonRecord(
  columns: JsonColumns,
  record: readonly string[],
  file: number,
  line: number,
  opts: Partial<RowMapperOptions> = {},
): InputRow {
  const id = idOf(record, columns.id);
  const problem = recordProblem(record, columns, id);
  if (problem !== undefined) return { file, line, id, invalid: problem };
  // Parsed in both modes: whether the cell is valid is only known by parsing it.
  const parsed = parseSegmentsCell((record[columns.segments] as string).trim());
  if (!parsed.ok) return { file, line, id, invalid: parsed.error };
  const stats = opts.stats;
  if (stats !== undefined && parsed.value !== null) for (const segment of parsed.value) stats.add(segment.type, segment.value);
  // Built unless false: a json row's segments (null or []) are what says it clears.
  return opts.buildSegments !== false ? { file, line, id, segments: parsed.value } : { file, line, id };
}

/**
 * long: one record, one row with one segment; a record with a blank type and value is the row
 * saying "no segments" (`segments: []`; the dedupe stage decides whether it stands alone). A
 * broken record is an invalid row carrying its id, so that the dedupe stage can hold the whole
 * customer back (sending its other rows would replace its segments without the broken one).
 */
export function mapLongRecord(
  columns: LongColumns,
  record: readonly string[],
  file: number,
  line: number,
  opts: Partial<RowMapperOptions> = {},
): InputRow {
  const id = idOf(record, columns.id);
  const problem = recordProblem(record, columns, id);
  if (problem !== undefined) return { file, line, id, long: true, invalid: problem };
  const type = (record[columns.type] as string).trim();
  const value = (record[columns.value] as string).trim();
  // Built unless false: a long customer is gathered from its records' segments.
  const build = opts.buildSegments !== false;
  if (type === '' && value === '') return build ? { file, line, id, long: true, segments: [] } : { file, line, id, long: true };
  const reason = segmentProblem(type, value);
  if (reason !== undefined) return { file, line, id, long: true, invalid: reason };
  opts.stats?.add(type, value);
  return build ? { file, line, id, long: true, segments: [{ type, value }] } : { file, line, id, long: true };
}

export function parseSegmentsCell(cell: string): Result<Segment[] | null> {
  if (cell === '') return err('segments is empty; write [] or null');
  let json: unknown;
  try {
    json = JSON.parse(cell);
  } catch (error) {
    return err(`bad JSON in segments: ${shortReason(error)}`);
  }
  if (json === null) return ok(null);
  if (!Array.isArray(json)) return err('segments must be a JSON array of {"type","value"} objects, or null');
  const segments: Segment[] = [];
  for (const [i, element] of json.entries()) {
    const segment = toSegment(element);
    if (!segment.ok) return err(`segments[${i}]: ${segment.error}`);
    segments.push(segment.value);
  }
  return ok(segments);
}

function toSegment(element: unknown): Result<Segment> {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) {
    return err('must be an object {"type","value"}');
  }
  const { type, value } = element as Record<string, unknown>;
  if (typeof type !== 'string' || typeof value !== 'string') {
    return err('"type" and "value" must both be strings');
  }
  return segmentOf(type.trim(), value.trim());
}

/** The rule for one (type, value) pair, shared by json and long. */
function segmentOf(type: string, value: string): Result<Segment> {
  const problem = segmentProblem(type, value);
  return problem === undefined ? ok({ type, value }) : err(problem);
}

function segmentProblem(type: string, value: string): string | undefined {
  if (type === '') return 'empty segment type';
  if (value === '') return `blank value for segment type ${JSON.stringify(type)}`;
  return undefined;
}

/** V8's JSON messages can quote the whole input; the reason only needs the gist. */
function shortReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 100 ? `${message.slice(0, 100)}…` : message;
}

function idOf(record: readonly string[], index: number): string {
  return (record[index] ?? '').trim();
}

/** Why a record cannot be a customer whatever its layout, or undefined. */
function recordProblem(record: readonly string[], columns: Columns, id: string): string | undefined {
  const { width, fullWidth } = columns;
  const n = record.length;
  if (n !== width && n !== fullWidth) {
    // Excel pads lines to the header's width, trailing unnamed columns included; both are fine.
    return `wrong number of fields: expected ${width === fullWidth ? width : `${width} or ${fullWidth}`}, got ${n}`;
  }
  for (let c = width; c < n; c++) {
    if ((record[c] as string).trim() !== '') {
      return `a value in column ${c + 1}, which has no name in the header; name the column or remove the value`;
    }
  }
  return idProblem(id, columns.names[columns.id] as string);
}

function idProblem(id: string, idName: string): string | undefined {
  if (id === '') return `empty ${idName}`;
  if (id.length > MAX_ID_LENGTH) return `${idName} longer than ${MAX_ID_LENGTH} characters (${id.length})`;
  return undefined;
}
