import { request } from 'node:http';
import { createServer } from 'node:net';
import { startEmulator, type EmulatorHandle, type EmulatorState } from '../../src/emulator/index.js';
import { customersBody, postBulk, TEST_TOKEN, withEmulator } from '../support/emulator.js';

const A = [{ type: 'tier', value: 'gold' }];
const B = [{ type: 'tier', value: 'silver' }];

function isValidAnswer(text: string): boolean {
  try {
    const body = JSON.parse(text) as { updatedCustomers?: unknown };
    return Array.isArray(body.updatedCustomers) && body.updatedCustomers.every((id) => typeof id === 'string');
  } catch {
    return false;
  }
}

async function post(emulator: EmulatorHandle, ...customers: Parameters<typeof customersBody>) {
  return postBulk(emulator.url, customersBody(...customers));
}

/** A POST through node:http, to control framing (chunked bodies) and watch bytes as they arrive. */
function rawPost(url: string, chunks: string[], headers: Record<string, string> = {}) {
  return new Promise<{ status: number; chunkSizes: number[]; body: string }>((resolve, reject) => {
    const options = { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, ...headers } };
    const req = request(url, options, (res) => {
      const received: Buffer[] = [];
      res.on('data', (chunk: Buffer) => received.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(received).toString();
        resolve({ status: res.statusCode ?? 0, chunkSizes: received.map((c) => c.length), body });
      });
      res.on('error', reject);
      res.on('close', () => reject(new Error('the connection closed before the answer ended')));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('emulator: the bulk endpoint', () => {
  it('replaces the segments of a known customer with the ones sent, null included', async () => {
    await withEmulator({}, async (emulator) => {
      await post(emulator, ['c1', A], ['c2', A]);
      const second = await post(emulator, ['c1', B], ['c2', null]);
      expect(second.status).toBe(200);
      expect(JSON.parse(second.text)).toEqual({ updatedCustomers: ['c1', 'c2'] });
      expect(emulator.state().customers).toEqual({ c1: B, c2: null });
    });
  });

  it('counts only the first occurrence of an id within a request (the documented example)', async () => {
    await withEmulator({ known: ['aa-bb-1'] }, async (emulator) => {
      const answer = await post(emulator, ['aa-bb-1', A], ['cc-dd-2', A], ['aa-bb-1', B], ['ee-ff-3', A]);
      expect(JSON.parse(answer.text)).toEqual({ updatedCustomers: ['aa-bb-1'] });
      expect(emulator.state().customers).toEqual({ 'aa-bb-1': A });
    });
  });

  it('leaves unknown customers out of updatedCustomers and does not store them', async () => {
    await withEmulator({ known: new Set(['k1', 'k2']) }, async (emulator) => {
      const answer = await post(emulator, ['u1', A], ['k2', A], ['k1', B]);
      expect(JSON.parse(answer.text)).toEqual({ updatedCustomers: ['k2', 'k1'] });
      expect(Object.keys(emulator.state().customers).sort()).toEqual(['k1', 'k2']);
    });
  });

  it('answers 401 to a missing or unknown token, without echoing it, and applies nothing', async () => {
    await withEmulator({ tokens: ['right'] }, async (emulator) => {
      const missing = await postBulk(emulator.url, customersBody(['c1', A]), null);
      const wrong = await postBulk(emulator.url, customersBody(['c1', A]), 'wrong-secret-123');
      for (const answer of [missing, wrong]) {
        expect(answer.status).toBe(401);
        expect(JSON.parse(answer.text)).toEqual({
          type: 'error',
          code: 'unAuthorized',
          details: 'Authorization credentials are missing or invalid',
        });
      }
      expect(wrong.text).not.toContain('wrong-secret-123');
      expect(emulator.state().customers).toEqual({});
      expect(emulator.state().requests.byStatus).toEqual({ '401': 2 });
    });
  });

  it.each([
    ['not JSON', '{"customers": [', /not valid JSON/],
    ['no customers array', '{"clients": []}', /"customers" array/],
    ['an empty customers array', '{"customers": []}', /at least 1/],
    ['a numeric document_id', '{"customers": [{"document_id": 7, "segments": []}]}', /customers\[0\]\.document_id/],
    ['missing segments', '{"customers": [{"document_id": "c1"}]}', /customers\[0\]\.segments must be an array or null/],
    [
      'a segment without value',
      '{"customers": [{"document_id": "c1", "segments": []}, {"document_id": "c2", "segments": [{"type": "t"}]}]}',
      /customers\[1\]\.segments\[0\]\.value/,
    ],
  ])('answers 400 invalidRequest to a body with %s, naming the problem, and applies nothing', async (_, body, details) => {
    await withEmulator({}, async (emulator) => {
      await post(emulator, ['c1', A]);
      const answer = await postBulk(emulator.url, body);
      expect(answer.status).toBe(400);
      const error = JSON.parse(answer.text) as { type: string; code: string; details: string };
      expect(error).toMatchObject({ type: 'error', code: 'invalidRequest' });
      expect(error.details).toMatch(details);
      expect(emulator.state().customers).toEqual({ c1: A });
    });
  });

  it('answers 400 naming the rejected id and applies nothing of that request', async () => {
    await withEmulator({ faults: { rejectIds: ['bad-1'] } }, async (emulator) => {
      const answer = await post(emulator, ['ok-1', A], ['bad-1', A]);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toMatchObject({ type: 'error', code: 'invalidRequest' });
      expect(JSON.parse(answer.text).details).toContain('bad-1');
      expect(emulator.state().customers).toEqual({});
    });
  });

  it('answers 413 to a body above maxBodyBytes, announced or chunked, and applies nothing', async () => {
    await withEmulator({ maxBodyBytes: 100 }, async (emulator) => {
      const many = customersBody(...Array.from({ length: 10 }, (_, i): [string, typeof A] => [`c${i}`, A]));
      expect((await postBulk(emulator.url, many)).status).toBe(413);
      const text = JSON.stringify(many);
      const chunks = [text.slice(0, 60), text.slice(60)];
      const chunked = await rawPost(emulator.url, chunks, { 'transfer-encoding': 'chunked' });
      expect(chunked.status).toBe(413);
      expect((await post(emulator, ['small', A])).status).toBe(200);
      expect(emulator.state().customers).toEqual({ small: A });
    });
  });

  it('answers 404 on other paths and 405 on other methods', async () => {
    await withEmulator({}, async (emulator) => {
      expect((await postBulk(`${emulator.baseUrl}/api/v3/customers`, customersBody(['c1', A]))).status).toBe(404);
      const get = await fetch(emulator.url, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    });
  });
});

describe('emulator: injected faults', () => {
  it('answers 429 with Retry-After in seconds above the rate limit', async () => {
    await withEmulator({ faults: { rateLimit: 3, retryAfterSeconds: 2 } }, async (emulator) => {
      const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => post(emulator, [`c${i}`, A])));
      const limited = answers.filter((a) => a.status === 429);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
      expect(limited).toHaveLength(2);
      expect(limited.map((a) => a.headers.get('retry-after'))).toEqual(['2', '2']);
      expect(Object.keys(emulator.state().customers)).toHaveLength(3);
    });
  });

  it('advertises Retry-After as an HTTP date no earlier than the advertised delay', async () => {
    const faults = { rateLimit: 1, retryAfter: 'http-date', retryAfterSeconds: 5 } as const;
    await withEmulator({ faults }, async (emulator) => {
      const before = Date.now();
      const answers = await Promise.all([post(emulator, ['c1', A]), post(emulator, ['c2', A])]);
      const header = answers.find((a) => a.status === 429)?.headers.get('retry-after') ?? '';
      expect(header).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      expect(Date.parse(header)).toBeGreaterThanOrEqual(before + 5000);
      expect(Date.parse(header)).toBeLessThanOrEqual(Date.now() + 6000);
    });
  });

  it('answers exactly the storm count of requests 429 with the storm Retry-After, then recovers', async () => {
    await withEmulator({}, async (emulator) => {
      emulator.setFaults({ storm: { count: 3, retryAfterSeconds: 7 } });
      const statuses: number[] = [];
      const retryAfters: (string | null)[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await post(emulator, [`c${i}`, A]);
        statuses.push(answer.status);
        retryAfters.push(answer.headers.get('retry-after'));
      }
      expect(statuses).toEqual([429, 429, 429, 200, 200]);
      expect(retryAfters.slice(0, 3)).toEqual(['7', '7', '7']);
      expect(Object.keys(emulator.state().customers)).toEqual(['c3', 'c4']);
    });
  });

  it('answers about errorRate of requests with 500/502/503/504, the same ones for the same seed', async () => {
    const REQUESTS = 120;
    const statusesFor = (seed: number) =>
      withEmulator({ seed, faults: { errorRate: 0.3 } }, async (emulator) => {
        const statuses: number[] = [];
        for (let i = 0; i < REQUESTS; i++) statuses.push((await post(emulator, [`c${i}`, A])).status);
        const stored = Object.keys(emulator.state().customers).length;
        return { statuses, stored };
      });
    const first = await statusesFor(42);
    const again = await statusesFor(42);
    const errors = first.statuses.filter((s) => s !== 200);
    expect(new Set(errors)).toEqual(new Set([500, 502, 503, 504]));
    expect(errors.length).toBeGreaterThan(REQUESTS * 0.15);
    expect(errors.length).toBeLessThan(REQUESTS * 0.45);
    expect(first.stored).toBe(REQUESTS - errors.length);
    expect(again.statuses).toEqual(first.statuses);
  });

  it('resets the connection without answering and without changing state', async () => {
    await withEmulator({ faults: { resetRate: 1 } }, async (emulator) => {
      await expect(post(emulator, ['c1', A])).rejects.toThrow();
      expect(emulator.state().customers).toEqual({});
      expect(emulator.state().requests.byStatus).toEqual({ reset: 1 });
    });
  });

  it('drips a 200 one byte at a time after the headers, and applies the update', async () => {
    await withEmulator({ faults: { dripRate: 1, dripMs: 15 } }, async (emulator) => {
      const answer = await rawPost(emulator.url, [JSON.stringify(customersBody(['c1', A]))]);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ updatedCustomers: ['c1'] });
      // Loopback delivers each byte long before the next one is written.
      expect(answer.chunkSizes.length).toBeGreaterThan(answer.body.length / 2);
      expect(Math.max(...answer.chunkSizes)).toBeLessThanOrEqual(2);
      expect(emulator.state().customers).toEqual({ c1: A });
    });
  });

  it('answers a malformed 200 (not JSON or the wrong shape) and still applies the update', async () => {
    await withEmulator({ faults: { malformedRate: 1 } }, async (emulator) => {
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push(await post(emulator, [`c${i}`, A]));
      expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
      expect(answers.filter((a) => isValidAnswer(a.text))).toEqual([]);
      const parsesAsJson = (text: string) => {
        try {
          return JSON.parse(text) !== undefined;
        } catch {
          return false;
        }
      };
      // Both kinds occur: bodies that are not JSON, and JSON of the wrong shape.
      expect(new Set(answers.map((a) => parsesAsJson(a.text)))).toEqual(new Set([true, false]));
      expect(Object.keys(emulator.state().customers)).toHaveLength(12);
    });
  });

  it('answers slow requests only after slowMs plus latencyMs, and applies the update', async () => {
    await withEmulator({ faults: { slowRate: 1, slowMs: 200, latencyMs: 100 } }, async (emulator) => {
      const started = performance.now();
      const answer = await post(emulator, ['c1', A]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(isValidAnswer(answer.text)).toBe(true);
      expect(emulator.state().customers).toEqual({ c1: A });
    });
  });
});

describe('emulator: state, control routes and lifecycle', () => {
  it('serves GET /__state equal to state(), with counts and arrival times', async () => {
    await withEmulator({ known: ['c1'] }, async (emulator) => {
      await post(emulator, ['c1', A], ['c2', B]);
      await postBulk(emulator.url, customersBody(['c1', B]), 'nope');
      const state = (await (await fetch(`${emulator.baseUrl}/__state`)).json()) as EmulatorState;
      expect(state).toEqual(emulator.state());
      expect(state.customers).toEqual({ c1: A });
      expect(state.requests).toEqual({ total: 2, byStatus: { '200': 1, '401': 1 }, customersReceived: 2 });
      const [first = 0, second = 0] = state.starts;
      expect(state.starts).toHaveLength(2);
      expect(second).toBeGreaterThanOrEqual(first);
      // Epoch milliseconds, comparable with the client's own clock.
      expect(Math.abs(Date.now() - second)).toBeLessThan(60_000);
    });
  });

  it('changes faults at run time through POST /__faults and refuses bad values, naming them', async () => {
    await withEmulator({}, async (emulator) => {
      const set = await postBulk(`${emulator.baseUrl}/__faults`, { errorRate: 1 }, null);
      expect(set.status).toBe(200);
      expect(JSON.parse(set.text).faults.errorRate).toBe(1);
      expect((await post(emulator, ['c1', A])).status).toBeGreaterThanOrEqual(500);
      const bad = await postBulk(`${emulator.baseUrl}/__faults`, { errorRate: 1.5, slowMz: 3 }, null);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text).details).toMatch(/faults\.errorRate must be a number between 0 and 1 \(got 1\.5\)/);
      expect(JSON.parse(bad.text).details).toMatch(/'slowMz'/);
      expect(() => emulator.setFaults({ resetRate: -1 })).toThrow(/faults\.resetRate.*got -1/);
    });
  });

  it('rotates tokens: the old token gets 401 and the new one works, via setTokens and POST /__tokens', async () => {
    await withEmulator({ tokens: ['old'] }, async (emulator) => {
      emulator.setTokens(['new']);
      expect((await postBulk(emulator.url, customersBody(['c1', A]), 'old')).status).toBe(401);
      expect((await postBulk(emulator.url, customersBody(['c1', A]), 'new')).status).toBe(200);
      const rotated = await postBulk(`${emulator.baseUrl}/__tokens`, { tokens: ['newer'] }, null);
      expect(rotated.status).toBe(204);
      expect(rotated.text).toBe('');
      expect((await postBulk(emulator.url, customersBody(['c1', A]), 'new')).status).toBe(401);
      expect((await postBulk(emulator.url, customersBody(['c1', A]), 'newer')).status).toBe(200);
    });
  });

  it('forgets customers and statistics on POST /__reset', async () => {
    await withEmulator({}, async (emulator) => {
      await post(emulator, ['c1', A]);
      expect((await postBulk(`${emulator.baseUrl}/__reset`, '', null)).status).toBe(204);
      const empty = { customers: {}, requests: { total: 0, byStatus: {}, customersReceived: 0 }, starts: [] };
      expect(emulator.state()).toEqual(empty);
    });
  });

  it('refuses invalid options up front, naming each option and its bad value', async () => {
    await expect(startEmulator({ port: 70000, faults: { errorRate: 2 } })).rejects.toThrow(
      /port must be a port number between 0 and 65535 \(got 70000\).*faults\.errorRate .*\(got 2\)/,
    );
    await expect(startEmulator({ tokens: ['has space'] })).rejects.toThrow(/^(?!.*has space).*tokens must be/);
  });

  it('frees its port on close(), even with a dripping answer in flight', async () => {
    const emulator = await startEmulator({ faults: { dripRate: 1, dripMs: 1000 } });
    const port = Number(new URL(emulator.url).port);
    const inFlight = rawPost(emulator.url, [JSON.stringify(customersBody(['c1', A]))]).catch(() => 'dropped');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await emulator.close();
    await inFlight;
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => probe.close(resolve));
  });
});
