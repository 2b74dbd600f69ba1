/**
 * Opening a state file without changing anything on disk, for a dry run and `state show`.
 *
 * A read-only connection to a file in WAL mode would create -wal and -shm files beside it. A sync
 * closes its state back in rollback mode, so a file at rest needs neither; the EXCLUSIVE locking
 * of READ_PRAGMAS makes the first read fail, creating nothing, when the file is in WAL mode:
 * - SQLITE_BUSY: a sync holds it now (passed on: the caller says "in use");
 * - SQLITE_IOERR_LOCK: a sync was killed and its log is not replayed yet. Replaying it is a write,
 *   so a private copy of the file and its log is read instead, in a temp dir removed at close.
 * The same copy serves a dry run that finds acknowledgements of an unfinished run to merge.
 */
import type Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { applyPragmas, BUSY_TIMEOUT_MS, isUnreplayedLog, openSqlite, READ_PRAGMAS, type Db } from './state-schema.js';
import { snapshotCopy } from './state-files.js';

export interface ReadConnection {
  db: Db;
  /** True when a killed sync's unreplayed log was read from a private copy. */
  fromCopy: boolean;
  /** Closes the connection and removes the copy, if any. */
  close(): void;
}

/** Throws SQLite's errors as they are (busy, corrupt, I/O): the callers judge them. */
export function openReadOnly(file: string, timeoutMs: number = BUSY_TIMEOUT_MS): ReadConnection {
  try {
    const db = connect(file, { readonly: true, fileMustExist: true, timeout: timeoutMs });
    return { db, fromCopy: false, close: () => db.close() };
  } catch (err) {
    if (!isUnreplayedLog(err)) throw err;
  }
  return { ...openCopy(file, timeoutMs), fromCopy: true };
}

/**
 * A read-write connection to a private copy of the file (and its log, if any), removed at close:
 * for what reading needs to write (replaying a killed sync's log, merging the acknowledgements of
 * a run that did not finish) without touching the real files. fromCopy is false: the copy is not
 * of an unreplayed log, unless the caller says so.
 */
export function openCopy(file: string, timeoutMs: number = BUSY_TIMEOUT_MS): ReadConnection {
  const copy = snapshotCopy(file);
  const removeCopy = (): void => rmSync(copy.dir, { recursive: true, force: true });
  try {
    // Read-write, but only the copy: a first read replays the log into it.
    const db = connect(copy.file, { fileMustExist: true, timeout: timeoutMs });
    return {
      db,
      fromCopy: false,
      close: () => {
        try {
          db.close();
        } finally {
          removeCopy();
        }
      },
    };
  } catch (err) {
    removeCopy();
    throw err;
  }
}

/** A connection with READ_PRAGMAS that has read the schema once, so a bad file fails here. */
function connect(file: string, options: Database.Options): Db {
  const db = openSqlite(file, options);
  try {
    applyPragmas(db, READ_PRAGMAS);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
