/**
 * One file's records → rows: blank lines are skipped, the first record is the header, the
 * others are mapped by the layout. Pure and synchronous; a structural problem is kept in
 * `problem` (and ends the file) instead of being thrown.
 */
import type { InputRow } from '../../core/types.js';
import { headerKey } from './detect.js';
import { readHeader, type Columns, type HeaderOptions } from './header.js';
import { createRowMapper, type RowMapper } from './layouts.js';
import { inputProblem, type InputProblem } from './problem.js';
import { describeDistinct, TypeStats } from './type-stats.js';

export interface FileRowsOptions extends HeaderOptions {
  skipEmpty: boolean;
  maxFields: number;
  /** See InputOptions.buildSegments. */
  buildSegments?: boolean | (() => boolean);
  /** See InputOptions.wideCells. */
  wideCells?: boolean;
}

export class FileRows {
  columns: Columns | undefined;
  problem: InputProblem | undefined;
  /** Data records read so far (repeated header lines are not rows). */
  rowCount = 0;
  /** Data lines identical to the header, skipped (concatenated exports). */
  repeatedHeaders = 0;
  /** Line of the first of them. */
  firstRepeatedHeader: number | undefined;
  /** Values per segment type, for the facts and the "not a segment column" rule. */
  readonly stats = new TypeStats();
  /** Line of the header. */
  headerLine = 0;
  private mapper: RowMapper | undefined;
  /** The header's names as compared (trimmed, lower case), up to the last named one. */
  private headerKeys: string[] = [];
  private idKey = '';
  /** First character code of idKey. */
  private idFirst = 0;

  constructor(
    private readonly file: number,
    private readonly opts: FileRowsOptions,
  ) {}

  /** Takes the record starting on `line`; returns its row, if it is one. */
  accept(record: readonly string[], line: number): InputRow | undefined {
    if (isBlank(record) || this.problem !== undefined) return undefined;
    if (record.length > this.opts.maxFields) {
      this.problem = inputProblem(
        'TOO_MANY_FIELDS',
        line,
        `the record has ${record.length} fields, more than the cap of ${this.opts.maxFields}; check the delimiter and quoting`,
      );
      return undefined;
    }
    const mapper = this.mapper;
    if (mapper === undefined) {
      this.takeHeader(record, line);
      return undefined;
    }
    const columns = this.columns as Columns;
    if (this.mayBeIdName(record[columns.id])) {
      const idCell = (record[columns.id] as string).trim();
      if (idCell.toLowerCase() !== this.idKey) {
        this.rowCount++;
        return mapper.map(record, line);
      }
      if (this.isHeader(record)) {
        // `zcat part-*.csv.gz | segment-sync run -`: every part brings its header along.
        this.repeatedHeaders++;
        this.firstRepeatedHeader ??= line;
        return undefined;
      }
      this.rowCount++;
      const reason = `the ${columns.names[columns.id]} cell holds the id column's name: a header line unlike the file's header (line ${this.headerLine}); concatenated files must share one header`;
      return columns.layout === 'long'
        ? { file: this.file, line, id: idCell, long: true, invalid: reason }
        : { file: this.file, line, id: idCell, invalid: reason };
    }
    this.rowCount++;
    return mapper.map(record, line);
  }

  /**
   * End of file: an empty file is a problem, and so is a wide column that does not look like a
   * segment type (known only once every value has been seen; reported at the header's line).
   */
  finish(): void {
    if (this.problem !== undefined) return;
    const columns = this.columns;
    if (columns === undefined) {
      this.problem = inputProblem(
        'EMPTY_FILE',
        1,
        'the file is empty (no header line); check the export, a header line is needed even when there are no rows',
      );
      return;
    }
    // With --segment-columns/--ignore-columns the user has said which columns are segments.
    if (columns.layout === 'wide' && !columns.selected) this.problem = notSegmentColumns(columns, this.stats, this.headerLine);
  }

  private takeHeader(record: readonly string[], line: number): void {
    const header = readHeader(record, line, this.opts);
    if (!header.ok) {
      this.problem = header.error;
      return;
    }
    const columns = header.value;
    this.columns = columns;
    this.headerLine = line;
    this.headerKeys = columns.names.slice(0, columns.width).map(headerKey);
    this.idKey = this.headerKeys[columns.id] as string;
    this.idFirst = this.idKey.charCodeAt(0);
    if (columns.layout === 'wide') for (const column of columns.segments) this.stats.declare(column.type);
    this.mapper = createRowMapper(columns, this.file, {
      skipEmpty: this.opts.skipEmpty,
      buildSegments: this.opts.buildSegments ?? true,
      wideCells: this.opts.wideCells ?? false,
      stats: this.stats,
    });
  }

  /**
   * Whether an id cell might be the id column's name (trimmed, any case): a test of its first
   * character and length that runs for every row, so that only such rows are compared in full.
   */
  private mayBeIdName(cell: string | undefined): boolean {
    if (cell === undefined || cell.length < this.idKey.length) return false;
    const first = cell.charCodeAt(0);
    // Whitespace or a BOM (a concatenated part's) before the name; a non-ASCII name: test in full.
    if (first <= 0x20 || first === 0xfeff || this.idFirst > 0x7f) return true;
    return first === this.idFirst || (first | 0x20) === this.idFirst;
  }

  /** The record repeats the header: the same names, trimmed, any case (trailing blanks aside). */
  private isHeader(record: readonly string[]): boolean {
    const keys = this.headerKeys;
    for (let c = 0; c < record.length; c++) {
      const cell = headerKey(record[c] as string);
      if (c < keys.length ? cell !== keys[c] : cell !== '') return false;
    }
    return record.length >= keys.length;
  }
}

/** An empty or whitespace-only line: a single field with nothing in it. */
function isBlank(record: readonly string[]): boolean {
  return record.length === 1 && (record[0] as string).trim() === '';
}

/** See TypeStats.idLike for the rule; the message names the columns and the way out. */
function notSegmentColumns(columns: Extract<Columns, { layout: 'wide' }>, stats: TypeStats, line: number): InputProblem | undefined {
  const idLike = stats.idLike();
  if (idLike.length === 0) return undefined;
  const bad = new Set(idLike.map((s) => s.type));
  const keep = columns.segments.map((c) => c.type).filter((t) => !bad.has(t));
  const list = (names: string[]): string => names.map((n) => (/[,"=\s]/.test(n) ? JSON.stringify(n) : n)).join(',');
  const select = keep.length > 0 ? `--segment-columns ${list(keep)}` : '--segment-columns <the columns to send>';
  return inputProblem(
    'NOT_SEGMENT_COLUMNS',
    line,
    `${idLike.length === 1 ? 'a column does' : 'columns do'} not look like segment types (nearly every value distinct, like an email, a name, an id or a timestamp): ` +
      `${idLike.map((s) => `${JSON.stringify(s.type)} (${describeDistinct(s)})`).join(', ')}; every column but the id would be sent as a segment type. ` +
      `Choose the columns to send with ${select}, or leave these out with --ignore-columns ${list([...bad])}`,
  );
}
