/** The few lines printed at the end of a run: what happened, where the report is, what to do next. Pure. */
import path from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { REPORT_FILES } from './files.js';
import type { RequestCounts, Summary } from './summary.js';

const LABEL_WIDTH = 11;

export function formatSummary(summary: Summary, reportDir: string): string {
  return `${summaryLines(summary, reportDir).map(([label, text]) => `${label.padEnd(LABEL_WIDTH)}${text}`).join('\n')}\n`;
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

/** What to do next, by exit code first: the advice must match what a scheduler does with the code. */
function nextStep(summary: Summary, reportDir: string): string | undefined {
  switch (summary.exitCode) {
    case ExitCode.Usage:
      return summary.status === 'rejected'
        ? 'nothing was sent; run again and answer y, or pass --yes'
        : 'fix the endpoint or configuration (see message), then run again: retrying as it is cannot help';
    case ExitCode.InputRejected:
      // A structural problem stops reading before any row is reported; a guardrail does not.
      return summary.counts.rows > 0
        ? 'fix the input or the option named in the message (rows are in results.csv), then run again: nothing was sent'
        : 'fix the file (see message) and run again: nothing was sent';
    case ExitCode.AuthRejected:
      return 'fix the token, then run the same command again: acknowledged customers are not sent again';
    case ExitCode.NotFoundGuard:
      return 'check --env/--endpoint and --id-column against the platform: most customers are unknown there; a retry cannot help';
    case ExitCode.EndpointRejectsRequests:
      return 'the endpoint refuses the requests themselves (see message): check the API version and payload with the platform; a retry cannot help';
    case ExitCode.CustomersRejected:
      return `fix the customers in ${path.join(reportDir, REPORT_FILES.rejects)} (each with the endpoint's reason) at the source: resending them unchanged cannot help`;
    case ExitCode.LocalStorage:
      return 'free space or fix the permissions of the directory named in the message (or point --report-dir/--state-dir elsewhere), then run the same command again to resume';
    case ExitCode.HungUp:
    case ExitCode.Interrupted:
    case ExitCode.Terminated:
      return 'run the same command again to resume: acknowledged customers are not sent again';
    case ExitCode.PartialFailure:
      {
        const rejects = (summary.counts.rejected ?? 0) > 0 ? `; the rejected ones are in ${path.join(reportDir, REPORT_FILES.rejects)}, to fix at the source` : '';
        if (summary.counts.failed === 0) return `run the same command again: customers not sent yet are sent, acknowledged ones are not${rejects}`;
        return `run the same command again, or resend only the undelivered customers: ${resendCommand(summary, reportDir)}${rejects}`;
      }
    default:
      return summary.dryRun ? 'to send, use segment-sync run with the same files (without --dry-run)' : undefined;
  }
}

/** retry.csv keeps the layout and id column but is always comma-separated. */
function resendCommand(summary: Summary, reportDir: string): string {
  const retry = path.join(reportDir, REPORT_FILES.retry);
  const delimiter = summary.options.delimiter;
  const note = typeof delimiter === 'string' && delimiter !== ',' ? ' (with --delimiter ,)' : '';
  return `segment-sync run ${retry} with the same options${note}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
