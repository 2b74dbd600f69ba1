/** One summary from the summaries of a run's shards. Pure. */
import { decideOutcome } from '../../run-outcome.js';
import type { Counts } from '../../../core/types.js';
import type { RequestCounts, Summary } from '../summary.js';

export function mergeSummaries(summaries: readonly Summary[]): Summary {
  const [first] = summaries;
  if (!first) throw new Error('mergeSummaries needs at least one summary');
  const startedAt = earliest(summaries.map((s) => s.startedAt));
  const finishedAt = latest(summaries.map((s) => s.finishedAt));
  const counts = summaries.map((s) => s.counts).reduce(addCounts);
  // The shards' outcomes decide the merged one (worst status, its exit code, their messages).
  const outcome = decideOutcome(counts, { shards: summaries });
  const merged: Summary = {
    status: outcome.status,
    // A dry run only if no shard sent anything.
    dryRun: summaries.every((s) => s.dryRun),
    counts,
    requests: summaries.map((s) => s.requests).reduce(addRequests),
    startedAt,
    finishedAt,
    // The shards ran side by side: the run took from the first start to the last finish.
    durationMs: Date.parse(finishedAt) - Date.parse(startedAt),
    // The shards read the same files (checked by the caller).
    inputs: first.inputs,
    options: first.options,
    runId: unique(summaries.map((s) => s.runId)).join('+'),
    exitCode: outcome.exitCode,
  };
  if (outcome.message) merged.message = outcome.message;
  const resumed = summaries.flatMap((s) => (s.resumed ? [s.resumed.acknowledgedBefore] : []));
  if (resumed.length > 0) merged.resumed = { acknowledgedBefore: resumed.reduce((a, b) => a + b, 0) };
  return merged;
}

/** Field by field; a summary written before a count existed counts 0 for it. */
function addCounts(a: Counts, b: Counts): Counts {
  const sum = { ...a };
  for (const key of Object.keys(b) as (keyof Counts)[]) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  return sum;
}

function addRequests(a: RequestCounts, b: RequestCounts): RequestCounts {
  const byStatus = { ...a.byStatus };
  for (const [key, value] of Object.entries(b.byStatus)) byStatus[key] = (byStatus[key] ?? 0) + value;
  return { byStatus, total: a.total + b.total, retries: a.retries + b.retries };
}

function earliest(isoDates: readonly string[]): string {
  return isoDates.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
}

function latest(isoDates: readonly string[]): string {
  return isoDates.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
