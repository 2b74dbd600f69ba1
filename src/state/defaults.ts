/**
 * Defaults of the run-state layer. The CLI-level defaults (such as the state dir itself) live in
 * src/config/defaults.ts; these are the knobs only the lock and journal use.
 */
export const STATE_DEFAULTS = {
  /**
   * A lock whose heartbeat is older than this belongs to a run that died without releasing it
   * (e.g. a pod killed on another node, where its pid cannot be checked). Two minutes tolerates
   * long GC pauses and slow volumes while letting a retried Job pod resume soon after.
   */
  lockStaleAfterMs: 120_000,
  /** The holder refreshes the heartbeat this many times per stale period, so one missed beat is harmless. */
  heartbeatsPerStalePeriod: 4,
  /** Hex digits of the fingerprint in the journal's file name (the header holds the whole of it). */
  journalNameDigits: 16,
} as const;
