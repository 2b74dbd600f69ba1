/**
 * Compares what a run left behind (results.csv, summary.json, the endpoint's state) with the
 * oracle's expectation, row by row.
 */
import { readResults, readSummary, type ResultRow } from '../report.js';
import type { Expectation, ExpectedRow, Segment } from './oracle.js';

/** A report cell starting like a formula is shown with a leading quote (issue 2, "Report"). */
export function reportCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

interface ComparableRow {
  line: number;
  document_id: string;
  status: string;
  file?: string;
}

function expectedCells(row: ExpectedRow, multiFile: boolean): ComparableRow {
  const cells = { line: row.line, document_id: reportCell(row.id), status: row.status };
  return multiFile ? { ...cells, file: reportCell(row.file) } : cells;
}

function actualCells(row: ResultRow, multiFile: boolean): ComparableRow {
  const cells = { line: Number(row.line), document_id: row.document_id, status: row.status };
  return multiFile ? { ...cells, file: row.file } : cells;
}

/** Every results.csv row (line, id, status, file) equals the expected one, in input order. */
export function expectResultsMatch(reportDir: string, expected: Expectation, multiFile = false): void {
  const actual = readResults(reportDir);
  expect(actual.map((row) => actualCells(row, multiFile))).toEqual(expected.rows.map((row) => expectedCells(row, multiFile)));
  actual.forEach((row, i) => {
    const want = expected.rows[i]!;
    if (want.keptLine !== undefined) expect(row.detail).toContain(`line ${want.keptLine}`);
    if (want.status === 'invalid') expect(row.detail).not.toBe('');
  });
  if (!multiFile) expect(actual.every((row) => row.file === undefined)).toBe(true);
}

export interface RunExpectation {
  reportDir: string;
  expected: Expectation;
  status: string;
  exitCode: number;
  multiFile?: boolean;
}

/** summary.json's status, exit code and counts, and every row of results.csv. */
export function expectReportMatches({ reportDir, expected, status, exitCode, multiFile = false }: RunExpectation): void {
  const summary = readSummary(reportDir);
  expect({ status: summary.status, exitCode: summary.exitCode, counts: summary.counts }).toEqual({
    status,
    exitCode,
    counts: expected.counts,
  });
  expectResultsMatch(reportDir, expected, multiFile);
}

/** The endpoint holds exactly the expected segments, customer by customer. */
export function expectStateMatches(
  state: { customers: Record<string, Segment[] | null> },
  expected: Record<string, Segment[] | null>,
): void {
  expect(state.customers).toEqual(expected);
}
