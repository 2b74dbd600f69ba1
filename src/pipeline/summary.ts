/** summary.json for a run, with the outcome decided by decideOutcome, and the options worth recording. */
import { targetOf, type RunConfig } from '../config/run-options.js';
import { formatThreshold } from '../config/threshold.js';
import type { TokenSource } from '../config/token.js';
import type { FileFacts } from './input/index.js';
import { writeSummary, type Summary } from './report/index.js';
import { publicOptions } from '../core/secrets.js';
import type { Counts } from '../core/types.js';
import type { JobContext, JobResult } from './context.js';
import type { StateFacts } from './incremental.js';
import { decideOutcome, type RunFacts } from './run-outcome.js';

export interface SummaryDetails {
  facts: RunFacts;
  requests?: Record<string, number>;
  retries?: number;
  resumedFrom?: number;
  pace?: Summary['pace'];
  /** diff/mirror: what the state said (src/pipeline/incremental.ts). */
  state?: StateFacts;
}

export type SummaryBuilder = ReturnType<typeof summaryBuilder>;

export function summaryBuilder(ctx: JobContext, runId: string, startedAt: Date) {
  const { config } = ctx;
  return async (counts: Counts, inputs: FileFacts[], d: SummaryDetails): Promise<JobResult> => {
    const finishedAt = new Date();
    const outcome = decideOutcome(counts, d.facts);
    const target = targetOf(config);
    const requests = d.requests ?? {};
    const total = Object.values(requests).reduce((sum, n) => sum + n, 0);
    const summary: Summary = {
      runId,
      dryRun: config.dryRun,
      status: outcome.status,
      exitCode: outcome.exitCode,
      counts,
      requests: { byStatus: { ...requests }, total, retries: d.retries ?? 0 },
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      inputs: inputs.filter(Boolean).map(inputSummary),
      options: recordedOptions(config, ctx.token?.origin),
      ...(config.shard ? { shard: config.shard } : {}),
      ...(d.resumedFrom !== undefined ? { resumed: { acknowledgedBefore: d.resumedFrom } } : {}),
      ...(d.pace ? { pace: d.pace } : {}),
      ...(outcome.message ? { message: outcome.message } : {}),
      ...(target && { target }),
      mode: config.mode,
      ...(d.state && { state: { file: d.state.file, fresh: d.state.fresh, tracked: d.state.tracked, clears: d.state.clears } }),
    };
    await writeSummary(config.reportDir, summary);
    return { summary, exitCode: outcome.exitCode, reportDir: config.reportDir };
  };
}

function inputSummary(f: FileFacts): Summary['inputs'][number] {
  return {
    path: f.path,
    sha256: f.sha256,
    rows: f.rows,
    layout: f.layout,
    delimiter: f.delimiter,
    encoding: f.encoding,
    segmentTypes: f.segmentTypes,
  };
}

/**
 * The options recorded in summary.json: thresholds as the user writes them, and where the token
 * came from; publicOptions (src/core/secrets.ts) then drops the token and hides the Pushgateway's password.
 */
function recordedOptions(config: RunConfig, tokenFrom: TokenSource['origin'] | undefined): Record<string, unknown> {
  // tokenFrom as resolveToken decided (absent in dry runs): yargs also fills token.value from
  // SEGMENT_SYNC_TOKEN, so the config alone cannot tell the environment from --token.
  return publicOptions({
    ...config,
    maxInvalid: formatThreshold(config.maxInvalid),
    maxClear: formatThreshold(config.maxClear),
    ...(config.dryRun ? {} : { maxNotFound: formatThreshold(config.maxNotFound) }),
    ...(tokenFrom && { tokenFrom }),
  });
}
