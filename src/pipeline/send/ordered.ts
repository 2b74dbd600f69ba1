/**
 * Sends up to `window` batches at once and yields their results in batch order, so the report can
 * be written in input order while the slow batch and the fast ones overlap.
 *
 * Batches are pulled lazily: a new one is read only when a slot is free, so memory holds at most
 * `window` batches even while the oldest one is stuck retrying. A rejected `send` is a bug, not an
 * endpoint failure: it is propagated at once, not held back behind slower batches.
 */
import type { Batch, BatchResult } from '../../core/types.js';

export interface OrderedOptions {
  /** Batches in progress at once (≥ 1). */
  window: number;
}

export async function* sendInOrder(
  batches: AsyncIterable<Batch>,
  send: (batch: Batch) => Promise<BatchResult>,
  { window }: OrderedOptions,
): AsyncGenerator<BatchResult> {
  // Derived from --concurrency (checked by resolveRunConfig): a bad window is a bug.
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`window must be a whole number ≥ 1 (got ${String(window)}).`);
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
      yield await firstFailure.orFirstFailure(oldest);
    }
  } finally {
    // Stop the source when the consumer leaves early or something failed.
    if (!exhausted) await source.return?.();
  }
}

/**
 * Watches promises for the first rejection. `orFirstFailure(p)` settles like `p`, or rejects as soon
 * as any watched promise has rejected. It does not use Promise.race against one long-lived promise:
 * every race would leave a reaction on it holding its result, keeping every batch of the run alive.
 */
function failureLatch(): { watch<T>(p: Promise<T>): Promise<T>; orFirstFailure<T>(p: Promise<T>): Promise<T> } {
  let failure: { error: unknown } | undefined;
  let wake: ((error: unknown) => void) | undefined;
  return {
    watch(p) {
      p.catch((error: unknown) => {
        failure ??= { error };
        wake?.(failure.error);
      });
      return p;
    },
    async orFirstFailure(p) {
      try {
        return await new Promise((resolve, reject) => {
          if (failure) return reject(failure.error);
          wake = reject;
          p.then(resolve, reject);
        });
      } finally {
        wake = undefined;
      }
    },
  };
}
