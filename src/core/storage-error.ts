/**
 * System errors of a write that mean "this directory cannot be written" — full disk or quota,
 * read-only file system, permissions, a path through a file — become a LocalStorageError (exit 8)
 * naming the directory and what to do. Any other error is passed on unchanged (a bug stays a bug).
 */
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { LocalStorageError } from './errors.js';

const REASONS: Record<string, { reason: string; fix: string }> = {
  ENOSPC: { reason: 'no space left on the device', fix: 'free space on that volume (or give the run a directory on another one)' },
  EDQUOT: { reason: 'the disk quota is exhausted', fix: 'free space or raise the quota (or give the run a directory on another volume)' },
  EFBIG: { reason: 'the file is larger than the file system allows', fix: 'give the run a directory on another volume' },
  EROFS: { reason: 'the file system is read-only', fix: 'mount it read-write, or give the run a writable directory' },
  EACCES: { reason: 'permission denied', fix: 'make the directory writable by this user, or give the run another one' },
  EPERM: { reason: 'operation not permitted', fix: 'make the directory writable by this user, or give the run another one' },
  ENOTDIR: { reason: 'a part of the path is a file, not a directory', fix: 'give the run a directory path that is not under a file' },
  EEXIST: { reason: 'the path exists and is not a directory', fix: 'remove that file or give the run another directory' },
  EISDIR: { reason: 'a directory is in the way of a file', fix: 'remove it or give the run another directory' },
  EIO: { reason: 'an I/O error on the device', fix: 'check the volume' },
};

/** The errno code of an error ('' when it has none). */
function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

export function isStorageFailure(err: unknown): boolean {
  return Object.hasOwn(REASONS, codeOf(err));
}

/**
 * `err` as a LocalStorageError when it is a storage failure of writing `file` (or creating the
 * directory `file` when `isDir`); otherwise `err` itself. An error already mapped is kept.
 */
export function asStorageError(err: unknown, file: string, what: string, isDir = false): unknown {
  if (err instanceof LocalStorageError) return err;
  const code = codeOf(err);
  const known = Object.hasOwn(REASONS, code) ? REASONS[code] : undefined;
  if (known === undefined) return err;
  const dir = isDir ? file : path.dirname(file);
  return new LocalStorageError(
    `cannot write ${what} in ${dir}: ${known.reason} (${code}). ${capitalise(known.fix)}; ` +
      'then run the same command again: what was acknowledged is not sent again.',
    dir,
    code,
    { cause: err },
  );
}

/** Runs `write`, mapping a storage failure to a LocalStorageError (see asStorageError). */
export async function storageGuard<T>(file: string, what: string, write: () => Promise<T>, isDir = false): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw asStorageError(err, file, what, isDir);
  }
}

/** The synchronous form of storageGuard. */
export function storageGuardSync<T>(file: string, what: string, write: () => T, isDir = false): T {
  try {
    return write();
  } catch (err) {
    throw asStorageError(err, file, what, isDir);
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * mkdir -p, with a failure mapped as above. A recursive mkdir reports ENOENT for a parent it could
 * not create (on a read-only file system, say), hiding the real cause: then the missing parts are
 * created one by one to find it.
 */
export async function ensureDir(dir: string, what: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw asStorageError(codeOf(err) === 'ENOENT' ? (realMkdirError(dir) ?? err) : err, dir, what, true);
  }
}

/** The synchronous form of ensureDir. */
export function ensureDirSync(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw asStorageError(codeOf(err) === 'ENOENT' ? (realMkdirError(dir) ?? err) : err, dir, what, true);
  }
}

/** The error of creating the first missing component of `dir`, or undefined if it now exists. */
function realMkdirError(dir: string): unknown {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const part of missing) {
    try {
      mkdirSync(part);
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') return err;
    }
  }
  return undefined;
}
