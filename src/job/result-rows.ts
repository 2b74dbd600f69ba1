/**
 * What results.csv says about one classified row: its status and detail (pure), written as one
 * result line per physical record. Lines go straight to the writer as fields: the dry run writes a
 * line for every input row, and an object per line was a large share of its garbage.
 */
import type { ResultStatus } from '../report/index.js';
import { knownStatus } from '../dedupe/classify.js';
import type { ClassifiedRow, CustomerOutcome } from '../types.js';

/** What the endpoint said about one customer (its error when failed). */
export interface SentOutcome {
  outcome: CustomerOutcome;
  error?: string;
}

/** Where result lines go (ResultsWriter); returns a promise when a chunk went to disk. */
export interface ResultLineSink {
  writeLine(file: number, line: number, id: string, status: ResultStatus, detail: string): Promise<void> | void;
}

export const NOT_FOUND_DETAIL = 'not in updatedCustomers (customer not found or not updated)';

/**
 * Writes the result lines of one row: one per physical record (a long-layout block has several).
 * Returns the writer's promise, if any, for back-pressure.
 *
 * @param sent the customer's outcome; undefined when nothing was sent (dry run, rejected input):
 *   customers are then `valid` with `unsentDetail`.
 */
export function writeResult(
  sink: ResultLineSink,
  row: ClassifiedRow,
  sent: SentOutcome | undefined,
  files: readonly { display: string }[],
  unsentDetail = '',
): Promise<void> | void {
  const status = statusOf(row, sent);
  const detail = detailOf(row, sent, files, unsentDetail);
  let flushed = sink.writeLine(row.file, row.line, row.id, status, detail);
  if (row.moreLines !== undefined) {
    for (const line of row.moreLines) flushed = sink.writeLine(row.file, line, row.id, status, detail) ?? flushed;
  }
  return flushed;
}

/** Writes the lines of rows that were not sent (dry run, rejected input); see writeResult. */
export function writeUnsentResults(
  sink: ResultLineSink,
  rows: readonly ClassifiedRow[],
  files: readonly { display: string }[],
  unsentDetail = '',
): Promise<void> | void {
  let flushed: Promise<void> | void = undefined;
  for (const row of rows) flushed = writeResult(sink, row, undefined, files, unsentDetail) ?? flushed;
  return flushed;
}

/** A customer's status is what the endpoint said (`valid` when not sent); other rows know theirs. */
function statusOf(row: ClassifiedRow, sent: SentOutcome | undefined): ResultStatus {
  return knownStatus(row) ?? (sent === undefined ? 'valid' : sent.outcome);
}

function detailOf(row: ClassifiedRow, sent: SentOutcome | undefined, files: readonly { display: string }[], unsentDetail: string): string {
  switch (row.kind) {
    case 'invalid':
      return row.reason;
    case 'duplicate': {
      const where = files.length > 1 || row.keptFile !== row.file ? ` of ${files[row.keptFile]?.display}` : '';
      return `duplicate of line ${row.keptLine}${where}`;
    }
    case 'done':
      return row.status === 'updated' ? 'updated by an earlier run (resumed)' : NOT_FOUND_DETAIL;
    case 'customer':
      if (sent === undefined) return unsentDetail;
      if (sent.outcome === 'updated') return '';
      if (sent.outcome === 'not_found') return NOT_FOUND_DETAIL;
      return sent.error ?? 'failed';
  }
}
