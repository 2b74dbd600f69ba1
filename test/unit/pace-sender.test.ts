/**
 * The Sender's attempt loop with the scheduler: throttling (429, 503 + Retry-After) and failures
 * during an outage use no attempts; a Retry-After above maxRetryWaitMs, or an outage beyond
 * maxOutageMs, stops sending with the rest not_sent. A scripted fake client, real timers (short).
 */
import { requestBody } from '../../src/pipeline/batch/index.js';
import { createLimiter, type Limiter } from '../../src/pipeline/send/limiter.js';
import type { HttpOutcome } from '../../src/pipeline/send/post-outcome.js';
import { Sender, type SendEvent } from '../../src/pipeline/send/sender.js';
import { UnavailableError } from '../../src/pipeline/send/unavailable.js';
import type { Batch, CustomerRow } from '../../src/core/types.js';

let limiter: Limiter | undefined;
afterEach(() => limiter?.stop());

function batchOf(ids: string[], seq = 0): Batch {
  const customers: CustomerRow[] = ids.map((id, ordinal) => ({
    ordinal,
    id,
    json: JSON.stringify({ document_id: id, segments: [] }),
    clears: true,
  }));
  return { seq, customers, bytes: Buffer.byteLength(requestBody(customers)) };
}

/** A client answering from `script` in order (then `rest`), recording how many requests it got. */
function scripted(script: HttpOutcome[], rest: (body: string) => HttpOutcome) {
  let calls = 0;
  return {
    calls: () => calls,
    post: async (body: string): Promise<HttpOutcome> => {
      calls++;
      return script.shift() ?? rest(body);
    },
  };
}

const okFor = (body: string): HttpOutcome => ({
  kind: 'ok',
  updated: (JSON.parse(body) as { customers: { document_id: string }[] }).customers.map((c) => c.document_id),
});
const http = (status: number, retryAfterMs?: number): HttpOutcome => ({
  kind: 'http',
  status,
  message: 'x',
  ...(retryAfterMs !== undefined && { retryAfterMs }),
});

function senderWith(
  client: ReturnType<typeof scripted>,
  opts: { maxAttempts?: number; maxRetryWaitMs?: number; maxOutageMs?: number } = {},
) {
  limiter = createLimiter({ rate: 0, concurrency: 1, ...(opts.maxOutageMs !== undefined && { maxOutageMs: opts.maxOutageMs }) });
  const events: SendEvent[] = [];
  const sender = new Sender({
    client,
    limiter,
    retry: { maxAttempts: opts.maxAttempts ?? 1, baseMs: 1, capMs: 5, maxRetryWaitMs: opts.maxRetryWaitMs ?? 60_000 },
    token: { current: () => 't', reload: async () => false },
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    limits: { maxCustomers: 100 },
    onEvent: (e) => events.push(e),
  });
  return { sender, events };
}

describe('throttling is not failure', () => {
  it('429s (with or without Retry-After) and 503 + Retry-After do not use up a single attempt', async () => {
    const client = scripted([http(429, 10), http(429), http(503, 10), http(429, 10)], okFor);
    const { sender } = senderWith(client, { maxAttempts: 1 });
    const result = await sender.send(batchOf(['a', 'b']));
    expect(result.outcomes).toEqual(['updated', 'updated']);
    expect(client.calls()).toBe(5);
    expect(sender.stats()).toMatchObject({ retries: 4, requests: { 200: 1, 429: 3, 503: 1 } });
  });

  it('a 503 without Retry-After is a failure: it uses the attempts', async () => {
    const client = scripted([], () => http(503));
    const { sender } = senderWith(client, { maxAttempts: 2 });
    const result = await sender.send(batchOf(['a']));
    expect(result.outcomes).toEqual(['failed']);
    expect(result.errors[0]).toMatch(/after 2 attempts/);
  });
});

describe('--max-retry-wait', () => {
  it('a Retry-After above it stops sending at once: the customers are not_sent, the failure is an UnavailableError (exit 1)', async () => {
    const client = scripted([http(429, 2_147_484_000)], okFor);
    const { sender, events } = senderWith(client, { maxRetryWaitMs: 300_000 });
    const started = Date.now();
    const result = await sender.send(batchOf(['a']));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.outcomes).toEqual(['not_sent']);
    expect(result.errors[0]).toMatch(/^not sent: the endpoint asked to wait 2147484 s, more than --max-retry-wait/);
    expect(sender.stoppedBy()).toBeInstanceOf(UnavailableError);
    expect(sender.stoppedBy()!.exitCode).toBe(1);
    expect(events.some((e) => e.type === 'unavailable')).toBe(true);
    // Nothing else is sent.
    expect((await sender.send(batchOf(['b'], 1))).outcomes).toEqual(['not_sent']);
    expect(client.calls()).toBe(1);
  });
});

describe('outages', () => {
  it('the breaker opens after 5 bad answers; the probes do not use attempts; the first success closes it', async () => {
    const client = scripted(
      Array.from({ length: 7 }, () => http(502)),
      okFor,
    );
    const { sender, events } = senderWith(client, { maxAttempts: 6 });
    const result = await sender.send(batchOf(['a']));
    expect(result.outcomes).toEqual(['updated']);
    expect(events.filter((e) => e.type === 'outageStarted')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'outageOver')).toHaveLength(1);
    expect(sender.stats().outage).toMatchObject({ opened: 1, probes: 3 });
  }, 15_000);

  it('an outage beyond maxOutageMs stops sending: not_sent with the reason, an UnavailableError', async () => {
    const client = scripted([], () => ({ kind: 'network', code: 'ECONNREFUSED' }));
    const { sender } = senderWith(client, { maxAttempts: 6, maxOutageMs: 1500 });
    const result = await sender.send(batchOf(['a', 'b']));
    expect(result.outcomes).toEqual(['not_sent', 'not_sent']);
    expect(result.errors[0]).toMatch(/^not sent: endpoint unavailable for more than --max-outage/);
    expect(sender.stoppedBy()?.code).toBe('ENDPOINT_UNAVAILABLE');
  }, 15_000);
});
