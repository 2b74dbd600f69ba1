/**
 * One file's records → rows: blank lines are skipped, the first record is the header, the
 * others are mapped by the layout. Pure and synchronous; a structural problem is kept in
 * `problem` (and ends the file) instead of being thrown.
 */
import type { InputRow } from '../types.js';
import { readHeader, type Columns } from './header.js';
import { createRowMapper, type RowMapper } from './layouts.js';
import { inputProblem, type InputProblem } from './problem.js';

export interface FileRowsOptions {
  idColumn: string;
  layout?: Columns['layout'];
  skipEmpty: boolean;
  maxFields: number;
  /** See InputOptions.buildSegments. */
  buildSegments?: boolean;
}

export class FileRows {
  columns: Columns | undefined;
  problem: InputProblem | undefined;
  /** Data records read so far (a long-layout block counts each of its records). */
  rowCount = 0;
  private mapper: RowMapper | undefined;

  constructor(
    private readonly file: number,
    private readonly opts: FileRowsOptions,
  ) {}

  /** Takes the record starting on `line`; returns the row it completes, if any. */
  accept(record: readonly string[], line: number): InputRow | undefined {
    if (isBlank(record) || this.problem !== undefined) return undefined;
    if (record.length > this.opts.maxFields) {
      this.problem = inputProblem('TOO_MANY_FIELDS', line, `the record has ${record.length} fields, more than the cap of ${this.opts.maxFields}; check the delimiter and quoting`);
      return undefined;
    }
    if (this.mapper === undefined) {
      this.takeHeader(record, line);
      return undefined;
    }
    return this.counted(this.mapper.map(record, line));
  }

  /** End of file: the pending row, if any; an empty file is a problem. */
  finish(): InputRow | undefined {
    if (this.problem !== undefined) return undefined;
    if (this.mapper === undefined) {
      this.problem = inputProblem('EMPTY_FILE', 1, 'the file is empty (no header line); check the export, a header line is needed even when there are no rows');
      return undefined;
    }
    return this.counted(this.mapper.finish());
  }

  private takeHeader(record: readonly string[], line: number): void {
    const header = readHeader(record, line, this.opts);
    if (!header.ok) {
      this.problem = header.problem;
      return;
    }
    this.columns = header.columns;
    this.mapper = createRowMapper(header.columns, this.file, { skipEmpty: this.opts.skipEmpty, buildSegments: this.opts.buildSegments ?? true });
  }

  private counted(row: InputRow | undefined): InputRow | undefined {
    if (row !== undefined) this.rowCount += 1;
    return row;
  }
}

/** An empty or whitespace-only line: a single field with nothing in it. */
function isBlank(record: readonly string[]): boolean {
  return record.length === 1 && (record[0] as string).trim() === '';
}
