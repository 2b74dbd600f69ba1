/**
 * Parses the command line and runs one command. Errors are mapped to exit codes here and nowhere
 * else: a SyncError carries its own code; anything else is a bug (exit 70), reported without the
 * stack unless --log-level debug.
 */
import yargs, { type Argv } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { SyncError, UsageError } from './errors.js';
import { ExitCode, INTERNAL_ERROR_EXIT } from './exit-codes.js';
import { runCommand, validateCommand } from './commands/run.js';
import { demoCommand } from './commands/demo.js';
import { emulatorCommand } from './commands/emulator.js';
import { reportMergeCommand } from './commands/report-merge.js';
import { EXIT_CODES_TEXT, OPTIONS_EPILOGUE } from './commands/help-text.js';
import { STDIN_ARG, STDIN_ARG_PLACEHOLDER } from './config/run-options.js';


/** Commands report their exit code here; yargs handlers cannot return one. */
export interface ExitHolder {
  code: number;
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stderr): Promise<number> {
  const exit: ExitHolder = { code: ExitCode.Ok };
  try {
    await buildParser(argv.map((arg) => (arg === STDIN_ARG ? STDIN_ARG_PLACEHOLDER : arg)), exit).parseAsync();
    return exit.code;
  } catch (error) {
    return reportError(error, argv, out);
  }
}

function buildParser(argv: string[], exit: ExitHolder): Argv {
  return yargs(argv)
    .scriptName('segment-sync')
    .usage('$0 <command> [options]\n\nKeeps customer segments on the platform in step with CSV exports: validates the files, dedupes by document_id (first occurrence wins), sends them in rate-limited bulk requests and writes a report of what became of every row.')
    .env('SEGMENT_SYNC')
    .config('config', 'JSON or YAML file of options (keys as the long option names, e.g. batch-size: 200)', loadConfigFile)
    .command(runCommand(exit))
    .command(validateCommand(exit))
    .command(emulatorCommand)
    .command(reportMergeCommand(exit))
    .command(demoCommand(exit))
    .demandCommand(1, 'Say which command to run: see the list above.')
    .strict()
    .recommendCommands()
    .epilogue(`${EXIT_CODES_TEXT}\n\n${OPTIONS_EPILOGUE}`)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(`${message}\nRun segment-sync --help for usage.`);
    });
}

function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON
  } catch (error) {
    throw new UsageError(`--config ${path} is neither valid JSON nor YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--config ${path} must hold a mapping of option names to values`);
  }
  return parsed as Record<string, unknown>;
}

function reportError(error: unknown, argv: string[], out: NodeJS.WritableStream): number {
  if (error instanceof SyncError) {
    out.write(`segment-sync: ${error.message}\n`);
    return error.exitCode;
  }
  const debug = argv.includes('debug');
  const message = error instanceof Error ? error.message : String(error);
  out.write(`segment-sync: internal error: ${message}\n${debug && error instanceof Error ? `${error.stack}\n` : 'Rerun with --log-level debug for details, and report it.\n'}`);
  return INTERNAL_ERROR_EXIT;
}
