/**
 * `segment-sync state show` and `state reset`, through the built CLI, on states made with
 * SegmentState directly (as a diff/mirror run leaves them).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { runCli } from '../support/cli.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';
import { ENDPOINTS } from '../../src/config/defaults.js';
import { SegmentState, type StateIdentity } from '../../src/state/segment-state.js';
import { EMPTY_FINGERPRINT, fingerprintOf } from '../../src/state/segments-fingerprint.js';
import { segmentStatePath } from '../../src/state/state-files.js';

const STAGING: StateIdentity = { endpoint: ENDPOINTS.staging, idColumn: 'document_id' };
const LOCAL: StateIdentity = {
  endpoint: 'http://127.0.0.1:8787/api/v3/customers/segments',
  idColumn: 'customer_id',
  shard: { index: 1, count: 4 },
};
const FP = fingerprintOf([{ type: 'tier', value: 'gold' }]);

let dirs: Workspace;
beforeEach(async () => {
  dirs = await makeWorkspace();
});
afterEach(async () => {
  await dirs.remove();
});

/** A state as a finished diff run leaves it: 2 customers with segments, 1 with none, 1 not found. */
function makeState(identity: StateIdentity, opts: { finish?: boolean } = {}): string {
  const state = SegmentState.open({ stateDir: dirs.state, identity, write: true, onWarning: () => {} });
  state.beginRun({ runId: 'run-one', startedAt: new Date('2026-11-20T21:00:00.000Z'), mode: 'mirror', fullResync: true });
  state.record([
    { id: 'a', fingerprint: FP, status: 'updated' },
    { id: 'b', fingerprint: FP, status: 'updated' },
    { id: 'c', fingerprint: EMPTY_FINGERPRINT, status: 'updated' },
    { id: 'd', fingerprint: FP, status: 'not_found' },
  ]);
  if (opts.finish !== false) state.finishRun({ status: 'done', exitCode: 0, counts: { updated: 3 } });
  state.close();
  return state.file;
}

describe('state show', () => {
  it('says there is no state, exit 0', async () => {
    const { code, stdout } = await runCli(['state', 'show', '--state-dir', dirs.state]);
    expect(code).toBe(0);
    expect(stdout).toContain(`No segment state in ${dirs.state}`);
    expect(existsSync(dirs.state)).toBe(false);
  });

  it('lists each state: endpoint, id column, shard, customers by status, last run', async () => {
    makeState(STAGING);
    makeState(LOCAL, { finish: false });
    const before = readdirSync(dirs.state).sort();
    const { code, stdout, stderr } = await runCli(['state', 'show', '--state-dir', dirs.state]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(`${dirs.state}: 2 segment states`);
    expect(stdout).toContain(`endpoint   ${ENDPOINTS.staging}`);
    expect(stdout).toContain('customers  4 tracked: 2 with segments, 1 with none, 1 not found');
    expect(stdout).toContain('last run   #1 run-one: mirror --full-resync, started 2026-11-20T21:00:00.000Z, finished ');
    expect(stdout).toContain(', done, exit 0');
    expect(stdout).toContain('id column  customer_id');
    expect(stdout).toContain('shard      1/4');
    expect(stdout).toContain('not finished (stopped or still running)');
    expect(stdout).toMatch(/resync +a full resync begun in run #1 is unfinished/);
    // The unfinished run's answers are still in acks: told, not merged (show changes nothing).
    expect(stdout).toContain('customers  0 tracked: 0 with segments, 0 with none, 0 not found');
    expect(stdout).toMatch(
      /pending +4 acknowledgements of an interrupted run not yet merged \(not counted above\): the next run merges them/,
    );
    // Read-only: not a file more or less.
    expect(readdirSync(dirs.state).sort()).toEqual(before);

    const json = await runCli(['state', 'show', '--state-dir', dirs.state, '--json']);
    const shown = JSON.parse(json.stdout) as { states: { endpoint: string; customers: object; lastRun: object }[] };
    expect(shown.states.find((s) => s.endpoint === ENDPOINTS.staging)).toMatchObject({
      condition: 'ok',
      idColumn: 'document_id',
      shard: '',
      current: true,
      customers: { tracked: 4, withSegments: 2, empty: 1, notFound: 1 },
      lastRun: { run: 1, runId: 'run-one', mode: 'mirror', fullResync: true, status: 'done', exitCode: 0 },
      pendingAcks: 0,
    });
    expect(shown.states.find((s) => s.endpoint === LOCAL.endpoint)).toMatchObject({
      customers: { tracked: 0 },
      pendingAcks: 4,
      lastRun: { finishedAt: null },
    });
  });

  it('says a state held by a running sync is in use, and exits 0', async () => {
    const file = makeState(STAGING);
    const holder = holdExclusively(file);
    try {
      await holder.ready;
      const { code, stdout } = await runCli(['state', 'show', '--state-dir', dirs.state]);
      expect(code).toBe(0);
      expect(stdout).toContain('in use by a running sync');
      // And a reset refuses to remove it.
      const reset = await runCli(['state', 'reset', '--state-dir', dirs.state, '--env', 'staging']);
      expect(reset.code).toBe(2);
      expect(reset.stderr).toContain('in use by a running sync: nothing removed');
      expect(existsSync(file)).toBe(true);
    } finally {
      holder.child.kill('SIGKILL');
      await once(holder.child, 'close');
    }
  });
});

describe('state reset', () => {
  it('with --yes removes only the state of that endpoint (and id column, and shard)', async () => {
    const staging = makeState(STAGING);
    const local = makeState(LOCAL);
    const { code, stdout, stderr } = await runCli([
      'state',
      'reset',
      '--state-dir',
      dirs.state,
      '--endpoint',
      LOCAL.endpoint,
      '--id-column',
      'customer_id',
      '--shard',
      '1/4',
      '--yes',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(`Forgot the state of ${LOCAL.endpoint}, id column customer_id, shard 1/4: removed ${local}`);
    expect(existsSync(local)).toBe(false);
    expect(existsSync(staging)).toBe(true);
    // The state-dir lock was released; staging's table file (written by its run) stays beside it.
    const name = staging.slice(dirs.state.length + 1);
    expect(readdirSync(dirs.state).sort()).toEqual([name, `${name}-table`]);
  });

  it('of an unknown endpoint says there is nothing to forget', async () => {
    const staging = makeState(STAGING);
    const { code, stdout } = await runCli(['state', 'reset', '--state-dir', dirs.state, '--environment', 'production']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Nothing to forget: no state of production (${ENDPOINTS.production}), id column document_id`);
    expect(stdout).toContain('It holds 1 other state');
    expect(existsSync(staging)).toBe(true);
    expect(segmentStatePath(dirs.state, { ...STAGING, endpoint: ENDPOINTS.production })).not.toBe(staging);
  });

  it('names the flag of a bad option', async () => {
    const noTarget = await runCli(['state', 'reset', '--state-dir', dirs.state]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('--env staging|production or --endpoint');
    const badShard = await runCli(['state', 'reset', '--state-dir', dirs.state, '--env', 'staging', '--shard', '4/4']);
    expect(badShard.code).toBe(2);
    expect(badShard.stderr).toContain('--shard must be i/n');
  });
});

/** Another process holding a state open as a sync does (EXCLUSIVE locking, WAL, a write). */
function holdExclusively(file: string): { child: ReturnType<typeof spawn>; ready: Promise<void> } {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const script = `
    const Database = require(${JSON.stringify(sqlite)});
    const db = new Database(${JSON.stringify(file)});
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('held', 'yes')").run();
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
  });
  return { child, ready };
}
