/**
 * A misconfigured endpoint fails fast: the built CLI against real loopback servers that answer
 * 404, 405 or a redirect, an HTTPS server with a self-signed certificate (untrusted, and trusted
 * but for another name), and a host name that cannot resolve (.invalid never does, RFC 6761).
 * Each run stops within a few requests, exits 2 with a message naming the endpoint and what it
 * answered (no retry advice), and reports every customer as not sent. Only loopback addresses
 * receive traffic: redirects are never followed.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ExitCode } from '../../src/core/exit-codes.js';
import { type CliResult, logLines, runCli } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { syncArgs } from '../support/faults/scenario.js';
import { readResults, readSummary } from '../support/report.js';
import { findSecret, uniqueToken } from '../support/secrets.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';
import { selfSignedCert, type SelfSigned } from '../support/self-signed.js';

const PATH = '/api/v3/customers/segments';
/** 200 customers in batches of 20 at --concurrency 3: ten requests if nothing stopped the run. */
const data = generateDataset({ customers: 200 });
const RUN = { batchSize: 20, concurrency: 3, maxAttempts: 5 };
/** "Within a few requests". */
const MAX_REQUESTS = 3;

interface Loopback {
  url: string;
  /** TCP connections accepted (a TLS failure never becomes a request). */
  connections: number;
  /** Requests that reached the handler. */
  requests: number;
}

let ws: Workspace;
let token: string;
let cert: SelfSigned | undefined;
const servers: (http.Server | https.Server)[] = [];

beforeEach(async () => {
  ws = await makeWorkspace(data.csv);
  token = uniqueToken('endpoint');
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await cert?.remove();
  cert = undefined;
  await ws.remove();
});

async function serve(
  server: http.Server | https.Server,
  scheme: 'http' | 'https',
  answer: (res: ServerResponse, index: number) => void,
): Promise<Loopback> {
  const seen: Loopback = { url: '', connections: 0, requests: 0 };
  server.on('connection', () => seen.connections++);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => answer(res, seen.requests++));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  seen.url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
  return seen;
}

const plain = (answer: (res: ServerResponse, index: number) => void) => serve(http.createServer(), 'http', answer);

async function selfSigned(): Promise<Loopback> {
  cert = await selfSignedCert();
  return serve(https.createServer({ key: cert.key, cert: cert.cert }), 'https', (res) => json(res, 200, { updatedCustomers: [] }));
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function run(endpoint: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(syncArgs(ws, { endpoint, ...RUN }), { cwd: ws.root, env: { SEGMENT_SYNC_TOKEN: token, TMPDIR: ws.tmpDir, ...env } });
}

/** What every misconfigured-endpoint run must show, whatever the answer was. */
async function expectFailedFast(result: CliResult, endpoint: string, answer: string): Promise<void> {
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: ExitCode.Usage });

  const summary = readSummary(ws.report);
  expect(summary.exitCode).toBe(ExitCode.Usage);
  expect(summary.message).toContain(endpoint);
  expect(summary.message).toContain(answer);
  expect(summary.message).not.toMatch(/retry|resend|rerun|again/i);
  expect(result.stderr).toContain(endpoint);
  expect(result.stderr).toContain(answer);
  expect(summary.counts).toMatchObject({ customers: data.customers.length, updated: 0, notFound: 0 });

  // Every customer row says it was not sent (status: failed today; not_sent once the job has it).
  const customers = readResults(ws.report).filter((row) => row.status !== 'duplicate');
  expect(customers).toHaveLength(data.customers.length);
  for (const row of customers) {
    expect(['failed', 'not_sent']).toContain(row.status);
    expect(row.detail).toBe(`not sent: endpoint misconfigured (${answer})`);
  }

  // The sender said so in the log, once.
  const logged = logLines(result.stdout).filter((line) => line.type === 'endpointMisconfigured');
  expect(logged).toEqual([expect.objectContaining({ endpoint, answer })]);

  expect(await findSecret(token, [{ ...result, signal: null }], [ws.report, ws.state])).toEqual([]);
}

test.each([
  [404, 'HTTP 404'],
  [405, 'HTTP 405'],
])('HTTP %i on the first request: exit 2 within a few requests, every customer not sent', async (status, answer) => {
  const api = await plain((res) => json(res, status, { type: 'error', code: 'notFound' }));
  const result = await run(api.url);

  await expectFailedFast(result, api.url, answer);
  expect(api.requests).toBeGreaterThanOrEqual(1);
  expect(api.requests).toBeLessThanOrEqual(MAX_REQUESTS);
});

test('a redirect is not followed: exit 2 naming where it pointed, and nothing goes there', async () => {
  // The target is a documentation address (RFC 5737): if it were followed, the test would hang on it.
  const elsewhere = 'https://192.0.2.10/api/v3/customers/segments';
  const api = await plain((res) => json(res, 301, {}, { Location: elsewhere }));
  const result = await run(api.url);

  await expectFailedFast(result, api.url, `redirect 301 to ${elsewhere}`);
  expect(api.requests).toBeLessThanOrEqual(MAX_REQUESTS);
});

test('a self-signed certificate: exit 2 "TLS: self-signed certificate", and no request is made', async () => {
  const api = await selfSigned();
  const result = await run(api.url);

  await expectFailedFast(result, api.url, 'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
  expect(api.requests).toBe(0);
  expect(api.connections).toBeGreaterThanOrEqual(1);
  expect(api.connections).toBeLessThanOrEqual(MAX_REQUESTS);
});

test('a trusted certificate for another host name (NODE_EXTRA_CA_CERTS): exit 2 naming the mismatch', async () => {
  const api = await selfSigned();
  // Trusted now, but issued to CN=localhost with no IP address in it: 127.0.0.1 does not match.
  const result = await run(api.url, { NODE_EXTRA_CA_CERTS: cert!.certFile });

  await expectFailedFast(result, api.url, 'TLS: certificate does not match the host name (ERR_TLS_CERT_ALTNAME_INVALID)');
  expect(api.requests).toBe(0);
  expect(api.connections).toBeLessThanOrEqual(MAX_REQUESTS);
});

test('a host name that does not resolve: exit 2 "DNS: host not found"', async () => {
  const endpoint = `https://does-not-exist.invalid${PATH}`;
  const result = await run(endpoint);

  await expectFailedFast(result, endpoint, 'DNS: host not found (ENOTFOUND)');
  const summary = readSummary(ws.report);
  expect(summary.requests.network ?? 0).toBeLessThanOrEqual(MAX_REQUESTS);
  expect(summary.requests.retries).toBe(0);
});

test('after the first 200, a 404 is an ordinary failure: the run goes on and exits 1', async () => {
  // Every request after the first is refused, as a route removed mid-run would be.
  const api = await plain((res, i) =>
    i === 0 ? json(res, 200, { updatedCustomers: data.customers.slice(0, RUN.batchSize) }) : json(res, 404, {}),
  );
  const result = await runCli(syncArgs(ws, { endpoint: api.url, ...RUN, concurrency: 1 }), {
    cwd: ws.root,
    env: { SEGMENT_SYNC_TOKEN: token, TMPDIR: ws.tmpDir },
  });

  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: ExitCode.PartialFailure });
  const summary = readSummary(ws.report);
  expect(summary.counts.updated).toBeGreaterThan(0);
  expect(summary.requests['404']).toBe(api.requests - 1);
  expect(api.requests).toBeGreaterThan(MAX_REQUESTS);
  const failed = readResults(ws.report).filter((row) => row.status === 'failed');
  expect(failed.length).toBeGreaterThan(0);
  for (const row of failed) expect(row.detail).toMatch(/^HTTP 404/);
});
