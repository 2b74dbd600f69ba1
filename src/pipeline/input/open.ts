/**
 * Resolves the run's input paths before anything is read: `-` is spooled to a temp file (the
 * pipeline reads its inputs twice: validate, then send), and every path must be a readable
 * regular file. Problems are InputErrors naming the path.
 */
import { createWriteStream, constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, UsageError } from '../../core/errors.js';
import { errorCode, readFailure } from './source.js';
import { asStorageError, isStorageFailure } from '../../core/storage-error.js';

export const STDIN_PATH = '-';
export const STDIN_DISPLAY = 'stdin';

export interface InputFile {
  /** Where to read the bytes (for stdin: the spool file). */
  path: string;
  /** How messages and reports name it ('-' is shown as 'stdin'). */
  display: string;
}

export interface OpenedInputs {
  files: InputFile[];
  /** Removes the stdin spool, if any. Safe to call more than once. */
  cleanup(): Promise<void>;
}

export interface OpenOptions {
  /** Where stdin is spooled. */
  tmpDir: string;
  /** What `-` reads; process.stdin unless a test gives another stream. */
  stdin?: Readable;
  /** Aborting stops spooling stdin at once (the run's stop signal: SIGINT/SIGTERM); the spool is removed. */
  signal?: AbortSignal;
  /** Says that stdin is being read, when stdin and stderr are terminals (default: a line on stderr). */
  notice?: (message: string) => void;
  /** Whose isTTY decides, with stdin's, whether to give the notice; process.stderr by default. */
  stderr?: { isTTY?: boolean };
}

/** Shown when a person would otherwise wonder why nothing happens: `run -` typed on a terminal. */
export const STDIN_NOTICE = 'reading stdin… (Ctrl-D ends it, Ctrl-C aborts)';

/** Thrown when the stop signal ends the spooling of stdin: the run is interrupted, not rejected. */
export class SpoolInterrupted extends Error {
  constructor() {
    super('stopped while reading stdin');
    this.name = 'SpoolInterrupted';
  }
}

/** `paths` as resolveInputConfig checked them: at least one, and '-' at most once (else a bug: RangeError). */
export async function openInputs(paths: readonly string[], opts: OpenOptions): Promise<OpenedInputs> {
  if (paths.length === 0) throw new RangeError('openInputs: no input path');
  if (paths.filter((p) => p === STDIN_PATH).length > 1) throw new RangeError("openInputs: '-' (stdin) more than once");
  // Files first: a typo in a path must not cost the producer of stdin its data.
  for (const p of paths) if (p !== STDIN_PATH) await checkReadableFile(p);
  let spool: Spool | undefined;
  if (paths.includes(STDIN_PATH)) {
    const stdin = opts.stdin ?? process.stdin;
    const terminal = (stdin as { isTTY?: boolean }).isTTY === true && (opts.stderr ?? process.stderr).isTTY === true;
    if (terminal) (opts.notice ?? ((message: string) => process.stderr.write(`${message}\n`)))(STDIN_NOTICE);
    spool = await spoolToFile(stdin, opts.tmpDir, opts.signal);
  }
  const files = paths.map((p) =>
    p === STDIN_PATH && spool !== undefined ? { path: spool.path, display: STDIN_DISPLAY } : { path: p, display: p },
  );
  return { files, cleanup: async () => spool?.cleanup() };
}

export interface Spool {
  path: string;
  cleanup(): Promise<void>;
}

/**
 * Copies a stream to a private temp file so it can be read any number of times. When `signal`
 * aborts (before or while copying), the copy stops at once, the spool is removed and
 * SpoolInterrupted is thrown.
 */
export async function spoolToFile(source: Readable, tmpDir: string, signal?: AbortSignal): Promise<Spool> {
  if (signal?.aborted) throw new SpoolInterrupted();
  let dir: string;
  try {
    dir = await fs.mkdtemp(path.join(tmpDir, 'segment-sync-stdin-'));
  } catch (err) {
    if (isStorageFailure(err)) throw asStorageError(err, tmpDir, 'the spool of stdin (TMPDIR)', true);
    throw new UsageError(
      `cannot create a spool directory for stdin in ${tmpDir} (${errorCode(err) || 'error'}); set a writable temp dir`,
      'TMP_DIR',
    );
  }
  const cleanup = (): Promise<void> => fs.rm(dir, { recursive: true, force: true });
  const file = path.join(dir, 'stdin.csv');
  try {
    const sink = createWriteStream(file, { mode: 0o600 });
    await (signal ? pipeline(source, sink, { signal }) : pipeline(source, sink));
  } catch (err) {
    await cleanup();
    if (signal?.aborted) throw new SpoolInterrupted();
    // Writing the spool failed (a full or unwritable TMPDIR): a local storage fault (exit 8), not bad input.
    const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
    if (isStorageFailure(err) && (syscall === 'write' || syscall === 'open'))
      throw asStorageError(err, file, 'the spool of stdin (TMPDIR)');
    throw readFailure(errorCode(err), STDIN_DISPLAY, false);
  }
  return { path: file, cleanup };
}

async function checkReadableFile(file: string): Promise<void> {
  let stats;
  try {
    stats = await fs.stat(file);
    await fs.access(file, constants.R_OK);
  } catch (err) {
    throw readFailure(errorCode(err), file, false);
  }
  if (stats.isDirectory()) throw readFailure('EISDIR', file, false);
  if (!stats.isFile()) {
    // A pipe or device can be read only once, and the pipeline reads every input twice.
    throw new InputError('NOT_A_FILE', `${file}: is not a regular file; save it to a file first, or pipe it to - (stdin)`, file);
  }
}
