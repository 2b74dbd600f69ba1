/**
 * Graceful stop and resume. SIGTERM/SIGINT: no new request, those in flight finish, the report is
 * written (status interrupted), logs are flushed, exit 143/130. The rerun of the same command
 * resumes from the journal: nothing acknowledged is sent again and the final report covers the
 * whole input. --fresh ignores the journal; a journal of other inputs is never applied.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../../src/core/exit-codes.js';
import { logLines } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario, waitFor } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 400 });
/** Slow answers make the run last ~3 s, so the signal lands in its middle. */
const SLOW = { emulator: { faults: { latencyMs: 300 } } };
const ARGS = { batchSize: 20, concurrency: 2 };

/** The customers the endpoint has received so far (each request that reached it, summed). */
const received = (sc: Scenario): number => sc.emulator.state().requests.customersReceived;

test.each([
  ['SIGTERM', ExitCode.Terminated],
  ['SIGINT', ExitCode.Interrupted],
] as const)(
  '%s mid-run: in-flight requests finish, report written, exit %i; the rerun resumes without re-sending',
  async (signal, exitCode) => {
    const sc = await openScenario(data, SLOW);
    const running = sc.spawn(ARGS);
    await waitFor('a few acknowledged requests', () => (sc.emulator.state().requests.byStatus['200'] ?? 0) >= 4);
    running.kill(signal);
    const stopped = await running.done;

    expect({ code: stopped.code, stderr: stopped.stderr }).toMatchObject({ code: exitCode });
    // Logs flushed: every stdout line, the last one included, is a whole JSON object.
    const lines = logLines(stopped.stdout);
    expect(lines.at(-1)).toMatchObject({ message: 'run finished', status: 'interrupted', exitCode });
    const first = readReport(sc.ws.report);
    expect(first.summary).toMatchObject({ status: 'interrupted', exitCode });
    expect(first.summary.message).toMatch(/^interrupted after \d+ of \d+ customers were answered; rerun the same command to resume\.$/);
    const acknowledged = first.summary.counts.updated + first.summary.counts.notFound;
    expect(acknowledged).toBeGreaterThan(0);
    expect(acknowledged).toBeLessThan(data.customers.length);
    // Requests in flight were let finish, and counted: the report agrees with the endpoint.
    expect(received(sc)).toBe(acknowledged);
    expect(await sc.leaks()).toEqual([]); // the journal is still there to be scanned

    const rerun = await sc.run(ARGS);
    expect(rerun.code).toBe(ExitCode.Ok);
    expect(sc.emulator.state().customers).toEqual(data.expectedState);
    // Every customer reached the endpoint exactly once over both runs.
    expect(received(sc)).toBe(data.customers.length);
    const final = readReport(sc.ws.report);
    expect(final.summary).toMatchObject({ status: 'succeeded', exitCode: ExitCode.Ok, resumed: { acknowledgedBefore: acknowledged } });
    expect(final.summary.counts).toMatchObject({ rows: data.expectedRows.size, customers: data.customers.length, failed: 0 });
    expect(statusesByLine(final.results)).toEqual(data.expectedRows);
    expect(await sc.leaks()).toEqual([]);
  },
);

test('requests still in flight when --grace runs out are cut; the rerun sends them again', async () => {
  // Answers slower than the grace period: the requests in flight at the signal cannot finish in time.
  const sc = await openScenario(data, { emulator: { faults: { latencyMs: 2500 } } });
  const running = sc.spawn({ ...ARGS, graceSeconds: 0.5 });
  await waitFor('requests in flight', () => sc.emulator.state().starts.length >= ARGS.concurrency);
  running.kill('SIGTERM');
  const stopped = await running.done;

  expect(stopped.code).toBe(ExitCode.Terminated);
  const first = readReport(sc.ws.report);
  expect(first.summary).toMatchObject({ status: 'interrupted', counts: { updated: 0, notFound: 0 } });
  expect(first.results.filter((r) => r.status === 'failed').map((r) => r.detail)).toContain('interrupted in flight');
  expect(await sc.leaks()).toEqual([]);
  // The endpoint got (and applied) those requests, but no answer was journalled for them.
  const receivedFirst = received(sc);
  expect(receivedFirst).toBeGreaterThan(0);

  sc.emulator.setFaults({ latencyMs: 0 });
  const rerun = await sc.run(ARGS);
  expect(rerun.code).toBe(ExitCode.Ok);
  expect(received(sc) - receivedFirst).toBe(data.customers.length);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  expect(statusesByLine(readReport(sc.ws.report).results)).toEqual(data.expectedRows);
});

/**
 * A first run where one customer is refused (400, alone): it is `rejected`, the only customer not
 * delivered (exit 7), and the journal holds all the others.
 */
async function partialFirstRun(sc: Scenario, refused: string): Promise<void> {
  sc.emulator.setFaults({ rejectIds: [refused] });
  const first = await sc.run(ARGS);
  expect(first.code).toBe(ExitCode.CustomersRejected);
  sc.emulator.setFaults({ rejectIds: [] });
}

test('after a partial run the rerun sends only the customer not delivered and reports the whole input', async () => {
  const sc = await openScenario(data);
  const refused = data.customers[42]!;
  await partialFirstRun(sc, refused);
  const before = received(sc);

  const rerun = await sc.run(ARGS);
  expect(rerun.code).toBe(ExitCode.Ok);
  expect(received(sc) - before).toBe(1);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  const { summary, results, retry } = readReport(sc.ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', resumed: { acknowledgedBefore: data.customers.length - 1 } });
  expect(statusesByLine(results)).toEqual(data.expectedRows);
  // Neither the retry.csv nor the rejects.csv of the first run is left behind to be resent by mistake.
  expect(retry).toBeUndefined();
  expect(existsSync(path.join(sc.ws.report, 'rejects.csv'))).toBe(false);
  expect(await sc.leaks()).toEqual([]);
});

test('--fresh ignores the journal: every customer is sent again', async () => {
  const sc = await openScenario(data);
  await partialFirstRun(sc, data.customers[42]!);
  const before = received(sc);

  const rerun = await sc.run({ ...ARGS, extra: ['--fresh'] });
  expect(rerun.code).toBe(ExitCode.Ok);
  expect(received(sc) - before).toBe(data.customers.length);
  const { summary, results } = readReport(sc.ws.report);
  expect(summary.resumed).toBeUndefined();
  expect(statusesByLine(results)).toEqual(data.expectedRows);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  expect(await sc.leaks()).toEqual([]);
});

test('a journal of other inputs is not applied: after the file changed, every customer is sent again', async () => {
  const sc = await openScenario(data);
  await partialFirstRun(sc, data.customers[42]!);
  const before = received(sc);
  await fs.appendFile(sc.ws.input, 'Z-00001,gold,north,low\n');

  const rerun = await sc.run(ARGS);
  expect(rerun.code).toBe(ExitCode.Ok);
  expect(received(sc) - before).toBe(data.customers.length + 1);
  const { summary } = readReport(sc.ws.report);
  expect(summary.resumed).toBeUndefined();
  expect(summary.counts).toMatchObject({ customers: data.customers.length + 1, failed: 0 });
  expect(logLines(rerun.stdout).some((l) => l.level === 'warn' && /journals? of other inputs/.test(String(l.message)))).toBe(true);
  expect(sc.emulator.state().customers).toEqual(data.expectedState); // Z-00001 is not a known customer
  expect(await sc.leaks()).toEqual([]);
});
