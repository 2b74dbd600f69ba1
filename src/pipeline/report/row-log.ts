/**
 * The row log: one line per input record, written by pass 1, turned into results.csv when the run
 * ends. A record whose status pass 1 already knows (invalid, duplicate) is logged with it; a
 * customer's record is logged with the customer's ordinal, and its status is looked up when the
 * report is written (updated, not_found, failed, not_sent, or valid when nothing was sent). So
 * results.csv is in input order and covers every record, even when the customers were sent in
 * another order (long layout) or never (interrupted, guard tripped).
 *
 * Line formats (fields separated by tabs; text fields escaped, see `escape`):
 *   F<file>\t<line>\t<status>\t<id>\t<detail>     a record with a known status
 *   C<ordinal>\t<file>\t<line>\t<id>             a record of customer <ordinal>
 * and, in a second log written after pass 1 (mirror), one line per customer gone from the input:
 *   <ordinal>\t<id>                               results.csv lists them after the input's rows
 */
import { readScratchLines, ScratchWriter } from '../spool/index.js';
import type { ResultStatus } from './result-row.js';
import { ResultsWriter } from './results-writer.js';

/** What results.csv says of a customer's record. */
export interface Resolution {
  readonly status: ResultStatus;
  readonly detail: string;
}

export class RowLog {
  private readonly writer: ScratchWriter;
  private gone: ScratchWriter | undefined;

  constructor(private readonly dir: string) {
    this.writer = ScratchWriter.create(dir, 'segment-sync-rows');
  }

  /** mirror, after pass 1: customer `ordinal` is not in the input; the run clears its segments. */
  absent(ordinal: number, id: string): void {
    this.gone ??= ScratchWriter.create(this.dir, 'segment-sync-absent');
    this.gone.writeLine(`${ordinal}\t${escape(id)}`);
  }

  known(file: number, line: number, id: string, status: ResultStatus, detail: string): void {
    this.writer.writeLine(`F${file}\t${line}\t${status}\t${escape(id)}\t${escape(detail)}`);
  }

  customer(ordinal: number, file: number, line: number, id: string): void {
    this.writer.writeLine(`C${ordinal}\t${file}\t${line}\t${escape(id)}`);
  }

  close(): void {
    this.writer.close();
    this.gone?.close();
  }

  /** Writes `<dir>/results.csv` atomically; `resolve` says what became of a customer's record at `line`. */
  async writeResults(
    dir: string,
    inputs: readonly string[],
    resolve: (ordinal: number, file: number, line: number) => Resolution,
  ): Promise<void> {
    this.close();
    const results = ResultsWriter.open(dir, inputs);
    try {
      for await (const lines of readScratchLines(this.writer.path)) {
        let flushed: Promise<void> | void = undefined;
        for (const text of lines) flushed = writeLogged(results, text, resolve) ?? flushed;
        await flushed;
      }
      if (this.gone !== undefined) await writeAbsent(results, this.gone.path, resolve);
      await results.commit();
    } catch (error) {
      await results.abort();
      throw error;
    }
  }
}

function writeLogged(
  results: ResultsWriter,
  text: string,
  resolve: (ordinal: number, file: number, line: number) => Resolution,
): Promise<void> | void {
  if (text.charCodeAt(0) === 0x46 /* F */) {
    const [file, line, status, id, detail] = text.split('\t');
    if (file === undefined || id === undefined || detail === undefined)
      throw new TypeError(`a failed row's log line has fewer than 5 fields: ${JSON.stringify(text)}`);
    return results.writeLine(Number(file.slice(1)), Number(line), unescape(id), status as ResultStatus, unescape(detail));
  }
  // A customer's line, C<ordinal>\t<file>\t<line>\t<id>: read in place (a line for most rows).
  cursor = 1;
  const ordinal = numberField(text);
  const file = numberField(text);
  const line = numberField(text);
  const { status, detail } = resolve(ordinal, file, line);
  return results.writeLine(file, line, unescape(text.slice(cursor)), status, detail);
}

const TAB = 9;
const ZERO = 48;
/** Where numberField reads next in the line (module state: the read loop is synchronous). */
let cursor = 0;

/** The digits at `cursor` up to the next tab, which it moves past. */
function numberField(text: string): number {
  let value = 0;
  for (;;) {
    const c = text.charCodeAt(cursor++);
    if (c === TAB) return value;
    if (!(c >= ZERO && c <= ZERO + 9)) throw new Error(`the row log is corrupt at ${JSON.stringify(text.slice(0, 80))}`);
    value = value * 10 + c - ZERO;
  }
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
