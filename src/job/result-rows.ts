/**
 * What results.csv says about one classified row: pure mapping from the row (and, for customers, the
 * batch result that holds its outcome) to one result line per physical record.
 */
import type { ResultRow } from '../report/index.js';
import type { ClassifiedRow, CustomerOutcome } from '../types.js';

/** What the endpoint said about one customer (its error when failed). */
export interface SentOutcome {
  outcome: CustomerOutcome;
  error?: string;
}

export const NOT_FOUND_DETAIL = 'not in updatedCustomers (customer not found or not updated)';

/**
 * @param sent the customer's outcome; undefined when nothing was sent (dry run, rejected input):
 *   customers are then `valid` with `unsentDetail`.
 */
export function resultRows(
  row: ClassifiedRow,
  sent: SentOutcome | undefined,
  files: readonly { display: string }[],
  unsentDetail = '',
): ResultRow[] {
  const [status, detail] = statusOf(row, sent, files, unsentDetail);
  const lines = row.moreLines ? [row.line, ...row.moreLines] : [row.line];
  return lines.map((line) => ({ file: row.file, line, id: row.id, status, detail }));
}

function statusOf(
  row: ClassifiedRow,
  sent: SentOutcome | undefined,
  files: readonly { display: string }[],
  unsentDetail: string,
): [ResultRow['status'], string] {
  switch (row.kind) {
    case 'invalid':
      return ['invalid', row.reason];
    case 'duplicate': {
      const where = files.length > 1 || row.keptFile !== row.file ? ` of ${files[row.keptFile]?.display}` : '';
      return ['duplicate', `duplicate of line ${row.keptLine}${where}`];
    }
    case 'done':
      return [row.status, row.status === 'updated' ? 'updated by an earlier run (resumed)' : NOT_FOUND_DETAIL];
    case 'customer': {
      if (!sent) return ['valid', unsentDetail];
      if (sent.outcome === 'updated') return ['updated', ''];
      if (sent.outcome === 'not_found') return ['not_found', NOT_FOUND_DETAIL];
      return ['failed', sent.error ?? 'failed'];
    }
  }
}
