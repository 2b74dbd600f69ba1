/**
 * The incremental state: per customer, the fingerprint of the segments the endpoint last
 * acknowledged, in one SQLite database per identity (endpoint, id column, shard). The state does
 * not compute the diff: a diff or mirror run loads it into the job's in-memory table before pass 1
 * (loadTable: from the table file the last finished run wrote, state-table-file.ts, when its token
 * is the database's; else one scan), and the job decides there (src/pipeline/incremental.ts,
 * StateDiff) which customers are unchanged and which are to be cleared. What the state does is
 * record what the endpoint acknowledges, keep the in-memory table and its file up to date with it,
 * and keep the runs' history.
 *
 * Durability: record() commits one transaction per acknowledged request, in WAL mode with
 * synchronous=NORMAL, so an acknowledgement survives kill -9 once record() returns and a rerun
 * finds those customers unchanged. It appends to the acks table (sequential rowids: a few pages per
 * request, where upserting ~500 customers in random id order dirtied a page each); finishRun()
 * merges them into customers in id order, in the transaction that ends the run, and then writes the
 * table file. Acknowledgements
 * of a run that did not finish (killed, or closed without finishRun) stay in acks: the next writing
 * open merges them before anything else, and a read-only open merges them in a private copy. A
 * scan() merges what this session recorded first, so it sees it too.
 *
 * A state that cannot be trusted (missing, damaged, of another schema, fingerprint scheme or
 * identity) is never half-used: it is `fresh` (scan() yields nothing, so the run is a full send
 * with no clears), with a warning, and the state is rebuilt from what is acknowledged. The caller
 * must hold the state dir's lock (lock.ts) for a writing open; a dry run opens read-only and never
 * creates or changes a file.
 *
 * The connection is synchronous and single: while a scan() iterator is open, no other method may
 * be called (better-sqlite3 refuses it); runStartedAt() is served from memory.
 */
import type Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureDirSync, storageGuardSync } from '../core/storage-error.js';
import { requireNonEmpty } from './option-checks.js';
import { networkFilesystemOf, segmentStatePath, setAside, tableFileOf, type StateIdentity } from './state-files.js';
import { openCopy, openReadOnly, type ReadConnection } from './state-read.js';
import { StateTable } from './state-table.js';
import { readTableFile, tableFileSize, writeTableFile } from './state-table-file.js';
import {
  APPEND_ACK,
  applyPragmas,
  asStateError,
  BUSY_TIMEOUT_MS,
  createSchema,
  hasPendingAcks,
  isBusy,
  isCorruption,
  mergeAcks,
  mismatchOf,
  openSqlite,
  pendingAckCount,
  readMeta,
  rebuildSchema,
  renewTableToken,
  tableToken,
  shardText,
  UnusableStateError,
  STATUS_NOT_FOUND,
  STATUS_UPDATED,
  WRITE_PRAGMAS,
  type Db,
} from './state-schema.js';

export type { StateIdentity } from './state-files.js';
export type AckedStatus = 'updated' | 'not_found';
export interface RunEnd {
  status: string;
  exitCode: number;
  counts: object;
}

export interface OpenSegmentStateOptions {
  stateDir: string;
  identity: StateIdentity;
  /** false: a dry run (read-only, never creates, migrates or renames anything). */
  write: boolean;
  onWarning: (message: string) => void;
}

/** Acknowledgements a merge applies to the in-memory table one by one, at least (see merge()). */
const MERGED_IN_PLACE = 10_000;

/** How storage errors name what could not be written. */
const WHAT = 'the segment state';

/** What opening found: the connection and whether the state is usable. */
interface Opened {
  db: Db;
  fresh: boolean;
  /** An in-memory stand-in (a dry run with no usable state): no tables; being fresh, nothing reads it. */
  empty: boolean;
  close?: () => void;
}

interface CurrentRun {
  number: number;
  fullResync: boolean;
  finished: boolean;
}

/** A customer of the state: what scan() yields. */
export type ScanRow = [id: string, fingerprint: number, status: number, sinceRun: number, ackedRun: number];

export class SegmentState {
  /** write=false: dry run — opens the file read-only if it exists and is usable, else an empty
   *  state; never creates, migrates or renames anything. */
  static open(opts: OpenSegmentStateOptions): SegmentState {
    const stateDir = requireNonEmpty('stateDir', opts.stateDir);
    checkIdentity(opts.identity);
    if (typeof opts.onWarning !== 'function') throw new TypeError('SegmentState.open: onWarning must be a function');
    const file = segmentStatePath(stateDir, opts.identity);
    const opened = opts.write ? openWriter(file, opts.identity, opts.onWarning) : openReader(file, opts.identity, opts.onWarning);
    try {
      return new SegmentState(file, opts.write, opened, opts.onWarning);
    } catch (err) {
      closeQuietly(opened);
      throw asStateError(err, file, !opts.write);
    }
  }

  readonly fresh: boolean;
  /** Customers the state tracks (when it was opened). */
  tracked: number;
  private readonly db: Db;
  private readonly opened: Opened;
  private readonly startedAt = new Map<number, string>();
  private append: Database.Statement | undefined;
  /** record() has appended acknowledgements that are not merged into customers yet. */
  private unmerged = false;
  private run: CurrentRun | undefined;
  private closed = false;
  /** The in-memory table loadTable() gave the job, kept up to date with every merge (undefined: none, or dropped). */
  private table: StateTable | undefined;
  /** The table file holds the table as the database now is: nothing to write at finishRun. */
  private tableFileCurrent = false;

  private constructor(
    readonly file: string,
    private readonly writable: boolean,
    opened: Opened,
    private readonly warn: (message: string) => void,
  ) {
    this.opened = opened;
    this.db = opened.db;
    this.fresh = opened.fresh;
    // The table file's header says how many, when it matches the database: counting walks the whole table.
    this.tracked = opened.fresh
      ? 0
      : (tableFileSize(tableFileOf(file), tableToken(this.db)) ??
        (this.db.prepare('SELECT count(*) FROM customers').pluck().get() as number));
    if (!opened.empty) {
      for (const [run, at] of this.db.prepare('SELECT run, started_at FROM runs').raw().all() as [number, string][])
        this.startedAt.set(run, at);
    }
  }

  /** Starts a run (write only); returns its run number. With fullResync, sets meta resync_from
   *  to this run unless an unfinished resync already set it. */
  beginRun(run: { runId: string; startedAt: Date; mode: 'diff' | 'mirror'; fullResync: boolean }): number {
    this.requireWritable('beginRun');
    if (this.run !== undefined) throw new TypeError('SegmentState.beginRun: a run has already begun on this state');
    if (run.mode !== 'diff' && run.mode !== 'mirror')
      throw new TypeError(`SegmentState.beginRun: mode must be diff or mirror, got ${JSON.stringify(run.mode)}`);
    const startedAt = run.startedAt.toISOString();
    const number = this.guard(() =>
      this.db.transaction(() => {
        const inserted = this.db
          .prepare('INSERT INTO runs(run_id, mode, full_resync, started_at) VALUES (?, ?, ?, ?)')
          .run(requireNonEmpty('runId', run.runId), run.mode, run.fullResync ? 1 : 0, startedAt);
        const n = Number(inserted.lastInsertRowid);
        // An interrupted resync keeps its start: what it got acknowledged is not sent again.
        if (run.fullResync)
          this.db.prepare("INSERT INTO meta(key, value) VALUES ('resync_from', ?) ON CONFLICT(key) DO NOTHING").run(String(n));
        return n;
      })(),
    );
    this.startedAt.set(number, startedAt);
    this.run = { number, fullResync: run.fullResync, finished: false };
    return number;
  }

  /**
   * Every customer the state tracks, as [id, fingerprint, status, sinceRun, ackedRun] (status 1
   * updated, 2 not_found), in id order: one sequential pass over the table, which the job loads
   * into its in-memory index before pass 1 (and mirror reads again for the clears' ids). First
   * merges what this session has recorded, so it sees those acknowledgements too; on a read-only
   * open it reads the file (or the private copy that merged an unfinished run's acks). Nothing
   * when fresh.
   */
  scan(): IterableIterator<ScanRow> {
    this.mergeRecorded();
    if (this.fresh) return emptyIterator();
    const statement = this.guard(() => this.db.prepare('SELECT id, fp, status, since, acked FROM customers').raw());
    return this.rows<ScanRow>(statement, []);
  }

  /**
   * Every customer the state tracks, in memory (state-table.ts), for the job's diff: read from the
   * table file when it matches the database (state-table-file.ts), else one scan. Nothing when
   * fresh. The state keeps it up to date as it merges this run's acknowledgements, and a writing
   * run writes it to the table file when it finishes.
   */
  loadTable(): StateTable {
    if (this.fresh) return new StateTable(0);
    this.mergeRecorded();
    const fromFile = readTableFile(
      tableFileOf(this.file),
      this.guard(() => tableToken(this.db)),
    );
    const table = fromFile ?? this.scanTable(this.tracked);
    this.tableFileCurrent = fromFile !== undefined;
    this.tracked = table.size;
    this.table = table;
    return table;
  }

  /** The run an unfinished full resync began at: customers acknowledged since need not be resent. */
  resyncFrom(): number | undefined {
    if (this.fresh) return undefined;
    const from = this.guard(() => this.db.prepare("SELECT value FROM meta WHERE key = 'resync_from'").pluck().get() as string | undefined);
    return from === undefined ? undefined : Number(from);
  }

  /** ISO start time of a run number, for the `unchanged since` detail. From memory: it may be
   *  called while a scan() iterator holds the connection. */
  runStartedAt(run: number): string {
    const at = this.startedAt.get(run);
    if (at === undefined) throw new TypeError(`SegmentState.runStartedAt: no run ${run} in ${this.file}`);
    return at;
  }

  /** One acknowledged request: appends its customers' answers to acks, in one transaction;
   *  durable once it returns. finishRun() merges them into customers (since kept when fp and
   *  status are the same, else this run). */
  record(acks: readonly { id: string; fingerprint: number; status: AckedStatus }[]): void {
    const run = this.requireRunning('record');
    if (acks.length === 0) return;
    // Checked up front: a bad ack must not leave half a request appended.
    const rows = acks.map((ack) => [ack.id, checkedFingerprint(ack.fingerprint), statusCode(ack.status)] as const);
    this.append ??= this.db.prepare(APPEND_ACK);
    const append = this.append;
    this.guard(() =>
      this.db.transaction(() => {
        for (const [id, fp, status] of rows) append.run(id, fp, status, run.number);
      })(),
    );
    this.unmerged = true;
  }

  /**
   * Ends the run: merges its acknowledgements into customers and writes its row in runs, in one
   * transaction (a crash in it leaves the acks for the next open to merge); exitCode 0 with a full
   * resync deletes resync_from.
   */
  finishRun(end: RunEnd): void {
    const run = this.requireRunning('finishRun');
    this.guard(() =>
      this.db.transaction(() => {
        this.merge();
        this.db
          .prepare('UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, counts = ? WHERE run = ?')
          .run(new Date().toISOString(), end.status, end.exitCode, JSON.stringify(end.counts), run.number);
        // Only a resync that got every customer answered is complete; an interrupted one resumes.
        if (end.exitCode === 0 && run.fullResync) this.db.prepare("DELETE FROM meta WHERE key = 'resync_from'").run();
      })(),
    );
    this.unmerged = false;
    run.finished = true;
    this.writeTable();
  }

  /** So that scan() sees what this session recorded: the job scans before it sends, but a scan after record() must not miss it. */
  private mergeRecorded(): void {
    if (!this.unmerged) return;
    this.guard(() => this.db.transaction(() => this.merge())());
    this.unmerged = false;
  }

  /**
   * mergeAcks, inside the caller's transaction, and the in-memory table brought up to date with
   * the rows it changed, as the database now holds them. A night that acknowledged a good share of
   * the customers (the first, a full resync) drops the table instead: a scan rebuilds it faster
   * than as many lookups. Should the transaction fail, the table may hold what was rolled back:
   * it is dropped, and no table file is written from it.
   */
  private merge(): void {
    const table = this.table;
    if (table === undefined || !hasPendingAcks(this.db)) {
      mergeAcks(this.db);
      return;
    }
    this.tableFileCurrent = false;
    this.table = undefined;
    if (pendingAckCount(this.db) > Math.max(MERGED_IN_PLACE, table.size / 4)) {
      mergeAcks(this.db);
      return;
    }
    mergeAcks(this.db, ([id, fingerprint, status, since, acked]) => {
      const row = table.rowOf(id);
      if (row < 0) table.add(id, fingerprint, status, since, acked);
      else table.set(row, fingerprint, status, since, acked);
    });
    this.table = table;
  }

  /**
   * After the run's last merge has committed: the table file, for the next run to read instead of
   * scanning. A failure to write it costs the next run a scan, nothing else: a warning.
   */
  private writeTable(): void {
    if (this.tableFileCurrent) return;
    const file = tableFileOf(this.file);
    try {
      const table = this.table ?? this.scanTable(this.db.prepare('SELECT count(*) FROM customers').pluck().get() as number);
      table.clearMarks();
      const token = tableToken(this.db) ?? this.db.transaction(() => renewTableToken(this.db))();
      writeTableFile(file, token, table);
      this.table = table;
      this.tableFileCurrent = true;
    } catch (err) {
      rmSync(file, { force: true });
      this.warn(`segment state ${this.file}: its table file could not be written (${reasonOf(err)}); the next run scans the state instead`);
    }
  }

  /** The table from one scan of customers (also of a state that was fresh when opened: writeTable after its first run). */
  private scanTable(customers: number): StateTable {
    const table = new StateTable(customers);
    const statement = this.guard(() => this.db.prepare('SELECT id, fp, status, since, acked FROM customers').raw());
    for (const [id, fingerprint, status, since, acked] of this.rows<ScanRow>(statement, []))
      table.add(id, fingerprint, status, since, acked);
    return table;
  }

  /**
   * Closes the database. A writer first returns the file to rollback mode (which checkpoints the
   * log and removes it): a file at rest is then whole by itself, and a read-only open of it (dry
   * run, state show) needs no -wal or -shm file. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    let failure: unknown;
    try {
      if (this.writable) this.db.pragma('journal_mode = DELETE');
    } catch (err) {
      failure = err;
    }
    try {
      if (this.opened.close) this.opened.close();
      else this.db.close();
    } catch (err) {
      failure ??= err;
    }
    if (failure !== undefined) throw asStateError(failure, this.file, !this.writable);
  }

  private rows<T>(statement: Database.Statement, params: unknown[]): IterableIterator<T> {
    const inner = this.guard(() => statement.iterate(...params)) as IterableIterator<T>;
    const map = (err: unknown): unknown => asStateError(err, this.file, !this.writable);
    const iterator: IterableIterator<T> = {
      next() {
        try {
          return inner.next();
        } catch (err) {
          throw map(err);
        }
      },
      // Stopping early must end the statement, or the connection stays busy.
      return(value?: unknown) {
        inner.return?.();
        return { done: true, value: value as T };
      },
      [Symbol.iterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  private guard<T>(work: () => T): T {
    if (this.closed) throw new TypeError(`SegmentState: ${this.file} is closed`);
    try {
      return work();
    } catch (err) {
      throw asStateError(err, this.file, !this.writable);
    }
  }

  private requireWritable(method: string): void {
    if (!this.writable) throw new TypeError(`SegmentState.${method}: the state was opened read-only (a dry run)`);
  }

  private requireRunning(method: string): CurrentRun {
    this.requireWritable(method);
    if (this.run === undefined) throw new TypeError(`SegmentState.${method} before beginRun`);
    if (this.run.finished) throw new TypeError(`SegmentState.${method} after finishRun`);
    return this.run;
  }
}

function openWriter(file: string, identity: StateIdentity, warn: (message: string) => void): Opened {
  const dir = path.dirname(file);
  const now = new Date();
  ensureDirSync(dir, WHAT);
  warnIfNetwork(dir, warn);
  if (!existsSync(file)) {
    warn(
      `no segment state yet for ${describe(identity)} (${file}): this run sends every customer and clears none; the state is built as the endpoint acknowledges them`,
    );
    return created(file, identity, now);
  }
  let db: Db | undefined;
  try {
    // Checked before SQLite opens it: SQLite would discard a log that does not match the file.
    if (!hasSqliteHeader(file)) throw new UnusableStateError('it does not start like an SQLite database');
    db = connectWriter(file);
    const mismatch = mismatchOf(readMeta(db), identity);
    if (mismatch === undefined) {
      // Before anything else, so that scan() (the job's diff) sees them.
      const merged = mergePending(db);
      if (merged > 0)
        warn(
          `segment state ${file}: merged ${merged} acknowledgements of an interrupted run (it stopped before it finished); they are not sent again`,
        );
      return { db, fresh: false, empty: false };
    }
    rebuildSchema(db, identity, mismatch.kind, now);
    warn(
      `segment state ${file} cannot be used: ${mismatch.reason}. This run is a full send (nothing unchanged, nothing cleared), the state is rebuilt`,
    );
    return { db, fresh: true, empty: false };
  } catch (err) {
    if (db !== undefined) closeQuietly({ db });
    if (!isCorruption(err)) throw asStateError(err, file, false);
    const aside = storageGuardSync(file, WHAT, () => setAside(file, now));
    warn(
      `segment state ${file} is unreadable (${reasonOf(err)}); set aside as ${path.basename(aside)}. This run is a full send with no clears; a new state is built`,
    );
    return created(file, identity, now);
  }
}

function created(file: string, identity: StateIdentity, now: Date): Opened {
  let db: Db | undefined;
  try {
    db = connectWriter(file);
    createSchema(db, identity, now);
    return { db, fresh: true, empty: false };
  } catch (err) {
    if (db !== undefined) closeQuietly({ db });
    throw asStateError(err, file, false);
  }
}

function connectWriter(file: string): Db {
  const db = openSqlite(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    applyPragmas(db, WRITE_PRAGMAS);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function openReader(file: string, identity: StateIdentity, warn: (message: string) => void): Opened {
  const dir = path.dirname(file);
  if (existsSync(dir)) warnIfNetwork(dir, warn);
  if (!existsSync(file)) {
    warn(`no segment state yet for ${describe(identity)} (${file}): a real run would send every customer and clear none`);
    return emptyState();
  }
  let connection: ReadConnection | undefined;
  try {
    if (!hasSqliteHeader(file)) throw new UnusableStateError('it does not start like an SQLite database');
    connection = openReadOnly(file);
    if (connection.fromCopy)
      warn(
        `segment state ${file} holds the log of a sync that was stopped without closing it: this dry run reads a private copy; the next real run replays it`,
      );
    const mismatch = mismatchOf(readMeta(connection.db), identity);
    if (mismatch === undefined) {
      if (hasPendingAcks(connection.db)) {
        // Merging is a write: done in a private copy, made while this connection's lock keeps a sync from changing the file.
        if (!connection.fromCopy) {
          const copy = openCopy(file);
          connection.close();
          connection = copy;
        }
        const merged = mergePending(connection.db);
        warn(
          `segment state ${file} holds ${merged} acknowledgements of an interrupted run, not yet merged: this dry run merges them in a private copy (the file is not changed); the next real run merges them into it`,
        );
      }
      return { db: connection.db, fresh: false, empty: false, close: connection.close };
    }
    connection.close();
    warn(
      `segment state ${file} cannot be used: ${mismatch.reason}. A real run would be a full send (nothing unchanged, nothing cleared) and rebuild it`,
    );
    return emptyState();
  } catch (err) {
    if (connection !== undefined) closeQuietly(connection);
    if (isBusy(err) || !isCorruption(err)) throw asStateError(err, file, true);
    warn(`segment state ${file} is unreadable (${reasonOf(err)}): a real run would set it aside and send every customer, clearing none`);
    return emptyState();
  }
}

/** Merges what acks holds (a run that did not finish) in one transaction; returns how many acknowledgements. */
function mergePending(db: Db): number {
  if (!hasPendingAcks(db)) return 0;
  return db.transaction(() => {
    const count = pendingAckCount(db);
    mergeAcks(db);
    return count;
  })();
}

/** SQLite's file header; an empty file counts as damaged too (SQLite would take it for an empty database). */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function hasSqliteHeader(file: string): boolean {
  return storageGuardSync(file, WHAT, () => {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const fd = openSync(file, 'r');
    try {
      return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC);
    } finally {
      closeSync(fd);
    }
  });
}

/** A dry run's stand-in for a missing or unusable state: an empty in-memory database (a fresh state reads nothing from it). */
function emptyState(): Opened {
  return { db: openSqlite(':memory:'), fresh: true, empty: true };
}

/**
 * EXCLUSIVE locking keeps the single writer safe on a network filesystem, but two hosts or shards
 * sharing one database there would corrupt it: the operator must know where the state lives.
 */
function warnIfNetwork(dir: string, warn: (message: string) => void): void {
  const kind = networkFilesystemOf(dir);
  if (kind === undefined) return;
  warn(
    `--state-dir ${dir} is on a network filesystem (${kind}): the segment state works there for one writer at a time ` +
      '(EXCLUSIVE locking, no shared memory), but never share that directory between shards or hosts; a local or block volume is safer',
  );
}

function describe(identity: StateIdentity): string {
  return `endpoint ${identity.endpoint}, id column ${identity.idColumn}${identity.shard ? `, shard ${shardText(identity.shard)}` : ''}`;
}

function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${message}, ${code}` : message;
}

function closeQuietly(opened: { db: Db; close?: () => void }): void {
  try {
    if (opened.close) opened.close();
    else opened.db.close();
  } catch {
    // The error that got us here is the one worth reporting.
  }
}

function emptyIterator<T>(): IterableIterator<T> {
  return ([] as T[])[Symbol.iterator]();
}

function statusCode(status: AckedStatus): number {
  if (status === 'updated') return STATUS_UPDATED;
  if (status === 'not_found') return STATUS_NOT_FOUND;
  throw new TypeError(`SegmentState.record: status ${JSON.stringify(status)} is not an acknowledgement`);
}

function checkedFingerprint(fingerprint: number): number {
  if (!Number.isSafeInteger(fingerprint) || fingerprint < 0)
    throw new TypeError(`SegmentState.record: fingerprint ${fingerprint} is not a segments fingerprint`);
  return fingerprint;
}

function checkIdentity(identity: StateIdentity): void {
  if (typeof identity?.endpoint !== 'string' || identity.endpoint === '')
    throw new TypeError('SegmentState.open: identity.endpoint must be a non-empty string');
  if (typeof identity.idColumn !== 'string' || identity.idColumn === '')
    throw new TypeError('SegmentState.open: identity.idColumn must be a non-empty string');
  const shard = identity.shard;
  if (
    shard !== undefined &&
    !(Number.isInteger(shard.index) && Number.isInteger(shard.count) && shard.index >= 0 && shard.index < shard.count)
  ) {
    throw new TypeError(`SegmentState.open: identity.shard must have 0 <= index < count, got ${JSON.stringify(shard)}`);
  }
}
