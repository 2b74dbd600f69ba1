/**
 * results.csv: one line per input data row, in input order, written atomically. Every free-text cell
 * (ids and details come from user data and from the endpoint) is neutralised against formula
 * injection and RFC 4180 quoted.
 */
import path from 'node:path';
import { ChunkedOutput } from './chunked-output.js';
import { csvRecord, safeCell } from './csv.js';
import { REPORT_FILES } from '../../core/report-files.js';
import type { ResultRow, ResultStatus } from './result-row.js';

const HEADER = 'line,document_id,status,detail';

/** The header: a 5th column `file` only in multi-file runs, where line numbers alone are ambiguous. */
export function resultsHeader(inputCount: number): string {
  return inputCount > 1 ? `${HEADER},file\n` : `${HEADER}\n`;
}

export class ResultsWriter {
  /** Status, detail and file repeat row after row (a dry run: `valid`, no detail, one file; one
   *  error for a whole batch): the end of the line after the id is encoded once per run of them. */
  private lastStatus: ResultStatus | undefined;
  private lastDetail = '';
  private lastFile = -1;
  private lastTail = '';
  private readonly lineDigits = new LineDigits();
  /** lastTail's UTF-8 bytes, made when first wanted (the id-bytes path). */
  private lastTailBytes: Buffer | undefined;

  private constructor(
    private readonly output: ChunkedOutput,
    /** Per input, the end of its lines: `,<file cell>` and the line break, encoded once; undefined in
     *  single-file runs (no `file` column). */
    private readonly lineEnds: readonly string[] | undefined,
  ) {}

  /** Opens `<dir>/results.csv` (hidden until commit). `inputs` are the display paths, in run order. */
  static open(dir: string, inputs: readonly string[]): ResultsWriter {
    const output = ChunkedOutput.create(path.join(dir, REPORT_FILES.results));
    const writer = new ResultsWriter(output, inputs.length > 1 ? inputs.map((input) => `,${safeCell(input)}\n`) : undefined);
    void output.append(resultsHeader(inputs.length));
    return writer;
  }

  /** Buffers one row; returns a promise when a chunk went to disk (await it for back-pressure). */
  write(row: ResultRow): Promise<void> | void {
    return this.writeLine(row.file, row.line, row.id, row.status, row.detail);
  }

  /**
   * `write` without a row object, for the hot path (a line for every input row): an id of plain
   * ASCII (nothing to quote, no formula start), as most are, is copied into the output's buffer
   * unit by unit, with the line's digits and the tail as bytes: no string is made for the line.
   */
  writeLine(file: number, line: number, id: string, status: ResultStatus, detail: string): Promise<void> | void {
    const tail = this.tail(status, detail, file);
    const tailBytes = (this.lastTailBytes ??= Buffer.from(tail, 'utf8'));
    const { output } = this;
    const rest = id.length + tailBytes.length;
    if (!isPlainAscii(id) || !this.fits(rest)) return output.append(`${line},${safeCell(id)}${tail}`);
    const flushed = this.startLine(line, rest);
    output.putAscii(id);
    output.put(tailBytes, 0, tailBytes.length);
    return flushed;
  }

  /** A record read back from a results.csv this writer's kind wrote: its cells are neutralised already, so only quoted. */
  writeCells(cells: readonly string[]): Promise<void> | void {
    this.lastStatus = undefined;
    return this.output.append(csvRecord(cells));
  }

  /**
   * `writeLine` for an id given as its UTF-8 bytes `id[start, end)` (the row log's): an id that
   * needs neither quotes nor a formula guard, as most do, is copied as it is, and no string is made
   * for the line.
   */
  writeIdBytes(
    file: number,
    line: number,
    id: Buffer,
    start: number,
    end: number,
    status: ResultStatus,
    detail: string,
  ): Promise<void> | void {
    if (!isPlainCell(id, start, end)) return this.writeLine(file, line, id.toString('utf8', start, end), status, detail);
    const tail = this.tail(status, detail, file);
    const tailBytes = (this.lastTailBytes ??= Buffer.from(tail, 'utf8'));
    const rest = end - start + tailBytes.length;
    if (!this.fits(rest)) return this.writeLine(file, line, id.toString('utf8', start, end), status, detail);
    const flushed = this.startLine(line, rest);
    this.output.put(id, start, end);
    this.output.put(tailBytes, 0, tailBytes.length);
    return flushed;
  }

  /** Whether a line whose id and tail take `rest` bytes fits the output's buffer (startLine's bound, for any line number). */
  private fits(rest: number): boolean {
    return DECIMAL_BYTES + 1 + rest <= this.output.reservable;
  }

  /** Makes room for a line whose id and tail take `rest` bytes (it `fits`), and puts its number and comma. */
  private startLine(line: number, rest: number): Promise<void> | void {
    const digits = this.lineDigits;
    digits.set(line);
    const { output } = this;
    const flushed = output.reserve(digits.length + 1 + rest);
    output.put(digits.bytes, digits.start, DECIMAL_BYTES);
    output.put(COMMA, 0, 1);
    return flushed;
  }

  /** A row of no input line (mirror: a customer gone from the input): empty `line` and `file` cells. */
  writeUnplaced(id: string, status: ResultStatus, detail: string): Promise<void> | void {
    this.lastStatus = undefined;
    return this.output.append(`,${safeCell(id)},${status},${safeCell(detail)}${this.lineEnds === undefined ? '\n' : ',\n'}`);
  }

  commit(): Promise<void> {
    return this.output.commit();
  }

  /** Buffers handed to the file and not written yet. */
  get queued(): number {
    return this.output.queued;
  }

  /** Ends the file unpublished and returns its temp path (see ChunkedOutput.closeTemp). */
  closeTemp(): Promise<string> {
    return this.output.closeTemp();
  }

  abort(): Promise<void> {
    return this.output.abort();
  }

  /** `,status,detail` and the line end. */
  private tail(status: ResultStatus, detail: string, file: number): string {
    if (status !== this.lastStatus || detail !== this.lastDetail || file !== this.lastFile) {
      this.lastStatus = status;
      this.lastDetail = detail;
      this.lastFile = file;
      this.lastTail = `,${status},${safeCell(detail)}${this.lineEnd(file)}`;
      this.lastTailBytes = undefined;
    }
    return this.lastTail;
  }

  private lineEnd(file: number): string {
    if (this.lineEnds === undefined) return '\n';
    const end = this.lineEnds[file];
    if (end === undefined) throw new RangeError(`result row names input #${file}, but the run has ${this.lineEnds.length}`);
    return end;
  }
}

const COMMA = Buffer.from(',');

/** Decimal digits of a line number at most (2^32 - 1 has 10). */
const DECIMAL_BYTES = 10;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * A line number's decimal digits, right-aligned in `bytes` from `start`. Lines mostly come one
 * after the other, so the last number's digits are counted up by one in place, like an odometer:
 * formatting every number from scratch was a tenth of writing results.csv.
 */
class LineDigits {
  readonly bytes = Buffer.alloc(DECIMAL_BYTES, ZERO);
  start = DECIMAL_BYTES - 1;
  private last = 0;

  set(line: number): void {
    if (line >>> 0 !== line) throw new RangeError(`a line number must be a whole number below 2^32, got ${line}`);
    if (line === this.last + 1 && this.last !== 0) this.increment();
    else this.render(line);
    this.last = line;
  }

  get length(): number {
    return DECIMAL_BYTES - this.start;
  }

  private increment(): void {
    const { bytes } = this;
    let at = DECIMAL_BYTES - 1;
    // A number below 2^32 has at most 10 digits, so the carry stops at bytes[0] at the latest.
    while (at > 0 && bytes[at] === NINE) bytes[at--] = ZERO;
    bytes[at] = (bytes[at] as number) + 1;
    if (at < this.start) this.start = at;
  }

  private render(line: number): void {
    const { bytes } = this;
    bytes.fill(ZERO);
    let at = DECIMAL_BYTES;
    let rest = line;
    do {
      bytes[--at] = ZERO + (rest % 10);
      rest = (rest / 10) >>> 0;
    } while (rest !== 0);
    this.start = at;
  }
}

/** isPlainCell for a string: every code unit below 0x80 (so its UTF-8 is the units themselves), none of them special. */
function isPlainAscii(text: string): boolean {
  const { length } = text;
  if (length === 0) return true;
  const first = text.charCodeAt(0);
  if (first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 || first === 0x09 || first === 0x0d) return false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || c === 0x22 || c === 0x2c || c === 0x0d || c === 0x0a) return false;
  }
  return true;
}

/**
 * Whether the UTF-8 bytes of a cell are what safeCell would write: nothing to quote (no `"`, `,`,
 * CR or LF) and no formula start (`=`, `+`, `-`, `@`, tab, CR; a signed number is left to safeCell).
 * Bytes ≥ 0x80 are parts of other characters, never one of these.
 */
function isPlainCell(bytes: Buffer, start: number, end: number): boolean {
  if (start === end) return true;
  const first = bytes[start];
  if (first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 || first === 0x09 || first === 0x0d) return false;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b === 0x22 || b === 0x2c || b === 0x0d || b === 0x0a) return false;
  }
  return true;
}
