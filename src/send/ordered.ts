/**
 * Sends up to `window` batches at once and yields their results in batch order, so the report can
 * be written in input order while the slow batch and the fast ones overlap.
 *
 * Batches are pulled lazily: a new one is read only when a slot is free, so memory holds at most
 * `window` batches even while the oldest one is stuck retrying. A rejected `send` is a bug, not an
 * endpoint failure: it is propagated at once, not held back behind slower batches.
 */
import { UsageError } from '../errors.js';
import type { Batch, BatchResult } from '../types.js';

export interface OrderedOptions {
  /** Batches in progress at once (≥ 1). */
  window: number;
}

export async function* sendInOrder(
  batches: AsyncIterable<Batch>,
  send: (batch: Batch) => Promise<BatchResult>,
  { window }: OrderedOptions,
): AsyncGenerator<BatchResult> {
  if (!Number.isInteger(window) || window < 1) {
    throw new UsageError(`window must be a whole number ≥ 1 (got ${String(window)}).`);
  }
  const source = batches[Symbol.asyncIterator]();
  const inProgress: Promise<BatchResult>[] = [];
  const firstFailure = failureLatch();
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && inProgress.length < window) {
        const next = await source.next();
        if (next.done) exhausted = true;
        else inProgress.push(firstFailure.watch(send(next.value)));
      }
      const oldest = inProgress.shift();
      if (!oldest) return;
      yield await Promise.race([oldest, firstFailure.failed]);
    }
  } finally {
    // Stop the source when the consumer leaves early or something failed.
    if (!exhausted) await source.return?.();
  }
}

/** A promise that rejects with the first rejection of any watched promise. */
function failureLatch(): { failed: Promise<never>; watch<T>(p: Promise<T>): Promise<T> } {
  let reject!: (reason: unknown) => void;
  const failed = new Promise<never>((_, r) => {
    reject = r;
  });
  // Raced only while something is in progress; a later rejection must not be reported as unhandled.
  failed.catch(() => {});
  return {
    failed,
    watch(p) {
      p.catch(reject);
      return p;
    },
  };
}
