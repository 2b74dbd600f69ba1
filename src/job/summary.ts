/** summary.json for each way a run can end, and the exit code that goes with it. */
import type { RunConfig } from '../config/run-options.js';
import { formatThreshold } from '../config/threshold.js';
import type { TokenSource } from '../config/token.js';
import { redactUrl } from '../metrics/push-target.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import type { AuthError, EndpointError } from '../errors.js';
import type { InputFile } from '../input/index.js';
import { decideStatus, writeSummary, type Summary } from '../report/index.js';
import type { ClassifiedRow, Counts } from '../types.js';
import type { JobContext, JobResult } from './context.js';

export interface DoneDetails {
  dryRun?: boolean;
  interruptedWith?: ExitCodeValue;
  fatal?: AuthError | EndpointError;
  requests?: Record<string, number>;
  resumedFrom?: number;
  stoppedAt?: ClassifiedRow;
  files?: InputFile[];
}

export type SummaryBuilder = ReturnType<typeof summaryBuilder>;

export function summaryBuilder(ctx: JobContext, runId: string, startedAt: Date) {
  const { config } = ctx;
  const write = async (summary: Summary): Promise<JobResult> => {
    await writeSummary(config.reportDir, summary);
    return { summary, exitCode: summary.exitCode as ExitCodeValue, reportDir: config.reportDir };
  };
  const base = (counts: Counts, inputs: Summary['inputs']) => {
    const finishedAt = new Date();
    return {
      runId,
      dryRun: config.dryRun,
      counts,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      inputs,
      options: publicOptions(config, ctx.token?.origin),
      ...(config.shard ? { shard: config.shard } : {}),
    };
  };
  return {
    rejected: (message: string, counts: Counts, inputs: Summary['inputs']): Promise<JobResult> =>
      write({ ...base(counts, inputs), status: 'rejected', exitCode: ExitCode.InputRejected, requests: { total: 0, retries: 0 }, message }),
    done: (counts: Counts, inputs: Summary['inputs'], d: DoneDetails): Promise<JobResult> => {
      const status = decideStatus(counts, { interrupted: d.interruptedWith !== undefined, rejected: false, authFailed: d.fatal !== undefined });
      const exitCode: ExitCodeValue = d.interruptedWith ?? (d.fatal ? d.fatal.exitCode : counts.failed > 0 ? ExitCode.PartialFailure : ExitCode.Ok);
      const requests = d.requests ?? {};
      const total = Object.entries(requests).filter(([k]) => k !== 'retries').reduce((sum, [, n]) => sum + n, 0);
      return write({
        ...base(counts, inputs),
        status,
        exitCode,
        requests: { ...requests, total, retries: requests.retries ?? 0 },
        ...(d.resumedFrom !== undefined ? { resumed: { acknowledgedBefore: d.resumedFrom } } : {}),
        ...(stopMessage(d) ? { message: stopMessage(d) } : {}),
      });
    },
  };
}

function stopMessage(d: DoneDetails): string | undefined {
  const where = d.stoppedAt && d.files ? ` after ${d.files[d.stoppedAt.file]?.display}:${d.stoppedAt.line}` : '';
  // A misconfigured endpoint's message names the endpoint and its answer; nothing was delivered.
  if (d.fatal?.code === 'ENDPOINT_MISCONFIGURED') return d.fatal.message;
  if (d.fatal) return `authentication rejected (${d.fatal.status}); stopped sending${where}. Check the token, then rerun the same command to resume.`;
  if (d.interruptedWith !== undefined) return `interrupted${where}; rerun the same command to resume.`;
  return undefined;
}

/** The options worth recording in summary.json; never the token or its file's content. */
function publicOptions(config: RunConfig, tokenFrom: TokenSource['origin'] | undefined): Record<string, unknown> {
  const { token, ...rest } = config;
  // As resolveToken decided (absent in dry runs): yargs also fills token.value from
  // SEGMENT_SYNC_TOKEN, so the config alone cannot tell the environment from --token.
  return {
    ...rest,
    maxInvalid: formatThreshold(config.maxInvalid),
    maxClear: formatThreshold(config.maxClear),
    ...(config.dryRun ? {} : { maxNotFound: formatThreshold(config.maxNotFound) }),
    // The Pushgateway URL may carry basic-auth credentials (already checked to parse).
    ...(config.pushgateway && { pushgateway: redactUrl(new URL(config.pushgateway)) }),
    ...(tokenFrom && { tokenFrom }),
  };
}
