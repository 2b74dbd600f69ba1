/**
 * Answers that another identical attempt cannot cure: 413 (split the request, keep the smaller
 * size), 400 for some customers (bisect, reject exactly those: rejects.csv, exit 7), and a
 * malformed 200 that persists (the customers fail once their attempts are spent, and go to
 * retry.csv). A 400 for every request is in systemic-rejections.test.ts.
 */
import { ExitCode } from '../../src/core/exit-codes.js';
import { type Dataset, expectedWithFailures, generateDataset, retrySegments, stateWithout } from '../support/faults/dataset.js';
import { closeScenarios, openScenario } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

/** The byte size of a request body holding the first `n` customers of the dataset. */
function bodyBytes(data: Dataset, n: number): number {
  const customers = data.customers.slice(0, n).map((id) => ({ document_id: id, segments: data.segmentsOf.get(id) }));
  return Buffer.byteLength(JSON.stringify({ customers }));
}

test('413: the request is split in halves and the smaller batch size is kept for the rest of the run', async () => {
  const data = generateDataset({ customers: 300 });
  // Room for a dozen customers: batches of 40 and their halves of 20 are too large, quarters of 10 fit.
  const maxBodyBytes = bodyBytes(data, 12);
  const sc = await openScenario(data, { emulator: { maxBodyBytes } });
  // One request at a time, so the sequence of requests is deterministic.
  const run = await sc.run({ batchSize: 40, concurrency: 1 });

  expect(run.code).toBe(ExitCode.Ok);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  const served = sc.emulator.state().requests;
  // 40 → 413, 20 → 413; from then on no request is larger than 10, so no more 413s.
  expect(served.byStatus['413']).toBe(2);
  // Nothing was applied twice: every customer reached the endpoint exactly once.
  expect(served.customersReceived).toBe(data.customers.length);
  expect(served.byStatus['200']).toBe(Math.ceil(data.customers.length / 10));

  const { summary, results } = readReport(sc.ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', counts: { failed: 0 }, requests: { 413: 2 } });
  expect(statusesByLine(results)).toEqual(data.expectedRows);
  expect(await sc.leaks()).toEqual([]);
});

test("400: the batch is bisected, exactly the rejected customers are `rejected` with the endpoint's type/code/details, the rest are delivered", async () => {
  const data = generateDataset({ customers: 300 });
  const rejected = [data.customers[3]!, data.customers[4]!, data.customers[150]!, data.customers[299]!];
  const sc = await openScenario(data, { emulator: { faults: { rejectIds: rejected } } });
  const run = await sc.run({ batchSize: 25 });

  expect(run.code).toBe(ExitCode.CustomersRejected);
  expect(sc.emulator.state().customers).toEqual(stateWithout(data, rejected));

  const { summary, results, retry, rejects } = readReport(sc.ws.report);
  expect(summary).toMatchObject({
    status: 'partial',
    exitCode: ExitCode.CustomersRejected,
    counts: { failed: 0, rejected: rejected.length },
  });
  expect(statusesByLine(results)).toEqual(expectedWithFailures(data, new Set(rejected), 'rejected'));
  for (const id of rejected) {
    const row = results.find((r) => r.document_id === id && r.status === 'rejected')!;
    expect(row.detail).toContain('HTTP 400');
    expect(row.detail).toContain('type=error');
    expect(row.detail).toContain('code=invalidRequest');
    expect(row.detail).toContain(`details=customers[0].document_id '${id}' is rejected`);
  }
  // rejects.csv holds exactly the rejected customers, in the input's layout, with the reason;
  // there is no retry.csv: resent unchanged they would be refused again.
  expect(retry).toBeUndefined();
  expect(rejects!.map((r) => r.document_id)).toEqual(rejected);
  for (const record of rejects!) {
    expect(retrySegments(record)).toEqual(data.segmentsOf.get(record.document_id!));
    expect(record.reason).toBe(
      `HTTP 400: type=error, code=invalidRequest, details=customers[0].document_id '${record.document_id!}' is rejected`,
    );
  }
  expect(await sc.leaks()).toEqual([]);
});

test('a malformed 200 that persists fails its customers once the attempts are spent; they are in retry.csv, exit 1', async () => {
  const data = generateDataset({ customers: 60 });
  const sc = await openScenario(data, { emulator: { faults: { malformedRate: 1 } } });
  const run = await sc.run({ batchSize: 20, maxAttempts: 2 });

  expect(run.code).toBe(ExitCode.PartialFailure);
  const served = sc.emulator.state().requests;
  // Three batches, two attempts each in the main pass and two more in the last try.
  expect(served.byStatus['200']).toBe(3 * 2 * 2);

  const { summary, results, retry } = readReport(sc.ws.report);
  // Not one customer delivered by the client's account: the run failed as a whole.
  expect(summary).toMatchObject({
    status: 'failed',
    exitCode: ExitCode.PartialFailure,
    counts: { failed: data.customers.length, updated: 0 },
  });
  expect(summary.requests).toMatchObject({ malformed: 12, retries: 6 });
  const failed = results.filter((r) => r.status === 'failed');
  expect(failed.map((r) => r.document_id)).toEqual(data.customers);
  for (const row of failed) expect(row.detail).toMatch(/^malformed response \(HTTP 200\): .+ \(after 2 attempts\)$/);
  expect(retry!.map((r) => r.document_id)).toEqual(data.customers);
  expect(await sc.leaks()).toEqual([]);
});
