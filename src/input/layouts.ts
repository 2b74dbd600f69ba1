/**
 * Layout mapping: one data record (or, for `long`, a block of records) → one InputRow. Pure.
 * Ids, types and values are trimmed. A record that cannot be sent becomes a row with `invalid`
 * set (never an exception): row problems are counted against --max-invalid later.
 *
 * Each layout also has a check-only form for the validation pass, which sends nothing: it applies
 * every rule but builds no Segment objects (they were most of that pass's garbage).
 */
import type { InputRow, Segment } from '../types.js';
import type { Columns } from './header.js';
import { MAX_ID_LENGTH } from './options.js';

export interface RowMapper {
  /** Maps one data record; undefined while a `long` block may still continue. */
  map(record: readonly string[], line: number): InputRow | undefined;
  /** At the end of the file: the row still pending (`long`), if any. */
  finish(): InputRow | undefined;
}

export const SKIPPED_EMPTY = 'skipped: every segment cell is blank (--skip-empty)';

type WideColumns = Extract<Columns, { layout: 'wide' }>;
type JsonColumns = Extract<Columns, { layout: 'json' }>;
type LongColumns = Extract<Columns, { layout: 'long' }>;
type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface RowMapperOptions {
  /** wide: an all-blank row is skipped (--skip-empty). */
  skipEmpty: boolean;
  /** false: check rows only; valid rows come without `segments`. */
  buildSegments: boolean;
}

export function createRowMapper(columns: Columns, file: number, opts: RowMapperOptions): RowMapper {
  const { skipEmpty, buildSegments } = opts;
  switch (columns.layout) {
    case 'wide': {
      const mapWide = buildSegments ? mapWideRecord : checkWideRecord;
      return { map: (record, line) => mapWide(columns, record, file, line, skipEmpty), finish: () => undefined };
    }
    case 'json': {
      const mapJson = buildSegments ? mapJsonRecord : checkJsonRecord;
      return { map: (record, line) => mapJson(columns, record, file, line), finish: () => undefined };
    }
    case 'long':
      return new LongBlocks(columns, file, buildSegments);
  }
}

/** wide: each non-blank cell is a segment {type: its column name, value: the cell}. */
export function mapWideRecord(columns: WideColumns, record: readonly string[], file: number, line: number, skipEmpty: boolean): InputRow {
  const checked = checkWideRecord(columns, record, file, line, skipEmpty);
  return checked.invalid === undefined ? { file, line, id: checked.id, segments: wideSegments(columns, record) } : checked;
}

/** wide, check only: the id, the field count and (with skipEmpty) whether any segment cell is filled. */
export function checkWideRecord(columns: WideColumns, record: readonly string[], file: number, line: number, skipEmpty: boolean): InputRow {
  const id = idOf(record, columns.id);
  const problem = recordProblem(record, columns, id);
  if (problem !== undefined) return { file, line, id, invalid: problem };
  // No segment at all means "clear this customer" (the endpoint replaces): only on purpose.
  if (skipEmpty && !hasSegmentCell(record, columns.id)) return { file, line, id, invalid: SKIPPED_EMPTY, skipped: true };
  return { file, line, id };
}

function wideSegments(columns: WideColumns, record: readonly string[]): Segment[] {
  const segments: Segment[] = [];
  for (let c = 0; c < record.length; c++) {
    if (c === columns.id) continue;
    const value = (record[c] as string).trim();
    if (value !== '') segments.push({ type: columns.names[c] as string, value });
  }
  return segments;
}

function hasSegmentCell(record: readonly string[], idIndex: number): boolean {
  for (let c = 0; c < record.length; c++) {
    if (c !== idIndex && (record[c] as string).trim() !== '') return true;
  }
  return false;
}

/** json: the segments cell holds a JSON array of {type, value}, or null. */
export function mapJsonRecord(columns: JsonColumns, record: readonly string[], file: number, line: number): InputRow {
  const id = idOf(record, columns.id);
  const problem = recordProblem(record, columns, id);
  if (problem !== undefined) return { file, line, id, invalid: problem };
  const parsed = parseSegmentsCell((record[columns.segments] as string).trim());
  return parsed.ok ? { file, line, id, segments: parsed.value } : { file, line, id, invalid: parsed.reason };
}

/** json, check only: the cell must still be parsed to know whether it is valid. */
export function checkJsonRecord(columns: JsonColumns, record: readonly string[], file: number, line: number): InputRow {
  const row = mapJsonRecord(columns, record, file, line);
  return row.invalid === undefined ? { file, line, id: row.id } : row;
}

export function parseSegmentsCell(cell: string): Parsed<Segment[] | null> {
  if (cell === '') return { ok: false, reason: 'segments is empty; write [] or null' };
  let json: unknown;
  try {
    json = JSON.parse(cell);
  } catch (err) {
    return { ok: false, reason: `bad JSON in segments: ${shortReason(err)}` };
  }
  if (json === null) return { ok: true, value: null };
  if (!Array.isArray(json)) return { ok: false, reason: 'segments must be a JSON array of {"type","value"} objects, or null' };
  const segments: Segment[] = [];
  for (const [i, element] of json.entries()) {
    const segment = toSegment(element);
    if (!segment.ok) return { ok: false, reason: `segments[${i}]: ${segment.reason}` };
    segments.push(segment.value);
  }
  return { ok: true, value: segments };
}

function toSegment(element: unknown): Parsed<Segment> {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) {
    return { ok: false, reason: 'must be an object {"type","value"}' };
  }
  const { type, value } = element as Record<string, unknown>;
  if (typeof type !== 'string' || typeof value !== 'string') {
    return { ok: false, reason: '"type" and "value" must both be strings' };
  }
  return segmentOf(type.trim(), value.trim());
}

/** The rule for one (type, value) pair, shared by json and long. */
function segmentOf(type: string, value: string): Parsed<Segment> {
  const problem = segmentProblem(type, value);
  return problem === undefined ? { ok: true, value: { type, value } } : { ok: false, reason: problem };
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

interface Block {
  id: string;
  line: number;
  /** Start lines of the block's records after the first. */
  moreLines: number[];
  segments: Segment[];
  /** Line of a row with blank type and value (it means "no segments"). */
  clearLine?: number;
  invalid?: string;
}

/**
 * long: consecutive records with the same id form one customer, reported at the block's first
 * line. One bad record makes the whole block invalid: sending the rest would replace the
 * customer's segments without the broken one.
 */
export class LongBlocks implements RowMapper {
  private block: Block | undefined;

  constructor(
    private readonly columns: LongColumns,
    private readonly file: number,
    /** false: check each (type, value) but keep no segments. */
    private readonly buildSegments = true,
  ) {}

  map(record: readonly string[], line: number): InputRow | undefined {
    const id = idOf(record, this.columns.id);
    // An empty id cannot say which customer it belongs to: it never joins a block.
    if (this.block !== undefined && id !== '' && id === this.block.id) {
      this.add(this.block, record, line);
      return undefined;
    }
    const finished = this.finish();
    this.block = { id, line, moreLines: [], segments: [], invalid: idProblem(id, this.idName()) };
    this.add(this.block, record, line);
    return finished;
  }

  finish(): InputRow | undefined {
    const block = this.block;
    this.block = undefined;
    return block === undefined ? undefined : this.toRow(block);
  }

  private add(block: Block, record: readonly string[], line: number): void {
    if (line !== block.line) block.moreLines.push(line);
    if (block.invalid !== undefined) return;
    const width = this.columns.names.length;
    if (record.length !== width) {
      block.invalid = `wrong number of fields on line ${line}: expected ${width}, got ${record.length}`;
      return;
    }
    const type = (record[this.columns.type] as string).trim();
    const value = (record[this.columns.value] as string).trim();
    if (type === '' && value === '') {
      block.clearLine = line;
      return;
    }
    const problem = segmentProblem(type, value);
    if (problem !== undefined) block.invalid = `${problem} on line ${line}`;
    else if (this.buildSegments) block.segments.push({ type, value });
  }

  private toRow(block: Block): InputRow {
    const { id, line } = block;
    // Every record of the block gets its own results.csv row.
    const position = block.moreLines.length > 0 ? { file: this.file, line, moreLines: block.moreLines, id } : { file: this.file, line, id };
    if (block.invalid !== undefined) return { ...position, invalid: block.invalid };
    if (block.clearLine !== undefined && block.moreLines.length > 0) {
      return {
        ...position,
        invalid: `line ${block.clearLine} has a blank type and value, which means "no segments" only as the customer's single row; remove it or the other rows`,
      };
    }
    return this.buildSegments ? { ...position, segments: block.segments } : position;
  }

  private idName(): string {
    return this.columns.names[this.columns.id] as string;
  }
}

function idOf(record: readonly string[], index: number): string {
  return (record[index] ?? '').trim();
}

/** Why a record cannot be a customer whatever its layout, or undefined. */
function recordProblem(record: readonly string[], columns: Columns, id: string): string | undefined {
  const width = columns.names.length;
  if (record.length !== width) return `wrong number of fields: expected ${width}, got ${record.length}`;
  return idProblem(id, columns.names[columns.id] as string);
}

function idProblem(id: string, idName: string): string | undefined {
  if (id === '') return `empty ${idName}`;
  if (id.length > MAX_ID_LENGTH) return `${idName} longer than ${MAX_ID_LENGTH} characters (${id.length})`;
  return undefined;
}
