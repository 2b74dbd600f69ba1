/**
 * `run` and `validate`: their options, help and examples, and the step from parsed arguments to a
 * RunConfig. The run itself (logging, token, signals, the job, the summary) is in ./execute.ts,
 * imported only when a handler runs: `--help` and usage errors never load the job, its parser,
 * SQLite or winston.
 */
import type { CommandModule, Options } from 'yargs';
import { defaultsOf, inHelpOrder, inputOptions, resolveRunConfig, sendOptions, type RawArgs } from '../config/run-options.js';
import type { ExitHolder, Launch } from './main.js';
import { EXIT_CODES_TEXT, OPTIONS_EPILOGUE } from './help-text.js';

const RUN_EXAMPLES: [string, string][] = [
  ['$0 run --env production --token-file /var/run/secrets/token segments.csv', 'Nightly run against production'],
  [
    '$0 run --endpoint http://127.0.0.1:8787/api/v3/customers/segments --token dev-token fixtures/customers-wide.csv',
    'Rehearse against the local emulator',
  ],
  ['$0 run --dry-run export.csv.gz', 'Check a file and see what would be sent'],
  [
    '$0 run --env staging --token-file token.txt --segment-columns "tier,region,Churn risk=churn_risk" crm.csv',
    'Send only these columns as segment types (the last one renamed)',
  ],
  ['$0 run --env staging --token-file token.txt --ignore-columns email,exported_at crm.csv', 'Send every column but these (and the id)'],
  ['$0 run --env staging --token-file token.txt --encoding windows-1252 excel-export.csv', 'Read an Excel export saved in Windows-1252'],
  [
    '$0 run --env production --token-file token.txt --max-clear 2% --max-not-found 5% segments.csv',
    'Tighter guardrails for a file that rarely clears or misses customers',
  ],
  [
    '$0 run --env production --token-file token.txt --yes segments.csv',
    'Send to production from a terminal without the confirmation question',
  ],
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
  describe:
    'JSON or YAML file of options (keys as the long option names, e.g. batch-size: 200); also SEGMENT_SYNC_CONFIG. Keys this command does not take are ignored',
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
      const config = resolveRunConfig(args, process.env, new Date(), launch.runId);
      const { execute } = await import('./execute.js');
      exit.code = await execute(config, { ...launch, command: 'run' });
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
      const { execute } = await import('./execute.js');
      exit.code = await execute(config, { ...launch, command: 'validate' });
    },
  };
}
