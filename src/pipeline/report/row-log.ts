/**
 * The row log: one record per input record, written by pass 1, turned into results.csv when the run
 * ends. A record whose status pass 1 already knows (invalid, duplicate) is logged with it; a
 * customer's record is logged with the customer's ordinal, and its status is looked up when the
 * report is written (updated, not_found, failed, not_sent, or valid when nothing was sent). So
 * results.csv is in input order and covers every record, even when the customers were sent in
 * another order (long layout) or never (interrupted, guard tripped).
 *
 * It is binary, because it is written for every input row and read back for every one: text lines
 * cost a string per row both ways (number formatting, concatenation, escaping, splitting), which
 * with the writes was a third of a dry run. A record is a tag byte and its fields, numbers as
 * unsigned LEB128 varints, texts as a varint byte length and UTF-8:
 *   'F' file line status(byte: index in STATUSES) id detail    a record with a known status
 *   'C' ordinal file line id                                   a record of customer <ordinal>
 *   'N' id                                                     the same, for the customer after the
 *                                                              last one, in the same file, on the line
 *                                                              after the last record's: most rows
 * The customer's id is then copied from the log into results.csv as bytes (ResultsWriter.writeIdBytes).
 *
 * A dry run without a state (`straight`) knows every row's status as pass 1 meets it: a customer is
 * `valid`, with no detail. Its rows then go straight into results.csv (hidden until the report is
 * committed) and the log is skipped: each row is encoded once, not logged, read back and encoded
 * (1M narrow rows: the report step 0.3 s → 0.06 s, pass 1 ~0.15 s longer). From the first
 * long-layout record on (whose customer a later record may spoil)
 * rows go to the log as above, and the report appends them. Should the run end otherwise for the
 * customers written straight (a guard tripped: `not sent: input rejected`), results.csv is
 * rewritten from what was written, each of their rows with the status the run gives it.
 *
 * A second log, written after pass 1 (mirror), holds the customers gone from the input, one text
 * line each (`<ordinal>\t<id>`, the id escaped, see `escape`): results.csv lists them after the input's rows.
 *
 * Both are process-local scratch files in the run's temp dir.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { asStorageError } from '../../core/storage-error.js';
import { readScratchLines, ScratchWriter } from '../spool/index.js';
import type { ResultStatus } from './result-row.js';
import { ResultsWriter } from './results-writer.js';
import { neutraliseFormula } from './csv.js';
import { readCsvRecords } from './merge/csv-read.js';

/** What results.csv says of a customer's record. */
export interface Resolution {
  readonly status: ResultStatus;
  readonly detail: string;
}

const TAG_KNOWN = 0x46; // F
const TAG_CUSTOMER = 0x43; // C
const TAG_NEXT = 0x4e; // N

/** The statuses a known record can have, by the byte that stands for them. */
const STATUSES: readonly ResultStatus[] = [
  'invalid',
  'duplicate',
  'valid',
  'updated',
  'not_found',
  'failed',
  'rejected',
  'not_sent',
  'unchanged',
  'cleared',
];
const STATUS_BYTE = new Map(STATUSES.map((status, index) => [status, index]));

/** Bytes a record's tag and numbers take at most (a varint of a 32-bit number is 5 bytes). */
const MOST_HEADER_BYTES = 1 + 3 * 5 + 1;

/** How storage errors name what could not be written. */
const WHAT = 'temporary files (TMPDIR)';

/** Where a dry run without a state writes results.csv as pass 1 goes (see the file header). */
export interface StraightResults {
  /** The report dir. */
  dir: string;
  /** The inputs' display paths, in run order. */
  inputs: readonly string[];
}

/** Buffers of results.csv (64 KiB each) that may wait for the disk before pass 1 waits for them. */
const MAX_QUEUED = 16;

/** What a customer written straight says. */
const STRAIGHT: Resolution = { status: 'valid', detail: '' };

export class RowLog {
  private readonly writer: RecordWriter;
  private gone: ScratchWriter | undefined;
  /** The last customer record's ordinal, and the last record's file and line: what 'N' continues. */
  private lastOrdinal = -1;
  private lastFile = -1;
  private lastLine = -1;
  /** results.csv as written straight; undefined without `straight`, or once committed or discarded. */
  private straight: ResultsWriter | undefined;
  /** Whether rows still go straight (until the first long-layout record). */
  private straightOpen: boolean;
  /** Customers written straight: ordinals 0 to straightCustomers - 1, in that order. */
  private straightCustomers = 0;
  /** The latest write of a full buffer of results.csv, for pass 1 to wait on (back-pressure). */
  private backlog: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    straight?: StraightResults,
  ) {
    this.writer = new RecordWriter(path.join(dir, `segment-sync-rows-${randomBytes(4).toString('hex')}.tmp`));
    this.straight = straight && ResultsWriter.open(straight.dir, straight.inputs);
    this.straightOpen = straight !== undefined;
  }

  /**
   * For pass 1 to await once a chunk: the pending write of the rows written straight, when more
   * than MAX_QUEUED buffers of them wait for the disk (waiting on every write left pass 1 idle).
   */
  drained(): Promise<void> | undefined {
    if (this.straight === undefined || this.straight.queued <= MAX_QUEUED) return undefined;
    const backlog = this.backlog;
    this.backlog = undefined;
    return backlog;
  }

  /** mirror, after pass 1: customer `ordinal` is not in the input; the run clears its segments. */
  absent(ordinal: number, id: string): void {
    this.gone ??= ScratchWriter.create(this.dir, 'segment-sync-absent');
    this.gone.writeLine(`${ordinal}\t${escape(id)}`);
  }

  known(file: number, line: number, id: string, status: ResultStatus, detail: string): void {
    if (this.straightOpen) {
      this.backlog = this.straightResults().writeLine(file, line, id, status, detail) ?? this.backlog;
      return;
    }
    const code = STATUS_BYTE.get(status);
    if (code === undefined) throw new RangeError(`no row log code for status ${JSON.stringify(status)}`);
    const w = this.writer;
    w.room(MOST_HEADER_BYTES + textBytesAtMost(id) + textBytesAtMost(detail));
    w.byte(TAG_KNOWN);
    w.varint(file);
    w.varint(line);
    w.byte(code);
    w.text(id);
    w.text(detail);
    this.lastFile = file;
    this.lastLine = line;
  }

  customer(ordinal: number, file: number, line: number, id: string): void {
    if (this.straightOpen) {
      if (ordinal !== this.straightCustomers)
        throw new TypeError(`customer ${ordinal} written straight after ${this.straightCustomers} customers`);
      this.straightCustomers++;
      this.backlog = this.straightResults().writeLine(file, line, id, STRAIGHT.status, STRAIGHT.detail) ?? this.backlog;
      return;
    }
    const w = this.writer;
    w.room(MOST_HEADER_BYTES + textBytesAtMost(id));
    if (ordinal === this.lastOrdinal + 1 && file === this.lastFile && line === this.lastLine + 1) {
      w.byte(TAG_NEXT);
    } else {
      w.byte(TAG_CUSTOMER);
      w.varint(ordinal);
      w.varint(file);
      w.varint(line);
    }
    w.text(id);
    this.lastOrdinal = ordinal;
    this.lastFile = file;
    this.lastLine = line;
  }

  /** A record of a long-layout customer: its status is known only at the end, so rows stop going straight. */
  longRecord(ordinal: number, file: number, line: number, id: string): void {
    this.straightOpen = false;
    this.customer(ordinal, file, line, id);
  }

  close(): void {
    this.writer.close();
    this.gone?.close();
  }

  /** Removes what was written straight (a run that ends without a report of its rows). Idempotent. */
  async discard(): Promise<void> {
    const straight = this.straight;
    this.straight = undefined;
    this.straightOpen = false;
    await straight?.abort();
  }

  /**
   * Writes `<dir>/results.csv` atomically; `resolve` says what became of a customer's record at
   * `line`. With `straight`, `dir` and `inputs` are the ones it named.
   */
  async writeResults(
    dir: string,
    inputs: readonly string[],
    resolve: (ordinal: number, file: number, line: number) => Resolution,
  ): Promise<void> {
    this.close();
    const straight = this.straight;
    this.straight = undefined;
    this.straightOpen = false;
    let results: ResultsWriter | undefined;
    try {
      results =
        straight === undefined
          ? ResultsWriter.open(dir, inputs)
          : straightHolds(this.straightCustomers, resolve)
            ? straight
            : await rewriteStraight(straight, dir, inputs, resolve);
      await writeLogged(results, this.writer.path, resolve);
      if (this.gone !== undefined) await writeAbsent(results, this.gone.path, resolve);
      await results.commit();
    } catch (error) {
      await (results ?? straight)?.abort();
      throw error;
    }
  }

  private straightResults(): ResultsWriter {
    if (this.straight === undefined) throw new TypeError('a row written straight after results.csv was committed or discarded');
    return this.straight;
  }
}

/**
 * Whether every customer written straight ends as it was written, `valid` with no detail. The file
 * and line only shape the detail of a customer a broken record spoiled, which is not `valid` anyway.
 */
function straightHolds(customers: number, resolve: (ordinal: number, file: number, line: number) => Resolution): boolean {
  for (let ordinal = 0; ordinal < customers; ordinal++) {
    const { status, detail } = resolve(ordinal, 0, 0);
    if (status !== STRAIGHT.status || detail !== STRAIGHT.detail) return false;
  }
  return true;
}

/**
 * results.csv written again from the rows written straight, each customer's (its `valid` rows, in
 * ordinal order) with the status the run gives it; returns the new file, still open.
 */
async function rewriteStraight(
  straight: ResultsWriter,
  dir: string,
  inputs: readonly string[],
  resolve: (ordinal: number, file: number, line: number) => Resolution,
): Promise<ResultsWriter> {
  const written = await straight.closeTemp();
  // The `file` cell holds the display path neutralised, as results.csv writes it.
  const fileOf = new Map(inputs.map((input, index) => [neutraliseFormula(input), index]));
  try {
    const results = ResultsWriter.open(dir, inputs);
    try {
      let ordinal = 0;
      let header = true;
      for await (const cells of readCsvRecords(written)) {
        // The header: the new file has its own.
        if (header) {
          header = false;
          continue;
        }
        if (cells[2] === STRAIGHT.status) {
          const { status, detail } = resolve(ordinal++, inputs.length > 1 ? (fileOf.get(cells[4] ?? '') ?? 0) : 0, Number(cells[0]));
          cells[2] = status;
          cells[3] = neutraliseFormula(detail);
        }
        await results.writeCells(cells);
      }
      return results;
    } catch (error) {
      await results.abort();
      throw error;
    }
  } finally {
    rmSync(written, { force: true });
  }
}

/** Records between two turns of the event loop while results.csv is written. */
const RECORDS_PER_TURN = 1 << 12;

async function writeLogged(
  results: ResultsWriter,
  file: string,
  resolve: (ordinal: number, file: number, line: number) => Resolution,
): Promise<void> {
  const r = new RecordReader(file);
  try {
    let ordinal = -1;
    let inFile = -1;
    let line = -1;
    let flushed: Promise<void> | void = undefined;
    for (let records = 0; r.fill(MOST_HEADER_BYTES); records++) {
      // The loop never waits for I/O otherwise: signals, timers and answers get their turn.
      if (records % RECORDS_PER_TURN === 0) {
        await flushed;
        flushed = undefined;
        await turn();
      }
      const tag = r.byte();
      if (tag === TAG_KNOWN) {
        inFile = r.varint();
        line = r.varint();
        const status = STATUSES[r.byte()];
        if (status === undefined) throw r.corrupt();
        const id = r.text();
        flushed = results.writeLine(inFile, line, id, status, r.text()) ?? flushed;
        continue;
      }
      if (tag === TAG_NEXT) {
        ordinal++;
        line++;
      } else if (tag === TAG_CUSTOMER) {
        ordinal = r.varint();
        inFile = r.varint();
        line = r.varint();
      } else {
        throw r.corrupt();
      }
      const { status, detail } = resolve(ordinal, inFile, line);
      const length = r.textLength();
      flushed = results.writeIdBytes(inFile, line, r.buffer, r.at, r.at + length, status, detail) ?? flushed;
      r.at += length;
    }
    await flushed;
  } finally {
    r.close();
  }
}

/** The most bytes `text` takes in a record: its length varint and up to 3 bytes per UTF-16 code unit. */
function textBytesAtMost(text: string): number {
  return 5 + 3 * text.length;
}

/** Bytes buffered before a write syscall, reused from write to write (fresh pages cost ~4 ms a MB here). */
const WRITE_BYTES = 1 << 16;

/** Appends records to a scratch file: the caller makes room for a whole record, then writes its fields. */
class RecordWriter {
  private readonly fd: number;
  private buffer: Buffer = Buffer.allocUnsafe(WRITE_BYTES);
  private at = 0;
  private closed = false;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      throw asStorageError(err, path, WHAT);
    }
  }

  /** Makes room for `bytes` more bytes. */
  room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    this.flush();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  byte(value: number): void {
    this.buffer[this.at++] = value;
  }

  /** An unsigned LEB128 varint of a whole number below 2^32. */
  varint(value: number): void {
    if (value >>> 0 !== value) throw new RangeError(`row log numbers are unsigned 32-bit integers, got ${value}`);
    const { buffer } = this;
    let rest = value;
    while (rest >= 0x80) {
      buffer[this.at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[this.at++] = rest;
  }

  /** A varint byte length and the UTF-8 bytes; ASCII (most ids) is copied in a loop, without a native call. */
  text(value: string): void {
    const { buffer } = this;
    const length = value.length;
    if (length < 0x80) {
      let at = this.at + 1;
      let i = 0;
      for (; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buffer[at++] = c;
      }
      if (i === length) {
        buffer[this.at] = length;
        this.at = at;
        return;
      }
    }
    this.varint(Buffer.byteLength(value, 'utf8'));
    this.at += buffer.write(value, this.at);
  }

  /** Flushes and closes; the file stays for reading. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }

  private flush(): void {
    let written = 0;
    try {
      while (written < this.at) written += writeSync(this.fd, this.buffer, written, this.at - written);
    } catch (err) {
      throw asStorageError(err, this.path, WHAT);
    }
    this.at = 0;
  }
}

/** Bytes read at a time; a record longer than that grows the buffer. */
const READ_BYTES = 1 << 16;

/**
 * Reads records back: `fill` before a record's header and `textLength` before its text make sure
 * the bytes are in `buffer` from `at` on. Read synchronously: this process wrote the file moments
 * ago (it is in the page cache), and a promise read per chunk costs a thread-pool round trip.
 */
class RecordReader {
  private readonly fd: number;
  buffer: Buffer = Buffer.allocUnsafe(READ_BYTES);
  at = 0;
  private end = 0;
  private eof = false;
  /** Bytes of the file before buffer[0], for the corruption message. */
  private consumed = 0;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  /** Tries to have `bytes` bytes from `at` (fewer only at the end of the file); false when none is left. */
  fill(bytes: number): boolean {
    if (this.end - this.at >= bytes || this.eof) return this.end > this.at;
    this.buffer.copy(this.buffer, 0, this.at, this.end);
    this.consumed += this.at;
    this.end -= this.at;
    this.at = 0;
    if (bytes > this.buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(bytes, 2 * this.buffer.length));
      this.buffer.copy(larger, 0, 0, this.end);
      this.buffer = larger;
    }
    while (this.end < bytes) {
      const got = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
      if (got === 0) {
        this.eof = true;
        break;
      }
      this.end += got;
    }
    return this.end > this.at;
  }

  byte(): number {
    if (this.at >= this.end) throw this.corrupt();
    return this.buffer[this.at++] as number;
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw this.corrupt();
  }

  /** Reads a text's length and makes its bytes available at `at`. */
  textLength(): number {
    this.fill(5);
    const length = this.varint();
    this.fill(length);
    if (this.end - this.at < length) throw this.corrupt();
    return length;
  }

  text(): string {
    const length = this.textLength();
    const text = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return text;
  }

  corrupt(): Error {
    return new Error(`the row log ${this.path} is truncated or corrupt at byte ${this.consumed + this.at}`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function writeAbsent(
  results: ResultsWriter,
  file: string,
  resolve: (ordinal: number, file: number, line: number) => Resolution,
): Promise<void> {
  for await (const lines of readScratchLines(file)) {
    let flushed: Promise<void> | void = undefined;
    for (const text of lines) {
      const tab = text.indexOf('\t');
      const { status, detail } = resolve(Number(text.slice(0, tab)), -1, 0);
      flushed = results.writeUnplaced(unescape(text.slice(tab + 1)), status, detail) ?? flushed;
    }
    await flushed;
  }
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** Backslash, tab, CR and LF as \\ \t \r \n, so that a field is one tab-free line. */
function escape(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function unescape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([\\tnr])/g, (_, c: string) => (c === '\\' ? '\\' : c === 't' ? '\t' : c === 'n' ? '\n' : '\r'));
}
