/** The few lines printed at the end of a run: what happened, where the report is, what to do next. Pure. */
import { formatCount as count } from '../../core/text.js';
import { nextStep } from '../run-outcome.js';
import type { RequestCounts, Summary } from './summary.js';

const LABEL_WIDTH = 11;

export function formatSummary(summary: Summary, reportDir: string): string {
  return `${summaryLines(summary, reportDir)
    .map(([label, text]) => `${label.padEnd(LABEL_WIDTH)}${text}`)
    .join('\n')}\n`;
}

/** The summary as [label, text] pairs (status, message, rows, customers, requests, duration, report, next). */
export function summaryLines(summary: Summary, reportDir: string): [string, string][] {
  const lines: [string, string][] = [
    ['status', statusText(summary)],
    ...(summary.message ? [['message', summary.message] as [string, string]] : []),
    ['rows', rowsText(summary)],
    ['customers', customersText(summary)],
    ['requests', summary.dryRun ? 'none (dry run)' : requestsText(summary.requests)],
    ['duration', durationText(summary)],
    ['report', reportDir],
  ];
  const next = nextStep(summary, reportDir);
  if (next) lines.push(['next', next]);
  return lines;
}

function statusText({ status, dryRun, exitCode }: Summary): string {
  return `${status}${dryRun ? ' (dry run: nothing sent)' : ''}, exit code ${exitCode}`;
}

function rowsText({ counts }: Summary): string {
  return `${count(counts.rows)} (invalid ${count(counts.invalid)}, duplicates ${count(counts.duplicates)})`;
}

function customersText({ counts, dryRun }: Summary): string {
  const clears = counts.toClear > 0 ? `, ${count(counts.toClear)} cleared (no segments)` : '';
  if (dryRun) return `${count(counts.customers)} valid${clears}`;
  const notSent = counts.notSent > 0 ? `, not sent ${count(counts.notSent)}` : '';
  // A summary written before `rejected` existed has none.
  const rejected = (counts.rejected ?? 0) > 0 ? `, rejected ${count(counts.rejected)}` : '';
  // Nor `unchanged` and `cleared` one before incremental sync.
  const unchanged = (counts.unchanged ?? 0) > 0 ? `, unchanged ${count(counts.unchanged)}` : '';
  const gone = (counts.cleared ?? 0) > 0 ? `; gone from the input and cleared ${count(counts.cleared)}` : '';
  return `${count(counts.customers)} (updated ${count(counts.updated)}${unchanged}, not found ${count(counts.notFound)}, failed ${count(counts.failed)}${rejected}${notSent}${clears})${gone}`;
}

function requestsText(requests: RequestCounts): string {
  const byStatus = Object.entries(requests.byStatus)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([key, n]) => `${key}: ${count(n)}`);
  const parts = [...byStatus, `${count(requests.retries)} retries`];
  return `${count(requests.total)} (${parts.join(', ')})`;
}

function durationText({ durationMs, counts }: Summary): string {
  if (durationMs <= 0) return humanDuration(durationMs);
  const perSecond = Math.round((counts.rows * 1000) / durationMs);
  return `${humanDuration(durationMs)} (${count(perSecond)} rows/s)`;
}

export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
