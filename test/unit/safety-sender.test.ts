/**
 * Hostile answers and the auth race, against a fake client (no sockets): a 200 listing hundreds of
 * thousands of ids that were never sent, and a 401 whose token re-read is slow while requests wait.
 */
import { requestBody } from '../../src/pipeline/batch/index.js';
import { AuthError } from '../../src/core/errors.js';
import { createLimiter } from '../../src/pipeline/send/limiter.js';
import type { HttpOutcome } from '../../src/pipeline/send/post-outcome.js';
import { reconcile, UNEXPECTED_SAMPLE_SIZE } from '../../src/pipeline/send/reconcile.js';
import { NOT_SENT_AUTH, Sender, type SendEvent, type SenderOptions } from '../../src/pipeline/send/sender.js';
import type { Batch, CustomerRow } from '../../src/core/types.js';

function customerRow(id: string, ordinal: number): CustomerRow {
  return { ordinal, id, json: JSON.stringify({ document_id: id, segments: [] }), clears: true };
}

function batchOf(ids: string[], seq = 0): Batch {
  const customers = ids.map(customerRow);
  return { seq, customers, bytes: Buffer.byteLength(requestBody(customers)) };
}

const idsOf = (body: string): string[] =>
  (JSON.parse(body) as { customers: { document_id: string }[] }).customers.map((c) => c.document_id);

function senderWith(post: (body: string, token: string) => Promise<HttpOutcome>, overrides: Partial<SenderOptions> = {}) {
  const limiter = createLimiter({ rate: 0, concurrency: 1 });
  const events: SendEvent[] = [];
  const sender = new Sender({
    client: { post: (body, token) => post(body, token) },
    limiter,
    retry: { maxAttempts: 3, baseMs: 1, capMs: 2 },
    token: { current: () => 'old-token', reload: async () => false },
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    limits: { maxCustomers: 100 },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { sender, events, limiter };
}

describe('unexpected ids in a 200', () => {
  const ghosts = Array.from({ length: 200_000 }, (_, i) => `ghost-${i}`);

  it('reconcile keeps a capped sample and an exact count, and stays exact for the ids sent', () => {
    const result = reconcile(['a', 'b', 'c'], ['a', ...ghosts, 'c', ...ghosts.slice(0, 10)]);
    expect(result.outcomes).toEqual(['updated', 'not_found', 'updated']);
    expect(result.unexpectedCount).toBe(200_000);
    expect(result.unexpectedIds).toEqual(ghosts.slice(0, UNEXPECTED_SAMPLE_SIZE));
  });

  it('a 200 listing 200,000 ids that were not sent never crashes the sender', async () => {
    const acknowledged: string[][] = [];
    const { sender, events, limiter } = senderWith(
      async (body) => ({ kind: 'ok', updated: [...ghosts, ...idsOf(body).filter((id) => id !== 'b')] }),
      {
        onAcknowledged: (customers, outcomes) => acknowledged.push(customers.map((c, i) => `${c.id}:${outcomes[i]}`)),
      },
    );
    try {
      // Two answers for one batch (chunks of 2): the counts add up, the sample stays capped.
      const result = await sender.send({ ...batchOf(['a', 'b', 'c', 'd'], 3) });
      expect(result.outcomes).toEqual(['updated', 'not_found', 'updated', 'updated']);
      expect(result.unexpectedCount).toBe(200_000);
      expect(result.unexpectedIds).toHaveLength(UNEXPECTED_SAMPLE_SIZE);
      const event = events.find((e) => e.type === 'unexpectedIds');
      expect(event).toEqual({ type: 'unexpectedIds', seq: 3, count: 200_000, ids: ghosts.slice(0, UNEXPECTED_SAMPLE_SIZE) });
      expect(acknowledged).toEqual([['a:updated', 'b:not_found', 'c:updated', 'd:updated']]);

      const limits = { maxCustomers: 2 };
      const split = senderWith(async (body) => ({ kind: 'ok', updated: [...ghosts, ...idsOf(body)] }), { limits });
      try {
        const twice = await split.sender.send(batchOf(['a', 'b', 'c', 'd']));
        expect(twice.outcomes).toEqual(['updated', 'updated', 'updated', 'updated']);
        expect(twice.unexpectedCount).toBe(400_000);
        expect(twice.unexpectedIds).toHaveLength(UNEXPECTED_SAMPLE_SIZE);
      } finally {
        split.limiter.stop();
      }
    } finally {
      limiter.stop();
    }
  });
});

describe('the auth race', () => {
  it('no queued request starts between a 401 and the moment the failure is recorded', async () => {
    const seen: string[] = [];
    let reloadStarted = (): void => {};
    const reloading = new Promise<void>((resolve) => (reloadStarted = resolve));
    const { sender, limiter } = senderWith(
      async (body, token) => {
        seen.push(`${idsOf(body).join(',')}@${token}`);
        return { kind: 'http', status: 401, message: 'unauthorized' };
      },
      {
        token: {
          current: () => 'old-token',
          // A slow re-read: a mounted secret on a busy node.
          reload: async () => {
            reloadStarted();
            await new Promise((resolve) => setTimeout(resolve, 50));
            return false;
          },
        },
      },
    );
    try {
      const sends = ['a', 'b', 'c', 'd'].map((id, seq) => sender.send(batchOf([id], seq)));
      await reloading;
      const results = await Promise.all(sends);
      expect(seen).toEqual(['a@old-token']);
      expect(sender.stoppedBy()).toBeInstanceOf(AuthError);
      expect(results.map((r) => r.outcomes[0])).toEqual(['failed', 'not_sent', 'not_sent', 'not_sent']);
      expect(results[1]!.errors[0]).toBe(NOT_SENT_AUTH);
    } finally {
      limiter.stop();
    }
  });

  it('queued requests wait for the re-read and then go out with the rotated token', async () => {
    const seen: string[] = [];
    let current = 'old-token';
    const { sender, limiter } = senderWith(
      async (body, token) => {
        seen.push(`${idsOf(body).join(',')}@${token}`);
        return token === 'new-token' ? { kind: 'ok', updated: idsOf(body) } : { kind: 'http', status: 401, message: 'unauthorized' };
      },
      {
        token: {
          current: () => current,
          reload: async () => {
            await new Promise((resolve) => setTimeout(resolve, 30));
            current = 'new-token';
            return true;
          },
        },
      },
    );
    try {
      const results = await Promise.all(['a', 'b', 'c'].map((id, seq) => sender.send(batchOf([id], seq))));
      expect(results.map((r) => r.outcomes[0])).toEqual(['updated', 'updated', 'updated']);
      expect(seen[0]).toBe('a@old-token');
      expect([...seen].sort()).toEqual(['a@new-token', 'a@old-token', 'b@new-token', 'c@new-token']);
      expect(seen.filter((s) => s.endsWith('@old-token'))).toEqual(['a@old-token']);
      expect(sender.stoppedBy()).toBeUndefined();
    } finally {
      limiter.stop();
    }
  });
});
