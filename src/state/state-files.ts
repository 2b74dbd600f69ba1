/**
 * The incremental state's files inside `--state-dir`: one SQLite database per identity (endpoint,
 * id column, shard), its companion files, setting a damaged one aside, and the filesystem check.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, renameSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface StateIdentity {
  endpoint: string;
  idColumn: string;
  shard?: { index: number; count: number };
}

export const SEGMENT_STATE_PREFIX = 'segments-';
export const SEGMENT_STATE_SUFFIX = '.sqlite';
/** Hex digits of the identity's sha256 in the file name. */
const NAME_DIGITS = 16;

/**
 * `<stateDir>/segments-<16 hex>.sqlite`, from the canonical JSON [endpoint, idColumn, [i, n] | null]:
 * a state built against staging can never be picked up by a production run (meta holds the
 * identity too, so even a copied or renamed file is caught).
 */
export function segmentStatePath(stateDir: string, identity: StateIdentity): string {
  const canonical = JSON.stringify([
    identity.endpoint,
    identity.idColumn,
    identity.shard ? [identity.shard.index, identity.shard.count] : null,
  ]);
  const digest = createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, NAME_DIGITS);
  return path.join(stateDir, `${SEGMENT_STATE_PREFIX}${digest}${SEGMENT_STATE_SUFFIX}`);
}

export function isSegmentStateFileName(name: string): boolean {
  return new RegExp(`^${SEGMENT_STATE_PREFIX}[0-9a-f]{${NAME_DIGITS}}\\${SEGMENT_STATE_SUFFIX}$`).test(name);
}

/**
 * The files kept beside a database: SQLite's write-ahead log, rollback journal and shared memory,
 * and the state's table file (state-table-file.ts).
 */
export function companionFiles(file: string): string[] {
  return [`${file}-wal`, `${file}-journal`, `${file}-shm`, tableFileOf(file)];
}

/** The state's table file beside its database (state-table-file.ts). */
export function tableFileOf(file: string): string {
  return `${file}-table`;
}

/**
 * Renames a damaged database (and its companions) to `<file>.corrupt-<UTC time>`, so nothing is
 * lost for a post-mortem and a new state can be created in its place. Returns the new name.
 */
export function setAside(file: string, now: Date): string {
  const aside = `${file}.corrupt-${now.toISOString().replace(/[-:]/g, '')}`;
  renameSync(file, aside);
  for (const companion of companionFiles(file)) {
    if (existsSync(companion)) renameSync(companion, `${aside}${companion.slice(file.length)}`);
  }
  return aside;
}

/**
 * A private copy of a database and its write-ahead log in a new temp dir, for reading a state a
 * killed sync left with its log unreplayed without touching the real files (replaying it is a write).
 */
export function snapshotCopy(file: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segment-state-'));
  const copy = path.join(dir, path.basename(file));
  copyFileSync(file, copy);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
  return { dir, file: copy };
}

/** statfs f_type magic numbers of network filesystems (linux/magic.h). */
const NETWORK_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
]);

/** The network filesystem's name for a statfs type, or undefined. Pure, for tests. */
export function networkFilesystemName(type: number | bigint): string | undefined {
  // Some platforms report f_type as a signed 32-bit value: 0xFF534D42 comes back negative.
  return NETWORK_FILESYSTEMS.get(Number(BigInt.asUintN(32, BigInt(type))));
}

/** The network filesystem `dir` is on, or undefined (also when statfs is not available). */
export function networkFilesystemOf(dir: string): string | undefined {
  try {
    return networkFilesystemName(statfsSync(dir).type);
  } catch {
    return undefined;
  }
}
