/**
 * `run` and `validate`: resolve options, set up logging, token and signals, run the job, print the
 * summary. The steps of the job itself are in src/job/run-job.ts.
 */
import type { CommandModule } from 'yargs';
import { randomUUID } from 'node:crypto';
import { defaultsOf, inHelpOrder, inputOptions, resolveRunConfig, sendOptions, type RawArgs, type RunConfig } from '../config/run-options.js';
import { resolveToken } from '../config/token.js';
import { createLogger, scrub, type Logger } from '../log.js';
import { runJob, type JobResult } from '../job/run-job.js';
import { watchSignals } from '../job/signals.js';
import { formatSummary } from '../report/index.js';
import { pushRunMetrics } from '../metrics/index.js';
import type { ExitHolder } from '../main.js';
import { EXIT_CODES_TEXT, OPTIONS_EPILOGUE } from './help-text.js';

const RUN_EXAMPLES: [string, string][] = [
  ['$0 run --env production --token-file /var/run/secrets/token segments.csv', 'Nightly run against production'],
  ['$0 run --endpoint http://127.0.0.1:8787/api/v3/customers/segments --token dev-token fixtures/customers-wide.csv', 'Rehearse against the local emulator'],
  ['$0 run --dry-run export.csv.gz', 'Check a file and see what would be sent'],
  ['cat export.csv | $0 run --env staging --token-file token.txt -', 'Read from stdin'],
];

export function runCommand(exit: ExitHolder): CommandModule<object, RawArgs> {
  return {
    command: 'run <files..>',
    describe: 'Validate the files, then send every customer to the endpoint and write a report',
    builder: (y) =>
      y
        .positional('files', { type: 'string', array: true, describe: 'CSV files (.gz allowed), read in order as one stream; - for stdin' })
        .options(inHelpOrder({ ...sendOptions, ...inputOptions }))
        .epilogue(`${EXIT_CODES_TEXT}\n\n${OPTIONS_EPILOGUE}`)
        .example(RUN_EXAMPLES) as never,
    handler: async (args) => {
      exit.code = await execute(resolveRunConfig(args));
    },
  };
}

export function validateCommand(exit: ExitHolder): CommandModule<object, RawArgs> {
  return {
    command: 'validate <files..>',
    describe: 'Dry run: check the files and write the report, sending nothing (no endpoint or token needed)',
    builder: (y) =>
      y
        .positional('files', { type: 'string', array: true, describe: 'CSV files (.gz allowed); - for stdin' })
        .options(inHelpOrder(inputOptions))
        .epilogue(OPTIONS_EPILOGUE)
        .example([['$0 validate export.csv', 'Is this file safe to send?']]) as never,
    handler: async (args) => {
      exit.code = await execute(resolveRunConfig({ ...defaultsOf(sendOptions), ...args, dryRun: true }));
    },
  };
}

/** Runs the job with a logger, the token and signal handling; returns the exit code. */
export async function execute(config: RunConfig, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const token = config.dryRun ? undefined : await resolveToken(config.token);
  const runId = randomUUID();
  const log = createLogger({ level: config.logLevel, format: config.logFormat, runId, secrets: () => token?.secrets() ?? [] });
  const signals = watchSignals(config.graceMs, (name) => log.warn(`${name} received: no new requests; finishing those in flight`, { graceSeconds: config.graceMs / 1000 }));
  try {
    if (token?.origin === 'flag' && process.argv.some((a) => a === '--token' || a.startsWith('--token='))) log.warn('token given with --token: prefer --token-file or SEGMENT_SYNC_TOKEN (command lines are visible to other users)');
    const result = await runJob({ config, log, signals, token, runId });
    await pushMetrics(config, result, log);
    log.info('run finished', {
      status: result.summary.status,
      exitCode: result.exitCode,
      counts: result.summary.counts,
      durationMs: result.summary.durationMs,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      reportDir: result.reportDir,
    });
    stderr.write(`\n${String(scrub(formatSummary(result.summary, result.reportDir), token?.secrets() ?? []))}\n`);
    return result.exitCode;
  } finally {
    signals.dispose();
    await flush(log);
  }
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
