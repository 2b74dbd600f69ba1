/**
 * Errors that end a run on purpose. Each carries the exit code it maps to; anything else that
 * reaches the top level is a bug and exits with code 70 after a generic message (never a stack
 * trace with secrets in it). Messages must never contain the token.
 */
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

export abstract class SyncError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** Stable machine-readable code, e.g. 'CSV_QUOTE_NOT_CLOSED'. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad flag, bad option value, missing token, locked state dir. Exit 2. */
export class UsageError extends SyncError {
  readonly exitCode = ExitCode.Usage;
  constructor(message: string, code = 'USAGE', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A structural problem with an input file. The message names the file and line. Exit 3. */
export class InputError extends SyncError {
  readonly exitCode = ExitCode.InputRejected;
  constructor(
    code: string,
    message: string,
    readonly file?: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The endpoint rejected the credentials (after a token-file re-read where applicable). Exit 4. */
export class AuthError extends SyncError {
  readonly exitCode = ExitCode.AuthRejected;
  constructor(message: string, readonly status: number) {
    super('AUTH_REJECTED', message);
  }
}
