/** The run status of summary.json. Pure. */
import type { Counts, RunStatus } from '../types.js';

/** What happened to the run as a whole, besides the counts. */
export interface RunFacts {
  /** The input was rejected before anything was sent. */
  rejected: boolean;
  /** Stopped by SIGINT/SIGTERM. */
  interrupted: boolean;
  /** The endpoint rejected the credentials. */
  authFailed: boolean;
}

/**
 * rejected → interrupted → failed (credentials refused, or customers to send and none delivered)
 * → partial (some failed) → succeeded (every unique valid customer updated or not_found, also when
 * there were none).
 */
export function decideStatus(counts: Counts, facts: RunFacts): RunStatus {
  if (facts.rejected) return 'rejected';
  if (facts.interrupted) return 'interrupted';
  if (facts.authFailed) return 'failed';
  if (counts.failed === 0) return 'succeeded';
  const delivered = counts.updated + counts.notFound;
  return delivered === 0 ? 'failed' : 'partial';
}

/** Worst first: the status of a merged report is the worst of its parts. */
const SEVERITY: readonly RunStatus[] = ['rejected', 'interrupted', 'failed', 'partial', 'succeeded'];

export function worstStatus(statuses: readonly RunStatus[]): RunStatus {
  return SEVERITY.find((status) => statuses.includes(status)) ?? 'succeeded';
}

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (SEVERITY as readonly string[]).includes(value);
}
