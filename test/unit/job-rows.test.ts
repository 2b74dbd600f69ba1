import { NOT_FOUND_DETAIL, writeResult, writeUnsentResults, type SentOutcome } from '../../src/job/result-rows.js';
import { countOutcome, countRow, countRows, emptyCounts, recordCount, tallyRead } from '../../src/job/tally.js';
import type { ResultRow } from '../../src/report/index.js';
import type { ClassifiedRow, InputRow } from '../../src/types.js';

/** The lines writeResult writes for a row, as objects. */
function resultRows(row: ClassifiedRow, sent: SentOutcome | undefined, files: readonly { display: string }[], unsent?: string): ResultRow[] {
  const written: ResultRow[] = [];
  writeResult({ writeLine: (file, line, id, status, detail) => void written.push({ file, line, id, status, detail }) }, row, sent, files, unsent);
  return written;
}

const ONE_FILE = [{ display: 'segments.csv' }];
const TWO_FILES = [{ display: 'monday.csv' }, { display: 'tuesday.csv' }];

const customer = (line: number, id: string, moreLines?: number[]): ClassifiedRow => ({
  kind: 'customer',
  file: 0,
  line,
  id,
  segments: [{ type: 'tier', value: 'gold' }],
  ordinal: line,
  ...(moreLines ? { moreLines } : {}),
});

const statusAndDetail = (row: ClassifiedRow, sent?: SentOutcome, files = ONE_FILE, unsent?: string) =>
  resultRows(row, sent, files, unsent).map((r) => [r.status, r.detail]);

describe('resultRows', () => {
  it('reports an invalid row with its reason', () => {
    const row: ClassifiedRow = { kind: 'invalid', file: 0, line: 4, id: '', reason: 'empty document_id' };
    expect(resultRows(row, undefined, ONE_FILE)).toEqual([{ file: 0, line: 4, id: '', status: 'invalid', detail: 'empty document_id' }]);
  });

  it('names the kept line of a duplicate in a single-file run', () => {
    const row: ClassifiedRow = { kind: 'duplicate', file: 0, line: 9, id: 'c-1', keptFile: 0, keptLine: 3 };
    expect(statusAndDetail(row)).toEqual([['duplicate', 'duplicate of line 3']]);
  });

  it('names the kept line and its file in a multi-file run, also when both are in the same file', () => {
    const acrossFiles: ClassifiedRow = { kind: 'duplicate', file: 1, line: 2, id: 'c-1', keptFile: 0, keptLine: 7 };
    const sameFile: ClassifiedRow = { kind: 'duplicate', file: 1, line: 5, id: 'c-2', keptFile: 1, keptLine: 3 };
    expect(statusAndDetail(acrossFiles, undefined, TWO_FILES)).toEqual([['duplicate', 'duplicate of line 7 of monday.csv']]);
    expect(statusAndDetail(sameFile, undefined, TWO_FILES)).toEqual([['duplicate', 'duplicate of line 3 of tuesday.csv']]);
  });

  it('maps each outcome of a sent customer to its status and detail', () => {
    const row = customer(2, 'c-1');
    expect(statusAndDetail(row, { outcome: 'updated' })).toEqual([['updated', '']]);
    expect(statusAndDetail(row, { outcome: 'not_found' })).toEqual([['not_found', NOT_FOUND_DETAIL]]);
    expect(statusAndDetail(row, { outcome: 'failed', error: 'HTTP 503 after 6 attempts' })).toEqual([['failed', 'HTTP 503 after 6 attempts']]);
    expect(statusAndDetail(row, { outcome: 'failed' })).toEqual([['failed', 'failed']]);
  });

  it('reports a customer that was not sent as valid, with the reason given', () => {
    const row = customer(2, 'c-1');
    expect(statusAndDetail(row)).toEqual([['valid', '']]);
    expect(statusAndDetail(row, undefined, ONE_FILE, 'not sent: input rejected')).toEqual([['valid', 'not sent: input rejected']]);
  });

  it('reports a customer acknowledged by an earlier run with that run\'s outcome', () => {
    const updated: ClassifiedRow = { kind: 'done', file: 0, line: 6, id: 'c-3', ordinal: 6, status: 'updated' };
    const notFound: ClassifiedRow = { kind: 'done', file: 0, line: 7, id: 'c-4', ordinal: 7, status: 'not_found' };
    expect(statusAndDetail(updated)).toEqual([['updated', 'updated by an earlier run (resumed)']]);
    expect(statusAndDetail(notFound)).toEqual([['not_found', NOT_FOUND_DETAIL]]);
  });

  it('writes one row per physical record of a long-layout block, each with its own line', () => {
    const rows = resultRows(customer(2, 'c-1', [3, 4]), { outcome: 'updated' }, ONE_FILE);
    expect(rows).toEqual([2, 3, 4].map((line) => ({ file: 0, line, id: 'c-1', status: 'updated', detail: '' })));
  });

  it('marks every record of an invalid or duplicate long-layout block', () => {
    const invalid: ClassifiedRow = { kind: 'invalid', file: 0, line: 5, moreLines: [6], id: 'c-9', reason: 'empty segment type' };
    const duplicate: ClassifiedRow = { kind: 'duplicate', file: 0, line: 8, moreLines: [9, 10], id: 'c-1', keptFile: 0, keptLine: 2 };
    expect(resultRows(invalid, undefined, ONE_FILE).map((r) => [r.line, r.status])).toEqual([[5, 'invalid'], [6, 'invalid']]);
    expect(resultRows(duplicate, undefined, ONE_FILE).map((r) => [r.line, r.detail])).toEqual([
      [8, 'duplicate of line 2'],
      [9, 'duplicate of line 2'],
      [10, 'duplicate of line 2'],
    ]);
  });
});

describe('writeUnsentResults', () => {
  it('writes every line of every row of a chunk, customers as valid with the reason given', () => {
    const rows: ClassifiedRow[] = [
      customer(2, 'c-1', [3]),
      { kind: 'invalid', file: 0, line: 4, id: '', reason: 'empty document_id' },
      { kind: 'duplicate', file: 0, line: 5, id: 'c-1', keptFile: 0, keptLine: 2 },
    ];
    const written: string[][] = [];
    const sink = { writeLine: (_file: number, line: number, id: string, status: string, detail: string) => void written.push([String(line), id, status, detail]) };
    writeUnsentResults(sink, rows, ONE_FILE, 'not sent: input rejected');
    expect(written).toEqual([
      ['2', 'c-1', 'valid', 'not sent: input rejected'],
      ['3', 'c-1', 'valid', 'not sent: input rejected'],
      ['4', '', 'invalid', 'empty document_id'],
      ['5', 'c-1', 'duplicate', 'duplicate of line 2'],
    ]);
  });

  it("returns the writer's last promise, so one await covers the chunk", async () => {
    const flushes = [Promise.resolve(), undefined, Promise.resolve(), undefined];
    let calls = 0;
    const sink = { writeLine: () => flushes[calls++] };
    const rows: ClassifiedRow[] = [customer(2, 'a'), customer(3, 'b'), customer(4, 'c'), customer(5, 'd')];
    expect(writeUnsentResults(sink, rows, ONE_FILE)).toBe(flushes[2]);
  });
});

describe('tally', () => {
  it('counts a row per physical record', () => {
    expect(recordCount(customer(2, 'c-1'))).toBe(1);
    expect(recordCount(customer(2, 'c-1', [3, 4]))).toBe(3);
  });

  it('counts rows, invalid and duplicates per record, and customers per unique id', () => {
    const counts = emptyCounts();
    countRow(counts, customer(2, 'c-1', [3, 4]));
    countRow(counts, { kind: 'invalid', file: 0, line: 5, moreLines: [6], id: 'c-9', reason: 'empty segment type' });
    countRow(counts, { kind: 'duplicate', file: 0, line: 7, moreLines: [8], id: 'c-1', keptFile: 0, keptLine: 2 });
    countRow(counts, customer(9, 'c-2'));
    expect(counts).toEqual({ rows: 8, invalid: 2, duplicates: 2, customers: 2, updated: 0, notFound: 0, failed: 0 });
  });

  it('counts a customer acknowledged by an earlier run with its outcome', () => {
    const counts = emptyCounts();
    countRow(counts, { kind: 'done', file: 0, line: 2, id: 'c-1', ordinal: 2, status: 'updated' });
    countRow(counts, { kind: 'done', file: 0, line: 3, moreLines: [4], id: 'c-2', ordinal: 3, status: 'not_found' });
    expect(counts).toEqual({ rows: 3, invalid: 0, duplicates: 0, customers: 2, updated: 1, notFound: 1, failed: 0 });
  });

  it('tallies rows as read per record, holding only invalid rows not skipped on purpose against --max-invalid', () => {
    const read: InputRow[] = [
      { file: 0, line: 2, moreLines: [3, 4], id: 'a', segments: [] },
      { file: 0, line: 5, moreLines: [6], id: 'b', invalid: 'empty segment type on line 6' },
      { file: 0, line: 7, id: 'c', invalid: 'skipped: every segment cell is blank (--skip-empty)', skipped: true },
      { file: 0, line: 8, id: '', invalid: 'empty document_id' },
    ];
    const tally = { rows: 0, invalid: 0 };
    tallyRead(tally, read.slice(0, 2));
    tallyRead(tally, read.slice(2));
    expect(tally).toEqual({ rows: 7, invalid: 3 });
  });

  it('counts a chunk of rows as countRow counts them one by one', () => {
    const rows: ClassifiedRow[] = [
      customer(2, 'c-1', [3]),
      { kind: 'invalid', file: 0, line: 4, id: '', reason: 'empty document_id' },
      { kind: 'done', file: 0, line: 5, id: 'c-2', ordinal: 1, status: 'not_found' },
    ];
    const oneByOne = emptyCounts();
    for (const row of rows) countRow(oneByOne, row);
    const chunked = emptyCounts();
    countRows(chunked, rows);
    expect(chunked).toEqual(oneByOne);
    expect(chunked).toMatchObject({ rows: 4, invalid: 1, customers: 2, notFound: 1 });
  });

  it('counts each outcome of a sent customer once', () => {
    const counts = emptyCounts();
    for (const outcome of ['updated', 'updated', 'not_found', 'failed'] as const) countOutcome(counts, outcome);
    expect(counts).toMatchObject({ updated: 2, notFound: 1, failed: 1 });
  });

  it('agrees with results.csv on rows, invalid and duplicates', () => {
    const rows: ClassifiedRow[] = [
      customer(2, 'c-1', [3]),
      { kind: 'invalid', file: 0, line: 4, id: '', reason: 'empty document_id' },
      { kind: 'duplicate', file: 1, line: 2, moreLines: [3, 4], id: 'c-1', keptFile: 0, keptLine: 2 },
      { kind: 'done', file: 1, line: 5, id: 'c-7', ordinal: 9, status: 'updated' },
    ];
    const counts = emptyCounts();
    for (const row of rows) countRow(counts, row);
    const written = rows.flatMap((row) => resultRows(row, row.kind === 'customer' ? { outcome: 'updated' } : undefined, TWO_FILES));
    expect(counts.rows).toBe(written.length);
    expect(counts.invalid).toBe(written.filter((r) => r.status === 'invalid').length);
    expect(counts.duplicates).toBe(written.filter((r) => r.status === 'duplicate').length);
  });
});
