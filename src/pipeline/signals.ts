/**
 * Graceful stop. The first SIGTERM/SIGINT/SIGHUP fires `stop`: no new request starts, the report
 * gets written. `abort` fires `graceMs` later and cancels requests still in flight. A second signal
 * aborts at once. The exit code says which signal stopped the run (129, 130 or 143). SIGHUP (a
 * closed terminal or ssh session, `kill -HUP`) would otherwise kill the process on the spot, with
 * no report and the temp files left behind: it is treated like SIGTERM.
 */
import { setMaxListeners } from 'node:events';
import { ExitCode, type ExitCodeValue } from '../core/exit-codes.js';

export interface StopSignals {
  stop: AbortSignal;
  abort: AbortSignal;
  /** The exit code of the signal received, if any. */
  interruptedWith(): ExitCodeValue | undefined;
  dispose(): void;
}

/** The signals that stop a run gracefully, and the exit code each one ends it with. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const EXIT_CODE_OF: Partial<Record<NodeJS.Signals, ExitCodeValue>> = {
  SIGTERM: ExitCode.Terminated,
  SIGINT: ExitCode.Interrupted,
  SIGHUP: ExitCode.HungUp,
};

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
    code = EXIT_CODE_OF[name] ?? ExitCode.Terminated;
    onSignal(name);
    stop.abort();
    graceTimer = setTimeout(() => abort.abort(), graceMs);
    graceTimer.unref();
  };
  for (const name of STOP_SIGNALS) process.on(name, handler);
  return {
    stop: stop.signal,
    abort: abort.signal,
    interruptedWith: () => code,
    dispose() {
      for (const name of STOP_SIGNALS) process.off(name, handler);
      if (graceTimer) clearTimeout(graceTimer);
    },
  };
}
