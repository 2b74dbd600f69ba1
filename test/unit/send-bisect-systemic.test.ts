/**
 * 400s about the requests themselves (systemic) versus 400s about customers: the Sender against a
 * scripted client (no sockets), so the number of requests is exact.
 */
import { requestBody } from '../../src/pipeline/batch/index.js';
import { RequestsRejectedError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { createLimiter } from '../../src/pipeline/send/limiter.js';
import type { HttpOutcome } from '../../src/pipeline/send/post-outcome.js';
import { gapsBetween, PROBE_SINGLES, RejectionWatch, spreadPicks, STREAK_TO_SUSPECT } from '../../src/pipeline/send/rejection-watch.js';
import { sendInOrder } from '../../src/pipeline/send/ordered.js';
import { NOT_SENT_REJECTED, Sender, type SendEvent } from '../../src/pipeline/send/sender.js';
import type { Batch, BatchResult, CustomerRow } from '../../src/core/types.js';

const REFUSAL = 'type=error, code=unsupportedPayload, details=the request body does not match the current version of this API';
const refusal = (message = REFUSAL): HttpOutcome => ({ kind: 'http', status: 400, message });
const ok = (ids: string[]): HttpOutcome => ({ kind: 'ok', updated: ids });

/** A client whose answer is decided from the ids of each request; the requests are kept. */
function scripted(answer: (ids: string[], index: number) => HttpOutcome) {
  const requests: string[][] = [];
  return {
    requests,
    client: {
      post: async (body: string): Promise<HttpOutcome> => {
        const ids = (JSON.parse(body) as { customers: { document_id: string }[] }).customers.map((c) => c.document_id);
        const index = requests.push(ids) - 1;
        await new Promise((resolve) => setTimeout(resolve, 1));
        return answer(ids, index);
      },
    },
  };
}

const stoppers: (() => void)[] = [];
afterEach(() => {
  for (const stop of stoppers.splice(0)) stop();
});

function senderFor(client: ReturnType<typeof scripted>['client'], concurrency = 3) {
  const limiter = createLimiter({ rate: 0, concurrency });
  stoppers.push(() => limiter.stop());
  const events: SendEvent[] = [];
  const sender = new Sender({
    client,
    limiter,
    retry: { maxAttempts: 3, baseMs: 1, capMs: 2 },
    token: { current: () => 'token', reload: async () => false },
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    limits: { maxCustomers: 100 },
    onEvent: (event) => events.push(event),
  });
  return { sender, events };
}

function customerRow(id: string, ordinal: number): CustomerRow {
  return { ordinal, id, json: JSON.stringify({ document_id: id, segments: [{ type: 'tier', value: 'gold' }] }), clears: false };
}

/** `count` customers C-0… in batches of `size`. */
function batches(count: number, size: number): Batch[] {
  const all: Batch[] = [];
  for (let start = 0; start < count; start += size) {
    const customers = Array.from({ length: Math.min(size, count - start) }, (_, i) => customerRow(`C-${start + i}`, start + i));
    all.push({ seq: all.length, customers, bytes: Buffer.byteLength(requestBody(customers)) });
  }
  return all;
}

/** As the send pass does it: a window of batches in flight, results in order. */
async function sendAll(sender: Sender, all: Batch[], window = 8): Promise<BatchResult[]> {
  async function* source(): AsyncGenerator<Batch> {
    yield* all;
  }
  const results: BatchResult[] = [];
  for await (const result of sendInOrder(source(), (batch) => sender.send(batch), { window })) results.push(result);
  return results;
}

function outcomes(results: BatchResult[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of results) r.batch.customers.forEach((c, i) => map.set(c.id, r.outcomes[i]!));
  return map;
}

describe('a 400 for every request (systemic)', () => {
  it('one batch: the request, then its first, middle and last customers alone; every customer not_sent, exit 6 quoting the endpoint', async () => {
    const api = scripted(() => refusal());
    const { sender, events } = senderFor(api.client);
    const [result] = await sendAll(sender, batches(10, 10));
    expect(api.requests).toEqual([Array.from({ length: 10 }, (_, i) => `C-${i}`), ['C-0'], ['C-5'], ['C-9']]);
    expect(new Set(result!.outcomes)).toEqual(new Set(['not_sent']));
    expect(new Set(result!.errors)).toEqual(new Set([`${NOT_SENT_REJECTED} (HTTP 400: ${REFUSAL})`]));
    const fatal = sender.stoppedBy();
    expect(fatal).toBeInstanceOf(RequestsRejectedError);
    expect(fatal!.exitCode).toBe(ExitCode.EndpointRejectsRequests);
    expect(fatal!.message).toContain('code=unsupportedPayload');
    expect(fatal!.message).toContain('details=the request body does not match the current version of this API');
    expect(events.map((e) => e.type)).toEqual(['probe400', 'requestsRejected']);
  });

  it.each([1, 3, 6])(
    '250 customers in batches of 10 at concurrency %i: stops within ~10 requests, nobody rejected',
    async (concurrency) => {
      const api = scripted(() => refusal());
      const { sender } = senderFor(api.client, concurrency);
      const results = await sendAll(sender, batches(250, 10), concurrency * 2 + 2);
      // The requests in flight when the first 400 came, then the probe: nothing queued slips in.
      expect(api.requests.length).toBeLessThanOrEqual(concurrency + PROBE_SINGLES);
      expect(new Set(outcomes(results).values())).toEqual(new Set(['not_sent']));
      expect(outcomes(results).size).toBe(250);
      expect(sender.stoppedBy()).toBeInstanceOf(RequestsRejectedError);
    },
  );

  it('an endpoint that starts refusing everything mid-run is caught within a few requests', async () => {
    const api = scripted((ids, index) => (index < 5 ? ok(ids) : refusal()));
    const { sender } = senderFor(api.client, 2);
    const results = await sendAll(sender, batches(1000, 10), 6);
    expect(sender.stoppedBy()).toBeInstanceOf(RequestsRejectedError);
    // The 5 accepted, a streak of refusals, one more bisection step, then the probe.
    expect(api.requests.length).toBeLessThanOrEqual(5 + STREAK_TO_SUSPECT + 2 * 2 + PROBE_SINGLES + 2);
    const byOutcome = [...outcomes(results).values()].reduce<Record<string, number>>((n, o) => ({ ...n, [o]: (n[o] ?? 0) + 1 }), {});
    expect(byOutcome.updated).toBe(50);
    expect(byOutcome.not_sent).toBeGreaterThan(900);
  });
});

describe('400s about customers', () => {
  it("the same message for every bad customer, but the probe's customers are accepted: bisected, exactly the bad ones rejected", async () => {
    const bad = new Set(['C-3', 'C-14', 'C-15', 'C-47']);
    const api = scripted((ids) =>
      ids.some((id) => bad.has(id)) ? refusal('type=error, code=invalidRequest, details=invalid customer') : ok(ids),
    );
    const { sender, events } = senderFor(api.client);
    const results = await sendAll(sender, batches(60, 10));
    const map = outcomes(results);
    for (const [id, outcome] of map) expect([id, outcome]).toEqual([id, bad.has(id) ? 'rejected' : 'updated']);
    const rejected = results.flatMap((r) => r.errors.filter((e, i) => r.outcomes[i] === 'rejected'));
    expect(new Set(rejected)).toEqual(new Set(['HTTP 400: type=error, code=invalidRequest, details=invalid customer']));
    expect(sender.stoppedBy()).toBeUndefined();
    // One probe at most: after it, 400s are bisected.
    expect(events.filter((e) => e.type === 'probe400')).toHaveLength(1);
    expect(events.some((e) => e.type === 'bisect400')).toBe(true);
  });

  it("the probe's customers all refused, each for its own reason: they are rejected, the rest is delivered", async () => {
    const bad = new Set(['C-0', 'C-5', 'C-9']);
    const api = scripted((ids) => {
      const first = ids.find((id) => bad.has(id));
      return first ? refusal(`type=error, code=invalidRequest, details=customer ${first} is not valid`) : ok(ids);
    });
    const { sender } = senderFor(api.client);
    const results = await sendAll(sender, batches(10, 10));
    const map = outcomes(results);
    for (const [id, outcome] of map) expect([id, outcome]).toEqual([id, bad.has(id) ? 'rejected' : 'updated']);
    expect(sender.stoppedBy()).toBeUndefined();
  });

  it('after a success, a 400 is bisected at once (no probe)', async () => {
    const api = scripted((ids) => (ids.includes('C-13') ? refusal('type=error, details=C-13') : ok(ids)));
    const { sender, events } = senderFor(api.client, 1);
    const results = await sendAll(sender, batches(20, 10), 1);
    expect(outcomes(results).get('C-13')).toBe('rejected');
    expect(events.filter((e) => e.type === 'probe400')).toHaveLength(0);
    expect(events.filter((e) => e.type === 'bisect400').length).toBeGreaterThan(0);
  });
});

describe('RejectionWatch', () => {
  it('first, middle and last; and the pieces between them', () => {
    expect(spreadPicks(0, 10, 3)).toEqual([0, 5, 9]);
    expect(spreadPicks(4, 6, 3)).toEqual([4, 5]);
    expect(spreadPicks(0, 3, 3)).toEqual([0, 1, 2]);
    expect(gapsBetween(0, 10, [0, 5, 9])).toEqual([
      [1, 5],
      [6, 9],
    ]);
    expect(gapsBetween(0, 2, [0, 1])).toEqual([]);
  });

  it('systemic after PROBE_SINGLES customers refused alone the same way; one 200 or two reasons make it per customer', () => {
    const watch = new RejectionWatch();
    watch.observe(refusal(), 10);
    expect(watch.verdict()).toBe('undecided');
    for (let i = 0; i < PROBE_SINGLES; i++) watch.observe(refusal(), 1);
    expect(watch.verdict()).toBe('systemic');
    expect(watch.systemic()).toBe(REFUSAL);

    const mixed = new RejectionWatch();
    mixed.observe(refusal('a'), 1);
    mixed.observe(refusal('b'), 1);
    expect(mixed.verdict()).toBe('per-customer');

    const accepted = new RejectionWatch();
    accepted.observe(refusal(), 1);
    accepted.observe(ok(['x']), 1);
    accepted.observe(refusal(), 1);
    accepted.observe(refusal(), 1);
    accepted.observe(refusal(), 1);
    expect(accepted.verdict()).toBe('per-customer');
  });

  it('a streak of identical 400s with no 200 puts the endpoint back on probation', () => {
    const watch = new RejectionWatch();
    watch.observe(ok(['x']), 1);
    for (let i = 0; i < STREAK_TO_SUSPECT - 1; i++) watch.observe(refusal(), 10);
    expect(watch.perCustomer).toBe(true);
    watch.observe(refusal(), 10);
    expect(watch.perCustomer).toBe(false);
  });
});
