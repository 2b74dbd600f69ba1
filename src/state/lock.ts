/**
 * One run per state dir. The lock file `<stateDir>/lock` names its holder; the holder refreshes the
 * file's mtime as a heartbeat. A second run exits 2 at once naming the holder, unless the holder is
 * provably gone (see lock-holder.ts), in which case it takes over with a warning.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { UsageError } from '../core/errors.js';
import { ensureDir, storageGuard } from '../core/storage-error.js';
import { STATE_DEFAULTS } from './defaults.js';
import {
  describeHolder,
  judgeHolder,
  parseHolder,
  sameHolder,
  serializeHolder,
  type LockHolder,
  type HolderStaleness,
} from './lock-holder.js';
import { requireNonEmpty, requirePositiveMs } from './option-checks.js';
import { lockPath } from './paths.js';

export interface AcquireLockOptions {
  stateDir: string;
  /** Identifies this run in the lock file and in the messages of a run that finds it. */
  runId: string;
  staleAfterMs?: number;
  /**
   * A lock held from another host with a live heartbeat may be a pod killed without cleanup (OOM,
   * node loss) whose Job retry starts elsewhere within seconds. Wait up to this long for such a
   * heartbeat to go stale before giving up. Default: one stale period. Same-host locks never wait.
   */
  waitForRemoteMs?: number;
  onWarning?: (message: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface StateLock {
  /** Removes the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

interface Context {
  stateDir: string;
  file: string;
  me: LockHolder;
  staleAfterMs: number;
  /** Until when (ctx.now() clock) a live lock from another host is waited for. */
  waitRemoteUntil: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  warn: (message: string) => void;
}

/** Lock files held by this process: a second acquire from the same process must fail, not take over. */
const heldHere = new Set<string>();

/** Create → find stale → remove → create again; more rounds than that means a live race. */
const MAX_ATTEMPTS = 3;

export async function acquireLock(opts: AcquireLockOptions): Promise<StateLock> {
  const ctx = contextOf(opts);
  // A state dir that cannot be written is a LocalStorageError (exit 8) naming it, not a bug.
  await ensureDir(ctx.stateDir, 'the state lock');
  for (let attempt = 0; attempt < MAX_ATTEMPTS;) {
    if (await storageGuard(ctx.file, 'the state lock', () => createExclusively(ctx.file, serializeHolder(ctx.me)))) return hold(ctx);
    if ((await takeOverIfStale(ctx)) === 'took-over') attempt++;
  }
  throw new UsageError(`could not lock state dir ${ctx.stateDir}: its lock file kept changing (is another run starting?)`, 'STATE_LOCKED');
}

function contextOf(opts: AcquireLockOptions): Context {
  const stateDir = requireNonEmpty('stateDir', opts.stateDir);
  const runId = requireNonEmpty('runId', opts.runId);
  const staleAfterMs = requirePositiveMs('staleAfterMs', opts.staleAfterMs ?? STATE_DEFAULTS.lockStaleAfterMs);
  const now = opts.now ?? Date.now;
  const waitForRemoteMs = opts.waitForRemoteMs ?? staleAfterMs;
  const me = { pid: process.pid, hostname: os.hostname(), runId, startedAt: new Date(now()).toISOString() };
  const sleep = opts.sleep ?? ((ms: number) => delay(ms));
  return {
    stateDir,
    file: lockPath(stateDir),
    me,
    staleAfterMs,
    waitRemoteUntil: now() + waitForRemoteMs,
    now,
    sleep,
    warn: opts.onWarning ?? (() => {}),
  };
}

/**
 * Creates the lock only if none exists, with its content complete from the first instant: the text
 * is written to a private temp file and hard-linked into place (link fails with EEXIST like 'wx').
 * Plain open('wx') + write would leave a moment where another run reads an empty lock, judges it
 * corrupt and therefore stale, and takes it over from a live run.
 */
async function createExclusively(file: string, text: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temp, text, { mode: 0o644 });
  try {
    return await placeExclusively(temp, file);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

/** Puts a copy of `source` at `target` unless `target` exists; false when it does. */
async function placeExclusively(source: string, target: string): Promise<boolean> {
  try {
    await fs.link(source, target).catch(async (err: NodeJS.ErrnoException) => {
      // Some network filesystems have no hard links: an exclusive copy is the next best thing.
      if (err.code !== 'EPERM' && err.code !== 'ENOTSUP' && err.code !== 'ENOSYS') throw err;
      await fs.copyFile(source, target, fsConstants.COPYFILE_EXCL);
    });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

interface SeenLock {
  text: string;
  holder: LockHolder | undefined;
  mtimeMs: number;
}

/** The lock file as it is now; undefined when there is none. */
async function readLock(file: string): Promise<SeenLock | undefined> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const text = await handle.readFile('utf8');
    const stat = await handle.stat();
    return { text, holder: parseHolder(text), mtimeMs: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

/**
 * Throws UsageError when the lock's holder is alive (after waiting a while if it is on another
 * host); otherwise removes the stale lock.
 */
async function takeOverIfStale(ctx: Context): Promise<'took-over' | 'retry'> {
  const seen = await readLock(ctx.file);
  if (!seen) return 'retry'; // Released meanwhile: just try again.
  const verdict = verdictOn(seen, ctx);
  if (!verdict.stale) {
    const { holder } = seen;
    if (holder === undefined || !isRemote(holder, ctx) || ctx.now() >= ctx.waitRemoteUntil) throw lockedError(ctx.file, holder);
    const wait = Math.min(ctx.waitRemoteUntil - ctx.now(), ctx.staleAfterMs / STATE_DEFAULTS.heartbeatsPerStalePeriod);
    ctx.warn(
      `state dir is locked by ${describeHolder(holder)} on another host; waiting ${Math.ceil(wait / 1000)} s for its heartbeat to stop (it may be a pod that was killed)`,
    );
    await ctx.sleep(wait);
    return 'retry';
  }
  ctx.warn(`taking over the stale lock of ${seen.holder ? describeHolder(seen.holder) : 'an unknown run'}: ${verdict.reason}`);
  await removeIfUnchanged(ctx.file, seen.text, ctx.me.runId);
  return 'took-over';
}

function isRemote(holder: LockHolder | undefined, ctx: Context): boolean {
  return holder !== undefined && holder.hostname !== ctx.me.hostname;
}

function verdictOn(seen: SeenLock, ctx: Context): HolderStaleness {
  if (heldHere.has(ctx.file)) return { stale: false };
  return judgeHolder(seen.holder, {
    hostname: ctx.me.hostname,
    pid: ctx.me.pid,
    heartbeatAgeMs: ctx.now() - seen.mtimeMs,
    staleAfterMs: ctx.staleAfterMs,
    isPidAlive,
  });
}

function lockedError(file: string, holder: LockHolder | undefined): UsageError {
  const who = holder ? describeHolder(holder) : 'another run';
  return new UsageError(
    `state dir is in use by another run: ${who}. Wait for it to finish; if you are sure it is not running, delete ${file}`,
    'STATE_LOCKED',
  );
}

/**
 * Two runs may both judge the same lock stale. Each moves the lock aside under a private name
 * (rename is atomic, so only one gets the file) and checks it moved the lock it judged: if another
 * run had already replaced it with a live lock, that lock is put back.
 */
async function removeIfUnchanged(file: string, judgedText: string, runId: string): Promise<void> {
  const aside = `${file}.stale.${runId}.${process.pid}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    if ((await fs.readFile(aside, 'utf8')) !== judgedText) await placeExclusively(aside, file);
  } finally {
    await fs.rm(aside, { force: true });
  }
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function hold(ctx: Context): StateLock {
  heldHere.add(ctx.file);
  const stopHeartbeat = startHeartbeat(ctx);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      stopHeartbeat();
      heldHere.delete(ctx.file);
      const seen = await readLock(ctx.file);
      if (sameHolder(seen?.holder, ctx.me)) await fs.rm(ctx.file, { force: true });
    },
  };
}

/** Refreshes the lock's mtime on an unref'd timer (it must never keep the process alive). */
function startHeartbeat(ctx: Context): () => void {
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return;
    beating = true;
    void beat(ctx, stop).finally(() => {
      beating = false;
    });
  }, ctx.staleAfterMs / STATE_DEFAULTS.heartbeatsPerStalePeriod);
  timer.unref();
  function stop(): void {
    clearInterval(timer);
  }
  return stop;
}

async function beat(ctx: Context, stop: () => void): Promise<void> {
  try {
    const seen = await readLock(ctx.file);
    if (!sameHolder(seen?.holder, ctx.me)) {
      stop();
      const now = seen?.holder ? describeHolder(seen.holder) : 'nobody';
      ctx.warn(`lost the state dir lock ${ctx.file} (now held by ${now}); another run may be writing the same state`);
      return;
    }
    const time = new Date(ctx.now());
    await fs.utimes(ctx.file, time, time);
  } catch (err) {
    ctx.warn(`could not refresh the heartbeat of lock ${ctx.file}: ${(err as Error).message}`);
  }
}
