/**
 * Runs one `run`, `validate` or `demo`: set up logging, token and signals, run the job, print the
 * summary. The steps of the job itself are in src/pipeline/run-job.ts. The commands import this module
 * when their handler runs, so nothing here is loaded for --help or a usage error.
 */
import { randomUUID } from 'node:crypto';
import { environmentOf, type RunConfig } from '../config/run-options.js';
import type { IgnoredSetting } from '../config/sources.js';
import { resolveToken } from '../config/token.js';
import { version } from '../config/version.js';
import { isJsonFormat, jsonLine, outcomeLevel, scrub, type Level, type Logger } from '../core/log.js';
import { createLogger } from '../core/logger.js';
import type { Plan } from '../pipeline/plan.js';
import { confirmProductionSend } from './confirm.js';
import { runJob, type JobResult, type JobTarget } from '../pipeline/run-job.js';
import { watchSignals } from '../pipeline/signals.js';
import { formatSummary, summaryLines } from '../pipeline/report/index.js';
import { redactUrl } from '../core/secrets.js';

export interface ExecuteOptions {
  /** Default: a new one. The report dir's default name should carry the same (resolveRunConfig). */
  runId?: string;
  /** Named in the first log line. */
  command?: string;
  /** Environment variables and config keys that did not apply: one debug line each. */
  ignored?: readonly IgnoredSetting[];
  /** Where the end-of-run summary goes (default stderr). */
  stderr?: NodeJS.WritableStream;
}

/** Runs the job with a logger, the token and signal handling; returns the exit code. */
export async function execute(config: RunConfig, options: ExecuteOptions = {}): Promise<number> {
  const { runId = randomUUID(), command = 'run', ignored = [], stderr = process.stderr } = options;
  // A send reads its token now, before anything starts; a dry run has none.
  const target: JobTarget = config.dryRun ? { config } : { config, token: await resolveToken(config.token) };
  const { token } = target;
  const secrets = (): readonly string[] => token?.secrets() ?? [];
  const log = createLogger({ level: config.logLevel, format: config.logFormat, runId, secrets });
  const json = isJsonFormat(config.logFormat);
  const signals = watchSignals(config.graceMs, (name) =>
    log.warn(`${name} received: no new requests; finishing those in flight`, { graceSeconds: config.graceMs / 1000 }),
  );
  try {
    log.info(`segment-sync ${version()} ${command} starting`, startFields(config, command));
    for (const { name, source } of ignored) log.debug(`ignored ${name} from the ${source}: not an option of ${command}`);
    if (token?.origin === 'flag' && process.argv.some((a) => a === '--token' || a.startsWith('--token=')))
      log.warn('token given with --token: prefer --token-file or SEGMENT_SYNC_TOKEN (command lines are visible to other users)');
    // Only a send asks.
    const confirm = config.dryRun
      ? undefined
      : (plan: Plan): Promise<boolean> =>
          confirmProductionSend(
            config,
            {
              customers: plan.toSend,
              requests: plan.requests,
              estimatedMs: (plan.estimatedSeconds ?? 0) * 1000,
              endpoint: config.endpoint,
              environment: environmentOf(config),
            },
            { signal: signals.stop },
          );
    const result = await runJob({ ...target, log, signals, runId, confirm });
    await pushMetrics(config, result, log);
    const level = outcomeLevel(result.summary);
    log.log(level, 'run finished', {
      status: result.summary.status,
      exitCode: result.exitCode,
      counts: result.summary.counts,
      durationMs: result.summary.durationMs,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      reportDir: result.reportDir,
    });
    stderr.write(
      json
        ? summaryRecord(result, level, runId, secrets())
        : `\n${String(scrub(formatSummary(result.summary, result.reportDir), secrets()))}\n`,
    );
    return result.exitCode;
  } finally {
    signals.dispose();
    await flush(log);
  }
}

/** The first line of every run: what runs, where it sends (never a credential), and which build. */
function startFields(config: RunConfig, command: string): Record<string, unknown> {
  return {
    command,
    version: version(),
    environment: environmentOf(config),
    endpoint: config.dryRun ? null : redactUrl(new URL(config.endpoint)),
    dryRun: config.dryRun,
    reportDir: config.reportDir,
    ...(config.shard ? { shard: `${config.shard.index}/${config.shard.count}` } : {}),
  };
}

/** In JSON mode the human summary is one log line on stderr (where the text summary goes), same level as 'run finished'. */
function summaryRecord(result: JobResult, level: Level, runId: string, secrets: readonly string[]): string {
  const lines = summaryLines(result.summary, result.reportDir);
  const next = lines.find(([label]) => label === 'next')?.[1];
  return jsonLine(
    level,
    'summary',
    {
      status: result.summary.status,
      exitCode: result.exitCode,
      reportDir: result.reportDir,
      ...(next ? { next } : {}),
      lines: formatSummary(result.summary, result.reportDir).trimEnd().split('\n'),
    },
    runId,
    secrets,
  );
}

async function pushMetrics(config: RunConfig, result: JobResult, log: Logger): Promise<void> {
  if (!config.pushgateway) return;
  // prom-client is loaded only by the runs that push.
  const { pushRunMetrics } = await import('../metrics/index.js');
  const pushed = await pushRunMetrics({ url: config.pushgateway, jobName: config.jobName, summary: result.summary, shard: config.shard });
  if (!pushed.ok) log.warn('could not push metrics to the Pushgateway', { error: pushed.error });
}

function flush(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    log.on('finish', () => resolve());
    log.end();
    setTimeout(resolve, 2000).unref();
  });
}
