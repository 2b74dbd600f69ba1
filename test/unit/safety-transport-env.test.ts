/** The environment must not expose the token: TLS checks switched off, a proxy on plain http. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveRunConfig, sendOptions, inputOptions, defaultsOf } from '../../src/config/run-options.js';
import { checkTransportEnv, isLoopbackHost, proxyVariableFor } from '../../src/config/transport-env.js';
import { UsageError } from '../../src/core/errors.js';
import { createHttpClient } from '../../src/pipeline/send/http.js';

const REMOTE_HTTP = 'http://192.0.2.10/api/v3/customers/segments';
const REMOTE_HTTPS = 'https://api.example.com/api/v3/customers/segments';
const LOOPBACK = 'http://127.0.0.1:8787/api/v3/customers/segments';

const args = (extra: Record<string, unknown>) => ({
  ...defaultsOf({ ...sendOptions, ...inputOptions }),
  files: ['in.csv'],
  token: 't',
  ...extra,
});
const resolve = (extra: Record<string, unknown>, env: NodeJS.ProcessEnv) => resolveRunConfig(args(extra), env);

describe('NODE_TLS_REJECT_UNAUTHORIZED=0', () => {
  it('is refused for a run that sends, saying why and what to do instead', () => {
    const env = { NODE_TLS_REJECT_UNAUTHORIZED: '0' };
    expect(() => resolve({ endpoint: REMOTE_HTTPS }, env)).toThrow(UsageError);
    expect(() => resolve({ endpoint: REMOTE_HTTPS }, env)).toThrow(
      /certificate checks are off for every connection.*Unset it.*NODE_EXTRA_CA_CERTS/s,
    );
    expect(() => resolve({ endpoint: LOOPBACK }, env)).toThrow(/NODE_TLS_REJECT_UNAUTHORIZED=0/);
  });

  it('is not in the way of a dry run, which connects nowhere; other values are left alone', () => {
    expect(resolve({ dryRun: true }, { NODE_TLS_REJECT_UNAUTHORIZED: '0' }).dryRun).toBe(true);
    expect(resolve({ endpoint: REMOTE_HTTPS }, { NODE_TLS_REJECT_UNAUTHORIZED: '1' }).endpoint).toBe(REMOTE_HTTPS);
  });

  it('is refused for a dry run that pushes metrics', () => {
    expect(() => resolve({ dryRun: true, pushgateway: 'https://push.example.com' }, { NODE_TLS_REJECT_UNAUTHORIZED: '0' })).toThrow(
      /NODE_TLS_REJECT_UNAUTHORIZED/,
    );
  });
});

describe('a proxy and a plain-http endpoint', () => {
  it.each(['HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'])(
    'refuses a remote http endpoint when %s is set, even with --allow-insecure-http',
    (name) => {
      const env = { [name]: 'http://proxy.corp:3128' };
      let error: unknown;
      try {
        resolve({ endpoint: REMOTE_HTTP, allowInsecureHttp: true }, env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).message).toMatch(
        new RegExp(`http://192\\.0\\.2\\.10 is plain http and ${name} is set.*in clear.*https.*NO_PROXY=192\\.0\\.2\\.10`, 's'),
      );
    },
  );

  it('lets an https endpoint through the proxy, and ignores HTTPS_PROXY for an http one', () => {
    expect(resolve({ endpoint: REMOTE_HTTPS }, { HTTPS_PROXY: 'http://proxy.corp:3128' }).endpoint).toBe(REMOTE_HTTPS);
    expect(resolve({ endpoint: REMOTE_HTTP, allowInsecureHttp: true }, { HTTPS_PROXY: 'http://proxy.corp:3128' }).endpoint).toBe(
      REMOTE_HTTP,
    );
  });

  it('honours NO_PROXY: *, the host, a .suffix, a host:port', () => {
    const url = new URL('http://api.internal.corp:8080/x');
    const proxied = { HTTP_PROXY: 'http://proxy.corp:3128' };
    expect(proxyVariableFor(url, proxied)).toBe('HTTP_PROXY');
    for (const noProxy of ['*', 'api.internal.corp', '.internal.corp', 'internal.corp', '*.corp', 'other, api.internal.corp:8080']) {
      expect(proxyVariableFor(url, { ...proxied, NO_PROXY: noProxy })).toBeUndefined();
      expect(proxyVariableFor(url, { ...proxied, no_proxy: noProxy })).toBeUndefined();
    }
    for (const noProxy of ['other.corp', 'api.internal.corp:9090', 'pi.internal.corp']) {
      expect(proxyVariableFor(url, { ...proxied, NO_PROXY: noProxy })).toBe('HTTP_PROXY');
    }
    expect(() => checkTransportEnv(url.href, { ...proxied, NO_PROXY: '.corp' }, true)).not.toThrow();
  });

  it('never counts loopback as proxied (the client bypasses the proxy for it)', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['localhost.evil.com', '128.0.0.1', '10.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
    expect(resolve({ endpoint: LOOPBACK }, { HTTP_PROXY: 'http://proxy.corp:3128', ALL_PROXY: 'http://proxy.corp:3128' }).endpoint).toBe(
      LOOPBACK,
    );
  });
});

describe('the HTTP client', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'NO_PROXY', 'no_proxy']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('sends loopback requests directly, never through a configured proxy', async () => {
    // A "proxy" that would see the token: it must never be connected to.
    const proxyHits: string[] = [];
    const proxy = http.createServer((req, res) => {
      proxyHits.push(String(req.headers.authorization));
      res.writeHead(502).end();
    });
    const api = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"updatedCustomers":["a"]}'));
    });
    await Promise.all([proxy, api].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    process.env.http_proxy = process.env.HTTP_PROXY;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      await postToEach(api);
    } finally {
      await Promise.all([proxy, api].map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
    }
    expect(proxyHits).toEqual([]);
  });
});

async function postToEach(api: http.Server): Promise<void> {
  for (const host of ['127.0.0.1', 'localhost']) {
    const client = createHttpClient({
      endpoint: `http://${host}:${(api.address() as AddressInfo).port}/api/v3/customers/segments`,
      timeoutMs: 2000,
      maxResponseBytes: 1 << 16,
      userAgent: 'test',
    });
    try {
      expect(await client.post('{"customers":[{"document_id":"a","segments":[]}]}', 'secret-token', new AbortController().signal)).toEqual({
        kind: 'ok',
        updated: ['a'],
      });
    } finally {
      client.close();
    }
  }
}
