import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStorageError } from '../../src/core/errors.js';
import { SegmentState, type StateIdentity } from '../../src/state/segment-state.js';
import { EMPTY_FINGERPRINT, fingerprintOf } from '../../src/state/segments-fingerprint.js';
import { networkFilesystemName, segmentStatePath } from '../../src/state/state-files.js';

const IDENTITY: StateIdentity = { endpoint: 'http://127.0.0.1:8787/api/v3/customers/segments', idColumn: 'document_id' };
const FP_A = fingerprintOf([{ type: 'tier', value: 'gold' }]);
const FP_B = fingerprintOf([{ type: 'tier', value: 'silver' }]);
const FP_C = fingerprintOf([{ type: 'region', value: 'north' }]);
const REPO = fileURLToPath(new URL('../../', import.meta.url));

let root: string;
let stateDir: string;
let warnings: string[];
const opened: SegmentState[] = [];

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'segment-state-'));
  stateDir = path.join(root, 'state');
  warnings = [];
});

afterEach(() => {
  for (const state of opened.splice(0)) state.close();
  rmSync(root, { recursive: true, force: true });
});

function open(opts: { write?: boolean; identity?: StateIdentity } = {}): SegmentState {
  const state = SegmentState.open({
    stateDir,
    identity: opts.identity ?? IDENTITY,
    write: opts.write ?? true,
    onWarning: (m) => warnings.push(m),
  });
  opened.push(state);
  return state;
}

function closeAll(): void {
  for (const state of opened.splice(0)) state.close();
}

type Ack = { id: string; fingerprint: number; status: 'updated' | 'not_found' };

/** One night: a run that records these acknowledgements and ends with `exitCode`. Returns its run number. */
function night(acks: Ack[], opts: { fullResync?: boolean; exitCode?: number } = {}): number {
  const state = open();
  const run = state.beginRun({
    runId: `run-${Math.random()}`,
    startedAt: new Date(),
    mode: 'mirror',
    fullResync: opts.fullResync ?? false,
  });
  state.record(acks);
  state.finishRun({ status: 'done', exitCode: opts.exitCode ?? 0, counts: { updated: acks.length } });
  closeAll();
  return run;
}

type Stored = { fp: number; status: number; since: number; acked: number };

/** What scan() yields (what the job's in-memory diff is loaded from), keyed by id; the id order is checked on its own. */
function scanned(state: SegmentState): Record<string, Stored> {
  return Object.fromEntries([...state.scan()].map(([id, fp, status, since, acked]) => [id, { fp, status, since, acked }]));
}

function stateFiles(): string[] {
  return existsSync(stateDir) ? readdirSync(stateDir).sort() : [];
}

/** Every file of the state dir, name and bytes: to show that nothing was changed. */
function stateBytes(): Record<string, string> {
  return Object.fromEntries(stateFiles().map((name) => [name, readFileSync(path.join(stateDir, name)).toString('base64')]));
}

/** The customers table as stored (open the file only once every SegmentState is closed). */
function storedCustomers(): Record<string, Stored> {
  const db = new Database(segmentStatePath(stateDir, IDENTITY), { readonly: true });
  try {
    const rows = db.prepare('SELECT id, fp, status, since, acked FROM customers ORDER BY id').all() as {
      id: string;
      fp: number;
      status: number;
      since: number;
      acked: number;
    }[];
    return Object.fromEntries(rows.map(({ id, ...rest }) => [id, rest]));
  } finally {
    db.close();
  }
}

function pendingAcks(): number {
  const db = new Database(segmentStatePath(stateDir, IDENTITY), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM acks').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('SegmentState.open', () => {
  it('is fresh and empty the first time, with a warning, and creates the file named by the identity', () => {
    const state = open();
    expect(state.fresh).toBe(true);
    expect(state.tracked).toBe(0);
    expect(state.file).toBe(segmentStatePath(stateDir, IDENTITY));
    expect(path.basename(state.file)).toMatch(/^segments-[0-9a-f]{16}\.sqlite$/);
    expect(warnings).toEqual([expect.stringContaining('no segment state yet')]);
    // Nothing to diff with: every customer is sent, none cleared.
    expect([...state.scan()]).toEqual([]);
    expect(state.resyncFrom()).toBeUndefined();
  });

  it('tracks what was recorded once reopened, without a warning', () => {
    night([
      { id: 'a', fingerprint: FP_A, status: 'updated' },
      { id: 'b', fingerprint: FP_B, status: 'not_found' },
    ]);
    warnings = [];
    const state = open();
    expect(state.fresh).toBe(false);
    expect(state.tracked).toBe(2);
    expect(warnings).toEqual([]);
    expect(scanned(state)).toEqual({ a: { fp: FP_A, status: 1, since: 1, acked: 1 }, b: { fp: FP_B, status: 2, since: 1, acked: 1 } });
    closeAll();
    // At rest the file is whole by itself: its log is folded in at close. Beside it, the table file its run wrote.
    expect(stateFiles()).toEqual([path.basename(state.file), `${path.basename(state.file)}-table`]);
  });

  it('keeps each identity in its own file: another endpoint, id column or shard starts fresh', () => {
    night([{ id: 'a', fingerprint: FP_A, status: 'updated' }]);
    const others: StateIdentity[] = [
      { ...IDENTITY, endpoint: 'http://127.0.0.1:9999/api/v3/customers/segments' },
      { ...IDENTITY, idColumn: 'customer_id' },
      { ...IDENTITY, shard: { index: 0, count: 2 } },
      { ...IDENTITY, shard: { index: 1, count: 2 } },
    ];
    const files = new Set([segmentStatePath(stateDir, IDENTITY)]);
    for (const identity of others) {
      const state = open({ identity });
      expect(state).toMatchObject({ fresh: true, tracked: 0 });
      files.add(state.file);
    }
    expect(files.size).toBe(others.length + 1);
    closeAll();
    expect(open()).toMatchObject({ fresh: false, tracked: 1 });
  });

  it('does not use a file of another identity put in its place', () => {
    const other = { ...IDENTITY, endpoint: 'http://127.0.0.1:9999/x' };
    const state = open({ identity: other });
    state.beginRun({ runId: 'r', startedAt: new Date(), mode: 'diff', fullResync: false });
    state.record([{ id: 'a', fingerprint: FP_A, status: 'updated' }]);
    closeAll();
    copyFileSync(segmentStatePath(stateDir, other), segmentStatePath(stateDir, IDENTITY));
    warnings = [];
    const mismatched = open();
    expect(mismatched).toMatchObject({ fresh: true, tracked: 0 });
    expect(warnings).toEqual([expect.stringContaining('it belongs to endpoint http://127.0.0.1:9999/x')]);
    expect([...mismatched.scan()]).toEqual([]);
    // Its unfinished run's acknowledgement went with its customers: nothing is merged later.
    closeAll();
    expect(pendingAcks()).toBe(0);
    warnings = [];
    expect(open()).toMatchObject({ fresh: false, tracked: 0 });
    expect(warnings).toEqual([]);
  });

  it('makes a state of the previous schema (1: answers upserted, no acks table) a fresh state, with a warning', () => {
    mkdirSync(stateDir, { recursive: true });
    const file = segmentStatePath(stateDir, IDENTITY);
    const v1 = new Database(file);
    v1.exec(`CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE runs(run INTEGER PRIMARY KEY, run_id TEXT NOT NULL, mode TEXT NOT NULL, full_resync INTEGER NOT NULL,
        started_at TEXT NOT NULL, finished_at TEXT, status TEXT, exit_code INTEGER, counts TEXT);
      CREATE TABLE customers(id TEXT PRIMARY KEY, fp INTEGER NOT NULL, status INTEGER NOT NULL, since INTEGER NOT NULL, acked INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO runs VALUES (1, 'old', 'diff', 0, '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', 'done', 0, '{}');
      INSERT INTO customers VALUES ('a', ${FP_A}, 1, 1, 1);`);
    const meta = v1.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
    for (const [key, value] of Object.entries({
      schema_version: '1',
      fingerprint_scheme: '1',
      endpoint: IDENTITY.endpoint,
      id_column: IDENTITY.idColumn,
      shard: '',
      created_at: '2026-01-01T00:00:00.000Z',
    }))
      meta.run(key, value);
    v1.close();

    // A dry run says so and leaves it as it is.
    const before = stateBytes();
    expect(open({ write: false })).toMatchObject({ fresh: true, tracked: 0 });
    expect(warnings).toEqual([expect.stringMatching(/schema version 1, this build uses 2.*full send/)]);
    closeAll();
    expect(stateBytes()).toEqual(before);

    warnings = [];
    const state = open();
    expect(state).toMatchObject({ fresh: true, tracked: 0 });
    expect(warnings).toEqual([expect.stringMatching(/schema version 1, this build uses 2.*full send.*rebuilt/)]);
    expect([...state.scan()]).toEqual([]);
    state.beginRun({ runId: 'new', startedAt: new Date(), mode: 'diff', fullResync: false });
    state.record([{ id: 'a', fingerprint: FP_A, status: 'updated' }]);
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    closeAll();
    expect(storedCustomers()).toEqual({ a: { fp: FP_A, status: 1, since: 1, acked: 1 } });
  });

  it('sets a corrupt file aside (with its log), warns and starts fresh', () => {
    mkdirSync(stateDir, { recursive: true });
    const file = segmentStatePath(stateDir, IDENTITY);
    writeFileSync(file, 'this is not a database, just some garbage bytes '.repeat(200));
    writeFileSync(`${file}-wal`, 'garbage log');
    const state = open();
    expect(state).toMatchObject({ fresh: true, tracked: 0 });
    expect(warnings).toEqual([
      expect.stringMatching(/unreadable .*set aside as segments-[0-9a-f]{16}\.sqlite\.corrupt-\d{8}T\d{6}\.\d{3}Z/),
    ]);
    const names = stateFiles();
    expect(names.filter((n) => n.includes('.corrupt-'))).toHaveLength(2);
    expect(names).toContain(path.basename(file));
    expect([...state.scan()]).toEqual([]);
    expect(state.resyncFrom()).toBeUndefined();
    // The new state works.
    state.beginRun({ runId: 'r', startedAt: new Date(), mode: 'diff', fullResync: false });
    state.record([{ id: 'a', fingerprint: FP_A, status: 'updated' }]);
    closeAll();
    expect(open()).toMatchObject({ fresh: false, tracked: 1 });
  });

  it.each([
    ['fingerprint scheme', "UPDATE meta SET value = '0' WHERE key = 'fingerprint_scheme'", 'scheme 0'],
    ['schema version', "UPDATE meta SET value = '99' WHERE key = 'schema_version'", 'schema version 99'],
  ])('rebuilds a state of another %s: fresh, a warning, customers emptied, meta updated', (_, tamper, reason) => {
    // An unfinished resync too: it is of the old state, and goes with it.
    night([{ id: 'a', fingerprint: FP_A, status: 'updated' }], { fullResync: true, exitCode: 1 });
    const db = new Database(segmentStatePath(stateDir, IDENTITY));
    db.exec(tamper);
    db.close();
    warnings = [];
    const rebuilt = open();
    expect(rebuilt).toMatchObject({ fresh: true, tracked: 0 });
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`${reason}.*full send.*rebuilt`))]);
    expect([...rebuilt.scan()]).toEqual([]);
    expect(rebuilt.resyncFrom()).toBeUndefined();
    closeAll();
    warnings = [];
    const reopened = open();
    expect(reopened).toMatchObject({ fresh: false, tracked: 0 });
    expect(warnings).toEqual([]);
    expect([...reopened.scan()]).toEqual([]);
    expect(reopened.resyncFrom()).toBeUndefined();
  });

  it('warns about a network filesystem by its statfs type', () => {
    expect(networkFilesystemName(0x6969)).toBe('NFS');
    expect(networkFilesystemName(0x517b)).toBe('SMB');
    expect(networkFilesystemName(0xff534d42)).toBe('CIFS');
    expect(networkFilesystemName(0xff534d42 | 0)).toBe('CIFS'); // reported as a signed 32-bit value
    expect(networkFilesystemName(0xfe534d42)).toBe('SMB2');
    expect(networkFilesystemName(0xef53)).toBeUndefined(); // ext4
  });
});

describe('scan() and resyncFrom(): what the job loads its diff from', () => {
  const updated = (id: string, fingerprint: number): Ack => ({ id, fingerprint, status: 'updated' });

  it('holds each customer as last acknowledged: fp, status, since kept while fp and status are the same, acked, not_found remembered', () => {
    const first = night([updated('a', FP_A), updated('b', FP_B), { id: 'n', fingerprint: FP_C, status: 'not_found' }]);
    let state = open();
    expect(scanned(state)).toEqual({
      a: { fp: FP_A, status: 1, since: first, acked: first },
      b: { fp: FP_B, status: 1, since: first, acked: first },
      n: { fp: FP_C, status: 2, since: first, acked: first },
    });
    // Acknowledged again: a (same) keeps its since, b (changed) and d (new) get this run's; n is not answered.
    const second = state.beginRun({ runId: 'r2', startedAt: new Date(), mode: 'diff', fullResync: false });
    state.record([updated('a', FP_A), updated('b', FP_C), updated('d', FP_A)]);
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    closeAll();

    state = open();
    expect(state.tracked).toBe(4);
    expect(scanned(state)).toEqual({
      a: { fp: FP_A, status: 1, since: first, acked: second },
      b: { fp: FP_C, status: 1, since: second, acked: second },
      d: { fp: FP_A, status: 1, since: second, acked: second },
      n: { fp: FP_C, status: 2, since: first, acked: first },
    });
    // The same fingerprint with another status is a change: n, found now, gets this run's since.
    const third = state.beginRun({ runId: 'r3', startedAt: new Date(), mode: 'diff', fullResync: false });
    state.record([updated('n', FP_C), { id: 'd', fingerprint: FP_A, status: 'not_found' }]);
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    closeAll();
    expect(scanned(open())).toEqual({
      a: { fp: FP_A, status: 1, since: first, acked: second },
      b: { fp: FP_C, status: 1, since: second, acked: second },
      d: { fp: FP_A, status: 2, since: third, acked: third },
      n: { fp: FP_C, status: 1, since: third, acked: third },
    });
  });

  it('comes in id order, not the order acknowledged, and runStartedAt answers while iterating', () => {
    const startedAt = new Date('2026-01-02T03:04:05.678Z');
    const state = open();
    const run = state.beginRun({ runId: 'r1', startedAt, mode: 'diff', fullResync: false });
    state.record(['c', 'a', 'B', 'b'].map((id) => updated(id, FP_A)));
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    closeAll();
    const next = open();
    const seen: [string, string][] = [];
    for (const [id, , , since] of next.scan()) seen.push([id, next.runStartedAt(since)]);
    // SQLite's binary collation: by UTF-8 bytes, upper case first.
    expect(seen).toEqual(['B', 'a', 'b', 'c'].map((id) => [id, startedAt.toISOString()]));
    expect(run).toBe(1);
  });

  it('resync_from: set by a full resync at beginRun, kept by an unfinished one, cleared by its exit 0', () => {
    const first = night([updated('a', FP_A), updated('b', FP_B)]);
    let state = open();
    expect(state.resyncFrom()).toBeUndefined();
    // A full resync begins: resync_from is this run, at once.
    const resync = state.beginRun({ runId: 'full', startedAt: new Date(), mode: 'diff', fullResync: true });
    expect(state.resyncFrom()).toBe(resync);
    // It gets a acknowledged (unchanged: since stays the first run), then stops (exit 1).
    state.record([updated('a', FP_A)]);
    state.finishRun({ status: 'stopped', exitCode: 1, counts: {} });
    closeAll();

    state = open();
    expect(state.resyncFrom()).toBe(resync);
    expect(scanned(state)).toEqual({
      a: { fp: FP_A, status: 1, since: first, acked: resync },
      b: { fp: FP_B, status: 1, since: first, acked: first },
    });
    closeAll();
    // A night without --full-resync, even a successful one, leaves the resync unfinished.
    night([updated('b', FP_B)]);
    state = open();
    expect(state.resyncFrom()).toBe(resync);
    // The next full resync resumes it (keeps its start) and, ending with exit 0, completes it.
    const resumed = state.beginRun({ runId: 'again', startedAt: new Date(), mode: 'diff', fullResync: true });
    expect(resumed).toBeGreaterThan(resync);
    expect(state.resyncFrom()).toBe(resync);
    state.record([updated('b', FP_B)]);
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    expect(state.resyncFrom()).toBeUndefined();
    closeAll();

    // The resync is complete: the next one starts from itself.
    state = open();
    expect(state.resyncFrom()).toBeUndefined();
    const weekly = state.beginRun({ runId: 'weekly', startedAt: new Date(), mode: 'diff', fullResync: true });
    expect(state.resyncFrom()).toBe(weekly);
  });

  it('sees what this session recorded before finishRun, and can be stopped early and the state used again', () => {
    night(['x', 'y', 'z'].map((id) => updated(id, FP_A)));
    const state = open();
    const run = state.beginRun({ runId: 'r', startedAt: new Date(), mode: 'mirror', fullResync: false });
    for (const [id] of state.scan()) if (id === 'x') break;
    state.record([
      { id: 'x', fingerprint: EMPTY_FINGERPRINT, status: 'updated' },
      { id: 'w', fingerprint: FP_B, status: 'not_found' },
    ]);
    expect(scanned(state)).toEqual({
      w: { fp: FP_B, status: 2, since: run, acked: run },
      x: { fp: EMPTY_FINGERPRINT, status: 1, since: run, acked: run },
      y: { fp: FP_A, status: 1, since: 1, acked: 1 },
      z: { fp: FP_A, status: 1, since: 1, acked: 1 },
    });
    // Merged by that scan, so finishRun has nothing left but its runs row; the result is the same.
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    closeAll();
    expect(pendingAcks()).toBe(0);
    expect(Object.keys(storedCustomers())).toEqual(['w', 'x', 'y', 'z']);
    expect(storedCustomers().x).toEqual({ fp: EMPTY_FINGERPRINT, status: 1, since: run, acked: run });
  });
});

describe('misuse is a TypeError', () => {
  it('record before beginRun or after finishRun, a bad status or fingerprint, anything else while a scan is open', () => {
    night([
      { id: 'a', fingerprint: FP_A, status: 'updated' },
      { id: 'b', fingerprint: FP_A, status: 'updated' },
    ]);
    const state = open();
    expect(() => state.record([{ id: 'a', fingerprint: FP_A, status: 'updated' }])).toThrow(TypeError);
    state.beginRun({ runId: 'r', startedAt: new Date(), mode: 'diff', fullResync: false });
    expect(() => state.record([{ id: 'a', fingerprint: FP_A, status: 'failed' as never }])).toThrow(TypeError);
    expect(() => state.record([{ id: 'a', fingerprint: 1.5, status: 'updated' }])).toThrow(TypeError);
    // The connection is single: better-sqlite3 refuses a write while a scan holds it.
    // (better-sqlite3's own TypeError, of the main realm, not jest's: matched by its message.)
    const scan = state.scan();
    try {
      expect(scan.next().value).toEqual(['a', FP_A, 1, 1, 1]);
      expect(() => state.record([{ id: 'c', fingerprint: FP_A, status: 'updated' }])).toThrow(/busy executing a query/);
    } finally {
      scan.return?.();
    }
    // Stopped early, the scan released the connection.
    state.record([{ id: 'c', fingerprint: FP_A, status: 'updated' }]);
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    expect(() => state.record([{ id: 'a', fingerprint: FP_A, status: 'updated' }])).toThrow(TypeError);
  });
});

describe('read-only (dry run)', () => {
  it('never creates a file or directory when there is no state', () => {
    const state = open({ write: false });
    expect(state).toMatchObject({ fresh: true, tracked: 0 });
    expect([...state.scan()]).toEqual([]);
    expect(state.resyncFrom()).toBeUndefined();
    closeAll();
    expect(existsSync(stateDir)).toBe(false);
    expect(warnings).toEqual([expect.stringContaining('a real run would send every customer')]);
  });

  it('reads an existing state without changing any file, and refuses to record', () => {
    night([
      { id: 'a', fingerprint: FP_A, status: 'updated' },
      { id: 'gone', fingerprint: FP_B, status: 'updated' },
    ]);
    const resync = night([{ id: 'a', fingerprint: FP_A, status: 'updated' }], { fullResync: true, exitCode: 1 });
    const before = stateFiles();
    const state = open({ write: false });
    expect(state).toMatchObject({ fresh: false, tracked: 2 });
    expect(scanned(state)).toEqual({
      a: { fp: FP_A, status: 1, since: 1, acked: resync },
      gone: { fp: FP_B, status: 1, since: 1, acked: 1 },
    });
    // Twice: mirror scans again for the clears' ids.
    expect([...state.scan()].map(([id]) => id)).toEqual(['a', 'gone']);
    expect(state.resyncFrom()).toBe(resync);
    expect(() => state.beginRun({ runId: 'r', startedAt: new Date(), mode: 'diff', fullResync: false })).toThrow(TypeError);
    expect(() => state.record([])).toThrow(TypeError);
    expect(stateFiles()).toEqual(before);
    closeAll();
    expect(stateFiles()).toEqual(before);
  });

  it('treats a corrupt file as missing, without setting it aside', () => {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(segmentStatePath(stateDir, IDENTITY), 'garbage'.repeat(1000));
    const before = stateFiles();
    expect(open({ write: false })).toMatchObject({ fresh: true, tracked: 0 });
    expect(warnings).toEqual([expect.stringContaining('unreadable')]);
    closeAll();
    expect(stateFiles()).toEqual(before);
  });
});

describe('acknowledgements (appended, merged at the end of the run)', () => {
  const updated = (id: string, fingerprint: number): Ack => ({ id, fingerprint, status: 'updated' });

  it('survive a kill -9 before finishRun: a dry run reads them from a copy, the next writing open merges them (since and acked right)', () => {
    const first = night([updated('a', FP_A), updated('b', FP_B)]);
    // The child runs the state module built on its own: dist/ is one bundle, whose chunks have no stable names.
    const dist = path.join(REPO, 'build', 'test', 'segment-state.js');
    buildSync({
      entryPoints: [path.join(REPO, 'src', 'state', 'segment-state.ts')],
      outfile: dist,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['better-sqlite3'],
      logLevel: 'warning',
    });
    // Run 2 gets a (unchanged), b (changed), c (new, not found) acknowledged, in two requests, and is killed.
    const script = `
      import { SegmentState } from ${JSON.stringify(dist)};
      const state = SegmentState.open({ stateDir: ${JSON.stringify(stateDir)}, identity: ${JSON.stringify(IDENTITY)}, write: true, onWarning: () => {} });
      state.beginRun({ runId: 'killed', startedAt: new Date(), mode: 'diff', fullResync: false });
      state.record([{ id: 'a', fingerprint: ${FP_A}, status: 'updated' }, { id: 'b', fingerprint: ${FP_C}, status: 'updated' }]);
      state.record([{ id: 'c', fingerprint: ${FP_B}, status: 'not_found' }]);
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const killed = first + 1;

    // The log was not replayed into the file: a dry run reads a copy, merges there, and changes nothing.
    const before = stateBytes();
    expect(Object.keys(before).some((name) => name.endsWith('-wal'))).toBe(true);
    warnings = [];
    const dry = open({ write: false });
    expect(dry).toMatchObject({ fresh: false, tracked: 3 });
    expect(warnings).toEqual([
      expect.stringContaining('stopped without closing it'),
      expect.stringContaining('holds 3 acknowledgements of an interrupted run, not yet merged'),
    ]);
    const merged = {
      a: { fp: FP_A, status: 1, since: first, acked: killed },
      b: { fp: FP_C, status: 1, since: killed, acked: killed },
      c: { fp: FP_B, status: 2, since: killed, acked: killed },
    };
    expect(scanned(dry)).toEqual(merged);
    closeAll();
    expect(stateBytes()).toEqual(before);

    warnings = [];
    const state = open();
    expect(warnings).toEqual([expect.stringContaining('merged 3 acknowledgements of an interrupted run')]);
    expect(state).toMatchObject({ fresh: false, tracked: 3 });
    expect(scanned(state)).toEqual(merged);
    closeAll();
    expect(storedCustomers()).toEqual(merged);
    expect(pendingAcks()).toBe(0);
    // Merged once: the next open has nothing to say.
    warnings = [];
    open();
    expect(warnings).toEqual([]);
  });

  it('are merged at finishRun, the last acknowledgement of an id winning, since compared with what was stored', () => {
    const first = night([updated('a', FP_A), updated('b', FP_A), updated('c', FP_A)]);
    const state = open();
    const second = state.beginRun({ runId: 'r2', startedAt: new Date(), mode: 'diff', fullResync: false });
    state.record([updated('a', FP_B), updated('b', FP_B), updated('d', FP_A), { id: 'd', fingerprint: FP_B, status: 'not_found' }]);
    state.record([updated('a', FP_A), updated('b', FP_C)]);
    state.finishRun({ status: 'done', exitCode: 0, counts: {} });
    closeAll();
    expect(pendingAcks()).toBe(0);
    expect(storedCustomers()).toEqual({
      // Back to what was stored: since is kept (the answer in between never reached the state).
      a: { fp: FP_A, status: 1, since: first, acked: second },
      b: { fp: FP_C, status: 1, since: second, acked: second },
      c: { fp: FP_A, status: 1, since: first, acked: first },
      d: { fp: FP_B, status: 2, since: second, acked: second },
    });
  });

  it('of a run closed without finishRun are kept: a read-only open sees them and leaves the file byte-identical, the next writing open merges them', () => {
    const first = night([updated('a', FP_A), updated('gone', FP_B)]);
    const state = open();
    const second = state.beginRun({ runId: 'stopped', startedAt: new Date(), mode: 'mirror', fullResync: false });
    state.record([updated('a', FP_C), updated('n', FP_A)]);
    state.record([updated('gone', EMPTY_FINGERPRINT)]);
    closeAll();
    // The table file is the first run's: the stopped one wrote none.
    expect(stateFiles()).toEqual([path.basename(state.file), `${path.basename(state.file)}-table`]);
    expect(pendingAcks()).toBe(3);

    const before = stateBytes();
    warnings = [];
    const dry = open({ write: false });
    expect(dry).toMatchObject({ fresh: false, tracked: 3 });
    expect(warnings).toEqual([
      expect.stringMatching(/holds 3 acknowledgements of an interrupted run, not yet merged: this dry run merges them in a private copy/),
    ]);
    const merged = {
      a: { fp: FP_C, status: 1, since: second, acked: second },
      // gone was cleared by the stopped run: its segments are empty now, nothing left to clear.
      gone: { fp: EMPTY_FINGERPRINT, status: 1, since: second, acked: second },
      n: { fp: FP_A, status: 1, since: second, acked: second },
    };
    expect(scanned(dry)).toEqual(merged);
    expect(stateBytes()).toEqual(before);
    closeAll();
    expect(stateBytes()).toEqual(before);

    warnings = [];
    const next = open();
    expect(next).toMatchObject({ fresh: false, tracked: 3 });
    expect(warnings).toEqual([expect.stringContaining('merged 3 acknowledgements of an interrupted run')]);
    expect(scanned(next)).toEqual(merged);
    closeAll();
    expect(storedCustomers()).toEqual(merged);
    expect(first).toBe(1);
  });
});

describe('storage errors are a LocalStorageError naming the place', () => {
  it('when --state-dir is under a file', () => {
    writeFileSync(path.join(root, 'file'), 'x');
    stateDir = path.join(root, 'file', 'state');
    expect(() => open()).toThrow(LocalStorageError);
  });

  it('when the state file cannot be opened (a directory is in its place)', () => {
    mkdirSync(segmentStatePath(stateDir, IDENTITY), { recursive: true });
    let error: unknown;
    try {
      open();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LocalStorageError);
    expect((error as LocalStorageError).message).toContain(stateDir);
    expect((error as LocalStorageError).errno).toMatch(/^(EISDIR|SQLITE_CANTOPEN)/);
  });

  it('when SQLite cannot create its log beside an existing state', () => {
    night([{ id: 'a', fingerprint: FP_A, status: 'updated' }]);
    mkdirSync(`${segmentStatePath(stateDir, IDENTITY)}-wal`);
    let error: unknown;
    try {
      open();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LocalStorageError);
    expect((error as LocalStorageError).errno).toMatch(/^SQLITE_(CANTOPEN|IOERR)/);
    expect((error as LocalStorageError).message).toContain(`segment state ${segmentStatePath(stateDir, IDENTITY)}`);
  });

  const asRoot = process.getuid?.() === 0;
  (asRoot ? it.skip : it)('when the state dir is read-only (not as root: root writes anyway)', () => {
    mkdirSync(stateDir, { recursive: true });
    chmodSync(stateDir, 0o555);
    try {
      expect(() => open()).toThrow(LocalStorageError);
    } finally {
      chmodSync(stateDir, 0o755);
    }
  });
});
