/**
 * `run` and `validate`: resolve options, set up logging, token and signals, run the job, print the
 * summary. The steps of the job itself are in src/job/run-job.ts.
 */
import type { CommandModule, Options } from 'yargs';
import { randomUUID } from 'node:crypto';
import { defaultsOf, environmentOf, inHelpOrder, inputOptions, resolveRunConfig, sendOptions, type RawArgs, type RunConfig } from '../config/run-options.js';
import type { IgnoredSetting } from '../config/sources.js';
import { resolveToken } from '../config/token.js';
import { version } from '../config/version.js';
import { createLogger, isJsonFormat, jsonLine, outcomeLevel, scrub, type Level, type Logger } from '../log.js';
import type { Plan } from '../job/plan.js';
import { confirmProductionSend } from './confirm.js';
import { runJob, type JobResult, type JobTarget } from '../job/run-job.js';
import { watchSignals } from '../job/signals.js';
import { formatSummary } from '../report/index.js';
import { summaryLines } from '../report/format-summary.js';
import { redactUrl } from '../metrics/push-target.js';
import { pushRunMetrics } from '../metrics/index.js';
import type { ExitHolder, Launch } from '../main.js';
import { EXIT_CODES_TEXT, OPTIONS_EPILOGUE } from './help-text.js';

const RUN_EXAMPLES: [string, string][] = [
  ['$0 run --env production --token-file /var/run/secrets/token segments.csv', 'Nightly run against production'],
  ['$0 run --endpoint http://127.0.0.1:8787/api/v3/customers/segments --token dev-token fixtures/customers-wide.csv', 'Rehearse against the local emulator'],
  ['$0 run --dry-run export.csv.gz', 'Check a file and see what would be sent'],
  ['$0 run --env staging --token-file token.txt --segment-columns "tier,region,Churn risk=churn_risk" crm.csv', 'Send only these columns as segment types (the last one renamed)'],
  ['$0 run --env staging --token-file token.txt --ignore-columns email,exported_at crm.csv', 'Send every column but these (and the id)'],
  ['$0 run --env staging --token-file token.txt --encoding windows-1252 excel-export.csv', 'Read an Excel export saved in Windows-1252'],
  ['$0 run --env production --token-file token.txt --max-clear 2% --max-not-found 5% segments.csv', 'Tighter guardrails for a file that rarely clears or misses customers'],
  ['$0 run --env production --token-file token.txt --yes segments.csv', 'Send to production from a terminal without the confirmation question'],
  ['cat export.csv | $0 run --env staging --token-file token.txt -', 'Read from stdin'],
];

const VALIDATE_EXAMPLES: [string, string][] = [
  ['$0 validate export.csv', 'Is this file safe to send? Prints the plan: layout, segment types, counts'],
  ['$0 validate --segment-columns "tier,Churn risk=churn_risk" crm.csv', 'Check a wide export, taking only these columns as segment types'],
  ['$0 validate --ignore-columns email,first_name crm.csv', 'Check it with every column but these as segment types'],
  ['$0 validate --encoding latin1 --max-clear 5% legacy.csv', 'A Latin-1 file, refusing it if more than 5% of customers would be cleared'],
];

const CONFIG_OPTION: Options = {
  type: 'string',
  group: 'Report and logs:',
  describe: 'JSON or YAML file of options (keys as the long option names, e.g. batch-size: 200); also SEGMENT_SYNC_CONFIG. Keys this command does not take are ignored',
};

export function runCommand(exit: ExitHolder, launch: Launch): CommandModule<object, RawArgs> {
  return {
    command: 'run <files..>',
    describe: 'Validate the files, then send every customer to the endpoint and write a report',
    builder: (y) =>
      y
        .positional('files', { type: 'string', array: true, describe: 'CSV files (.gz allowed), read in order as one stream; - for stdin' })
        .options(inHelpOrder({ ...sendOptions, ...inputOptions }))
        .option('config', CONFIG_OPTION)
        .epilogue(`${EXIT_CODES_TEXT}\n\n${OPTIONS_EPILOGUE}`)
        .example(RUN_EXAMPLES) as never,
    handler: async (args) => {
      exit.code = await execute(resolveRunConfig(args, process.env, new Date(), launch.runId), { ...launch, command: 'run' });
    },
  };
}

export function validateCommand(exit: ExitHolder, launch: Launch): CommandModule<object, RawArgs> {
  return {
    command: 'validate <files..>',
    describe: 'Dry run: check the files and write the report, sending nothing (no endpoint or token needed)',
    builder: (y) =>
      y
        .positional('files', { type: 'string', array: true, describe: 'CSV files (.gz allowed); - for stdin' })
        .options(inHelpOrder(inputOptions))
        .option('config', CONFIG_OPTION)
        .epilogue(OPTIONS_EPILOGUE)
        .example(VALIDATE_EXAMPLES) as never,
    handler: async (args) => {
      const config = resolveRunConfig({ ...defaultsOf(sendOptions), ...args, dryRun: true }, process.env, new Date(), launch.runId);
      exit.code = await execute(config, { ...launch, command: 'validate' });
    },
  };
}

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
  const signals = watchSignals(config.graceMs, (name) => log.warn(`${name} received: no new requests; finishing those in flight`, { graceSeconds: config.graceMs / 1000 }));
  try {
    log.info(`segment-sync ${version()} ${command} starting`, startFields(config, command));
    for (const { name, source } of ignored) log.debug(`ignored ${name} from the ${source}: not an option of ${command}`);
    if (token?.origin === 'flag' && process.argv.some((a) => a === '--token' || a.startsWith('--token='))) log.warn('token given with --token: prefer --token-file or SEGMENT_SYNC_TOKEN (command lines are visible to other users)');
    // Only a send asks.
    const confirm = config.dryRun
      ? undefined
      : (plan: Plan): Promise<boolean> =>
          confirmProductionSend(
            config,
            { customers: plan.toSend, requests: plan.requests, estimatedMs: (plan.estimatedSeconds ?? 0) * 1000, endpoint: config.endpoint, environment: environmentOf(config) },
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
    stderr.write(json ? summaryRecord(result, level, runId, secrets()) : `\n${String(scrub(formatSummary(result.summary, result.reportDir), secrets()))}\n`);
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
  return jsonLine(level, 'summary', {
    status: result.summary.status,
    exitCode: result.exitCode,
    reportDir: result.reportDir,
    ...(next ? { next } : {}),
    lines: formatSummary(result.summary, result.reportDir).trimEnd().split('\n'),
  }, runId, secrets);
}
async function pushMetrics(config: RunConfig, result: JobResult, log: Logger): Promise<void> {
  if (!config.pushgateway) return;
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
