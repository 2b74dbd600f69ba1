/**
 * results.csv: one line per input data row, in input order, written atomically. Every free-text cell
 * (ids and details come from user data and from the endpoint) is neutralised against formula
 * injection and RFC 4180 quoted.
 */
import path from 'node:path';
import { ChunkedOutput } from './chunked-output.js';
import { safeCell } from './csv.js';
import { REPORT_FILES } from './files.js';
import type { ResultRow } from './result-row.js';

const HEADER = 'line,document_id,status,detail';

/** The header: a 5th column `file` only in multi-file runs, where line numbers alone are ambiguous. */
export function resultsHeader(inputCount: number): string {
  return inputCount > 1 ? `${HEADER},file\n` : `${HEADER}\n`;
}

export class ResultsWriter {
  /** Details repeat row after row (empty, the not-found text, one error for a whole batch): encode
   *  each run of equal details once. */
  private lastDetail = '';
  private lastDetailCell = '';

  private constructor(
    private readonly output: ChunkedOutput,
    /** The `file` cells, encoded once; undefined in single-file runs (no `file` column). */
    private readonly fileCells: readonly string[] | undefined,
  ) {}

  /** Opens `<dir>/results.csv` (hidden until commit). `inputs` are the display paths, in run order. */
  static open(dir: string, inputs: readonly string[]): ResultsWriter {
    const output = ChunkedOutput.create(path.join(dir, REPORT_FILES.results));
    const writer = new ResultsWriter(output, inputs.length > 1 ? inputs.map(safeCell) : undefined);
    void output.append(resultsHeader(inputs.length));
    return writer;
  }

  /** Buffers one row; returns a promise when a chunk went to disk (await it for back-pressure). */
  write(row: ResultRow): Promise<void> | void {
    return this.output.append(this.encode(row));
  }

  commit(): Promise<void> {
    return this.output.commit();
  }

  abort(): Promise<void> {
    return this.output.abort();
  }

  private encode(row: ResultRow): string {
    const line = `${row.line},${safeCell(row.id)},${row.status},${this.detailCell(row.detail)}`;
    if (this.fileCells === undefined) return `${line}\n`;
    const file = this.fileCells[row.file];
    if (file === undefined) throw new RangeError(`result row names input #${row.file}, but the run has ${this.fileCells.length}`);
    return `${line},${file}\n`;
  }

  private detailCell(detail: string): string {
    if (detail !== this.lastDetail) {
      this.lastDetail = detail;
      this.lastDetailCell = safeCell(detail);
    }
    return this.lastDetailCell;
  }
}
