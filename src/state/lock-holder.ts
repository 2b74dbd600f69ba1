/** What a lock file says about the run holding it, and whether that run is gone (pure). */

export interface LockHolder {
  pid: number;
  hostname: string;
  runId: string;
  /** ISO timestamp. */
  startedAt: string;
}

export function serializeHolder(holder: LockHolder): string {
  return `${JSON.stringify(holder)}\n`;
}

/** The holder named by a lock file's text, or undefined when the text is empty or corrupt. */
export function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      value &&
      typeof value.pid === 'number' &&
      Number.isSafeInteger(value.pid) &&
      value.pid > 0 &&
      typeof value.hostname === 'string' &&
      typeof value.runId === 'string' &&
      typeof value.startedAt === 'string'
    ) {
      return { pid: value.pid, hostname: value.hostname, runId: value.runId, startedAt: value.startedAt };
    }
  } catch {
    // Falls through: a lock we cannot read is treated like no holder at all.
  }
  return undefined;
}

export function sameHolder(a: LockHolder | undefined, b: LockHolder): boolean {
  return a !== undefined && a.pid === b.pid && a.hostname === b.hostname && a.runId === b.runId;
}

export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on host ${holder.hostname}, started ${holder.startedAt} (run ${holder.runId})`;
}

export interface Observer {
  hostname: string;
  pid: number;
  /** Milliseconds since the holder last refreshed the lock's mtime. */
  heartbeatAgeMs: number;
  staleAfterMs: number;
  isPidAlive(pid: number): boolean;
}

export type HolderStaleness = { stale: false } | { stale: true; reason: string };

export function judgeHolder(holder: LockHolder | undefined, observer: Observer): HolderStaleness {
  if (!holder) return { stale: true, reason: 'the lock file is empty or corrupt' };
  if (observer.heartbeatAgeMs > observer.staleAfterMs) {
    // Also covers a crashed pod on another node, whose pid cannot be checked from here.
    return { stale: true, reason: `its heartbeat is ${Math.round(observer.heartbeatAgeMs / 1000)} s old` };
  }
  if (holder.hostname !== observer.hostname) return { stale: false };
  // A container restarted in the same pod gets the same hostname and often the same pid as the run
  // it replaces; the caller has already ruled out that this very process holds the lock.
  if (holder.pid === observer.pid) return { stale: true, reason: `it was left by an earlier process with this pid` };
  if (!observer.isPidAlive(holder.pid)) return { stale: true, reason: `pid ${holder.pid} is no longer running` };
  return { stale: false };
}
