/**
 * 400s about the requests themselves versus 400s about customers, with the built CLI against the
 * emulator:
 *   - a 400 for every request (the API changed): the run stops within a few requests, exit 6, the
 *     message quotes the endpoint's code and details, every customer is not_sent, nobody rejected;
 *   - a 400 for a few customers only: exactly those are `rejected` (results.csv, rejects.csv with
 *     the endpoint's reason), not in retry.csv, exit 7;
 *   - rejected customers beside transient failures: exit 1 (the retry can still deliver the failed).
 */
import { REJECT_ALL_CODE, REJECT_ALL_DETAILS } from '../../src/emulator/emulator-core.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { expectedWithFailures, generateDataset, retrySegments, stateWithout } from '../support/faults/dataset.js';
import { closeScenarios, openScenario } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

describe('an endpoint that answers 400 to every request', () => {
  it.each([1, 3, 6])(
    '250 customers in batches of 10 at --concurrency %i: stops within ~10 requests, exit 6, every customer not_sent',
    async (concurrency) => {
      const data = generateDataset({ customers: 250 });
      const sc = await openScenario(data, { emulator: { faults: { rejectAll: true } } });
      const run = await sc.run({ batchSize: 10, concurrency });

      expect(run.code).toBe(ExitCode.EndpointRejectsRequests);
      const served = sc.emulator.state().requests;
      // The requests in flight when the first 400 came, then three customers sent alone.
      expect(served.total).toBeLessThanOrEqual(Math.min(10, concurrency + 3));
      expect(served.byStatus).toEqual({ 400: served.total });
      expect(sc.emulator.state().customers).toEqual({});

      const { summary, results, retry, rejects } = readReport(sc.ws.report);
      expect(summary).toMatchObject({
        status: 'failed',
        exitCode: ExitCode.EndpointRejectsRequests,
        counts: { customers: 250, updated: 0, notFound: 0, failed: 0, rejected: 0, notSent: 250 },
      });
      expect(summary.message).toContain(`code=${REJECT_ALL_CODE}`);
      expect(summary.message).toContain(`details=${REJECT_ALL_DETAILS}`);
      expect(summary.message).toMatch(/rejects the requests themselves/);
      expect(statusesByLine(results)).toEqual(expectedWithFailures(data, new Set(data.customers), 'not_sent'));
      for (const row of results.filter((r) => r.status === 'not_sent')) {
        expect(row.detail).toBe(
          `not sent: the endpoint rejects the requests themselves (HTTP 400: type=error, code=${REJECT_ALL_CODE}, details=${REJECT_ALL_DETAILS})`,
        );
      }
      // Nobody is at fault: nothing in rejects.csv; everyone can be resent once the cause is fixed.
      expect(rejects).toBeUndefined();
      expect(retry!.map((r) => r.document_id)).toEqual(data.customers);
      // The end-of-run line says what happened and that a retry cannot help.
      expect(run.stdout + run.stderr).toContain(REJECT_ALL_DETAILS);
      expect(await sc.leaks()).toEqual([]);
    },
  );

  it('switched on with POST /__faults mid-run: stops within a few more requests, exit 6; what was delivered stays delivered', async () => {
    const data = generateDataset({ customers: 400 });
    const sc = await openScenario(data, { emulator: { faults: { latencyMs: 5 } } });
    const running = sc.spawn({ batchSize: 10, concurrency: 2 });
    // After a few batches, the API "changes".
    const deadline = Date.now() + 10_000;
    while (sc.emulator.state().requests.total < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    sc.emulator.setFaults({ rejectAll: true });
    const before = sc.emulator.state().requests.total;
    const run = await running.done;

    expect(run.code).toBe(ExitCode.EndpointRejectsRequests);
    const after = sc.emulator.state().requests.total;
    expect(after - before).toBeLessThanOrEqual(20);
    const { summary } = readReport(sc.ws.report);
    expect(summary.counts.updated + summary.counts.notFound).toBeGreaterThan(0);
    expect(summary.counts.notSent).toBeGreaterThan(300);
  });
});

describe('an endpoint that answers 400 for a few customers', () => {
  it("exactly those are rejected, with the endpoint's reason, in rejects.csv and not retry.csv: exit 7", async () => {
    const data = generateDataset({ customers: 250 });
    const refused = [data.customers[0]!, data.customers[17]!, data.customers[18]!, data.customers[249]!];
    const sc = await openScenario(data, { emulator: { faults: { rejectIds: refused } } });
    const run = await sc.run({ batchSize: 10 });

    expect(run.code).toBe(ExitCode.CustomersRejected);
    expect(sc.emulator.state().customers).toEqual(stateWithout(data, refused));

    const { summary, results, retry, rejects } = readReport(sc.ws.report);
    expect(summary).toMatchObject({
      status: 'partial',
      exitCode: ExitCode.CustomersRejected,
      counts: { failed: 0, notSent: 0, rejected: refused.length },
    });
    expect(summary.message).toContain('rejects.csv');
    expect(statusesByLine(results)).toEqual(expectedWithFailures(data, new Set(refused), 'rejected'));
    const reason = (id: string): string =>
      `HTTP 400: type=error, code=invalidRequest, details=customers[0].document_id '${id}' is rejected`;
    for (const id of refused) expect(results.find((r) => r.document_id === id && r.status === 'rejected')!.detail).toBe(reason(id));
    // rejects.csv: their rows in the input's layout, plus the reason; retry.csv: none (nothing to resend).
    expect(retry).toBeUndefined();
    expect(rejects!.map((r) => r.document_id)).toEqual(refused);
    for (const record of rejects!) {
      expect(Object.keys(record)).toEqual(['document_id', 'tier', 'region', 'churn', 'reason']);
      expect(retrySegments(record)).toEqual(data.segmentsOf.get(record.document_id!));
      expect(record.reason).toBe(reason(record.document_id!));
    }
    expect(await sc.leaks()).toEqual([]);
  });

  it('rejected customers beside transient failures: exit 1, the failed in retry.csv, the rejected in rejects.csv', async () => {
    const data = generateDataset({ customers: 200 });
    const refused = data.customers.filter((_, i) => i % 25 === 3);
    // One request at a time, so the emulator's seeded faults fall on the same requests every run.
    const sc = await openScenario(data, { emulator: { faults: { rejectIds: refused, errorRate: 0.25 } } });
    const run = await sc.run({ batchSize: 10, concurrency: 1, maxAttempts: 1 });

    expect(run.code).toBe(ExitCode.PartialFailure);
    const { summary, results, retry, rejects } = readReport(sc.ws.report);
    expect(summary).toMatchObject({ status: 'partial', exitCode: ExitCode.PartialFailure });
    expect(summary.counts.failed).toBeGreaterThan(0);
    expect(summary.counts.rejected).toBeGreaterThan(0);
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => r.document_id);
    const failed = results.filter((r) => r.status === 'failed').map((r) => r.document_id);
    expect(rejected.every((id) => refused.includes(id))).toBe(true);
    expect(rejects!.map((r) => r.document_id)).toEqual(rejected);
    expect(retry!.map((r) => r.document_id)).toEqual(failed);
    expect(await sc.leaks()).toEqual([]);
  });
});
