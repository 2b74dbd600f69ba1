/**
 * Parses the command line and runs one command. Errors are mapped to exit codes here and nowhere
 * else: a SyncError carries its own code; anything else is a bug (exit 70), reported without the
 * stack unless --log-level debug. With --log-format json (or auto on a stdout that is not a
 * terminal) the error is a JSON line too, so every line the process writes is one JSON object.
 *
 * Environment variables and the --config file are read here (src/config/sources.ts), not by yargs:
 * only the options of the command being run are taken from them, so a variable or key meant for
 * another command (or injected by Kubernetes) never aborts this one.
 */
import yargs, { type Argv, type Options } from 'yargs';
import { randomUUID } from 'node:crypto';
import { SyncError, UsageError } from '../core/errors.js';
import { ExitCode, INTERNAL_ERROR_EXIT } from '../core/exit-codes.js';
import { runCommand, validateCommand } from './run.js';
import { demoCommand } from './demo.js';
import { emulatorCommand } from './emulator.js';
import { reportMergeCommand } from './report-merge.js';
import { stateCommand } from './state.js';
import { stateShowOptions } from '../config/state-options.js';
import { version } from '../config/version.js';
import { EXIT_CODES_TEXT, OPTIONS_EPILOGUE } from './help-text.js';
import { inputOptions, sendOptions, STDIN_ARG, STDIN_ARG_PLACEHOLDER } from '../config/run-options.js';
import { commandOf, flagValue, gatherPresets, type IgnoredSetting } from '../config/sources.js';
import { isJsonFormat, jsonLine, type LogFormat } from '../core/log.js';

/** Commands report their exit code here; yargs handlers cannot return one. */
export interface ExitHolder {
  code: number;
}

/** What main hands a command besides its arguments. */
export interface Launch {
  /** Generated once per process: the logs, the report dir and error lines all carry it. */
  runId: string;
  /** Environment variables and config keys that do not apply to the command (logged at debug). */
  ignored: readonly IgnoredSetting[];
}

/**
 * The options each command takes from SEGMENT_SYNC_* and the --config file. The emulator, demo and
 * report merge take options only from their command line: in particular the emulator's accepted
 * token is never SEGMENT_SYNC_TOKEN (that is the job's credential, not the stand-in's).
 */
const PRESET_OPTIONS: Record<string, Readonly<Record<string, Options>>> = {
  run: { ...sendOptions, ...inputOptions },
  validate: inputOptions,
  // Only the state dir: a pod's SEGMENT_SYNC_ENV or endpoint must not choose what a reset forgets.
  state: { 'state-dir': stateShowOptions['state-dir'] },
};

export interface MainIo {
  /** Where errors go (default stderr). */
  out?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
  /** Decides `--log-format auto` (default stdout). */
  stdout?: NodeJS.WritableStream;
}

export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const { out = process.stderr, env = process.env, stdout = process.stdout } = io;
  const exit: ExitHolder = { code: ExitCode.Ok };
  const runId = randomUUID();
  const command = commandOf(argv);
  const options = (command !== undefined && Object.hasOwn(PRESET_OPTIONS, command) ? PRESET_OPTIONS[command] : undefined) ?? {};
  // Known before anything can fail, so that even a bad option is reported in the run's log format.
  let format = command !== undefined && Object.hasOwn(PRESET_OPTIONS, command) ? earlyLogFormat(argv, env, {}) : 'text';
  try {
    const presets = gatherPresets({ argv, env, options });
    if (command !== undefined && Object.hasOwn(PRESET_OPTIONS, command)) format = earlyLogFormat(argv, env, presets.values);
    const launch: Launch = { runId, ignored: presets.ignored };
    await buildParser(
      argv.map((arg) => (arg === STDIN_ARG ? STDIN_ARG_PLACEHOLDER : arg)),
      exit,
      launch,
      presets.values,
    ).parseAsync();
    return exit.code;
  } catch (error) {
    return reportError(error, argv, out, isJsonFormat(format, stdout) ? runId : undefined);
  }
}

/** --log-format from the flag, else SEGMENT_SYNC_LOG_FORMAT, else the config file, else auto. */
function earlyLogFormat(argv: readonly string[], env: NodeJS.ProcessEnv, presets: Record<string, unknown>): LogFormat {
  const given = flagValue(argv, 'log-format') ?? env.SEGMENT_SYNC_LOG_FORMAT ?? presets['log-format'];
  return given === 'json' || given === 'text' ? given : 'auto';
}

function buildParser(argv: string[], exit: ExitHolder, launch: Launch, presets: Record<string, unknown>): Argv {
  const helpAsked = mayShowHelp(argv);
  const parser = yargs(argv)
    .scriptName('segment-sync')
    // Ours, said outright: yargs would look for the package.json nearest the working directory (the bundle moved away from ours).
    .version(version())
    .usage(
      '$0 <command> [options]\n\nKeeps customer segments on the platform in step with CSV exports: validates the files, dedupes by document_id (first occurrence wins), sends them in rate-limited bulk requests and writes a report of what became of every row.',
    )
    // Already filtered to the options of the command being run; below flags, above defaults.
    .config(presets)
    .command(runCommand(exit, launch))
    .command(validateCommand(exit, launch))
    .command(emulatorCommand)
    .command(reportMergeCommand(exit))
    .command(stateCommand(exit, launch))
    .command(demoCommand(exit, launch))
    .demandCommand(1, 'Say which command to run: see the list above.')
    .strict()
    .recommendCommands()
    .epilogue(`${EXIT_CODES_TEXT}\n\n${OPTIONS_EPILOGUE}`)
    .wrap(helpAsked ? Math.min(110, process.stdout.columns || 100) : null)
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(`${message}\nRun segment-sync --help for usage.`);
    });
  if (!helpAsked) skipHelpCache(parser);
  return parser;
}

/**
 * Whether yargs may print help for this command line: a `--help` flag, or `help` as a word (yargs
 * shows help for a last positional `help`, as in `segment-sync state help`). Generous on purpose: a
 * false yes costs only time, a false no would print the help unwrapped.
 *
 * Why it matters: right after starting a command's handler, yargs renders that command's whole help
 * text and keeps it (command.js calls usage.cacheHelpMessage()), for a later showHelp() or
 * getHelp(), which we never call; our fail() prints no help either. Laying the text out measures
 * every word of it (cliui, string-width): 50-100 ms of a short command's start-up, spent on text
 * nobody sees. When help cannot be asked for, skipHelpCache drops that render, and without a wrap
 * width the render is half the work should skipHelpCache find nothing to skip.
 */
function mayShowHelp(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === 'help' || arg.startsWith('--help'));
}

/** yargs' usage object, as far as skipHelpCache touches it; none of this is in yargs' types. */
interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } };
}

/**
 * Makes the help cache of this parser a no-op (see mayShowHelp); called only when no help can be
 * asked for, and a --help runs no handler anyway, so no help text ever comes from the cache. It is
 * reached through getInternalMethods(), which yargs' own modules use to reach each other: a yargs
 * without it keeps its cache (correct, only slower).
 */
function skipHelpCache(parser: Argv): void {
  const usage = (parser as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

/** Prints the error (a JSON line when `jsonRunId` is given) and returns its exit code. */
function reportError(error: unknown, argv: string[], out: NodeJS.WritableStream, jsonRunId: string | undefined): number {
  const debug = argv.includes('debug');
  const known = error instanceof SyncError;
  const code = known ? error.exitCode : INTERNAL_ERROR_EXIT;
  const message = error instanceof Error ? error.message : String(error);
  const stack = debug && !known && error instanceof Error ? error.stack : undefined;
  if (jsonRunId !== undefined) {
    const text = known ? message : `internal error: ${message}`;
    const hint = known || debug ? {} : { hint: 'Rerun with --log-level debug for details, and report it.' };
    out.write(
      jsonLine('error', text, { exitCode: code, ...(known ? { code: error.code } : {}), ...hint, ...(stack ? { stack } : {}) }, jsonRunId),
    );
    return code;
  }
  if (known) {
    out.write(`segment-sync: ${message}\n`);
    return code;
  }
  out.write(
    `segment-sync: internal error: ${message}\n${stack ? `${stack}\n` : 'Rerun with --log-level debug for details, and report it.\n'}`,
  );
  return code;
}
