/**
 * Reading what a run wrote: summary.json (typed as the production Summary, so a test reads the
 * fields the CLI writes, under the names it writes them), results.csv, retry.csv and rejects.csv.
 * Synchronous: the files are small, and an assertion helper that reads them stays synchronous (no
 * forgotten await can skip its checks).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { SummaryFile } from '../../src/pipeline/report/summary.js';

/** summary.json as the CLI writes it (its requests one flat object: statuses, total, retries). */
export type Summary = SummaryFile;

/** One results.csv row. */
export interface ResultRow {
  line: string;
  document_id: string;
  status: string;
  detail: string;
  /** Only in runs of several files. */
  file?: string;
}

export interface Report {
  summary: Summary;
  results: ResultRow[];
  /** retry.csv as records (header → cell), or undefined when the run left none. */
  retry: Record<string, string>[] | undefined;
  /** rejects.csv as records (header → cell), or undefined when the run left none. */
  rejects: Record<string, string>[] | undefined;
}

export function readSummary(reportDir: string): Summary {
  return JSON.parse(readFileSync(path.join(reportDir, 'summary.json'), 'utf8')) as Summary;
}

export function readResults(reportDir: string): ResultRow[] {
  return readCsv<ResultRow>(path.join(reportDir, 'results.csv'));
}

/** retry.csv's rows keyed by its header, or undefined when the run wrote none. */
export function readRetry(reportDir: string): Record<string, string>[] | undefined {
  return readCsvIfAny(path.join(reportDir, 'retry.csv'));
}

/** rejects.csv's rows keyed by its header, or undefined when the run wrote none. */
export function readRejects(reportDir: string): Record<string, string>[] | undefined {
  return readCsvIfAny(path.join(reportDir, 'rejects.csv'));
}

/** The whole report of a run (results.csv must exist). */
export function readReport(reportDir: string): Report {
  return { summary: readSummary(reportDir), results: readResults(reportDir), retry: readRetry(reportDir), rejects: readRejects(reportDir) };
}

/** results.csv as line → [document_id, status], comparable with a fault Dataset's expectedRows. */
export function statusesByLine(results: ResultRow[]): Map<number, [string, string]> {
  return new Map(results.map((r) => [Number(r.line), [r.document_id, r.status]]));
}

function readCsvIfAny(file: string): Record<string, string>[] | undefined {
  return existsSync(file) ? readCsv<Record<string, string>>(file) : undefined;
}

function readCsv<T>(file: string): T[] {
  return parseCsv(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as T[];
}
