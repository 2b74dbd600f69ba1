/**
 * Outages: the endpoint answers 503 (or resets) to everything for a while. The run must stop all
 * senders and probe with backoff (the circuit breaker) instead of burning each batch's attempts;
 * an outage shorter than --max-outage is ridden out and everything is delivered; a longer one
 * stops sending at once, reports the rest `not_sent` and exits 1, and a rerun resumes. A
 * Retry-After beyond --max-retry-wait stops sending the same way (and never overflows a timer).
 */
import { ExitCode } from '../../src/core/exit-codes.js';
import { logLines } from '../support/cli.js';
import { generateDataset, stateWithout } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 100 });

async function expectDelivered(sc: Scenario): Promise<void> {
  const last = sc.runs.at(-1)!;
  expect({ code: last.code, stderr: last.stderr }).toMatchObject({ code: ExitCode.Ok });
  expect(sc.emulator.state().customers).toEqual(sc.data.expectedState);
  const { summary, results, retry } = readReport(sc.ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', counts: { failed: 0 } });
  expect(statusesByLine(results)).toEqual(sc.data.expectedRows);
  expect(retry).toBeUndefined();
  expect(await sc.leaks()).toEqual([]);
}

/** After a stop: the customers results.csv says were delivered are exactly those the endpoint holds. */
async function expectStoppedExactly(sc: Scenario, detail: RegExp): Promise<void> {
  const last = sc.runs.at(-1)!;
  expect(last.code).toBe(ExitCode.PartialFailure);
  const { summary, results } = readReport(sc.ws.report);
  expect(summary.counts.failed).toBe(0);
  const delivered = summary.counts.updated + summary.counts.notFound;
  expect(summary.status).toBe(delivered > 0 ? 'partial' : 'failed');
  const notSent = results.filter((r) => r.status === 'not_sent');
  expect(notSent.length).toBeGreaterThan(0);
  for (const row of notSent) expect(row.detail).toMatch(detail);
  const unsent = new Set(notSent.map((r) => r.document_id));
  expect(sc.emulator.state().customers).toEqual(stateWithout(sc.data, unsent));
  expect(summary.message).toMatch(/rerun/);
}

test('a 20 s outage mid-run (503s, no Retry-After) is ridden out with the defaults: probes, not burnt attempts; exit 0', async () => {
  const sc = await openScenario(data, { emulator: { faults: { outage: { afterSeconds: 1, forSeconds: 20 } } } });
  // The test's default --max-attempts is 10: use the CLI's own (6) to show none is used up.
  const run = await sc.run({ batchSize: 5, concurrency: 3, rate: 5, maxAttempts: 6 });
  await expectDelivered(sc);

  const served = sc.emulator.state().requests.byStatus;
  // The breaker opened after a few 503s; then one probe at a time with backoff (1, 2, 4, 5, 5 … s):
  // a couple of dozen requests in 20 s, not every batch's 6 attempts.
  expect(served['503']).toBeGreaterThanOrEqual(5);
  expect(served['503']).toBeLessThan(25);
  const lines = logLines(run.stdout);
  expect(lines.some((l) => l.message === 'send: outageStarted')).toBe(true);
  const over = lines.find((l) => l.message === 'send: outageOver');
  expect(over?.ms).toBeGreaterThan(19_000);
}, 45_000);

test('an outage longer than --max-outage stops sending at once: the rest not_sent, exit 1; a rerun resumes and delivers exactly', async () => {
  const sc = await openScenario(data, { emulator: { faults: { outage: { afterSeconds: 1, forSeconds: 600, status: 502 } } } });
  const started = Date.now();
  await sc.run({ batchSize: 5, concurrency: 3, rate: 5, maxAttempts: 6, extra: ['--max-outage', '4'] });
  // Given up soon after --max-outage: the last probe is made at the deadline.
  expect(Date.now() - started).toBeLessThan(15_000);
  await expectStoppedExactly(sc, /not sent: endpoint unavailable for more than --max-outage/);
  const { summary } = readReport(sc.ws.report);
  expect(summary.message).toMatch(/--max-outage is 4 s/);

  sc.emulator.setFaults({ outage: null });
  await sc.run({ batchSize: 5, concurrency: 3, rate: 5 });
  await expectDelivered(sc);
}, 30_000);

test('503 with Retry-After does not use up attempts: an outage that says when to come back is waited out', async () => {
  const small = generateDataset({ customers: 40 });
  const sc = await openScenario(small, { emulator: { faults: { outage: { afterSeconds: 0, forSeconds: 3, retryAfterSeconds: 1 } } } });
  await sc.run({ batchSize: 5, concurrency: 2, maxAttempts: 1 });
  await expectDelivered(sc);
  expect(sc.emulator.state().requests.byStatus['503']).toBeGreaterThan(0);
}, 30_000);

test('a Retry-After above --max-retry-wait (here 2,147,484 s, past any timer) stops sending at once: not_sent, exit 1', async () => {
  const sc = await openScenario(data, { emulator: { faults: { storm: { count: 1, retryAfterSeconds: 2_147_484 } } } });
  const started = Date.now();
  await sc.run({ batchSize: 5, concurrency: 1, rate: 5 });
  expect(Date.now() - started).toBeLessThan(10_000);
  await expectStoppedExactly(sc, /not sent: the endpoint asked to wait 2147484 s, more than --max-retry-wait/);
  expect(sc.emulator.state().requests.total).toBe(1);
}, 30_000);

test('--max-retry-wait: a Retry-After within it is waited for, one above it stops', async () => {
  const small = generateDataset({ customers: 20 });
  const sc = await openScenario(small, { emulator: { faults: { storm: { count: 1, retryAfterSeconds: 2 } } } });
  await sc.run({ batchSize: 5, concurrency: 1, extra: ['--max-retry-wait', '1'] });
  await expectStoppedExactly(sc, /more than --max-retry-wait/);
  sc.emulator.setFaults({ storm: { count: 1, retryAfterSeconds: 2 } });
  await sc.run({ batchSize: 5, concurrency: 1, extra: ['--max-retry-wait', '3'] });
  await expectDelivered(sc);
}, 30_000);
