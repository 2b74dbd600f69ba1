/**
 * One pass over a file's records (arrays) that also knows the physical line where each record
 * starts. Well-formed records are split by the fast path (fast-records.ts); from the first record
 * it hands over, csv-parse reads the rest (array records, no `columns`: object records cost twice
 * the time), so every malformed input is judged and described by csv-parse.
 *
 * csv-parse is driven synchronously: `write` parses the chunk and moves every completed record
 * into a queue at once. Async iteration of a failed parser stream drops the records parsed
 * before the error, and those are needed to know the line of the broken record. csv-parse's own
 * `info.lines` is not used either: it counts a CRLF inside a quoted field as two lines.
 */
import { createRequire } from 'node:module';
import type { CsvError, Parser } from 'csv-parse';
import { FastRecords } from './fast-records.js';
import { LineBreakCounter, lineBreaksInRecord } from './lines.js';
import { inputProblem, type InputProblem } from './problem.js';

const EMPTY = Buffer.alloc(0);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export class CsvRecords {
  /** Made when first needed: most files never leave the fast path, and a run then never loads csv-parse. */
  private csvParse: Parser | undefined;
  private readonly queue: string[][] = [];
  /** Physical line where each queued record starts, aligned with `queue`. */
  private readonly starts: number[] = [];
  private head = 0;
  /** Physical line where the next record to be queued starts. */
  private nextLine = 1;
  /** Line breaks in every byte given to csv-parse, counted from the lines before them. */
  private breaks = new LineBreakCounter();
  /** Until it hands over (or when the delimiter does not suit it); csv-parse reads the rest. */
  private fast: FastRecords | undefined;
  /** Bytes the fast path has not consumed yet: the start of a record that goes on. */
  private rest: Buffer = Buffer.alloc(0);
  /** Whether the fast path has looked at the file's first bytes (a byte order mark). */
  private started = false;
  private readonly take = (record: string[], lines: number): void => {
    this.queue.push(record);
    this.starts.push(this.nextLine);
    this.nextLine += lines;
  };
  private failure: Error | undefined;
  /** Physical line where the record last returned by `next()` starts (the first line is 1). */
  line = 0;

  constructor(
    delimiter: string,
    private readonly maxRecordBytes: number,
    /** false: csv-parse reads everything (the fast path's tests compare the two). */
    fastPath = true,
  ) {
    if (fastPath && FastRecords.supports(delimiter)) this.fast = new FastRecords(delimiter, maxRecordBytes);
    this.delimiter = delimiter;
    if (!fastPath || this.fast === undefined) this.csvParse = this.makeParser();
  }

  private readonly delimiter: string;

  private get parser(): Parser {
    this.csvParse ??= this.makeParser();
    return this.csvParse;
  }

  private makeParser(): Parser {
    const { Parser: CsvParser } = createRequire(import.meta.url)('csv-parse') as { Parser: typeof Parser };
    const parser = new CsvParser({
      delimiter: this.delimiter,
      bom: true,
      // The same line breaks as lines.ts, mixed freely within a file.
      record_delimiter: ['\r\n', '\n', '\r'],
      // Blank lines come through as [''] so that they are counted; the caller skips them.
      skip_empty_lines: false,
      // A record with the wrong number of fields is a row problem, not a reason to stop.
      relax_column_count: true,
      max_record_size: this.maxRecordBytes,
    });
    // Errors are read from `parser.errored` right after each write; this keeps them from
    // surfacing as an unhandled 'error' event as well.
    parser.on('error', () => undefined);
    return parser;
  }

  /** Whether the fast path still reads (it has handed nothing over to csv-parse). */
  get fastPath(): boolean {
    return this.fast !== undefined;
  }

  write(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    if (this.fast !== undefined) {
      this.writeFast(chunk, false);
      return;
    }
    this.writeParser(chunk);
  }

  /** No more input: parses what is left (Node runs the parser's flush synchronously). */
  end(): void {
    if (this.fast !== undefined) this.writeFast(EMPTY, true);
    if (this.fast !== undefined || this.failure !== undefined) return;
    this.parser.end();
    // The last record may end without a line break, which the count of breaks cannot tell.
    this.takeParsed(true);
  }

  private writeFast(chunk: Buffer, final: boolean): void {
    const fast = this.fast as FastRecords;
    const data = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    let from = 0;
    if (!this.started) {
      // csv-parse's `bom: true`, which only the first bytes can need.
      if (data.length < BOM.length && !final) {
        this.rest = data;
        return;
      }
      this.started = true;
      if (data.subarray(0, BOM.length).equals(BOM)) from = BOM.length;
    }
    const { consumed, handOver } = fast.scan(data, from, final, this.take);
    if (!handOver) {
      // A copy: the rest is at most one record, and must not hold the whole chunk alive.
      this.rest = consumed === data.length ? EMPTY : Buffer.from(data.subarray(consumed));
      return;
    }
    this.fast = undefined;
    this.rest = EMPTY;
    // csv-parse numbers the lines from here: the breaks it sees count from the records before.
    this.breaks = new LineBreakCounter(this.nextLine - 1);
    this.writeParser(data.subarray(consumed));
  }

  private writeParser(chunk: Buffer): void {
    this.breaks.add(chunk);
    this.parser.write(chunk);
    this.takeParsed(false);
  }

  /** The next complete record, or undefined when everything written so far is consumed. */
  next(): string[] | undefined {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.starts.length = 0;
      this.head = 0;
      return undefined;
    }
    this.line = this.starts[this.head] as number;
    return this.queue[this.head++] as string[];
  }

  /**
   * Why parsing stopped, once every record before the failure has been consumed (so the line
   * named is where the broken record starts).
   */
  problem(): InputProblem | undefined {
    if (this.failure === undefined || this.head < this.queue.length) return undefined;
    return describeCsvFailure(this.failure, this.nextLine, this.maxRecordBytes);
  }

  private takeParsed(atEnd: boolean): void {
    if (this.failure !== undefined) return;
    const first = this.queue.length;
    let record: string[] | null;
    while ((record = this.parser.read() as string[] | null) !== null) this.queue.push(record);
    this.failure = this.parser.errored ?? undefined;
    this.numberLines(first, atEnd);
  }

  /**
   * Numbers the records queued from `first` on. Every line break outside quotes ends one record
   * (blank lines are records too), so when the new records plus those before them account for
   * every line break written, none of them holds a break and each is one line: the usual case,
   * decided without looking at a field. Otherwise (or with `scan`) their fields are scanned.
   */
  private numberLines(first: number, scan: boolean): void {
    const { queue, starts } = this;
    const oneLineEach = !scan && this.nextLine - 1 + (queue.length - first) === this.breaks.count;
    for (let i = first; i < queue.length; i++) {
      starts.push(this.nextLine);
      this.nextLine += oneLineEach ? 1 : 1 + lineBreaksInRecord(queue[i] as string[]);
    }
  }
}

/** Maps csv-parse's failures to stable codes and plain advice; never passes its error through. */
export function describeCsvFailure(err: Error, line: number, maxRecordBytes: number): InputProblem {
  const code = (err as Partial<CsvError>).code;
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return inputProblem(
        'CSV_QUOTE_NOT_CLOSED',
        line,
        'a quoted field opened in the record starting on this line is never closed; close the quote, and write a quote inside a quoted field as ""',
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
      return inputProblem(
        'CSV_INVALID_CLOSING_QUOTE',
        line,
        'text follows the closing quote of a field in the record starting on this line; quote the whole field and write inner quotes as ""',
      );
    case 'INVALID_OPENING_QUOTE':
      return inputProblem(
        'CSV_INVALID_OPENING_QUOTE',
        line,
        'a quote appears inside an unquoted field in the record starting on this line; quote the whole field and write inner quotes as ""',
      );
    case 'CSV_MAX_RECORD_SIZE':
      return inputProblem(
        'RECORD_TOO_LARGE',
        line,
        `the record starting on this line is larger than the cap of ${maxRecordBytes} bytes (--max-record-bytes); check for an unclosed quote or a missing line break, or raise the cap`,
      );
    default:
      return inputProblem(
        'CSV_PARSE_ERROR',
        line,
        `the CSV parser stopped on the record starting on this line (${code ?? 'unknown error'}); check the quoting of that record`,
      );
  }
}
