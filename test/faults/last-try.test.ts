/**
 * Before giving up on a customer, its batch gets a last try after the main pass: a batch whose
 * attempts all failed while the batches around it succeeded (no outage for the breaker to ride out)
 * is sent once more at the end, and only a failure of that last try too leaves it `failed`.
 */
import { ExitCode } from '../../src/core/exit-codes.js';
import { logLines } from '../support/cli.js';
import { expectedWithFailures, generateDataset, stateWithout } from '../support/faults/dataset.js';
import { closeScenarios, openScenario } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 200 });
const ARGS = { batchSize: 20, concurrency: 1, maxAttempts: 2 };
/** A customer in the middle of the run: its batch fails while the others succeed. */
const unlucky = data.customers[90]!;
const batchOfUnlucky = (): string[] => {
  const start = Math.floor(90 / ARGS.batchSize) * ARGS.batchSize;
  return data.customers.slice(start, start + ARGS.batchSize);
};

test('a batch that failed all its attempts in the main pass is delivered by its last try: exit 0, exact', async () => {
  // Two 503s: both attempts of the main pass fail; the last try gets through.
  const sc = await openScenario(data, { emulator: { faults: { failIds: { ids: [unlucky], times: 2 } } } });
  const run = await sc.run(ARGS);

  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.Ok });
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  expect(sc.emulator.state().requests.byStatus['503']).toBe(2);
  const report = readReport(sc.ws.report);
  expect(report.summary.counts).toMatchObject({ failed: 0, notSent: 0 });
  expect(statusesByLine(report.results)).toEqual(data.expectedRows);
  expect(
    logLines(run.stdout).some((l) => l.message === 'last try for the customers whose requests failed' && l.customers === ARGS.batchSize),
  ).toBe(true);
});

test('a batch that fails its last try too ends failed (exit 1), in retry.csv; the others are delivered', async () => {
  // Four 503s: two attempts in the main pass, two in the last try.
  const sc = await openScenario(data, { emulator: { faults: { failIds: { ids: [unlucky], times: 4 } } } });
  const run = await sc.run(ARGS);

  expect(run.code).toBe(ExitCode.PartialFailure);
  const failed = new Set(batchOfUnlucky());
  expect(sc.emulator.state().customers).toEqual(stateWithout(data, failed));
  expect(sc.emulator.state().requests.byStatus['503']).toBe(4);
  const report = readReport(sc.ws.report);
  expect(report.summary.counts).toMatchObject({ failed: failed.size, notSent: 0 });
  expect(statusesByLine(report.results)).toEqual(expectedWithFailures(data, failed));
  expect(report.retry?.map((r) => r.document_id).sort()).toEqual([...failed].sort());
});
