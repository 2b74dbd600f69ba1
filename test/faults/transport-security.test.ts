/**
 * The token never travels in clear off this machine: an http:// endpoint that is not loopback is
 * refused (exit 2) before any connection, unless --allow-insecure-http is given. The address is a
 * documentation one (RFC 5737 TEST-NET-1): it is only ever a string here, never connected to —
 * the refusal happens while the options are checked, and the acceptance is checked with --dry-run,
 * which sends nothing.
 */
import { existsSync } from 'node:fs';
import { ExitCode } from '../../src/core/exit-codes.js';
import { runArgs } from '../support/args.js';
import { runCli, stopChildren } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { readSummary } from '../support/report.js';
import { findSecret, uniqueToken } from '../support/secrets.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const REMOTE_HTTP = 'http://192.0.2.10/api/v3/customers/segments';
const data = generateDataset({ customers: 5 });
let ws: Workspace;

beforeEach(async () => {
  ws = await makeWorkspace(data.csv);
});
afterEach(async () => {
  await stopChildren();
  await ws.remove();
});

/** `run` on the workspace's input, without an endpoint: each test says where it comes from. */
const inputArgs = (...extra: string[]): string[] => runArgs({ reportDir: ws.report, stateDir: ws.state, extra, input: ws.input });

test('an http:// endpoint on another machine is refused with exit 2 before anything is read or sent', async () => {
  const token = uniqueToken('insecure');
  const run = await runCli(inputArgs('--endpoint', REMOTE_HTTP), { cwd: ws.root, env: { SEGMENT_SYNC_TOKEN: token } });

  expect(run.code).toBe(ExitCode.Usage);
  expect(run.stderr).toContain('http://192.0.2.10');
  expect(run.stderr).toContain('--allow-insecure-http');
  // Refused while checking the options: no report and no state were even created.
  expect(existsSync(ws.report)).toBe(false);
  expect(existsSync(ws.state)).toBe(false);
  expect(await findSecret(token, [run], [])).toEqual([]);
});

test('the refusal holds when the endpoint comes from the environment', async () => {
  const run = await runCli(inputArgs(), {
    cwd: ws.root,
    env: { SEGMENT_SYNC_ENDPOINT: REMOTE_HTTP, SEGMENT_SYNC_TOKEN: uniqueToken('insecure') },
  });

  expect(run.code).toBe(ExitCode.Usage);
  expect(run.stderr).toContain('--allow-insecure-http');
  expect(existsSync(ws.report)).toBe(false);
});

test('--allow-insecure-http lets the same endpoint through (checked with --dry-run, which sends nothing)', async () => {
  const run = await runCli(inputArgs('--endpoint', REMOTE_HTTP, '--allow-insecure-http', '--dry-run'), { cwd: ws.root });

  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.Ok });
  expect(readSummary(ws.report)).toMatchObject({ status: 'succeeded', dryRun: true, requests: { total: 0 } });
});

test('with a proxy configured, a plain-http endpoint on another machine is refused (exit 2) even with --allow-insecure-http', async () => {
  const token = uniqueToken('proxied');
  const run = await runCli(inputArgs('--endpoint', REMOTE_HTTP, '--allow-insecure-http'), {
    cwd: ws.root,
    env: { SEGMENT_SYNC_TOKEN: token, HTTP_PROXY: 'http://192.0.2.20:3128' },
  });

  expect(run.code).toBe(ExitCode.Usage);
  expect(run.stderr).toMatch(/plain http and HTTP_PROXY is set.*in clear through the proxy/s);
  expect(run.stderr).toContain('NO_PROXY=192.0.2.10');
  expect(existsSync(ws.report)).toBe(false);
  expect(await findSecret(token, [run], [])).toEqual([]);
});

test('NODE_TLS_REJECT_UNAUTHORIZED=0 is refused (exit 2), saying why and what to use instead', async () => {
  const run = await runCli(inputArgs('--endpoint', 'https://192.0.2.10/api/v3/customers/segments'), {
    cwd: ws.root,
    env: { SEGMENT_SYNC_TOKEN: uniqueToken('tls-off'), NODE_TLS_REJECT_UNAUTHORIZED: '0' },
  });

  expect(run.code).toBe(ExitCode.Usage);
  expect(run.stderr).toMatch(/certificate checks are off for every connection/);
  expect(run.stderr).toContain('NODE_EXTRA_CA_CERTS');
  expect(existsSync(ws.report)).toBe(false);
});
