/**
 * One file being read: decoded bytes in, rows out. Synchronous, so the reader's async generator
 * is the only per-row await (every async generator level costs about as much as the parsing
 * of a short row). Structural problems are thrown as InputErrors naming file and line.
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

  constructor(
    private readonly display: string,
    file: number,
    private readonly opts: InputOptions,
  ) {
    this.rows = new FileRows(file, opts);
  }

  /** Takes the next chunk of decoded bytes; read the rows it completes with `next()`. */
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

  /** The next complete row, or undefined until more bytes are written (or at the end). */
  next(): InputRow | undefined {
    const csv = this.csv;
    if (csv === undefined) return undefined;
    let record: string[] | undefined;
    while ((record = csv.next()) !== undefined) {
      const row = this.rows.accept(record, csv.line);
      this.fail(this.rows.problem);
      if (row !== undefined) return row;
    }
    this.fail(csv.problem());
    return this.ended ? this.finish() : undefined;
  }

  /** Available once `next()` has returned undefined after `end()`. */
  facts(): ParsedFacts {
    const columns = this.rows.columns;
    if (!this.finished || columns === undefined) throw new Error('FileReader.facts() called before the file was read to its end');
    const segmentTypes = columns.layout === 'wide' ? columns.names.filter((_, i) => i !== columns.id) : [];
    return { rows: this.rows.rowCount, layout: columns.layout, delimiter: this.delimiter, header: columns.names, segmentTypes };
  }

  private finish(): InputRow | undefined {
    if (this.finished) return undefined;
    this.finished = true;
    const last = this.rows.finish();
    this.fail(this.rows.problem);
    return last;
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
