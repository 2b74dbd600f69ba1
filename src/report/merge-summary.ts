/** One summary from the summaries of a run's shards. Pure. */
import { ExitCode } from '../exit-codes.js';
import type { Counts } from '../types.js';
import { worstStatus } from './status.js';
import type { RequestCounts, Summary } from './summary.js';

export function mergeSummaries(summaries: readonly Summary[]): Summary {
  const [first] = summaries;
  if (!first) throw new Error('mergeSummaries needs at least one summary');
  const startedAt = earliest(summaries.map((s) => s.startedAt));
  const finishedAt = latest(summaries.map((s) => s.finishedAt));
  const status = worstStatus(summaries.map((s) => s.status));
  const merged: Summary = {
    status,
    // A dry run only if no shard sent anything.
    dryRun: summaries.every((s) => s.dryRun),
    counts: summaries.map((s) => s.counts).reduce(addCounts),
    requests: summaries.map((s) => s.requests).reduce(addRequests),
    startedAt,
    finishedAt,
    // The shards ran side by side: the run took from the first start to the last finish.
    durationMs: Date.parse(finishedAt) - Date.parse(startedAt),
    // The shards read the same files (checked by the caller).
    inputs: first.inputs,
    options: first.options,
    runId: unique(summaries.map((s) => s.runId)).join('+'),
    exitCode: mergedExitCode(summaries, status) ?? first.exitCode,
  };
  const message = mergedMessage(summaries);
  if (message) merged.message = message;
  const resumed = summaries.filter((s) => s.resumed).map((s) => s.resumed!.acknowledgedBefore);
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

/**
 * The exit code of a shard with the worst status. Among `partial` shards, exit 1 (failures a retry
 * can deliver) wins over exit 7 (only customers rejected one by one): the retry is still worth it.
 */
function mergedExitCode(summaries: readonly Summary[], status: Summary['status']): number | undefined {
  const worst = summaries.filter((s) => s.status === status);
  return (worst.find((s) => s.exitCode === ExitCode.PartialFailure) ?? worst[0])?.exitCode;
}

function mergedMessage(summaries: readonly Summary[]): string | undefined {
  const messages = summaries
    .filter((s) => s.message)
    .map((s) => (s.shard ? `shard ${s.shard.index}/${s.shard.count}: ${s.message}` : s.message!));
  return messages.length > 0 ? unique(messages).join('; ') : undefined;
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
