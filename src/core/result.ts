/**
 * The one shape of an expected failure that a caller handles: a pure check or parser returns a
 * Result, and the caller, which knows the context (the flag, the file, the line), turns the error
 * into its message or its SyncError. A failure that ends the command (a bad report directory, a
 * locked state dir) is thrown as a SyncError instead (src/core/errors.ts), never returned; a broken
 * invariant, something only code could pass, is a TypeError or RangeError (a bug, exit 70).
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
