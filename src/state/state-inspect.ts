/**
 * What `segment-sync state show` tells about one state file: whose it is, what it tracks, its last
 * run. Read-only like a dry run (state-read.ts): never changes a file, never takes the state-dir
 * lock, and a database a sync holds is reported as in use rather than waited for.
 */
import { existsSync, statSync } from 'node:fs';
import { FINGERPRINT_SCHEME, EMPTY_FINGERPRINT } from './segments-fingerprint.js';
import { companionFiles } from './state-files.js';
import { openReadOnly } from './state-read.js';
import {
  isBusy,
  isCorruption,
  pendingAckCount,
  readMeta,
  SCHEMA_VERSION,
  sqliteCode,
  STATUS_NOT_FOUND,
  STATUS_UPDATED,
  type Db,
} from './state-schema.js';

export interface StateRun {
  run: number;
  runId: string;
  mode: string;
  fullResync: boolean;
  startedAt: string;
  finishedAt: string | null;
  status: string | null;
  exitCode: number | null;
}

export interface StateFileReport {
  file: string;
  /** The database and its companion files. */
  bytes: number;
  /** in-use: a sync holds it now; unreadable: damaged or not a state (the next run sets it aside). */
  condition: 'ok' | 'in-use' | 'unreadable';
  reason?: string;
  endpoint?: string;
  idColumn?: string;
  /** 'i/n', or '' when unsharded. */
  shard?: string;
  createdAt?: string;
  /** False when this build would rebuild it (another schema or fingerprint scheme). */
  current?: boolean;
  schemaVersion?: string;
  fingerprintScheme?: string;
  /** Run number where an unfinished full resync began. */
  resyncFrom?: number;
  /** In customers (what is merged): acknowledgements still in acks are not counted here. */
  customers?: { tracked: number; withSegments: number; empty: number; notFound: number };
  /** Acknowledgements of a run that did not finish (killed, or ended before finishing), not yet
   *  merged into customers: the next writing run merges them (show does not, it changes nothing). */
  pendingAcks?: number;
  lastRun?: StateRun;
  /** A killed sync's log was read from a private copy. */
  unreplayedLog?: boolean;
}

/** How long show waits for a sync's lock before calling the file in use. */
const SHOW_BUSY_MS = 250;

export function inspectStateFile(file: string): StateFileReport {
  const report: StateFileReport = { file, bytes: sizeOf(file), condition: 'ok' };
  let connection;
  try {
    connection = openReadOnly(file, SHOW_BUSY_MS);
    return { ...report, ...describe(connection.db), ...(connection.fromCopy ? { unreplayedLog: true } : {}) };
  } catch (err) {
    if (isBusy(err)) return { ...report, condition: 'in-use' };
    if (isCorruption(err)) return { ...report, condition: 'unreadable', reason: (err as Error).message };
    // A file SQLite cannot read for another reason (permissions, I/O): say so, keep listing the others.
    if (sqliteCode(err) !== '') return { ...report, condition: 'unreadable', reason: `${(err as Error).message} (${sqliteCode(err)})` };
    throw err;
  } finally {
    connection?.close();
  }
}

function describe(db: Db): Partial<StateFileReport> {
  const meta = readMeta(db);
  const schemaVersion = meta.get('schema_version');
  const fingerprintScheme = meta.get('fingerprint_scheme') ?? '';
  const current = schemaVersion === String(SCHEMA_VERSION) && fingerprintScheme === String(FINGERPRINT_SCHEME);
  const resyncFrom = meta.get('resync_from');
  return {
    endpoint: meta.get('endpoint'),
    idColumn: meta.get('id_column'),
    shard: meta.get('shard') ?? '',
    createdAt: meta.get('created_at'),
    current,
    schemaVersion,
    fingerprintScheme,
    ...(resyncFrom !== undefined ? { resyncFrom: Number(resyncFrom) } : {}),
    // Another schema's tables may not be these: only a current state is counted.
    ...(schemaVersion === String(SCHEMA_VERSION)
      ? { customers: customerCounts(db), pendingAcks: pendingAckCount(db), lastRun: lastRun(db) }
      : {}),
  };
}

function customerCounts(db: Db): NonNullable<StateFileReport['customers']> {
  const counts = { tracked: 0, withSegments: 0, empty: 0, notFound: 0 };
  const rows = db.prepare('SELECT status, fp = ? AS empty, count(*) FROM customers GROUP BY 1, 2').raw().all(EMPTY_FINGERPRINT) as [
    number,
    number,
    number,
  ][];
  for (const [status, empty, n] of rows) {
    counts.tracked += n;
    if (status === STATUS_NOT_FOUND) counts.notFound += n;
    else if (status === STATUS_UPDATED && empty) counts.empty += n;
    else if (status === STATUS_UPDATED) counts.withSegments += n;
  }
  return counts;
}

function lastRun(db: Db): StateRun | undefined {
  const row = db
    .prepare('SELECT run, run_id, mode, full_resync, started_at, finished_at, status, exit_code FROM runs ORDER BY run DESC LIMIT 1')
    .raw()
    .get() as [number, string, string, number, string, string | null, string | null, number | null] | undefined;
  if (row === undefined) return undefined;
  const [run, runId, mode, fullResync, startedAt, finishedAt, status, exitCode] = row;
  return { run, runId, mode, fullResync: fullResync === 1, startedAt, finishedAt, status, exitCode };
}

function sizeOf(file: string): number {
  return [file, ...companionFiles(file)].reduce((total, f) => total + (existsSync(f) ? statSync(f).size : 0), 0);
}
