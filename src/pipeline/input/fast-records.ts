/**
 * The fast path in front of csv-parse: well-formed records are split here, everything else is left
 * to csv-parse, which then reads the rest of the file and says what is wrong in its own words.
 *
 * Why: csv-parse looks at every byte in JavaScript and makes two strings per field (a Buffer slice
 * and its decoding); on files of short rows that alone is most of a dry run. Here a physical line is
 * found with Buffer.indexOf (native), decoded once, and split with String.indexOf. Quoted fields
 * (RFC 4180: `"a, ""b"""`, line breaks inside quotes) are parsed here too, so exports that quote
 * every field stay on the fast path.
 *
 * What is handed to csv-parse, from the start of the record (the records before it are kept):
 *   - a quote inside an unquoted field, or text after a closing quote (csv-parse's errors);
 *   - a quoted field still open at the end of the input;
 *   - a record longer than the record cap (csv-parse applies --max-record-bytes itself).
 * The same records come out either way: test/unit/input-fast-records.test.ts compares the two on
 * random inputs, split into random chunks.
 *
 * A field is a slice of its line's string, never of a larger one: a value kept for long (a column's
 * distinct values) holds its line alive, not a chunk of the file.
 */
import { CR, LF } from './lines.js';

const QUOTE = 34;

/** What `scan` did with the bytes it was given. */
export interface Scanned {
  /** Bytes consumed: every record in them was emitted. The rest must come again, with more bytes. */
  consumed: number;
  /** The record at `consumed` is csv-parse's to judge: give it the rest of the file from there. */
  handOver: boolean;
}

/** Receives each record and the physical lines it spans (1, more when a quoted field holds breaks). */
export type RecordSink = (record: string[], lines: number) => void;

/** A record's text; `more`: a quoted field is still open where the text ends. */
type Parsed = string[] | 'more' | 'hand-over';

export class FastRecords {
  private readonly delimiterCode: number;
  /** Fields of the last record split (see split). */
  private lastFields = 0;

  /**
   * @param delimiter a one-character field delimiter (see `supports`)
   * @param maxRecordBytes records longer than this (in bytes, line breaks included) are handed over
   */
  constructor(
    private readonly delimiter: string,
    private readonly maxRecordBytes: number,
  ) {
    if (!FastRecords.supports(delimiter))
      throw new TypeError(`FastRecords needs a one-character delimiter other than a quote or line break, got ${JSON.stringify(delimiter)}`);
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  static supports(delimiter: string): boolean {
    return delimiter.length === 1 && !['"', '\n', '\r'].includes(delimiter);
  }

  /**
   * Emits the complete records of `data[from…]` (UTF-8, whole characters up to any line break).
   * `final`: no more bytes will come, so the last line needs no line break.
   */
  scan(data: Buffer, from: number, final: boolean, emit: RecordSink): Scanned {
    const length = data.length;
    let p = from;
    // The next quote, LF and CR at or after p (-1: none in the rest of data); moved on when passed.
    let quoteAt = data.indexOf(QUOTE, p);
    let lfAt = data.indexOf(LF, p);
    let crAt = data.indexOf(CR, p);
    while (p < length) {
      if (lfAt !== -1 && lfAt < p) lfAt = data.indexOf(LF, p);
      if (crAt !== -1 && crAt < p) crAt = data.indexOf(CR, p);
      const end = lineEnd(lfAt, crAt, length, final);
      if (end === -1) break; // the line goes on in the next bytes
      const breakLength = breakAt(data, end, final);
      if (breakLength === -1) break; // a CR at the end of data: is it a CRLF?
      if (end - p > this.maxRecordBytes) return { consumed: p, handOver: true };
      if (quoteAt !== -1 && quoteAt < p) quoteAt = data.indexOf(QUOTE, p);
      if (quoteAt === -1 || quoteAt >= end) {
        emit(this.split(data.toString('utf8', p, end)), 1);
        p = end + breakLength;
        continue;
      }
      const quoted = this.quotedRecord(data, p, end, breakLength, final);
      if (quoted === 'hand-over') return { consumed: p, handOver: true };
      if (quoted === undefined) break; // a quoted line break: the record goes on in the next bytes
      emit(quoted.record, quoted.lines);
      p = quoted.next;
    }
    // A line that is not complete yet, but already too long: csv-parse reports it as it streams.
    if (p < length && length - p > this.maxRecordBytes) return { consumed: p, handOver: true };
    return { consumed: p, handOver: final && p < length };
  }

  /**
   * An unquoted line: its fields. The array is made as long as the last record's (records of a
   * file have as many fields, nearly always): grown by push from empty, it took three times the
   * memory of its fields' pointers, the most allocated thing of a narrow file's dry run after the
   * strings.
   */
  private split(line: string): string[] {
    const fields = new Array<string>(this.lastFields);
    const d = this.delimiter;
    let n = 0;
    let from = 0;
    // A store at the array's length appends, so a record longer than the last grows it as push did.
    for (let at = line.indexOf(d); at !== -1; at = line.indexOf(d, from)) {
      fields[n++] = line.slice(from, at);
      from = at + 1;
    }
    fields[n++] = line.slice(from);
    if (n < fields.length) fields.length = n;
    this.lastFields = n;
    return fields;
  }

  /**
   * A record with a quote in its first line [start, end), taking more lines while a quoted field
   * is open. Undefined: the bytes end inside it (more will come).
   */
  private quotedRecord(
    data: Buffer,
    start: number,
    end: number,
    breakLength: number,
    final: boolean,
  ): { record: string[]; lines: number; next: number } | 'hand-over' | undefined {
    let text = data.toString('utf8', start, end);
    let lines = 1;
    for (;;) {
      const parsed = this.parseQuoted(text);
      if (parsed === 'hand-over') return parsed;
      if (parsed !== 'more') return { record: parsed, lines, next: end + breakLength };
      // The open field holds the line break and goes on in the next line.
      const from = end + breakLength;
      if (from >= data.length) return final ? 'hand-over' : undefined;
      const lf = data.indexOf(LF, from);
      const next = lineEnd(lf, data.indexOf(CR, from), data.length, final);
      if (next === -1) return data.length - start > this.maxRecordBytes ? 'hand-over' : undefined;
      const nextBreak = breakAt(data, next, final);
      if (nextBreak === -1) return undefined;
      if (next - start > this.maxRecordBytes) return 'hand-over';
      text += data.toString('utf8', end, next);
      lines++;
      end = next;
      breakLength = nextBreak;
    }
  }

  /** RFC 4180 fields of `text` (no line break after it); `more` when it ends inside quotes. */
  private parseQuoted(text: string): Parsed {
    const fields: string[] = [];
    const d = this.delimiter;
    let p = 0;
    for (;;) {
      if (text.charCodeAt(p) === QUOTE) {
        let value = '';
        let from = p + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q === -1) return 'more';
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          value += text.slice(from, q);
          p = q + 1;
          break;
        }
        fields.push(value);
        if (p === text.length) return fields;
        if (text.charCodeAt(p) !== this.delimiterCode) return 'hand-over'; // text after the closing quote
        p++;
        continue;
      }
      const at = text.indexOf(d, p);
      const fieldEnd = at === -1 ? text.length : at;
      const quote = text.indexOf('"', p);
      if (quote !== -1 && quote < fieldEnd) return 'hand-over'; // a quote inside an unquoted field
      fields.push(text.slice(p, fieldEnd));
      if (at === -1) return fields;
      p = at + 1;
    }
  }
}

/** Where the line ends (its break's first byte), given the next LF and CR; -1: not in these bytes. */
function lineEnd(lfAt: number, crAt: number, length: number, final: boolean): number {
  const end = lfAt === -1 ? crAt : crAt === -1 ? lfAt : Math.min(lfAt, crAt);
  if (end !== -1) return end;
  return final ? length : -1;
}

/** Bytes of the line break at `end`: 0 at the end of the input, 2 for CRLF; -1 if undecided yet. */
function breakAt(data: Buffer, end: number, final: boolean): number {
  if (end === data.length) return 0;
  if (data[end] === LF) return 1;
  if (end + 1 < data.length) return data[end + 1] === LF ? 2 : 1;
  return final ? 1 : -1;
}
