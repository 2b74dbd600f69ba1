import { sendInOrder } from '../../src/pipeline/send/ordered.js';
import type { Batch, BatchResult } from '../../src/core/types.js';

const batch = (seq: number): Batch => ({ seq, customers: [], parts: [], bytes: 16, rows: [] });
const resultOf = (b: Batch): BatchResult => ({ batch: b, outcomes: [], errors: [], unexpectedIds: [], unexpectedCount: 0 });

/** A source of `count` batches that records how many have been pulled. */
function source(count: number) {
  const state = { pulled: 0 };
  async function* batches(): AsyncGenerator<Batch> {
    for (let seq = 0; seq < count; seq++) {
      state.pulled++;
      yield batch(seq);
    }
  }
  return { batches: batches(), state };
}

/** A send whose results are released by the test, in any order. */
function controlledSend() {
  const pending = new Map<number, (r: BatchResult) => void>();
  const failures = new Map<number, (e: Error) => void>();
  let inProgress = 0;
  let mostInProgress = 0;
  return {
    send: (b: Batch) =>
      new Promise<BatchResult>((resolve, reject) => {
        mostInProgress = Math.max(mostInProgress, ++inProgress);
        pending.set(b.seq, (r) => (inProgress--, resolve(r)));
        failures.set(b.seq, reject);
      }),
    finish: (seq: number) => pending.get(seq)!(resultOf(batch(seq))),
    fail: (seq: number, error: Error) => failures.get(seq)!(error),
    started: () => [...pending.keys()],
    most: () => mostInProgress,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('sendInOrder', () => {
  it('yields results in batch order when batches finish out of order', async () => {
    const { batches } = source(4);
    const control = controlledSend();
    const results = sendInOrder(batches, control.send, { window: 4 });
    const collected = (async () => {
      const seqs: number[] = [];
      for await (const r of results) seqs.push(r.batch.seq);
      return seqs;
    })();
    await tick();
    for (const seq of [3, 1, 2, 0]) {
      control.finish(seq);
      await tick();
    }
    await expect(collected).resolves.toEqual([0, 1, 2, 3]);
  });

  it('keeps at most `window` batches in progress and pulls no further while the oldest is stuck', async () => {
    const { batches, state } = source(10);
    const control = controlledSend();
    const results = sendInOrder(batches, control.send, { window: 3 });
    const first = results.next();
    await tick();
    control.finish(1);
    control.finish(2);
    await tick();
    expect(control.started()).toEqual([0, 1, 2]);
    expect(state.pulled).toBe(3);
    control.finish(0);
    expect((await first).value?.batch.seq).toBe(0);
    await tick();
    expect(state.pulled).toBeLessThanOrEqual(4);
    expect(control.most()).toBeLessThanOrEqual(3);
    await results.return(undefined);
  });

  it('propagates a failing send at once, without waiting for older batches', async () => {
    const { batches } = source(3);
    const control = controlledSend();
    const results = sendInOrder(batches, control.send, { window: 3 });
    const first = results.next();
    await tick();
    control.fail(2, new Error('bug in batch 2'));
    await expect(first).rejects.toThrow('bug in batch 2');
  });

  it('propagates a failing source', async () => {
    async function* broken(): AsyncGenerator<Batch> {
      yield batch(0);
      throw new Error('input broke');
    }
    const results = sendInOrder(broken(), async (b) => resultOf(b), { window: 2 });
    await expect(
      (async () => {
        for await (const _ of results);
      })(),
    ).rejects.toThrow('input broke');
  });

  it('rejects a window that is not a whole number ≥ 1', async () => {
    const { batches } = source(1);
    await expect(sendInOrder(batches, async (b) => resultOf(b), { window: 0 }).next()).rejects.toThrow(/window.*got 0/);
  });
});
