/** Reads a summary.json back (for `report merge`), checking the fields a merge relies on. Pure. */
import { isRecord } from '../../core/is-record.js';
import { err, ok, type Result } from '../../core/result.js';
import type { Counts } from '../../core/types.js';
import { isRunStatus } from '../run-outcome.js';
import type { FlatRequestCounts, InputSummary, RequestCounts, Summary, SummaryFile } from './summary.js';

const COUNT_KEYS: readonly (keyof Counts)[] = ['rows', 'invalid', 'duplicates', 'customers', 'updated', 'notFound', 'failed'];

/** The summary, or why the text is not one (the caller names the file). */
export function parseSummary(text: string): Result<Summary> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err('not valid JSON');
  }
  if (!isRecord(value)) return err('not a JSON object');
  const problem = problemOf(value);
  if (problem !== undefined) return err(problem);
  const file = value as unknown as SummaryFile;
  return ok({ ...file, requests: requestCounts(file.requests) });
}

/** summary.json's flat `requests` (statuses, total, retries side by side) as RequestCounts. */
function requestCounts({ total, retries, ...byStatus }: FlatRequestCounts): RequestCounts {
  return { byStatus, total, retries };
}

function problemOf(value: Record<string, unknown>): string | undefined {
  if (!isRunStatus(value.status)) return `unknown status ${JSON.stringify(value.status)}`;
  if (typeof value.dryRun !== 'boolean') return 'dryRun is not a boolean';
  if (!isNumbers(value.counts, COUNT_KEYS)) return `counts must hold the numbers ${COUNT_KEYS.join(', ')}`;
  if (!isRecord(value.requests) || !isNumbers(value.requests, ['total', 'retries', ...Object.keys(value.requests)])) {
    return 'requests must map statuses to numbers, with total and retries';
  }
  if (!isIsoDate(value.startedAt) || !isIsoDate(value.finishedAt)) return 'startedAt and finishedAt must be ISO dates';
  if (!Array.isArray(value.inputs) || value.inputs.length === 0 || !value.inputs.every(isInputSummary)) {
    return 'inputs must be a non-empty list of {path, sha256, rows}';
  }
  if (!isRecord(value.options)) return 'options is not an object';
  if (typeof value.runId !== 'string') return 'runId is not a string';
  if (!Number.isInteger(value.exitCode)) return 'exitCode is not an integer';
  return undefined;
}

function isNumbers(value: unknown, keys: readonly string[]): boolean {
  return isRecord(value) && keys.every((key) => typeof value[key] === 'number' && Number.isFinite(value[key]));
}

function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function isInputSummary(value: unknown): value is InputSummary {
  return isRecord(value) && typeof value.path === 'string' && typeof value.sha256 === 'string' && typeof value.rows === 'number';
}
