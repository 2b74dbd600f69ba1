/**
 * Errors that end a run on purpose. Each carries the exit code it maps to; anything else that
 * reaches the top level is a bug and exits with code 70 after its message, with the stack trace
 * only at --log-level debug (src/cli/main.ts). Messages must never contain the token.
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
  constructor(
    message: string,
    readonly status: number,
  ) {
    super('AUTH_REJECTED', message);
  }
}

/**
 * The endpoint URL is wrong: before any request succeeded it answered 404, 405 or a redirect, or
 * the connection failed on TLS or DNS. A retry would get the same answer. Exit 2, like any other
 * configuration error. `endpoint` is origin + path only (never a query, credentials or the token);
 * `answer` is what came back ("HTTP 404", "redirect 301 to https://…", "TLS: self-signed certificate").
 */
export class EndpointError extends SyncError {
  readonly exitCode = ExitCode.Usage;
  constructor(
    message: string,
    readonly endpoint: string,
    readonly answer: string,
    /** The HTTP status when the answer was one (404, 405, 3xx); undefined for TLS and DNS failures. */
    readonly status?: number,
  ) {
    super('ENDPOINT_MISCONFIGURED', message);
  }
}

/**
 * The endpoint rejects the requests themselves, not particular customers: the first requests (or
 * every slice of a bisection, down to customers sent alone) were answered 400 the same way. The
 * API changed or the payload is wrong; no retry can mend it. Exit 6. `reason` is the endpoint's
 * own words (type/code/details, or its message), safe to show.
 */
export class RequestsRejectedError extends SyncError {
  readonly exitCode = ExitCode.EndpointRejectsRequests;
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super('REQUESTS_REJECTED', message);
  }
}

/**
 * A directory this run must write to cannot be written: the disk or quota is full, the file system
 * is read-only, permissions refuse it, or a part of the path is a file. The message names the
 * directory and what to do; `cause` keeps the system error. Exit 8: a retry on the same volume
 * fails the same way.
 */
export class LocalStorageError extends SyncError {
  readonly exitCode = ExitCode.LocalStorage;
  constructor(
    message: string,
    /** The directory that could not be written. */
    readonly dir: string,
    /** The errno code (ENOSPC, EROFS, EACCES, ...). */
    readonly errno: string,
    options?: { cause?: unknown },
  ) {
    super('LOCAL_STORAGE', message, options);
  }
}
