/** The Sender against real loopback servers, one endpoint behaviour per test. */
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestBody } from '../../src/pipeline/batch/index.js';
import { AuthError } from '../../src/core/errors.js';
import { createHttpClient } from '../../src/pipeline/send/http.js';
import { createLimiter, type Limiter } from '../../src/pipeline/send/limiter.js';
import { NOT_SENT_AUTH, NOT_SENT_INTERRUPTED, Sender, type SendEvent, type SenderOptions } from '../../src/pipeline/send/sender.js';
import type { Batch, BatchResult, CustomerRow } from '../../src/core/types.js';

const TOKEN = 'sk-live-5ecret-T0KEN';

interface Request {
  ids: string[];
  authorization: string;
  at: number;
}

/** A loopback endpoint: `answer` decides each response from the parsed request. */
async function endpoint(answer: (request: Request, res: ServerResponse, index: number) => void) {
  const requests: Request[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { customers } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { customers: { document_id: string }[] };
      const request = { ids: customers.map((c) => c.document_id), authorization: req.headers.authorization ?? '', at: Date.now() };
      requests.push(request);
      answer(request, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/customers/segments`, requests };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));

/** The endpoint's normal answer: every id is updated except those starting with 'unknown'. */
const updateKnown = (request: Request, res: ServerResponse) =>
  json(res, 200, { updatedCustomers: request.ids.filter((id) => !id.startsWith('unknown')) });

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A token source that moves to the next value on each reload, like a rotated secret file. */
function tokens(...values: string[]) {
  let i = 0;
  return {
    current: () => values[i]!,
    reload: async () => (i + 1 < values.length ? (i++, true) : false),
  };
}

function senderFor(url: string, overrides: Partial<SenderOptions> & { limiter?: Limiter } = {}) {
  const client = createHttpClient({ endpoint: url, timeoutMs: 2000, maxResponseBytes: 1 << 20, userAgent: 'test' });
  const limiter = overrides.limiter ?? createLimiter({ rate: 0, concurrency: 4 });
  cleanups.push(() => {
    client.close();
    limiter.stop();
  });
  const events: SendEvent[] = [];
  const sender = new Sender({
    client,
    limiter,
    retry: { maxAttempts: 3, baseMs: 10, capMs: 40 },
    token: tokens(TOKEN),
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    limits: { maxCustomers: 100 },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { sender, events };
}

/** A customer as pass 1 spools it: its wire JSON serialised once. */
function customerRow(id: string, ordinal: number): CustomerRow {
  return { ordinal, id, json: JSON.stringify({ document_id: id, segments: [{ type: 'tier', value: 'gold' }] }), clears: false };
}

function batchOf(ids: string[], seq = 0): Batch {
  const customers = ids.map(customerRow);
  return { seq, customers, bytes: Buffer.byteLength(requestBody(customers)) };
}

/** id → outcome, with the error when there is one ('failed: …', 'not_sent: …'), for readable assertions. */
function byId(result: BatchResult): Record<string, string> {
  return Object.fromEntries(
    result.batch.customers.map((c, i) => [c.id, result.errors[i] ? `${result.outcomes[i]}: ${result.errors[i]}` : result.outcomes[i]!]),
  );
}

describe('Sender', () => {
  it('delivers a batch and reconciles the answer: listed ids updated, the others not_found', async () => {
    const api = await endpoint(updateKnown);
    const { sender } = senderFor(api.url);
    const result = await sender.send(batchOf(['a', 'unknown-b', 'c']));
    expect(byId(result)).toEqual({ a: 'updated', 'unknown-b': 'not_found', c: 'updated' });
    expect(api.requests).toEqual([{ ids: ['a', 'unknown-b', 'c'], authorization: `Bearer ${TOKEN}`, at: expect.any(Number) }]);
    expect(sender.stats()).toMatchObject({
      requests: { '200': 1 },
      retries: 0,
      splits: 0,
      bisections: 0,
      pace: { requested: 0, decreases: 0 },
      outage: { opened: 0 },
    });
  });

  it('sends nothing for a batch without customers', async () => {
    const api = await endpoint(updateKnown);
    const { sender } = senderFor(api.url);
    const result = await sender.send(batchOf([]));
    expect(result.outcomes).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(api.requests).toHaveLength(0);
  });

  it("sends each customer's spooled JSON verbatim, in batch order, as the body requestBody builds", async () => {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        bodies.push(body);
        json(res, 200, {
          updatedCustomers: (JSON.parse(body) as { customers: { document_id: string }[] }).customers.map((c) => c.document_id),
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { sender } = senderFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/customers/segments`);
    const customers: CustomerRow[] = [
      { ordinal: 4, id: 'q"1', json: '{"document_id":"q\\"1","segments":null}', clears: true },
      { ordinal: 9, id: 'é-2', json: '{"document_id":"é-2","segments":[{"type":"tier","value":"😀"}]}', clears: false },
      { ordinal: 11, id: 'c-3', json: '{"document_id":"c-3","segments":[]}', clears: true },
    ];
    const result = await sender.send({ seq: 0, customers, bytes: Buffer.byteLength(requestBody(customers)) });
    expect(bodies).toEqual([requestBody(customers)]);
    expect(bodies[0]).toBe(`{"customers":[${customers.map((c) => c.json).join(',')}]}`);
    expect(byId(result)).toEqual({ 'q"1': 'updated', 'é-2': 'updated', 'c-3': 'updated' });
  });

  it('reports ids the endpoint lists but were not sent, without counting them', async () => {
    const api = await endpoint((request, res) => json(res, 200, { updatedCustomers: [...request.ids, 'ghost'] }));
    const { sender, events } = senderFor(api.url);
    const result = await sender.send(batchOf(['a'], 7));
    expect(byId(result)).toEqual({ a: 'updated' });
    expect(result.unexpectedIds).toEqual(['ghost']);
    expect(events).toContainEqual({ type: 'unexpectedIds', seq: 7, count: 1, ids: ['ghost'] });
  });

  it('hands every acknowledged request to onAcknowledged', async () => {
    const api = await endpoint(updateKnown);
    const acknowledged: [string[], string[]][] = [];
    const { sender } = senderFor(api.url, {
      limits: { maxCustomers: 2 },
      onAcknowledged: (customers, outcomes) => acknowledged.push([customers.map((c) => c.id), [...outcomes]]),
    });
    await sender.send(batchOf(['a', 'unknown-b', 'c']));
    expect(acknowledged.sort()).toEqual([
      [
        ['a', 'unknown-b'],
        ['updated', 'not_found'],
      ],
      [['c'], ['updated']],
    ]);
  });

  it('retries a 500 and then delivers', async () => {
    const api = await endpoint((request, res, i) =>
      i === 0 ? json(res, 500, { type: 'error', code: 'internal' }) : updateKnown(request, res),
    );
    const { sender, events } = senderFor(api.url);
    const result = await sender.send(batchOf(['a', 'b']));
    expect(byId(result)).toEqual({ a: 'updated', b: 'updated' });
    expect(sender.stats()).toMatchObject({ requests: { '500': 1, '200': 1 }, retries: 1 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', attempt: 1, reason: 'HTTP 500: type=error, code=internal' }));
  });

  it('retries a connection reset', async () => {
    const api = await endpoint((request, res, i) => (i === 0 ? res.socket?.destroy() : updateKnown(request, res)));
    const { sender } = senderFor(api.url);
    expect(byId(await sender.send(batchOf(['a'])))).toEqual({ a: 'updated' });
    expect(sender.stats().requests).toEqual({ network: 1, '200': 1 });
  });

  it('fails the customers with the last error once a malformed 200 has used every attempt', async () => {
    const api = await endpoint((_request, res) => res.writeHead(200).end('<html>oops</html>'));
    const { sender } = senderFor(api.url);
    const result = await sender.send(batchOf(['a', 'b']));
    expect(api.requests).toHaveLength(3);
    expect(byId(result)).toEqual({
      a: 'failed: malformed response (HTTP 200): body is not JSON (after 3 attempts)',
      b: 'failed: malformed response (HTTP 200): body is not JSON (after 3 attempts)',
    });
  });

  it('waits as long as Retry-After says, in seconds', async () => {
    const api = await endpoint((request, res, i) => (i === 0 ? json(res, 429, {}, { 'Retry-After': '1' }) : updateKnown(request, res)));
    const { sender, events } = senderFor(api.url);
    expect(byId(await sender.send(batchOf(['a'])))).toEqual({ a: 'updated' });
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900);
    expect(events).toContainEqual({ type: 'pause', seq: 0, ms: 1000, status: 429 });
  });

  it('waits until the HTTP date Retry-After gives', async () => {
    const api = await endpoint((request, res, i) => {
      // Two seconds ahead, truncated to the second by the date format: a wait of 1-2 s.
      const retryAt = new Date(Date.now() + 2000).toUTCString();
      if (i === 0) json(res, 503, {}, { 'Retry-After': retryAt });
      else updateKnown(request, res);
    });
    const { sender } = senderFor(api.url);
    expect(byId(await sender.send(batchOf(['a'])))).toEqual({ a: 'updated' });
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it.each([
    ['unlimited rate', { rate: 0, concurrency: 1 }],
    ['paced rate', { rate: 20, concurrency: 2 }],
  ])('pauses every sender on a 429 (%s): no other request starts during the pause', async (_name, pacing) => {
    const api = await endpoint((request, res, i) => (i === 0 ? json(res, 429, {}, { 'Retry-After': '1' }) : updateKnown(request, res)));
    const { sender } = senderFor(api.url, { limiter: createLimiter(pacing) });
    const results = await Promise.all(['a', 'b', 'c'].map((id, seq) => sender.send(batchOf([id], seq))));
    expect(results.map((r) => r.outcomes[0])).toEqual(['updated', 'updated', 'updated']);
    const limitedAt = api.requests[0]!.at;
    for (const later of api.requests.slice(1)) expect(later.at - limitedAt).toBeGreaterThanOrEqual(900);
  });

  it('splits a batch the endpoint finds too large, and remembers the size that fits', async () => {
    const api = await endpoint((request, res) => (request.ids.length > 2 ? json(res, 413, {}) : updateKnown(request, res)));
    const limits = { maxCustomers: 100 };
    const { sender, events } = senderFor(api.url, { limits });
    const result = await sender.send(batchOf(['a', 'b', 'c', 'd', 'e']));
    expect(result.outcomes).toEqual(Array(5).fill('updated'));
    expect(limits.maxCustomers).toBe(2);
    expect(events.filter((e) => e.type === 'split413')).toEqual([
      { type: 'split413', seq: 0, from: 5, to: 3 },
      { type: 'split413', seq: 0, from: 3, to: 2 },
    ]);
    expect(
      api.requests
        .filter((r) => r.ids.length <= 2)
        .flatMap((r) => r.ids)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sends a batch above the current size limit in chunks of that size', async () => {
    const api = await endpoint(updateKnown);
    const { sender } = senderFor(api.url, { limits: { maxCustomers: 2 } });
    const result = await sender.send(batchOf(['a', 'b', 'c', 'd', 'e']));
    expect(result.outcomes).toEqual(Array(5).fill('updated'));
    expect(api.requests.map((r) => r.ids.length).sort()).toEqual([1, 2, 2]);
  });

  it('fails a single customer that is still too large', async () => {
    const api = await endpoint((_request, res) => json(res, 413, {}));
    const { sender } = senderFor(api.url);
    expect(byId(await sender.send(batchOf(['huge'])))).toEqual({ huge: 'failed: payload too large (HTTP 413 for this customer alone)' });
  });

  it('bisects a 400 down to exactly the customers the endpoint rejects (rejected, with its reason), and delivers the rest', async () => {
    const applied: string[] = [];
    const api = await endpoint((request, res) => {
      const bad = request.ids.find((id) => id.startsWith('bad-'));
      if (bad) return json(res, 400, { type: 'error', code: 'invalidRequest', details: `customer ${bad} is not valid` });
      applied.push(...request.ids);
      return updateKnown(request, res);
    });
    const { sender } = senderFor(api.url);
    const ids = ['a', 'b', 'bad-1', 'c', 'd', 'e', 'bad-2', 'f'];
    const result = await sender.send(batchOf(ids));
    expect(byId(result)).toEqual({
      a: 'updated',
      b: 'updated',
      c: 'updated',
      d: 'updated',
      e: 'updated',
      f: 'updated',
      'bad-1': 'rejected: HTTP 400: type=error, code=invalidRequest, details=customer bad-1 is not valid',
      'bad-2': 'rejected: HTTP 400: type=error, code=invalidRequest, details=customer bad-2 is not valid',
    });
    expect(applied.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(sender.stats().bisections).toBeGreaterThan(0);
  });

  it('re-reads a rotated token after a 401 and delivers with the new one', async () => {
    const api = await endpoint((request, res) =>
      request.authorization === 'Bearer new-token' ? updateKnown(request, res) : json(res, 401, { code: 'unAuthorized' }),
    );
    const { sender, events } = senderFor(api.url, { token: tokens('old-token', 'new-token') });
    expect(byId(await sender.send(batchOf(['a'])))).toEqual({ a: 'updated' });
    expect(api.requests.map((r) => r.authorization)).toEqual(['Bearer old-token', 'Bearer new-token']);
    expect(events).toContainEqual({ type: 'authRetry', seq: 0, status: 401 });
    expect(sender.stoppedBy()).toBeUndefined();
  });

  it('shares one token re-read among requests rejected at the same time', async () => {
    const api = await endpoint((request, res) =>
      request.authorization === 'Bearer new-token' ? updateKnown(request, res) : json(res, 401, {}),
    );
    let reloads = 0;
    const source = tokens('old-token', 'new-token');
    const token = { current: source.current, reload: () => (reloads++, source.reload()) };
    const { sender } = senderFor(api.url, { token });
    const results = await Promise.all(['a', 'b', 'c'].map((id, seq) => sender.send(batchOf([id], seq))));
    expect(results.map((r) => r.outcomes[0])).toEqual(['updated', 'updated', 'updated']);
    expect(reloads).toBe(1);
  });

  it('stops for good when the token is rejected again after a re-read', async () => {
    const api = await endpoint((_request, res) => json(res, 403, {}));
    const { sender } = senderFor(api.url, { token: tokens('old-token', 'also-wrong') });
    expect(byId(await sender.send(batchOf(['a', 'b'])))).toEqual({
      a: 'failed: authentication rejected (403)',
      b: 'failed: authentication rejected (403)',
    });
    expect(sender.stoppedBy()).toBeInstanceOf(AuthError);
    expect(sender.stoppedBy()?.exitCode).toBe(4);
    const later = await sender.send(batchOf(['c'], 1));
    expect(byId(later)).toEqual({ c: `not_sent: ${NOT_SENT_AUTH}` });
    expect(api.requests).toHaveLength(2);
  });

  it('stops at once on a 401 when the token cannot be re-read', async () => {
    const api = await endpoint((_request, res) => json(res, 401, {}));
    const { sender } = senderFor(api.url);
    expect(byId(await sender.send(batchOf(['a'])))).toEqual({ a: 'failed: authentication rejected (401)' });
    expect(api.requests).toHaveLength(1);
    expect(sender.stoppedBy()?.status).toBe(401);
  });

  it('sends nothing after the stop signal: customers are not_sent', async () => {
    const api = await endpoint(updateKnown);
    const stop = new AbortController();
    stop.abort();
    const { sender } = senderFor(api.url, { stop: stop.signal });
    expect(byId(await sender.send(batchOf(['a', 'b'])))).toEqual({
      a: `not_sent: ${NOT_SENT_INTERRUPTED}`,
      b: `not_sent: ${NOT_SENT_INTERRUPTED}`,
    });
    expect(api.requests).toHaveLength(0);
  });

  it('does not retry after the stop signal fires during a backoff', async () => {
    const api = await endpoint((_request, res) => json(res, 503, {}));
    const stop = new AbortController();
    const { sender } = senderFor(api.url, {
      stop: stop.signal,
      sleep: async () => stop.abort(),
    });
    const result = await sender.send(batchOf(['a']));
    expect(byId(result)).toEqual({ a: `not_sent: ${NOT_SENT_INTERRUPTED} (last attempt: HTTP 503: {})` });
    expect(api.requests).toHaveLength(1);
  });

  it('cancels a request in flight on the hard stop', async () => {
    const api = await endpoint(() => {});
    const abort = new AbortController();
    const { sender } = senderFor(api.url, { abort: abort.signal });
    setTimeout(() => abort.abort(), 100);
    expect(byId(await sender.send(batchOf(['a'])))).toEqual({ a: 'failed: interrupted in flight' });
  });

  it('rejects a size limit that is not a whole number ≥ 1', async () => {
    const api = await endpoint(updateKnown);
    expect(() => senderFor(api.url, { limits: { maxCustomers: 0 } })).toThrow(/maxCustomers.*got 0/);
  });

  it('never puts the token in a result, an event or an error, even when the endpoint echoes it', async () => {
    const echo = (request: Request, res: ServerResponse, status: number) =>
      res.writeHead(status).end(`{"details":"you sent ${request.authorization}"}`);
    // A 500 (retried), then a 400 (bisected), then a 401 for one half and a 400 for the other.
    const api = await endpoint((request, res, i) => {
      if (i === 0) return echo(request, res, 500);
      if (request.ids.includes('bad-1')) return echo(request, res, 400);
      return echo(request, res, 401);
    });
    const { sender, events } = senderFor(api.url);
    const result = await sender.send(batchOf(['a', 'bad-1']));
    const everything = JSON.stringify({ result, events, stats: sender.stats(), fatal: sender.stoppedBy()?.message });
    expect(Object.keys(sender.stats().requests).sort()).toEqual(['400', '401', '500']);
    expect(everything).toContain('[REDACTED]');
    expect(everything).not.toContain(TOKEN);
  });
});
