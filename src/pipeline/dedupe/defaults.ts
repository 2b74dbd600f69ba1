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
   * The id log stays in memory up to this size (~2.8M ids of 10 characters) when the input is
   * expected to have no more ids than fit, so that confirming a duplicate is a memory compare, not a
   * ~12 µs read syscall (see id-log.ts). Inputs expected to hold more keep it all in the file.
   */
  memoryLogBytes: 48 << 20,
  /** A log record's size for a typical id (8 bytes of numbers, 10 Latin-1 characters): for that expectation. */
  expectedLogBytesPerId: 18,
} as const;
