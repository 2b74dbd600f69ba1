/**
 * The journal of acknowledged customers: what lets a rerun after a crash, SIGTERM or kill -9 skip
 * the customers the endpoint has already answered for, and report them as if the run never stopped.
 *
 * The file is append-only, one line per acknowledged request, each written to the kernel before
 * record() returns (fsync is grouped: see appendDurably). That is how each record is made atomic: a
 * crash can only tear the line being written, which its checksum exposes on the next open. Rewriting the whole file atomically per
 * batch (temp + rename) would also be crash-safe but costs O(n²) bytes over a run.
 *
 * The caller must hold the state dir's lock (lock.ts): two writers would interleave records.
 */
import { closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, openSync, promises as fs, writeSync } from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeFileAtomic } from '../core/atomic.js';
import { AckStatusBits, type AckStatus } from './ack-status-bits.js';
import { decodeHeader, decodeRecord, encodeHeader, encodeRecord, type Runs } from './journal-format.js';
import { requireNonEmpty, requireSha256Hex } from './option-checks.js';
import { readLines, type FileLine } from './line-reader.js';
import { isJournalFileName, journalPath } from './paths.js';
import { asStorageError, ensureDir, storageGuard, storageGuardSync } from '../core/storage-error.js';

/** How storage errors name what could not be written. */
const WHAT = 'the resume journal';

export interface Journal {
  readonly fingerprint: string;
  /** True when an earlier run's journal of the same fingerprint was applied. */
  readonly resumed: boolean;
  readonly acknowledgedCount: number;
  /** The journaled status of a customer ordinal, or undefined when it still has to be sent. O(1). */
  status(ordinal: number): AckStatus | undefined;
  /** Records one acknowledged request (aligned arrays). It survives a killed process once this returns. */
  record(ordinals: number[], outcomes: AckStatus[]): void;
  /** The run finished with every customer definitive: delete the journal, so the next run starts afresh. */
  complete(): Promise<void>;
  /** Closes the file and keeps it, for a later run to resume from. */
  close(): Promise<void>;
}

export interface OpenJournalOptions {
  stateDir: string;
  fingerprint: string;
  /** Ignore any existing journal of this fingerprint and start a new one (--fresh). */
  fresh: boolean;
  onWarning?: (message: string) => void;
}

export async function openJournal(opts: OpenJournalOptions): Promise<Journal> {
  const stateDir = requireNonEmpty('stateDir', opts.stateDir);
  const fingerprint = requireSha256Hex('fingerprint', opts.fingerprint);
  const warn = opts.onWarning ?? (() => {});
  await ensureDir(stateDir, WHAT);
  const file = journalPath(stateDir, fingerprint);
  await warnAboutOtherJournals(stateDir, file, warn);

  if (opts.fresh) await storageGuard(file, WHAT, () => fs.rm(file, { force: true }));
  const statuses = opts.fresh ? undefined : await storageGuard(file, WHAT, () => loadJournal(file, fingerprint, warn));
  // A new journal's header is written atomically, so a file that exists always has a whole header.
  if (!statuses)
    await storageGuard(file, WHAT, () => writeFileAtomic(file, `${encodeHeader({ fingerprint, createdAt: new Date().toISOString() })}\n`));
  return storageGuardSync(file, WHAT, () => new FileJournal(file, fingerprint, statuses ?? new AckStatusBits(), statuses !== undefined));
}

/** The statuses of an existing journal of this fingerprint; undefined when there is none to apply. */
async function loadJournal(file: string, fingerprint: string, warn: (m: string) => void): Promise<AckStatusBits | undefined> {
  const size = await fileSize(file);
  if (size === undefined) return undefined;
  const lines = readLines(file);
  try {
    const first = await lines.next();
    if (first.done) return skipWith(warn, `journal ${file} has no complete header; starting a new one`);
    const header = decodeHeader(first.value.text);
    if (!header.ok) return skipWith(warn, `journal ${file} has an unreadable header (${header.error}); starting a new one`);
    if (header.value.fingerprint !== fingerprint) {
      return skipWith(
        warn,
        `journal ${file} belongs to other inputs or options (fingerprint ${header.value.fingerprint.slice(0, 16)}…); not applied, starting a new one`,
      );
    }
    const replay = await replayRecords(lines, first.value.end);
    if (replay.validEnd < size) await cutTornTail(file, replay.validEnd, size, replay.stopReason, warn);
    return replay.statuses;
  } finally {
    await lines.return(undefined);
  }
}

interface Replay {
  statuses: AckStatusBits;
  /** Byte offset just past the last good record. */
  validEnd: number;
  /** What ended the replay before the end of the file, if anything did. */
  stopReason: string;
}

async function replayRecords(lines: AsyncGenerator<FileLine>, headerEnd: number): Promise<Replay> {
  const replay: Replay = { statuses: new AckStatusBits(), validEnd: headerEnd, stopReason: 'an unterminated line' };
  for await (const line of lines) {
    const record = decodeRecord(line.text);
    if (!record.ok) {
      replay.stopReason = `a bad record (${record.error})`;
      break;
    }
    applyRuns(replay.statuses, record.value.updated, 'updated');
    applyRuns(replay.statuses, record.value.notFound, 'not_found');
    replay.validEnd = line.end;
  }
  return replay;
}

/**
 * Drops everything from the first bad line on. Only the last line can be torn by a crash; anything
 * after a bad line is distrusted rather than guessed at, which is safe because the endpoint replaces
 * segments: customers whose records are dropped are simply sent again.
 */
async function cutTornTail(file: string, validEnd: number, size: number, reason: string, warn: (m: string) => void): Promise<void> {
  warn(
    `journal ${file}: ignoring the last ${size - validEnd} bytes, from ${reason} (a write cut short by a crash); those customers will be sent again`,
  );
  const handle = await fs.open(file, 'r+');
  try {
    await handle.truncate(validEnd);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function applyRuns(statuses: AckStatusBits, runs: Runs, status: AckStatus): void {
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i];
    const length = runs[i + 1];
    // Decoded runs come in (start, length) pairs (journal-format.ts checks).
    if (start === undefined || length === undefined) throw new RangeError(`journal runs have an odd length (${runs.length})`);
    statuses.setRun(start, length, status);
  }
}

async function warnAboutOtherJournals(stateDir: string, ours: string, warn: (m: string) => void): Promise<void> {
  const others = (await fs.readdir(stateDir)).filter((name) => isJournalFileName(name) && name !== path.basename(ours));
  if (others.length > 0) {
    warn(
      `state dir ${stateDir} also holds journals of other inputs (${others.join(', ')}); they are not applied. Delete them if those runs will not be resumed`,
    );
  }
}

/** Longest time an acknowledgement stays unsynced (see appendDurably). */
const SYNC_INTERVAL_MS = 200;

class FileJournal implements Journal {
  private fd: number | undefined;
  /** Bytes known good on disk: a failed append is cut back to this, so the file never keeps a torn line. */
  private size: number;
  private syncedAt = 0;
  /** The background fsync in progress, if any (see appendDurably). */
  private syncing: Promise<void> | undefined;
  /** What a background fsync failed with: the next record or close reports it. */
  private syncFailure: unknown;

  constructor(
    private readonly file: string,
    readonly fingerprint: string,
    private readonly statuses: AckStatusBits,
    readonly resumed: boolean,
  ) {
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  get acknowledgedCount(): number {
    return this.statuses.size;
  }

  status(ordinal: number): AckStatus | undefined {
    return this.statuses.get(ordinal);
  }

  record(ordinals: number[], outcomes: AckStatus[]): void {
    checkRecordArguments(ordinals, outcomes);
    if (ordinals.length === 0) return;
    const updated = ordinals.filter((_, i) => outcomes[i] === 'updated');
    const notFound = ordinals.filter((_, i) => outcomes[i] === 'not_found');
    this.appendDurably(`${encodeRecord(updated, notFound)}\n`);
    // Memory follows disk, never leads it.
    // `as`: checkRecordArguments made the two arrays the same length.
    ordinals.forEach((ordinal, i) => this.statuses.set(ordinal, outcomes[i] as AckStatus));
  }

  async complete(): Promise<void> {
    await this.close();
    await storageGuard(this.file, WHAT, async () => {
      await fs.rm(this.file, { force: true });
      // Were the removal lost in a power cut, tomorrow's identical input would be skipped as "done".
      await fsyncDir(path.dirname(this.file));
    });
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    // Never close the descriptor under a background fsync (it could sync another file's by then).
    await this.syncing;
    try {
      if (this.syncFailure !== undefined) throw this.syncFailure;
      fsyncSync(fd);
    } catch (err) {
      throw asStorageError(err, this.file, WHAT);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A write reaches the kernel before record() returns, so it survives the process being killed
   * (kill -9, OOM). fsync, which only matters if the machine itself goes down, is grouped: at most
   * every SYNC_INTERVAL_MS and at close. What a power cut can lose is then a fraction of a second
   * of acknowledgements, which a rerun simply sends again (the endpoint replaces). An fsync per
   * request cost ~3 s per million customers at full speed. The grouped fsync runs in the
   * background (the thread pool), one at a time: synchronous, it held the event loop for as long as
   * the disk took, 0.3 s per million customers on an idle machine and seconds on a busy disk. If it
   * fails, the next record (or close) fails with its error, before writing anything.
   */
  private appendDurably(line: string): void {
    if (this.fd === undefined) throw new Error(`journal ${this.file} is closed`);
    if (this.syncFailure !== undefined) throw asStorageError(this.syncFailure, this.file, WHAT);
    const bytes = Buffer.from(line, 'utf8');
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(this.fd, bytes, written);
    } catch (err) {
      // The file keeps only whole records: what this append got onto the disk is cut back, so a
      // rerun (or a later record) never finds a torn line in the middle. Memory is not updated:
      // those customers are sent again by the rerun (the endpoint replaces).
      cutBackQuietly(this.fd, this.size);
      throw asStorageError(err, this.file, WHAT);
    }
    this.size += bytes.length;
    const now = Date.now();
    if (now - this.syncedAt >= SYNC_INTERVAL_MS && this.syncing === undefined) {
      this.syncedAt = now;
      this.syncInBackground(this.fd);
    }
  }

  private syncInBackground(fd: number): void {
    this.syncing = new Promise((resolve) => {
      fsync(fd, (err) => {
        if (err) this.syncFailure ??= err;
        this.syncing = undefined;
        resolve();
      });
    });
  }
}

/** Wrong arguments are a bug in the caller, not an expected failure: they throw. */
function checkRecordArguments(ordinals: number[], outcomes: AckStatus[]): void {
  if (ordinals.length !== outcomes.length) {
    throw new RangeError(`journal.record: ${ordinals.length} ordinals but ${outcomes.length} outcomes`);
  }
  const badOrdinal = ordinals.find((o) => !Number.isSafeInteger(o) || o < 0);
  if (badOrdinal !== undefined) throw new RangeError(`journal.record: ordinal ${badOrdinal} is not a non-negative integer`);
  const badOutcome = outcomes.find((o) => o !== 'updated' && o !== 'not_found');
  if (badOutcome !== undefined) throw new RangeError(`journal.record: outcome ${JSON.stringify(badOutcome)} is not acknowledged`);
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Best effort: the append's own error is the one worth reporting. */
function cutBackQuietly(fd: number, size: number): void {
  try {
    ftruncateSync(fd, size);
  } catch {
    // The next open finds the torn line by its checksum and cuts it there instead.
  }
}

function skipWith(warn: (m: string) => void, message: string): undefined {
  warn(message);
  return undefined;
}
