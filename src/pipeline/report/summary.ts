/** summary.json: the run in one small, secret-free JSON document, written atomically. */
import path from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { ensureDir } from '../../core/storage-error.js';
import { publicOptions } from '../../core/secrets.js';
import type { Counts, RunStatus } from '../../core/types.js';
import { REPORT_FILES } from '../../core/report-files.js';

export interface InputSummary {
  /** How the input is named: its path as given, or 'stdin' for stdin (given as the argument '-'). */
  path: string;
  /** sha256 of the bytes validated, which are the bytes sent (pass 2 sends from pass 1's spool). */
  sha256: string;
  /** Data rows read from this input. */
  rows: number;
  layout?: string;
  delimiter?: string;
  encoding?: string;
  /** The segment types, in order (wide: the columns sent; long/json: as first met). */
  segmentTypes?: string[];
}

/**
 * Requests by HTTP status (or error kind, e.g. "network"), their total, and how many were retries.
 * summary.json keeps them in one flat object, `{"200": 12, "503": 2, "total": 14, "retries": 2}`:
 * renderSummary writes that shape and parseSummary (summary-parse.ts) reads it back.
 */
export interface RequestCounts {
  byStatus: Record<string, number>;
  total: number;
  retries: number;
}

/** RequestCounts as summary.json holds them: one flat object. */
export interface FlatRequestCounts {
  total: number;
  retries: number;
  [status: string]: number;
}

export function flatRequests({ byStatus, total, retries }: RequestCounts): FlatRequestCounts {
  return { ...byStatus, total, retries };
}

export interface Summary {
  status: RunStatus;
  dryRun: boolean;
  counts: Counts;
  requests: RequestCounts;
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  inputs: InputSummary[];
  /** The effective options, already through publicOptions (src/core/secrets.ts): rendering applies it again,
   *  a second line of defence, because summary.json is shared far more widely than logs. */
  options: Record<string, unknown>;
  runId: string;
  exitCode: number;
  /** Why the run ended the way it did, when that is not obvious from the counts. */
  message?: string;
  shard?: { index: number; count: number };
  resumed?: { acknowledgedBefore: number };
  /**
   * The adaptive pace of a send, in requests/s (0 = unlimited): --rate for this process, the pace
   * at the end and the lowest, and how many times a 429 lowered it.
   */
  pace?: { requested: number; final: number; min: number; decreases: number };
  /** The target of a send: the endpoint (no credentials) and its environment name, if one. */
  target?: { endpoint: string; env?: string };
  /** --mode: full, diff or mirror (absent in summaries written before incremental sync). */
  mode?: string;
  /**
   * diff/mirror: the incremental state consulted. `fresh`: there was none usable (everything sent,
   * nothing cleared); `tracked`: customers it held at the start; `clears`: mirror clears planned.
   */
  state?: { file: string; fresh: boolean; tracked: number; clears: number };
}

/** summary.json as it is on disk (what JSON.parse of the file gives): the requests flat. */
export type SummaryFile = Omit<Summary, 'requests'> & { requests: FlatRequestCounts };

/** The file's text: fields in contract order, 2-space indent, trailing newline. */
export function renderSummary(summary: Summary): string {
  const { status, dryRun, counts, requests, startedAt, finishedAt, durationMs, inputs, options, runId, exitCode } = summary;
  const ordered = {
    status,
    dryRun,
    counts,
    requests: flatRequests(requests),
    startedAt,
    finishedAt,
    durationMs,
    inputs,
    options: publicOptions(options),
    runId,
    exitCode,
    message: summary.message,
    shard: summary.shard,
    resumed: summary.resumed,
    pace: summary.pace,
    target: summary.target,
    mode: summary.mode,
    state: summary.state,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export async function writeSummary(dir: string, summary: Summary): Promise<void> {
  await ensureDir(dir, 'the report');
  await writeFileAtomic(path.join(dir, REPORT_FILES.summary), renderSummary(summary));
}
