/** Tuning of the id index, in one place. See id-index.ts and id-log.ts for what each one trades. */
export const ID_INDEX_DEFAULTS = {
  /** Table slots before the first growth (8 bytes each); a power of two. */
  initialSlots: 1024,
  /**
   * Grow (double) when more than this share of slots is used. Linear probing stays short up to
   * ~0.75; 10M ids then fit in 2^24 slots = 128 MiB.
   */
  maxLoad: 0.75,
  /**
   * Largest table: 2^29 slots (4 GiB, 400M ids) — the most a resizable ArrayBuffer may reserve in
   * V8, and far beyond the memory a run has; past it, a clear error instead of a crash.
   */
  maxSlots: 2 ** 29,
  /** Appends to the id log are buffered this much before one write syscall. */
  writeBufferBytes: 1 << 20,
  /**
   * A lookup reads this much of the log at once. Pass 2 visits first occurrences in log order, so
   * one read serves the next ~50–100 lookups; a random read (a duplicate in pass 1) costs the same
   * page-cache copy as a tiny one.
   */
  readWindowBytes: 8 << 10,
} as const;
