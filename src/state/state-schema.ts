/**
 * The incremental state's SQLite schema, its pragmas, its meta rows, and what SQLite's error codes
 * mean for a run. segment-state.ts opens and uses the database; this file only knows its shape.
 * The database holds only what lasts between runs (customers, pending acks, runs, meta): the
 * night's input never reaches it, the job compares it with the state in memory.
 *
 * STABILITY: a state file outlives the build that wrote it. Change the tables only together with
 * SCHEMA_VERSION: a state of another version is rebuilt (a visible full send), never misread.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { LocalStorageError, UsageError } from '../core/errors.js';
import { FINGERPRINT_SCHEME } from './segments-fingerprint.js';
import type { StateIdentity } from './state-files.js';

export type Db = BetterSqlite3.Database;

/**
 * Opens a SQLite connection. better-sqlite3 is required here, on the first open, rather than
 * imported: the job's modules import the state's, and a full run or a dry run without state never
 * opens a database, so it need not load the driver at start-up. CommonJS, so this stays synchronous.
 */
export function openSqlite(file: string, options?: BetterSqlite3.Options): Db {
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return new Database(file, options);
}

/** Bump whenever the tables below change. 2: the acks table (acknowledgements merged at the end of a run). */
export const SCHEMA_VERSION = 2;

/** customers.status. */
export const STATUS_UPDATED = 1;
export const STATUS_NOT_FOUND = 2;

export const CUSTOMERS_TABLE = `CREATE TABLE customers(
  id TEXT PRIMARY KEY, fp INTEGER NOT NULL, status INTEGER NOT NULL,
  since INTEGER NOT NULL, acked INTEGER NOT NULL) WITHOUT ROWID`;

/**
 * The acknowledgements of the run in progress, appended as they come (one transaction per request;
 * sequential rowids: a few pages per request, whatever the id order) and merged into customers in
 * id order at the end of the run (mergeAcks). Rows left here are those of a run that was killed or
 * ended without finishing: the next writing open merges them before anything else.
 */
export const ACKS_TABLE =
  'CREATE TABLE acks(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, fp INTEGER NOT NULL, status INTEGER NOT NULL, run INTEGER NOT NULL)';

const TABLES = [
  'CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  `CREATE TABLE runs(run INTEGER PRIMARY KEY, run_id TEXT NOT NULL, mode TEXT NOT NULL, full_resync INTEGER NOT NULL,
     started_at TEXT NOT NULL, finished_at TEXT, status TEXT, exit_code INTEGER, counts TEXT)`,
  CUSTOMERS_TABLE,
  ACKS_TABLE,
];

export const APPEND_ACK = 'INSERT INTO acks(id, fp, status, run) VALUES (?, ?, ?, ?)';

/**
 * Pending acknowledgements into customers, in id order (the b-tree is walked forwards, each page
 * written once), the last one of an id (highest seq) winning: since is kept when fp and status are
 * the stored ones, else it is the ack's run; acked is the ack's run. The last ack: in a query with
 * exactly one max() aggregate, SQLite's documented rule takes the bare columns from the row holding
 * the max (here in HAVING, always true: seq >= 1), one sort for both the grouping and the order.
 * WHERE true: without it SQLite could read ON CONFLICT as a join's ON (its documented ambiguity).
 */
const MERGE_ACKS = `INSERT INTO customers(id, fp, status, since, acked)
  SELECT id, fp, status, run, run FROM acks WHERE true GROUP BY id HAVING max(seq) > 0 ORDER BY id
  ON CONFLICT(id) DO UPDATE SET
    since = CASE WHEN customers.fp = excluded.fp AND customers.status = excluded.status THEN customers.since ELSE excluded.since END,
    fp = excluded.fp, status = excluded.status, acked = excluded.acked`;

/** Whether a state (of this schema) holds acknowledgements not merged yet. Cheap: one b-tree probe. */
export function hasPendingAcks(db: Db): boolean {
  return db.prepare('SELECT EXISTS(SELECT 1 FROM acks)').pluck().get() === 1;
}

export function pendingAckCount(db: Db): number {
  return db.prepare('SELECT count(*) FROM acks').pluck().get() as number;
}

/** A row of customers as the state reads it: [id, fp, status, since, acked]. */
export type CustomerRecord = [id: string, fingerprint: number, status: number, sinceRun: number, ackedRun: number];

/** The customers rows the pending acknowledgements name, as merged (read between the merge and the DELETE). */
const MERGED_ROWS = 'SELECT id, fp, status, since, acked FROM customers WHERE id IN (SELECT id FROM acks)';

/**
 * meta key: a random token that changes in every transaction that changes customers. The table
 * file (state-table-file.ts) names the token it was written for: one that is not the database's
 * is never used.
 */
export const TABLE_TOKEN_KEY = 'table_token';

/** The database's table token, or undefined (a state written before table files, or rebuilt). */
export function tableToken(db: Db): string | undefined {
  return db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(TABLE_TOKEN_KEY) as string | undefined;
}

/** A new table token in meta (inside the caller's transaction); returns it. */
export function renewTableToken(db: Db): string {
  const token = randomBytes(16).toString('hex');
  writeMeta(db, { [TABLE_TOKEN_KEY]: token });
  return token;
}

/**
 * Merges the pending acknowledgements and empties acks; with `merged`, first hands it every row of
 * customers they changed, as it now is. Renews the table token when anything was merged. The
 * caller wraps it in a transaction (with whatever must commit together with it: finishRun's runs row).
 */
export function mergeAcks(db: Db, merged?: (row: CustomerRecord) => void): void {
  if (!hasPendingAcks(db)) return;
  db.prepare(MERGE_ACKS).run();
  if (merged !== undefined) for (const row of db.prepare(MERGED_ROWS).raw().iterate() as IterableIterator<CustomerRecord>) merged(row);
  db.prepare('DELETE FROM acks').run();
  renewTableToken(db);
}

/**
 * For a writing run. EXCLUSIVE locking comes first: set before WAL is entered, SQLite keeps the WAL
 * index in heap memory instead of a -shm file, which is what makes WAL safe for our single writer
 * even on a network filesystem. synchronous=NORMAL: a committed transaction survives kill -9; a
 * power cut may lose the last few, which a rerun sends again (the endpoint replaces segments).
 * The temp store and its cache: no table of the night lives there any more (the job diffs in
 * memory, from its table file or one scan of customers); kept a file so that whatever SQLite materialises while
 * merging a run's acknowledgements (grouped and ordered by id: every customer in a full resync)
 * stays off the heap.
 * wal_autocheckpoint: every 10000 pages (a log of at most ~40 MB between checkpoints) rather than
 * SQLite's 1000. It mattered when each request upserted its customers in random id order (a dirty
 * page per customer, ~2 MB of log per request); acknowledgements are now appended (a few pages per
 * request) and the end-of-run merge is one transaction, which no autocheckpoint splits.
 */
export const WRITE_PRAGMAS = [
  'locking_mode = EXCLUSIVE',
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'wal_autocheckpoint = 10000',
  'temp_store = FILE',
  'cache_size = -65536',
  'temp.cache_size = -65536',
];

/**
 * For a dry run or `state show`, on a connection opened read-only. EXCLUSIVE locking here makes the
 * first read fail at once, without creating a -wal or -shm file, when the file is in WAL mode:
 * SQLITE_BUSY while a sync holds it, SQLITE_IOERR_LOCK when a killed sync left its log behind.
 */
export const READ_PRAGMAS = ['locking_mode = EXCLUSIVE', 'temp_store = FILE', 'cache_size = -65536', 'temp.cache_size = -65536'];

/** How long a connection waits for another process's lock before saying the state is in use. */
export const BUSY_TIMEOUT_MS = 5_000;

export function applyPragmas(db: Db, pragmas: readonly string[]): void {
  for (const pragma of pragmas) db.pragma(pragma);
}

/** Creates the tables and meta of a new state in one transaction. */
export function createSchema(db: Db, identity: StateIdentity, now: Date): void {
  db.transaction(() => {
    for (const table of TABLES) db.exec(table);
    writeMeta(db, { ...identityMeta(identity), schema_version: String(SCHEMA_VERSION), created_at: now.toISOString() });
  })();
}

/**
 * A state of another schema version: every table goes, the new schema is created. A state of
 * another fingerprint scheme or identity keeps its runs (history) but no customer: dropping the
 * table is much faster than deleting 10M rows.
 */
export function rebuildSchema(db: Db, identity: StateIdentity, kind: 'schema' | 'scheme' | 'identity', now: Date): void {
  db.transaction(() => {
    if (kind === 'schema') {
      for (const name of tableNames(db)) db.exec(`DROP TABLE "${name.replace(/"/g, '""')}"`);
      for (const table of TABLES) db.exec(table);
      writeMeta(db, { schema_version: String(SCHEMA_VERSION), created_at: now.toISOString() });
    } else {
      db.exec('DROP TABLE customers');
      db.exec(CUSTOMERS_TABLE);
      // Acknowledgements of another scheme or identity: as meaningless here as its customers.
      db.exec('DELETE FROM acks');
      db.prepare("DELETE FROM meta WHERE key = 'resync_from'").run();
      // No table file can match an empty customers table.
      db.prepare('DELETE FROM meta WHERE key = ?').run(TABLE_TOKEN_KEY);
    }
    writeMeta(db, identityMeta(identity));
  })();
}

function tableNames(db: Db): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
}

export function writeMeta(db: Db, values: Record<string, string>): void {
  const put = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  for (const [key, value] of Object.entries(values)) put.run(key, value);
}

/** What meta records of the identity (and the fingerprint scheme in force). */
function identityMeta(identity: StateIdentity): Record<string, string> {
  return {
    fingerprint_scheme: String(FINGERPRINT_SCHEME),
    endpoint: identity.endpoint,
    id_column: identity.idColumn,
    shard: shardText(identity.shard),
  };
}

/** '' for an unsharded state, else 'i/n' (the --shard spelling). */
export function shardText(shard: StateIdentity['shard']): string {
  return shard === undefined ? '' : `${shard.index}/${shard.count}`;
}

/** The meta rows; throws UnusableStateError when the file has no meta table or no schema version. */
export function readMeta(db: Db): Map<string, string> {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  if (!hasMeta) throw new UnusableStateError('it has no meta table');
  const rows = db.prepare('SELECT key, value FROM meta').raw().all() as [string, string][];
  const meta = new Map(rows);
  if (!/^\d+$/.test(meta.get('schema_version') ?? '')) throw new UnusableStateError('its meta has no schema version');
  return meta;
}

/** Why a readable state cannot be used as it is; undefined when it can. */
export type Mismatch = { kind: 'schema' | 'scheme' | 'identity'; reason: string };

export function mismatchOf(meta: Map<string, string>, identity: StateIdentity): Mismatch | undefined {
  const version = meta.get('schema_version');
  if (version !== String(SCHEMA_VERSION))
    return { kind: 'schema', reason: `it has schema version ${version}, this build uses ${SCHEMA_VERSION}` };
  const scheme = meta.get('fingerprint_scheme');
  if (scheme !== String(FINGERPRINT_SCHEME))
    return { kind: 'scheme', reason: `its fingerprints are of scheme ${scheme}, this build computes scheme ${FINGERPRINT_SCHEME}` };
  const theirs = [meta.get('endpoint'), meta.get('id_column'), meta.get('shard')];
  const ours = [identity.endpoint, identity.idColumn, shardText(identity.shard)];
  if (theirs.some((value, i) => value !== ours[i])) {
    return {
      kind: 'identity',
      reason: `it belongs to endpoint ${theirs[0]}, id column ${theirs[1]}${theirs[2] ? `, shard ${theirs[2]}` : ''}`,
    };
  }
  return undefined;
}

/** A file that opens but is not a usable state (no meta, no schema version): handled like a corrupt one. */
export class UnusableStateError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnusableStateError';
  }
}

/** SQLite's extended result code of an error ('' when it is not a SQLite error). */
export function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : '';
}

/** The file is damaged or is not a database: set aside and start afresh (or read as missing). */
export function isCorruption(err: unknown): boolean {
  if (err instanceof UnusableStateError) return true;
  const code = sqliteCode(err);
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/** Another process holds the database (a running sync keeps it with EXCLUSIVE locking). */
export function isBusy(err: unknown): boolean {
  const code = sqliteCode(err);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** A read-only connection met a WAL-mode file no sync holds: a killed sync's log waits to be replayed. */
export function isUnreplayedLog(err: unknown): boolean {
  return sqliteCode(err) === 'SQLITE_IOERR_LOCK';
}

/** Matched by prefix, so SQLITE_IOERR_WRITE, SQLITE_READONLY_DIRECTORY… are covered. */
const STORAGE_CODES: [prefix: string, reason: string, fix: string][] = [
  ['SQLITE_FULL', 'the disk or quota is full', 'free space on that volume (or give --state-dir a directory on another one)'],
  ['SQLITE_IOERR', 'an I/O error on the device', 'check the volume'],
  [
    'SQLITE_CANTOPEN',
    'the file cannot be opened or created',
    'make --state-dir a writable directory (a path not taken by a directory or a file of another kind)',
  ],
  ['SQLITE_READONLY', 'the file or its directory is read-only', 'make --state-dir writable by this user, or give the run another one'],
  ['SQLITE_PERM', 'permission denied', 'make --state-dir writable by this user, or give the run another one'],
];

/**
 * `err` as the error a run should end with: a storage failure becomes a LocalStorageError (exit 8)
 * naming the state file, a busy database a UsageError (exit 2), damage found mid-run a
 * LocalStorageError saying how to start afresh. Anything else (a bug) is passed on unchanged.
 */
export function asStateError(err: unknown, file: string, reading: boolean): unknown {
  if (err instanceof LocalStorageError || err instanceof UsageError) return err;
  const code = sqliteCode(err);
  if (code === '') return err;
  const dir = path.dirname(file);
  if (isBusy(err)) {
    return new UsageError(
      `segment state ${file} is in use by another process (a running sync, or a dry run reading it). Wait for it to finish, then run again`,
      'STATE_IN_USE',
      { cause: err },
    );
  }
  if (isCorruption(err)) {
    return new LocalStorageError(
      `segment state ${file} is damaged (${code}). Run the same command again: it sets the file aside and sends everything (a full send, no clears); or remove it first with segment-sync state reset`,
      dir,
      code,
      { cause: err },
    );
  }
  const known = STORAGE_CODES.find(([prefix]) => code.startsWith(prefix));
  if (known === undefined) return err;
  const [, reason, fix] = known;
  return new LocalStorageError(
    `cannot ${reading ? 'read' : 'write'} the segment state ${file}: ${reason} (${code}). ${fix.charAt(0).toUpperCase()}${fix.slice(1)}; ` +
      'then run the same command again: what was acknowledged is not sent again.',
    dir,
    code,
    { cause: err },
  );
}
