/**
 * Logging: JSON lines on stdout when it is not a terminal (or --log-format json), readable lines on a
 * terminal. Every line carries the run id. A redaction format hides every known secret (src/core/secrets.ts)
 * in the message and in fields, as a last line of defence: modules must not log secrets anyway.
 *
 * This module is what the command line needs before any logger exists (the log format, the lines of
 * errors and summaries, the level of an outcome); the logger itself, and winston, are in ./logger.ts.
 */
import type winston from 'winston';
import { ExitCode, INTERNAL_ERROR_EXIT } from './exit-codes.js';
import { redactValue } from './secrets.js';

export type Logger = winston.Logger;

export interface LogOptions {
  level: string;
  format: 'auto' | 'json' | 'text';
  runId: string;
  /** Secrets to hide besides the registered ones (src/core/secrets.ts); called per line. */
  secrets: () => readonly string[];
  /** For tests: where lines go (default: stdout). */
  stream?: NodeJS.WritableStream;
}

export type LogFormat = LogOptions['format'];

/** json, or auto on a stdout that is not a terminal (a pipe, a file, a container's log). */
export function isJsonFormat(format: LogFormat, stdout: NodeJS.WritableStream = process.stdout): boolean {
  return format === 'json' || (format === 'auto' && (stdout as { isTTY?: boolean }).isTTY !== true);
}

export type Level = 'error' | 'warn' | 'info' | 'debug';

/**
 * One JSON log line written without a logger (errors before logging exists, the end-of-run
 * summary on stderr), shaped like the logger's: level, message, fields, runId, timestamp.
 * Redacted like every logged line.
 */
export function jsonLine(
  level: Level,
  message: string,
  fields: Record<string, unknown>,
  runId: string | undefined,
  secrets: readonly string[] = [],
): string {
  const record = { level, message, ...fields, ...(runId !== undefined ? { runId } : {}), timestamp: new Date().toISOString() };
  return `${JSON.stringify(redactValue(record, secrets))}\n`;
}

/** The exit codes a person must act on (a retry cannot help): the Job's FailJob codes, and a bug. */
const ERROR_EXITS = new Set<number>([
  ExitCode.Usage,
  ExitCode.InputRejected,
  ExitCode.AuthRejected,
  ExitCode.NotFoundGuard,
  ExitCode.EndpointRejectsRequests,
  ExitCode.CustomersRejected,
  ExitCode.LocalStorage,
  INTERNAL_ERROR_EXIT,
]);

/**
 * The level of a run's outcome: `error` when it failed or was refused (exit 2 to 8, 70; status
 * failed or rejected), `warn` when it delivered part of the work (partial, interrupted), else `info`.
 */
export function outcomeLevel(outcome: { status?: string; exitCode: number }): Level {
  if (ERROR_EXITS.has(outcome.exitCode) || outcome.status === 'failed' || outcome.status === 'rejected') return 'error';
  if (outcome.exitCode !== 0 || outcome.status === 'partial' || outcome.status === 'interrupted') return 'warn';
  return 'info';
}

/** The old name of redactValue, still imported by src/cli/execute.ts (to be swapped there). */
export { redactValue as scrub } from './secrets.js';
