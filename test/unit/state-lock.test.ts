import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { acquireLock, type AcquireLockOptions, type StateLock } from '../../src/state/lock.js';

let root: string;
let stateDir: string;
let lockFile: string;
let warnings: string[];
const held: StateLock[] = [];

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'state-lock-'));
  stateDir = path.join(root, 'nested', 'state');
  lockFile = path.join(stateDir, 'lock');
  warnings = [];
});

afterEach(async () => {
  await Promise.all(held.splice(0).map((lock) => lock.release()));
  await fs.rm(root, { recursive: true, force: true });
});

async function acquire(
  runId: string,
  extra: Partial<Pick<AcquireLockOptions, 'staleAfterMs' | 'waitForRemoteMs' | 'now' | 'sleep'>> = {},
): Promise<StateLock> {
  const lock = await acquireLock({ stateDir, runId, onWarning: (m) => warnings.push(m), ...extra });
  held.push(lock);
  return lock;
}

async function writeForeignLock(holder: { pid: number; hostname: string; runId: string; startedAt: string }): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true });
  await fs.writeFile(lockFile, JSON.stringify(holder));
}

/** The pid of a process that has run and exited, so nothing (for now) has that pid. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

const STARTED = '2024-05-01T02:00:00.000Z';

describe('acquireLock', () => {
  it('creates the state dir and a lock naming this process and run', async () => {
    await acquire('run-1');
    const holder = JSON.parse(await fs.readFile(lockFile, 'utf8'));
    expect(holder).toEqual({ pid: process.pid, hostname: os.hostname(), runId: 'run-1', startedAt: expect.any(String) });
  });

  it('refuses a second run while the first holds the lock, naming its pid and start time', async () => {
    await acquire('run-1', { now: () => Date.parse(STARTED) });
    const second = acquire('run-2');
    await expect(second).rejects.toThrow(UsageError);
    await expect(second).rejects.toThrow(`pid ${process.pid} on host ${os.hostname()}, started ${STARTED}`);
    await expect(second).rejects.toMatchObject({ exitCode: 2, code: 'STATE_LOCKED' });
  });

  it('refuses while another live process on this host holds the lock', async () => {
    await writeForeignLock({ pid: process.ppid, hostname: os.hostname(), runId: 'other', startedAt: STARTED });
    await expect(acquire('run-2')).rejects.toThrow(`pid ${process.ppid} on host ${os.hostname()}, started ${STARTED}`);
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8')).runId).toBe('other');
  });

  it('takes over the lock of a dead pid on this host, with a warning naming it', async () => {
    const pid = await deadPid();
    await writeForeignLock({ pid, hostname: os.hostname(), runId: 'crashed', startedAt: STARTED });
    await acquire('run-2');
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, runId: 'run-2' });
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`stale lock of pid ${pid} .*no longer running`))]);
  });

  it('takes over a lock left with this very pid by an earlier process (a restarted container)', async () => {
    await writeForeignLock({ pid: process.pid, hostname: os.hostname(), runId: 'before-restart', startedAt: STARTED });
    await acquire('run-2');
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8')).runId).toBe('run-2');
    expect(warnings).toEqual([expect.stringContaining('left by an earlier process with this pid')]);
  });

  it('lets exactly one of several simultaneous runs in', async () => {
    const runIds = ['run-a', 'run-b', 'run-c'];
    const results = await Promise.allSettled(runIds.map((runId) => acquire(runId)));
    const winners = runIds.filter((_, i) => results[i]!.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8')).runId).toBe(winners[0]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([
      expect.any(UsageError),
      expect.any(UsageError),
    ]);
  });

  it('takes over the lock of a run on another host once its heartbeat is older than staleAfterMs', async () => {
    await writeForeignLock({ pid: 1, hostname: 'node-that-died', runId: 'crashed', startedAt: STARTED });
    const old = new Date(Date.now() - 10 * 60_000);
    await fs.utimes(lockFile, old, old);
    await acquire('run-2', { staleAfterMs: 120_000 });
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8')).runId).toBe('run-2');
    expect(warnings).toEqual([expect.stringMatching(/stale lock of pid 1 on host node-that-died.*heartbeat is \d+ s old/)]);
  });

  it('respects the lock of a run on another host while its heartbeat stays fresh', async () => {
    await writeForeignLock({ pid: 1, hostname: 'other-node', runId: 'alive', startedAt: STARTED });
    await expect(acquire('run-2', { staleAfterMs: 120_000, waitForRemoteMs: 0 })).rejects.toThrow('pid 1 on host other-node');
  });

  it('waits for a fresh lock from another host to go stale (a killed pod), then takes it over', async () => {
    await writeForeignLock({ pid: 1, hostname: 'other-node', runId: 'killed', startedAt: STARTED });
    let clock = Date.now();
    const sleeps: number[] = [];
    await acquire('run-2', {
      staleAfterMs: 1_000,
      now: () => clock,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    expect(sleeps.length).toBeGreaterThan(0);
    expect(warnings.some((w) => w.includes('waiting'))).toBe(true);
    expect(warnings.at(-1)).toContain('taking over the stale lock of pid 1 on host other-node');
  });

  it('gives up on a live lock from another host once the wait is over', async () => {
    await writeForeignLock({ pid: 1, hostname: 'other-node', runId: 'alive', startedAt: STARTED });
    let clock = Date.now();
    const lockTouched = Date.now();
    await expect(
      acquire('run-2', {
        staleAfterMs: 60_000,
        waitForRemoteMs: 1_000,
        now: () => clock,
        // The holder keeps beating: its heartbeat stays as fresh as the clock.
        sleep: async (ms: number) => {
          clock += ms;
          await fs.utimes(lockFile, new Date(clock), new Date(clock));
        },
      }),
    ).rejects.toThrow('pid 1 on host other-node');
    expect(clock).toBeGreaterThan(lockTouched);
  });

  it('treats an empty or corrupt lock file as stale', async () => {
    await fs.mkdir(stateDir, { recursive: true });
    await fs.writeFile(lockFile, '');
    await acquire('run-2');
    expect(warnings).toEqual([expect.stringContaining('empty or corrupt')]);
  });

  it('lets the next run acquire once the holder releases', async () => {
    const first = await acquire('run-1');
    await first.release();
    await expect(fs.stat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
    await acquire('run-2');
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8')).runId).toBe('run-2');
  });

  it('does not remove, on release, a lock another run has taken over', async () => {
    const first = await acquire('run-1');
    await fs.writeFile(lockFile, JSON.stringify({ pid: 1, hostname: 'other-node', runId: 'usurper', startedAt: STARTED }));
    await first.release();
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8')).runId).toBe('usurper');
  });

  it('refreshes the heartbeat while held', async () => {
    await acquire('run-1', { staleAfterMs: 200 });
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockFile, old, old);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fs.stat(lockFile)).mtimeMs).toBeGreaterThan(old.getTime() + 30_000);
  });

  it('warns and stops beating when another run has taken the lock over', async () => {
    await acquire('run-1', { staleAfterMs: 200 });
    await fs.writeFile(lockFile, JSON.stringify({ pid: 1, hostname: 'other-node', runId: 'usurper', startedAt: STARTED }));
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockFile, old, old);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(warnings).toEqual([expect.stringContaining('lost the state dir lock')]);
    expect((await fs.stat(lockFile)).mtimeMs).toBeLessThan(old.getTime() + 1000);
  });

  it("rejects bad options up front as a bug (the config checked the user's), naming the option and value", async () => {
    await expect(acquireLock({ stateDir, runId: '' })).rejects.toThrow(RangeError);
    await expect(acquireLock({ stateDir, runId: '' })).rejects.toThrow(/runId .*""/);
    await expect(acquireLock({ stateDir, runId: 'r', staleAfterMs: -5 })).rejects.toThrow(/staleAfterMs .*-5/);
  });
});
