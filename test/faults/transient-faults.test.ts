/**
 * Faults that another attempt cures: 5xx, connection resets, answers past the deadline, dripping
 * answers, malformed 200s. Each run must end exactly where one clean run ends: every customer
 * delivered, the endpoint holding the same segments, a true report, exit 0.
 */
import { ExitCode } from '../../src/core/exit-codes.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

const data = generateDataset({ customers: 400 });

afterEach(closeScenarios);

/** What every fault run must share with a clean run. */
async function expectCleanOutcome(sc: Scenario): Promise<void> {
  const { data } = sc;
  const last = sc.runs.at(-1)!;
  expect({ code: last.code, stderr: last.stderr }).toMatchObject({ code: ExitCode.Ok });
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  const { summary, results, retry } = readReport(sc.ws.report);
  expect(summary).toMatchObject({
    status: 'succeeded',
    exitCode: ExitCode.Ok,
    counts: {
      rows: data.expectedRows.size,
      customers: data.customers.length,
      updated: data.known.length,
      notFound: data.customers.length - data.known.length,
      failed: 0,
      duplicates: data.expectedRows.size - data.customers.length,
    },
  });
  expect(statusesByLine(results)).toEqual(data.expectedRows);
  expect(retry).toBeUndefined();
  expect(await sc.leaks()).toEqual([]);
}

test('a clean run leaves exactly what the oracle says (the baseline of every fault test)', async () => {
  const sc = await openScenario(data);
  await sc.run();
  await expectCleanOutcome(sc);
  // Each customer sent once: nothing wasted when nothing fails.
  expect(sc.emulator.state().requests.customersReceived).toBe(data.customers.length);
});

test('20% 5xx answers and 5% connection resets are retried until every customer is delivered', async () => {
  const sc = await openScenario(data, { emulator: { faults: { errorRate: 0.2, resetRate: 0.05 } } });
  await sc.run({ batchSize: 10 });
  await expectCleanOutcome(sc);

  const { summary } = readReport(sc.ws.report);
  const served = sc.emulator.state().requests.byStatus;
  expect(served['500'] ?? 0).toBeGreaterThan(0);
  expect(served.reset ?? 0).toBeGreaterThan(0);
  // The client counted exactly what the endpoint answered; a reset is a network error to it.
  for (const status of ['200', '500', '502', '503', '504']) expect(summary.requests[status] ?? 0).toBe(served[status] ?? 0);
  expect(summary.requests.network).toBe(served.reset);
  // Every answer but the final 200 of each request was retried.
  expect(summary.requests.retries).toBe(summary.requests.total - served['200']!);
});

test('answers slower than --timeout hit the deadline and are retried', async () => {
  const sc = await openScenario(data, { emulator: { faults: { slowRate: 0.2, slowMs: 4000 } } });
  await sc.run({ timeoutSeconds: 1, concurrency: 5 });
  await expectCleanOutcome(sc);

  const { summary } = readReport(sc.ws.report);
  expect(summary.requests.timeout).toBeGreaterThan(0);
  expect(summary.requests.retries).toBe(summary.requests.timeout);
});

test('an answer dripping one byte at a time is cut by the total deadline, not waited for', async () => {
  // 100 ms a byte: an answer of ~250 bytes would take 25 s; only a total deadline stops it.
  const sc = await openScenario(data, { emulator: { faults: { dripRate: 0.2, dripMs: 100 } } });
  await sc.run({ timeoutSeconds: 1, concurrency: 5 });
  await expectCleanOutcome(sc);

  const { summary } = readReport(sc.ws.report);
  expect(summary.requests.timeout).toBeGreaterThan(0);
  expect(summary.requests.retries).toBe(summary.requests.timeout);
});

test('a 200 that is not JSON or has the wrong shape is never taken as success: it is retried', async () => {
  const sc = await openScenario(data, { emulator: { faults: { malformedRate: 0.3 } } });
  await sc.run();
  await expectCleanOutcome(sc);

  const { summary } = readReport(sc.ws.report);
  expect(summary.requests.malformed).toBeGreaterThan(0);
  // The endpoint counts them as 200s; the client as malformed, then the good 200s.
  expect(summary.requests.malformed! + summary.requests['200']!).toBe(sc.emulator.state().requests.byStatus['200']);
});
