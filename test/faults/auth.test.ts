/**
 * 401 mid-run. With --token-file the file is re-read once (a rotated secret) and the run goes on;
 * with a token from the environment the run stops sending, writes its report (status failed) and
 * exits 4, and a rerun with the right token resumes. No token, old or new, is ever written or
 * printed, nor left visible in the process title.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ExitCode } from '../../src/core/exit-codes.js';
import { type CliResult, spawnCli } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario, syncArgs, waitFor } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';
import { findSecret, uniqueToken } from '../support/secrets.js';
import { writeTokenFile } from '../support/workspace.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 400 });
/** Paced so the run lasts ~2 s and the rotation lands in its middle. */
const PACED = { batchSize: 20, rate: 10, concurrency: 2 };
const ROTATE_AFTER_REQUESTS = 6;

test('401 with --token-file: the rotated file is re-read once and the run completes', async () => {
  const sc = await openScenario(data, { tokenFile: true });
  const running = sc.spawn(PACED);
  await waitFor('the first requests', () => sc.emulator.state().requests.total >= ROTATE_AFTER_REQUESTS);
  const rotated = uniqueToken('rotated');
  // The file first: a 401 that comes before the new file is written would find no new token.
  await writeTokenFile(sc.ws.tokenFile, rotated);
  sc.emulator.setTokens([rotated]);
  const run = await running.done;

  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.Ok });
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  const { summary, results } = readReport(sc.ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', counts: { failed: 0 } });
  expect(summary.requests['401']).toBeGreaterThanOrEqual(1);
  expect(statusesByLine(results)).toEqual(data.expectedRows);
  expect(await sc.leaks()).toEqual([]);
  expect(await findSecret(rotated, sc.runs, [sc.ws.report, sc.ws.state])).toEqual([]);
});

test('401 with the token from the environment: exit 4, status failed, report written; the rerun with the right token resumes', async () => {
  const sc = await openScenario(data);
  const running = sc.spawn(PACED);
  await waitFor('the first requests', () => sc.emulator.state().requests.total >= ROTATE_AFTER_REQUESTS);
  const rotated = uniqueToken('rotated');
  sc.emulator.setTokens([rotated]);
  const stopped = await running.done;

  expect({ code: stopped.code, stderr: stopped.stderr }).toMatchObject({ code: ExitCode.AuthRejected });
  const first = readReport(sc.ws.report);
  expect(first.summary).toMatchObject({ status: 'failed', exitCode: ExitCode.AuthRejected });
  expect(first.summary.message).toMatch(/authentication rejected \(401\)/);
  expect(first.summary.requests['401']).toBeGreaterThanOrEqual(1);
  expect(first.summary.options.tokenFrom).toBe('env');
  const delivered = first.summary.counts.updated + first.summary.counts.notFound;
  expect(delivered).toBeGreaterThan(0);
  expect(delivered).toBeLessThan(data.customers.length);
  // The report still covers every row: what was not delivered failed (its request was refused) or
  // was never sent, and is in retry.csv.
  expect(first.results).toHaveLength(data.expectedRows.size);
  expect(first.summary.counts.failed + first.summary.counts.notSent).toBe(data.customers.length - delivered);
  expect(first.summary.counts.failed).toBeLessThanOrEqual(PACED.concurrency * PACED.batchSize);
  expect(first.retry).toHaveLength(data.customers.length - delivered);
  // Once refused, it stopped: at most the requests in flight at that moment were refused too.
  expect(sc.emulator.state().requests.byStatus['401']).toBeLessThanOrEqual(PACED.concurrency);
  // Scanned now, while the journal of the stopped run is still in the state dir.
  expect(await sc.leaks()).toEqual([]);

  const receivedBefore = sc.emulator.state().requests.customersReceived;
  const resumed = await runWithEnvToken(sc, rotated);
  expect(resumed.code).toBe(ExitCode.Ok);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  const final = readReport(sc.ws.report);
  expect(final.summary).toMatchObject({ status: 'succeeded', resumed: { acknowledgedBefore: delivered } });
  expect(statusesByLine(final.results)).toEqual(data.expectedRows);
  // Only what the first run had not delivered was sent again.
  expect(sc.emulator.state().requests.customersReceived - receivedBefore).toBe(data.customers.length - delivered);
  expect(await sc.leaks()).toEqual([]);
  expect(await findSecret(rotated, sc.runs, [sc.ws.report, sc.ws.state])).toEqual([]);
});

test('401 with --token-file that was not rotated: re-read once, still refused → exit 4, nothing more sent', async () => {
  const sc = await openScenario(data, { tokenFile: true });
  const running = sc.spawn(PACED);
  await waitFor('the first requests', () => sc.emulator.state().requests.total >= ROTATE_AFTER_REQUESTS);
  sc.emulator.setTokens([uniqueToken('elsewhere')]); // revoked, and the file still holds the old one
  const run = await running.done;

  expect(run.code).toBe(ExitCode.AuthRejected);
  const { summary } = readReport(sc.ws.report);
  expect(summary).toMatchObject({ status: 'failed', exitCode: ExitCode.AuthRejected, options: { tokenFrom: 'file' } });
  // The in-flight requests were refused; the re-read found no new token, so nothing else was tried.
  expect(sc.emulator.state().requests.byStatus['401']).toBeLessThanOrEqual(PACED.concurrency);
  expect(await sc.leaks()).toEqual([]);
});

/** The same command, with SEGMENT_SYNC_TOKEN set to `token` instead of the scenario's. */
async function runWithEnvToken(sc: Scenario, token: string): Promise<CliResult> {
  const run = await spawnCli(syncArgs(sc.ws, { ...PACED, rate: 0, endpoint: sc.emulator.url }), {
    cwd: sc.ws.root,
    env: { SEGMENT_SYNC_TOKEN: token },
  }).done;
  sc.runs.push(run);
  return run;
}

const procCmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
const onLinux = existsSync('/proc/self/cmdline') ? test : test.skip;

onLinux('a token given with --token does not stay visible in the process list', async () => {
  const sc = await openScenario(data, { emulator: { faults: { latencyMs: 200 } } });
  const running = spawnCli(syncArgs(sc.ws, { ...PACED, endpoint: sc.emulator.url, extra: ['--token', sc.token] }), { cwd: sc.ws.root });
  await waitFor('the first request', () => sc.emulator.state().requests.total >= 1);
  const cmdline = procCmdline(running.pid);
  const run = await running.done;
  sc.runs.push(run);

  expect(cmdline).toMatch(/^segment-sync/);
  expect(cmdline).not.toContain(sc.token);
  expect(run.code).toBe(ExitCode.Ok);
  expect(await sc.leaks()).toEqual([]);
});
