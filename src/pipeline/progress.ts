/**
 * A progress line every few seconds on long runs: what phase, rows read, customers sent and updated,
 * the current rate and an ETA. Pure formatting is separate from the timer so it can be tested.
 */
import type { Counts } from '../core/types.js';
import type { Logger } from '../core/log.js';

export interface ProgressState {
  phase: 'validating' | 'sending';
  rowsRead: number;
  /** Customers with a final outcome in this run (sent and answered, or failed). */
  customersDone: number;
  /** Customers to send in this run (known after validation). */
  customersTotal: number;
  counts: Counts;
}

/**
 * @param elapsedMs time since the phase started
 * @param doneAtPhaseStart customers already done when that time was taken, so the rate counts only
 *   the customers done within `elapsedMs`
 */
export function progressFields(state: ProgressState, elapsedMs: number, doneAtPhaseStart = 0): Record<string, unknown> {
  const seconds = Math.max(elapsedMs / 1000, 0.001);
  if (state.phase === 'validating') {
    return { phase: state.phase, rowsRead: state.rowsRead, rowsPerSecond: Math.round(state.rowsRead / seconds) };
  }
  const rate = Math.max(state.customersDone - doneAtPhaseStart, 0) / seconds;
  const remaining = Math.max(state.customersTotal - state.customersDone, 0);
  return {
    phase: state.phase,
    rowsRead: state.rowsRead,
    sent: state.customersDone,
    of: state.customersTotal,
    updated: state.counts.updated,
    notFound: state.counts.notFound,
    failed: state.counts.failed,
    customersPerSecond: Math.round(rate * 10) / 10,
    etaSeconds: rate > 0 ? Math.round(remaining / rate) : null,
  };
}

/**
 * Logs progress every `intervalMs` until stopped. A phase change is only seen at the next tick, by
 * which time some customers may be done already: they are left out of the rate, which would
 * otherwise be overstated for the first minutes of sending.
 */
export function startProgress(log: Logger, state: ProgressState, intervalMs: number): () => void {
  let phaseStart = Date.now();
  let phase = state.phase;
  let doneAtPhaseStart = state.customersDone;
  const timer = setInterval(() => {
    if (state.phase !== phase) {
      phase = state.phase;
      phaseStart = Date.now();
      doneAtPhaseStart = state.customersDone;
      return;
    }
    log.info('progress', progressFields(state, Date.now() - phaseStart, doneAtPhaseStart));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
