/** The HTTP edge against real loopback servers, one behaviour each. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, type HttpClient } from '../../src/pipeline/send/http.js';
import { describeOutcome } from '../../src/pipeline/send/post-outcome.js';

const TOKEN = 'sk-live-5ecret-T0KEN';

interface Received {
  body: string;
  authorization: string | undefined;
  userAgent: string | undefined;
}

/** A loopback server answering with `handler`, recording every request. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ body, authorization: req.headers.authorization, userAgent: req.headers['user-agent'] });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v3/customers/segments`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let server: Awaited<ReturnType<typeof serve>> | undefined;
let client: HttpClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

async function clientFor(handler: Parameters<typeof serve>[0], timeoutMs = 2000, maxResponseBytes = 4096) {
  server = await serve(handler);
  client = createHttpClient({ endpoint: server.url, timeoutMs, maxResponseBytes, userAgent: 'segment-sync/test' });
  return client;
}

const BODY = '{"customers":[{"document_id":"a","segments":[]}]}';
const never = new AbortController().signal;

describe('createHttpClient', () => {
  it('posts the body with the bearer token and reads the updated ids', async () => {
    const c = await clientFor((_req, res) => res.end('{"updatedCustomers":["a"]}'));
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({ kind: 'ok', updated: ['a'] });
    expect(server!.received[0]).toEqual({ body: BODY, authorization: `Bearer ${TOKEN}`, userAgent: 'segment-sync/test' });
  });

  it('reports a 200 that is not JSON as malformed', async () => {
    const c = await clientFor((_req, res) => res.end('<html>gateway hiccup</html>'));
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({ kind: 'malformed', status: 200, reason: 'body is not JSON' });
  });

  it('returns an error status with the endpoint message and Retry-After', async () => {
    const c = await clientFor((_req, res) => {
      res.writeHead(429, { 'Retry-After': '2', 'Content-Type': 'application/json' });
      res.end('{"type":"error","code":"tooManyRequests","details":"slow down"}');
    });
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({
      kind: 'http',
      status: 429,
      retryAfterMs: 2000,
      message: 'type=error, code=tooManyRequests, details=slow down',
    });
  });

  it('does not follow a redirect', async () => {
    const c = await clientFor((req, res) => {
      if (req.url === '/elsewhere') res.end('{"updatedCustomers":["a"]}');
      else res.writeHead(307, { Location: '/elsewhere' }).end();
    });
    await expect(c.post(BODY, TOKEN, never)).resolves.toMatchObject({ kind: 'http', status: 307 });
    expect(server!.received).toHaveLength(1);
  });

  it('maps a connection reset to a network outcome', async () => {
    const c = await clientFor((req) => req.socket.destroy());
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({ kind: 'network', code: 'ECONNRESET' });
  });

  it('maps a refused connection to a network outcome', async () => {
    const c = await clientFor(() => {});
    await server!.close();
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({ kind: 'network', code: 'ECONNREFUSED' });
  });

  it('stops a server that drips its answer at the total deadline', async () => {
    const c = await clientFor((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 200);
      res.on('close', () => clearInterval(drip));
    }, 500);
    const startedAt = Date.now();
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({ kind: 'timeout' });
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('reports the caller cancelling a request in flight as aborted', async () => {
    const c = await clientFor(() => {});
    const hardStop = new AbortController();
    setTimeout(() => hardStop.abort(), 100);
    await expect(c.post(BODY, TOKEN, hardStop.signal)).resolves.toEqual({ kind: 'aborted' });
  });

  it('does not read an answer past maxResponseBytes, and keeps its status', async () => {
    const huge = 'x'.repeat(10_000);
    const statuses = [200, 503];
    const c = await clientFor((_req, res) => res.writeHead(statuses.shift()!).end(`{"updatedCustomers":["${huge}"]}`));
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({
      kind: 'malformed',
      status: 200,
      reason: 'body larger than 4096 bytes',
    });
    await expect(c.post(BODY, TOKEN, never)).resolves.toEqual({
      kind: 'http',
      status: 503,
      message: '(body larger than 4096 bytes)',
    });
  });

  it('keeps the token out of everything it returns, even when the server echoes it', async () => {
    const c = await clientFor((req, res) => {
      res.writeHead(401).end(`rejected: ${req.headers.authorization}`);
    });
    const outcome = await c.post(BODY, TOKEN, never);
    expect(outcome).toMatchObject({ kind: 'http', status: 401 });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
    expect(describeOutcome(outcome)).not.toContain(TOKEN);
  });

  it("rejects bad options up front as a bug (the config checked the user's), naming the option and the value", () => {
    const valid = { endpoint: 'https://example.test/x', timeoutMs: 1000, maxResponseBytes: 1024, userAgent: 'ua' };
    expect(() => createHttpClient({ ...valid, endpoint: 'ftp://example.test' })).toThrow(RangeError);
    expect(() => createHttpClient({ ...valid, endpoint: 'not a url' })).toThrow(/endpoint.*not a url/);
    expect(() => createHttpClient({ ...valid, timeoutMs: 0 })).toThrow(/timeoutMs.*got 0/);
    expect(() => createHttpClient({ ...valid, maxResponseBytes: 1.5 })).toThrow(/maxResponseBytes.*got 1.5/);
  });
});
