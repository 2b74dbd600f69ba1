/**
 * The Sender on a misconfigured endpoint: before any request succeeded, a 404, 405, redirect, TLS
 * or DNS failure stops the run (EndpointError, exit 2) within the requests in flight; after a
 * success the same answers are ordinary failures. Real loopback servers, plus a scripted client for DNS answers.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { requestBody } from '../../src/pipeline/batch/index.js';
import { EndpointError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { createHttpClient } from '../../src/pipeline/send/http.js';
import { createLimiter } from '../../src/pipeline/send/limiter.js';
import type { HttpOutcome } from '../../src/pipeline/send/post-outcome.js';
import { NOT_SENT_AUTH, Sender, type SendEvent, type SenderOptions } from '../../src/pipeline/send/sender.js';
import type { Batch, BatchResult, CustomerRow } from '../../src/core/types.js';
import { selfSignedCert } from '../support/self-signed.js';

const TOKEN = 'sk-live-5ecret-T0KEN';
/** Requests in flight at once: the most a wrong URL may get before its first answer is back. */
const CONCURRENCY = 4;
const PATH = '/api/v3/customers/segments';

interface Request {
  ids: string[];
  at: number;
}

type Answer = (request: Request, res: ServerResponse, index: number) => void;

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function handler(requests: Request[], answer: Answer) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { customers } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { customers: { document_id: string }[] };
      const request = { ids: customers.map((c) => c.document_id), at: Date.now() };
      requests.push(request);
      answer(request, res, requests.length - 1);
    });
  };
}

async function listen(server: http.Server | https.Server, scheme: 'http' | 'https') {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
}

async function endpoint(answer: Answer) {
  const requests: Request[] = [];
  const url = await listen(http.createServer(handler(requests, answer)), 'http');
  return { url, requests };
}

/** An HTTPS endpoint with a self-signed certificate; `connections` counts the TCP connections made to it. */
async function selfSignedEndpoint() {
  const cert = await selfSignedCert();
  cleanups.push(() => cert.remove());
  const requests: Request[] = [];
  const server = https.createServer({ key: cert.key, cert: cert.cert }, handler(requests, updateAll));
  const seen = { connections: 0 };
  server.on('connection', () => seen.connections++);
  const url = await listen(server, 'https');
  return { url, requests, seen };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
const updateAll = (request: Request, res: ServerResponse): void => {
  json(res, 200, { updatedCustomers: request.ids });
};

function senderFor(url: string, overrides: Partial<SenderOptions> = {}) {
  const client = createHttpClient({ endpoint: url, timeoutMs: 2000, maxResponseBytes: 1 << 20, userAgent: 'test' });
  return senderWith(client, overrides);
}

function senderWith(client: SenderOptions['client'] & { close?: () => void }, overrides: Partial<SenderOptions> = {}) {
  const limiter = createLimiter({ rate: 0, concurrency: CONCURRENCY });
  cleanups.push(() => {
    client.close?.();
    limiter.stop();
  });
  const events: SendEvent[] = [];
  const sender = new Sender({
    client,
    limiter,
    retry: { maxAttempts: 3, baseMs: 10, capMs: 40 },
    token: { current: () => TOKEN, reload: async () => false },
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    limits: { maxCustomers: 2 },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { sender, events };
}

/** A client that answers from a script, for outcomes a loopback server cannot produce (DNS). */
function scripted(target: string, answer: (index: number) => HttpOutcome) {
  let calls = 0;
  return { target, calls: () => calls, post: async () => answer(calls++) };
}

function batchOf(ids: string[], seq = 0): Batch {
  const customers: CustomerRow[] = ids.map((id, i) => ({
    ordinal: i,
    id,
    json: JSON.stringify({ document_id: id, segments: [{ type: 'tier', value: 'gold' }] }),
    clears: false,
  }));
  return { seq, customers, bytes: requestBody(customers).length };
}

/** id → outcome, or the error of a failed customer. */
function byId(results: BatchResult[]): Record<string, string> {
  return Object.fromEntries(
    results.flatMap((r) => r.batch.customers.map((c, i) => [c.id, r.errors[i] ? `failed: ${r.errors[i]}` : r.outcomes[i]!])),
  );
}

/** Four batches of four customers, sent at once (as the job does, up to its window). */
const manyBatches = () =>
  [0, 1, 2, 3].map((seq) =>
    batchOf(
      [0, 1, 2, 3].map((i) => `c${seq}-${i}`),
      seq,
    ),
  );
const sendAll = (sender: Sender, batches = manyBatches()) => Promise.all(batches.map((b) => sender.send(b)));
const allFailedWith = (results: BatchResult[], detail: string) =>
  Object.fromEntries(Object.keys(byId(results)).map((id) => [id, `failed: ${detail}`]));

describe('Sender on a misconfigured endpoint', () => {
  it.each([
    [404, {}, 'HTTP 404'],
    [405, {}, 'HTTP 405'],
    [
      301,
      { Location: 'https://www.example.com/api/v3/customers/segments' },
      'redirect 301 to https://www.example.com/api/v3/customers/segments',
    ],
    [302, {}, 'redirect 302 without a Location'],
    [307, { Location: '/login' }, 'redirect 307 to /login'],
  ])(
    'stops on HTTP %i within the requests in flight: nothing else sent, every customer "not sent", exit 2',
    async (status, headers, answer) => {
      const api = await endpoint((_request, res) => json(res, status, {}, headers as Record<string, string>));
      const { sender, events } = senderFor(api.url);
      const results = await sendAll(sender);

      const sent = api.requests.length;
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(sent).toBeLessThanOrEqual(CONCURRENCY);
      expect(byId(results)).toEqual(allFailedWith(results, `not sent: endpoint misconfigured (${answer})`));
      const fatal = sender.stoppedBy();
      expect(fatal).toBeInstanceOf(EndpointError);
      expect(fatal).toMatchObject({ exitCode: ExitCode.Usage, endpoint: api.url, answer, status });
      expect(fatal!.message).toContain(`The endpoint ${api.url} answered ${answer}`);
      expect(events.filter((e) => e.type === 'endpointMisconfigured')).toEqual([
        { type: 'endpointMisconfigured', seq: 0, endpoint: api.url, answer },
      ]);
      expect(sender.stats()).toMatchObject({ requests: { [String(status)]: sent }, retries: 0, splits: 0, bisections: 0 });

      // Later batches are not sent either.
      expect(byId([await sender.send(batchOf(['late'], 9))])).toEqual({ late: `failed: not sent: endpoint misconfigured (${answer})` });
      expect(api.requests).toHaveLength(sent);
    },
  );

  it('stops on a self-signed certificate, without retrying it', async () => {
    const api = await selfSignedEndpoint();
    const { sender } = senderFor(api.url);
    const results = await sendAll(sender);

    const answer = 'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)';
    expect(byId(results)).toEqual(allFailedWith(results, `not sent: endpoint misconfigured (${answer})`));
    expect(sender.stoppedBy()).toMatchObject({ exitCode: ExitCode.Usage, answer, status: undefined });
    expect(sender.stoppedBy()!.message).toMatch(
      /^Could not connect to the endpoint https:\/\/127\.0\.0\.1:\d+\/api\/v3\/customers\/segments: TLS: self-signed/,
    );
    expect(sender.stats().retries).toBe(0);
    expect(sender.stats().requests.tls).toBeLessThanOrEqual(CONCURRENCY);
    expect(api.seen.connections).toBeLessThanOrEqual(CONCURRENCY);
    expect(api.requests).toHaveLength(0);
  });

  it('stops on an https:// URL whose port speaks plain HTTP', async () => {
    const api = await endpoint(updateAll);
    const { sender } = senderFor(api.url.replace('http://', 'https://'));
    await sendAll(sender);
    expect(sender.stoppedBy()).toMatchObject({
      exitCode: ExitCode.Usage,
      answer: expect.stringMatching(/^TLS: .*\((EPROTO|ERR_SSL_WRONG_VERSION_NUMBER)\)$/),
    });
  });

  it('stops on a host name that does not resolve (ENOTFOUND), without retrying it', async () => {
    const client = scripted(`https://does-not-exist.invalid${PATH}`, () => ({ kind: 'network', code: 'ENOTFOUND' }));
    const { sender } = senderWith(client);
    const results = await sendAll(sender);
    expect(client.calls()).toBeLessThanOrEqual(CONCURRENCY);
    expect(sender.stats().retries).toBe(0);
    expect(byId(results)).toEqual(allFailedWith(results, 'not sent: endpoint misconfigured (DNS: host not found (ENOTFOUND))'));
    expect(sender.stoppedBy()).toMatchObject({ exitCode: ExitCode.Usage, endpoint: `https://does-not-exist.invalid${PATH}` });
  });

  it('retries EAI_AGAIN (the resolver failing, not the name) like any network error', async () => {
    const client = scripted(`https://api.example${PATH}`, (i) =>
      i < 2 ? { kind: 'network', code: 'EAI_AGAIN' } : { kind: 'ok', updated: ['a'] },
    );
    const { sender } = senderWith(client);
    expect(byId([await sender.send(batchOf(['a']))])).toEqual({ a: 'updated' });
    expect(sender.stoppedBy()).toBeUndefined();
    expect(sender.stats()).toMatchObject({ requests: { network: 2, '200': 1 }, retries: 2 });
  });

  it('after the first success, a 404 or a redirect is an ordinary failure and the run goes on', async () => {
    const api = await endpoint((request, res, i) => {
      if (i === 0) return updateAll(request, res);
      if (request.ids.includes('c1-0')) return json(res, 404, { code: 'notFound' });
      if (request.ids.includes('c2-0')) return json(res, 308, {}, { Location: 'https://elsewhere.example/' });
      return updateAll(request, res);
    });
    const { sender } = senderFor(api.url);
    const results = await sendAll(sender);

    expect(sender.stoppedBy()).toBeUndefined();
    const outcomes = byId(results);
    expect(outcomes['c0-0']).toBe('updated');
    expect(outcomes['c1-0']).toBe('failed: HTTP 404: code=notFound');
    expect(outcomes['c2-0']).toBe('failed: HTTP 308: redirect to https://elsewhere.example/ not followed; {}');
    expect(outcomes['c3-3']).toBe('updated');
  });

  it('after the first success, a TLS failure is retried like a network error', async () => {
    const client = scripted(`https://api.example${PATH}`, (i) =>
      i === 1 ? { kind: 'tls', code: 'CERT_HAS_EXPIRED' } : { kind: 'ok', updated: i === 0 ? ['a'] : ['b'] },
    );
    const { sender } = senderWith(client);
    expect(byId([await sender.send(batchOf(['a']))])).toEqual({ a: 'updated' });
    expect(byId([await sender.send(batchOf(['b'], 1))])).toEqual({ b: 'updated' });
    expect(sender.stoppedBy()).toBeUndefined();
    expect(sender.stats()).toMatchObject({ requests: { tls: 1, '200': 2 }, retries: 1 });
  });

  it('stops on a 404 that follows a transient first answer (503), retries included', async () => {
    const api = await endpoint((_request, res, i) => json(res, i === 0 ? 503 : 404, {}));
    const { sender } = senderFor(api.url);
    const results = await sendAll(sender);
    expect(sender.stoppedBy()).toMatchObject({ answer: 'HTTP 404' });
    // The first wave and the 503'd request's retry: a few, never one per customer.
    expect(api.requests.length).toBeGreaterThan(1);
    expect(api.requests.length).toBeLessThanOrEqual(2 * CONCURRENCY);
    for (const detail of Object.values(byId(results))) expect(detail).toMatch(/^failed: not sent: endpoint misconfigured \(HTTP 404\)/);
  });

  it('cuts a backoff short once the endpoint is known to be misconfigured', async () => {
    const client = scripted(`https://api.example${PATH}`, (i) =>
      i === 0 ? { kind: 'http', status: 503, message: 'busy' } : { kind: 'http', status: 404, message: 'no' },
    );
    const started = Date.now();
    // A backoff of 10 s: the 404 of another request must end it at once.
    const { sender } = senderWith(client, { retry: { maxAttempts: 3, baseMs: 10_000, capMs: 10_000 }, random: () => 1 });
    const results = await Promise.all([sender.send(batchOf(['a'])), sender.send(batchOf(['b'], 1))]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(byId(results)).toEqual({
      a: 'failed: not sent: endpoint misconfigured (HTTP 404) (last attempt: HTTP 503: busy)',
      b: 'failed: not sent: endpoint misconfigured (HTTP 404)',
    });
  });

  it('keeps the first fatal answer: a token rejected first stays an auth failure', async () => {
    const api = await endpoint((_request, res, i) => json(res, i === 0 ? 401 : 404, {}));
    const { sender, events } = senderFor(api.url);
    const results = await sendAll(sender);
    expect(sender.stoppedBy()).toMatchObject({ exitCode: ExitCode.AuthRejected, status: 401 });
    expect(events.filter((e) => e.type === 'endpointMisconfigured')).toEqual([]);
    // The 401's own customers say so; every other customer, 404 or not, was not sent.
    const details = Object.values(byId(results));
    expect(details.slice(0, 2)).toEqual(['failed: authentication rejected (401)', 'failed: authentication rejected (401)']);
    for (const detail of details.slice(2)) expect(detail).toBe(`failed: ${NOT_SENT_AUTH}`);
  });

  it('never puts the token in the error, even when the redirect echoes it', async () => {
    const api = await endpoint((_request, res) => json(res, 302, {}, { Location: `https://sso.example/?access_token=${TOKEN}` }));
    const { sender, events } = senderFor(api.url);
    const results = await sendAll(sender);
    const everything = JSON.stringify({
      results,
      events,
      message: sender.stoppedBy()?.message,
      answer: (sender.stoppedBy() as EndpointError).answer,
    });
    expect(everything).toContain('access_token=[REDACTED]');
    expect(everything).not.toContain(TOKEN);
  });
});
