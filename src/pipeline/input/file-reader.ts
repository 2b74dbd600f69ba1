/**
 * One file being read: raw bytes in, rows out. Synchronous and batched: `takeRows()` returns
 * every row a chunk of bytes completes, so the pipeline awaits once per chunk, not once per row
 * (every await of an async generator costs about as much as parsing a short row). Structural
 * problems are thrown as InputErrors naming file and line.
 */
import type { InputRow, Layout } from '../../core/types.js';
import { CsvRecords } from './csv-records.js';
import { readPrefix } from './detect.js';
import { EncodingChecker, InputDecoder } from './encoding.js';
import { FileRows } from './file-rows.js';
import type { Encoding, InputOptions } from './options.js';
import { toInputError, type InputProblem } from './problem.js';
import { MAX_TYPES, type TypeStat } from './type-stats.js';

/** What reading a file taught about it (FileFacts without path and hash). */
export interface ParsedFacts {
  /** Data records read (each long-layout record counts; repeated header lines do not). */
  rows: number;
  layout: Layout;
  delimiter: string;
  /** The encoding the file was read in. */
  encoding: Encoding;
  /** Trimmed header names (trailing unnamed columns included, as ''). */
  header: string[];
  /** The id column's name as the header writes it. */
  idColumn: string;
  /**
   * The segment types sent: wide, the selected columns' types (after renames) in header order;
   * long and json, the types seen, in order of first appearance (at most MAX_TYPES).
   */
  segmentTypes: string[];
  /** Per segment type (same order): distinct values (capped) and the 3 most common values. */
  typeStats: TypeStat[];
  /** Named columns read but not sent (left out by the selection; long/json extra columns). */
  ignoredColumns: string[];
  /** Data lines identical to the header that were skipped (concatenated exports). */
  repeatedHeaders: number;
  /** Warnings to log and show in the plan. */
  notes: string[];
}

export class FileReader {
  private readonly decoder: InputDecoder;
  private encoding: EncodingChecker | undefined;
  private readonly rows: FileRows;
  /** Decoded chunks held back until the delimiter is known (given, or seen in the whole header line). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private csv: CsvRecords | undefined;
  private delimiter = '';
  /** Line 1 is a `sep=` line: skipped. */
  private sepLine = false;
  /** Line 1's record, when it is a `sep=` line. */
  private sepRecord: readonly string[] | undefined;
  private repeatedSepLines = 0;
  private readonly notes: string[] = [];
  private ended = false;
  private finished = false;
  /** A structural problem met after some rows were taken: thrown by the next takeRows(). */
  private problem: InputProblem | undefined;

  constructor(
    private readonly display: string,
    file: number,
    private readonly opts: InputOptions,
  ) {
    this.decoder = new InputDecoder(opts.encoding);
    this.rows = new FileRows(file, opts);
  }

  /** Takes the next chunk of raw file bytes; read the rows it completes with `takeRows()`. */
  write(chunk: Buffer): void {
    const decoded = this.decoder.write(chunk);
    if (decoded.length > 0) this.feed(decoded, false);
  }

  /** No more bytes will come. */
  end(): void {
    const rest = this.decoder.end();
    if (rest.length > 0 || this.encoding === undefined) this.feed(rest, true);
    this.fail(this.checker().finish());
    // Complete: readPrefix always decides.
    const csv = this.csv ?? (this.start(true) as CsvRecords);
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

  /** Available once `takeRows()` has returned [] after `end()`. */
  facts(): ParsedFacts {
    const columns = this.rows.columns;
    if (!this.finished || columns === undefined) throw new Error('FileReader.facts() called before the file was read to its end');
    const rows = this.rows;
    const notes = [...this.notes, ...columns.notes];
    if (rows.repeatedHeaders > 0) {
      notes.push(
        `${rows.repeatedHeaders} line${rows.repeatedHeaders === 1 ? '' : 's'} identical to the header skipped (concatenated exports?), the first at line ${rows.firstRepeatedHeader}`,
      );
    }
    if (this.repeatedSepLines > 0)
      notes.push(
        `${this.repeatedSepLines} more "sep=" line${this.repeatedSepLines === 1 ? '' : 's'} skipped (concatenated Excel exports?)`,
      );
    if (rows.stats.typesCapped) notes.push(`more than ${MAX_TYPES} segment types; only the first ${MAX_TYPES} are listed`);
    return {
      rows: rows.rowCount,
      layout: columns.layout,
      delimiter: this.delimiter,
      encoding: this.decoder.encoding ?? 'utf-8',
      header: columns.names,
      idColumn: columns.names[columns.id] as string,
      segmentTypes: rows.stats.types(),
      typeStats: rows.stats.stats(),
      ignoredColumns: columns.ignored,
      repeatedHeaders: rows.repeatedHeaders,
      notes,
    };
  }

  /** Decoded bytes: checked, then parsed (or held until the delimiter is known). */
  private feed(chunk: Buffer, complete: boolean): void {
    this.fail(this.checker().check(chunk));
    if (this.csv !== undefined) {
      this.csv.write(chunk);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Past the record cap the header line is hopeless anyway: start, and let the parser say so.
    if (!complete) this.start(this.pendingBytes > this.opts.maxRecordBytes);
  }

  /** The checker for the encoding in use, once the decoder has chosen it. */
  private checker(): EncodingChecker {
    const encoding = this.decoder.encoding ?? 'utf-8';
    this.encoding ??= new EncodingChecker(encoding === 'utf-8', encoding === 'windows-1252');
    return this.encoding;
  }

  /** Moves the complete rows into `rows`; stops at the first structural problem and returns it. */
  private collect(rows: InputRow[]): InputProblem | undefined {
    const csv = this.csv;
    if (csv === undefined) return undefined;
    let record: string[] | undefined;
    while ((record = csv.next()) !== undefined) {
      if (this.sepLine && this.isSepLine(record, csv.line)) continue;
      const row = this.rows.accept(record, csv.line);
      if (this.rows.problem !== undefined) return this.rows.problem;
      if (row !== undefined) rows.push(row);
    }
    const problem = csv.problem();
    if (problem !== undefined || !this.ended || this.finished) return problem;
    this.finished = true;
    this.rows.finish();
    return this.rows.problem;
  }

  /**
   * Line 1 when the file starts with `sep=`; later, the same line again (concatenated Excel
   * exports bring theirs along, before their repeated header): skipped too, never a customer.
   */
  private isSepLine(record: readonly string[], line: number): boolean {
    if (line === 1) {
      this.sepRecord = record;
      return true;
    }
    const sep = this.sepRecord;
    if (sep === undefined || record[0] !== sep[0] || record.length !== sep.length || !record.every((cell, i) => cell === sep[i]))
      return false;
    this.repeatedSepLines++;
    return true;
  }

  /** Starts parsing once the start of the file says how (always when `complete`). */
  private start(complete: boolean): CsvRecords | undefined {
    const prefix = readPrefix(this.pending, this.opts.delimiter, complete);
    if (prefix === undefined) return undefined;
    if (prefix.sep !== undefined) {
      // Excel's `sep=;` line: it is not the header. Line numbers stay physical (header: line 2).
      this.sepLine = true;
      this.notes.push(
        this.opts.delimiter === undefined || this.opts.delimiter === prefix.sep
          ? `line 1 is ${JSON.stringify(`sep=${prefix.sep}`)} (an Excel export): delimiter ${JSON.stringify(prefix.sep)}, line skipped`
          : `line 1 is ${JSON.stringify(`sep=${prefix.sep}`)} (an Excel export): skipped; --delimiter ${JSON.stringify(this.opts.delimiter)} is used`,
      );
    }
    const csv = new CsvRecords(prefix.delimiter, this.opts.maxRecordBytes);
    this.csv = csv;
    this.delimiter = prefix.delimiter;
    for (const chunk of this.pending) csv.write(chunk);
    this.pending = [];
    return csv;
  }

  private fail(problem: InputProblem | undefined): void {
    if (problem !== undefined) throw toInputError(this.display, problem);
  }
}
