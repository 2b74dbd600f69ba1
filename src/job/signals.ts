/**
 * Graceful stop. The first SIGTERM/SIGINT fires `stop`: no new request starts, the report gets
 * written. `abort` fires `graceMs` later and cancels requests still in flight. A second signal
 * aborts at once. The exit code says which signal stopped the run (130 or 143).
 */
import { setMaxListeners } from 'node:events';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';

export interface StopSignals {
  stop: AbortSignal;
  abort: AbortSignal;
  /** The exit code of the signal received, if any. */
  interruptedWith(): ExitCodeValue | undefined;
  dispose(): void;
}

export function watchSignals(graceMs: number, onSignal: (name: string) => void): StopSignals {
  const stop = new AbortController();
  const abort = new AbortController();
  // Every queued request and backoff sleep listens to these: many listeners is the design, not a leak.
  setMaxListeners(0, stop.signal, abort.signal);
  let code: ExitCodeValue | undefined;
  let graceTimer: NodeJS.Timeout | undefined;

  const handler = (name: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      abort.abort();
      return;
    }
    code = name === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated;
    onSignal(name);
    stop.abort();
    graceTimer = setTimeout(() => abort.abort(), graceMs);
    graceTimer.unref();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    stop: stop.signal,
    abort: abort.signal,
    interruptedWith: () => code,
    dispose() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      if (graceTimer) clearTimeout(graceTimer);
    },
  };
}
