/** Reading what a run wrote: summary.json, results.csv, retry.csv and rejects.csv. */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Segment } from '../../src/types.js';
import { SEGMENT_TYPES } from './faults/dataset.js';

export interface ResultRow {
  line: string;
  document_id: string;
  status: string;
  detail: string;
}

export interface Summary {
  status: string;
  exitCode: number;
  dryRun?: boolean;
  counts: { rows: number; invalid: number; duplicates: number; customers: number; updated: number; notFound: number; failed: number; rejected: number; notSent: number };
  /** By status ('200', '429', 'network', 'timeout', 'malformed', …), plus the two totals. */
  requests: Record<string, number> & { total: number; retries: number };
  resumed?: { acknowledgedBefore: number };
  options: Record<string, unknown>;
  message?: string;
}

export interface Report {
  summary: Summary;
  results: ResultRow[];
  /** retry.csv as records (header → cell), or undefined when the run left none. */
  retry: Record<string, string>[] | undefined;
  /** rejects.csv as records (header → cell), or undefined when the run left none. */
  rejects: Record<string, string>[] | undefined;
}

export async function readSummary(reportDir: string): Promise<Summary> {
  return JSON.parse(await fs.readFile(path.join(reportDir, 'summary.json'), 'utf8')) as Summary;
}

export async function readReport(reportDir: string): Promise<Report> {
  const retryFile = path.join(reportDir, 'retry.csv');
  const rejectsFile = path.join(reportDir, 'rejects.csv');
  return {
    summary: await readSummary(reportDir),
    results: await readCsv<ResultRow>(path.join(reportDir, 'results.csv')),
    retry: existsSync(retryFile) ? await readCsv<Record<string, string>>(retryFile) : undefined,
    rejects: existsSync(rejectsFile) ? await readCsv<Record<string, string>>(rejectsFile) : undefined,
  };
}

/** results.csv as line → [document_id, status], comparable with Dataset.expectedRows. */
export function statusesByLine(results: ResultRow[]): Map<number, [string, string]> {
  return new Map(results.map((r) => [Number(r.line), [r.document_id, r.status]]));
}

/** The segments of a retry.csv record (wide layout: one column per type; blank = none). */
export function retrySegments(record: Record<string, string>): Segment[] {
  return SEGMENT_TYPES.filter((type) => (record[type] ?? '') !== '').map((type) => ({ type, value: record[type]! }));
}

async function readCsv<T>(file: string): Promise<T[]> {
  return parseCsv(await fs.readFile(file, 'utf8'), { columns: true }) as T[];
}
