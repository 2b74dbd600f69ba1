/**
 * One file being read: decoded bytes in, rows out. Synchronous and batched: `takeRows()` returns
 * every row a chunk of bytes completes, so the pipeline awaits once per chunk, not once per row
 * (every await of an async generator costs about as much as parsing a short row). Structural
 * problems are thrown as InputErrors naming file and line.
 */
import type { InputRow, Layout } from '../types.js';
import { CsvRecords } from './csv-records.js';
import { delimiterFromPrefix } from './detect.js';
import { EncodingChecker } from './encoding.js';
import { FileRows } from './file-rows.js';
import { DELIMITERS, type InputOptions } from './options.js';
import { toInputError, type InputProblem } from './problem.js';

/** What reading a file taught about it (FileFacts without path and hash). */
export interface ParsedFacts {
  /** Data records read (each record of a long-layout block counts). */
  rows: number;
  layout: Layout;
  delimiter: string;
  /** Trimmed header names. */
  header: string[];
  /** wide: the segment-type columns, in order; [] for json and long. */
  segmentTypes: string[];
}

export class FileReader {
  private readonly encoding = new EncodingChecker();
  private readonly rows: FileRows;
  /** Chunks held back until the delimiter is known (given, or seen in the whole header line). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private csv: CsvRecords | undefined;
  private delimiter = '';
  private ended = false;
  private finished = false;
  /** A structural problem met after some rows were taken: thrown by the next takeRows(). */
  private problem: InputProblem | undefined;

  constructor(
    private readonly display: string,
    file: number,
    private readonly opts: InputOptions,
  ) {
    this.rows = new FileRows(file, opts);
  }

  /** Takes the next chunk of decoded bytes; read the rows it completes with `takeRows()`. */
  write(chunk: Buffer): void {
    this.fail(this.encoding.check(chunk));
    if (this.csv !== undefined) {
      this.csv.write(chunk);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Past the record cap the header line is hopeless anyway: start, and let the parser say so.
    const delimiter = this.opts.delimiter ?? delimiterFromPrefix(this.pending, this.pendingBytes > this.opts.maxRecordBytes);
    if (delimiter !== undefined) this.start(delimiter);
  }

  /** No more bytes will come. */
  end(): void {
    this.fail(this.encoding.finish());
    const csv = this.csv ?? this.start(this.opts.delimiter ?? delimiterFromPrefix(this.pending, true) ?? DELIMITERS[0]);
    csv.end();
    this.ended = true;
  }

  /**
   * Every row completed by the bytes written so far; [] when there is none until more bytes come
   * (or, after `end()`, at the end of the file). A structural problem is thrown once the rows
   * before it have been returned, so that they are counted and reported at their own lines.
   */
  takeRows(): InputRow[] {
    this.fail(this.problem);
    const rows: InputRow[] = [];
    this.problem = this.collect(rows);
    if (rows.length === 0) this.fail(this.problem);
    return rows;
  }

  /** Moves the complete rows into `rows`; stops at the first structural problem and returns it. */
  private collect(rows: InputRow[]): InputProblem | undefined {
    const csv = this.csv;
    if (csv === undefined) return undefined;
    let record: string[] | undefined;
    while ((record = csv.next()) !== undefined) {
      const row = this.rows.accept(record, csv.line);
      if (this.rows.problem !== undefined) return this.rows.problem;
      if (row !== undefined) rows.push(row);
    }
    const problem = csv.problem();
    if (problem !== undefined || !this.ended || this.finished) return problem;
    this.finished = true;
    const last = this.rows.finish();
    if (last !== undefined) rows.push(last);
    return this.rows.problem;
  }

  /** Available once `takeRows()` has returned [] after `end()`. */
  facts(): ParsedFacts {
    const columns = this.rows.columns;
    if (!this.finished || columns === undefined) throw new Error('FileReader.facts() called before the file was read to its end');
    const segmentTypes = columns.layout === 'wide' ? columns.names.filter((_, i) => i !== columns.id) : [];
    return { rows: this.rows.rowCount, layout: columns.layout, delimiter: this.delimiter, header: columns.names, segmentTypes };
  }

  private start(delimiter: string): CsvRecords {
    const csv = new CsvRecords(delimiter, this.opts.maxRecordBytes);
    this.csv = csv;
    this.delimiter = delimiter;
    for (const chunk of this.pending) csv.write(chunk);
    this.pending = [];
    return csv;
  }

  private fail(problem: InputProblem | undefined): void {
    if (problem !== undefined) throw toInputError(this.display, problem);
  }
}
