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
   * The id log's first records stay in memory up to this size (~1.3M ids of 10 characters), so that
   * confirming a duplicate is a memory compare, not a ~12 µs read syscall (see id-log.ts). At 10M
   * ids it is a tenth of the memory the index takes.
   */
  memoryLogBytes: 48 << 20,
} as const;
