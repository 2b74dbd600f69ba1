/**
 * Adaptive pace against a token-bucket rate limit with a small burst (429 + Retry-After: 1), the
 * shape of most API gateways. Asked for far more than the API allows, the run must find the API's
 * pace by itself: few 429s, most of the API's rate achieved, every customer delivered exactly.
 * Below the API's limit it must provoke no 429 at all. And throttling is not failure: 429s never
 * use up --max-attempts. Timing matters here, so each check runs with several seeds.
 */
import { ExitCode } from '../../src/core/exit-codes.js';
import { logLines } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

/** The API's limit, and three times as much asked: the 30 vs 100, scaled to fit a test. */
const API_RATE = 20;
const ASKED_RATE = 60;
const REQUESTS = 300;
const data = generateDataset({ customers: REQUESTS });

interface PaceSummary {
  pace?: { requested: number; final: number; min: number; decreases: number };
}

async function expectDelivered(sc: Scenario): Promise<void> {
  const last = sc.runs.at(-1)!;
  expect({ code: last.code, stderr: last.stderr }).toMatchObject({ code: ExitCode.Ok });
  expect(sc.emulator.state().customers).toEqual(sc.data.expectedState);
  const { summary, results } = readReport(sc.ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', counts: { failed: 0 } });
  expect(statusesByLine(results)).toEqual(sc.data.expectedRows);
  // The client counted exactly what the endpoint answered.
  const served = sc.emulator.state().requests.byStatus;
  for (const status of Object.keys(served)) expect(summary.requests[status === 'reset' ? 'network' : status]).toBe(served[status]);
  expect(await sc.leaks()).toEqual([]);
}

describe.each([1, 2])('seed %i', (seed) => {
  test(`asked for --rate ${ASKED_RATE} against an API allowing ${API_RATE}/s (burst 2): under 15% of 429s, at least 70% of the API's rate achieved`, async () => {
    const sc = await openScenario(data, { emulator: { seed, faults: { rateLimit: API_RATE, burst: 2, retryAfterSeconds: 1 } } });
    const run = await sc.run({ batchSize: 1, concurrency: 4, rate: ASKED_RATE, maxAttempts: 6 });
    await expectDelivered(sc);

    const { starts, requests } = sc.emulator.state();
    const ok = requests.byStatus['200']!;
    const throttled = requests.byStatus['429'] ?? 0;
    const seconds = (starts.at(-1)! - starts[0]!) / 1000;
    const achieved = ok / seconds;
    const share = throttled / requests.total;
    process.stdout.write(
      `pace seed ${seed}: ${ok} ok in ${seconds.toFixed(1)} s = ${achieved.toFixed(1)}/s (${((achieved / API_RATE) * 100).toFixed(0)}% of ${API_RATE}), 429 share ${(share * 100).toFixed(1)}%\n`,
    );
    expect(share).toBeLessThan(0.15);
    expect(achieved).toBeGreaterThanOrEqual(API_RATE * 0.7);

    // The pace learned is in summary.json and in the log.
    const summary = readReport(sc.ws.report).summary as unknown as PaceSummary;
    expect(summary.pace).toMatchObject({ requested: ASKED_RATE });
    expect(summary.pace!.decreases).toBeGreaterThan(0);
    expect(summary.pace!.min).toBeLessThan(API_RATE);
    expect(summary.pace!.final).toBeLessThan(ASKED_RATE);
    const paceLines = logLines(run.stdout).filter((l) => l.message === 'send: pace');
    expect(paceLines.length).toBeGreaterThan(0);
    expect(logLines(run.stdout).some((l) => l.message === 'send: pace at the end')).toBe(true);
  }, 40_000);

  test(`below the API's limit (--rate 15 against ${API_RATE}/s, burst 2) no request is answered 429`, async () => {
    const small = generateDataset({ customers: 90 });
    const sc = await openScenario(small, { emulator: { seed, faults: { rateLimit: API_RATE, burst: 2, retryAfterSeconds: 1 } } });
    await sc.run({ batchSize: 1, concurrency: 4, rate: 15 });
    await expectDelivered(sc);
    expect(sc.emulator.state().requests.byStatus).toEqual({ 200: 90 });
    const summary = readReport(sc.ws.report).summary as unknown as PaceSummary;
    expect(summary.pace).toEqual({ requested: 15, final: 15, min: 15, decreases: 0 });
  }, 30_000);
});

describe.each([3, 4, 5])('seed %i', (seed) => {
  test('20% 5xx, 5% resets and a rate limit below --rate: 429s do not use up attempts, no batch fails', async () => {
    const mixed = generateDataset({ customers: 200 });
    const faults = { rateLimit: 10, burst: 2, retryAfterSeconds: 1, errorRate: 0.2, resetRate: 0.05 };
    const sc = await openScenario(mixed, { emulator: { seed, faults } });
    await sc.run({ batchSize: 5, concurrency: 3, rate: 30, maxAttempts: 6 });
    await expectDelivered(sc);
    expect(sc.emulator.state().requests.byStatus['429'] ?? 0).toBeGreaterThan(0);
  }, 30_000);
});

test('with --max-attempts 1, a run of 429s is still ridden out: throttling is not failure', async () => {
  const small = generateDataset({ customers: 60 });
  const sc = await openScenario(small, { emulator: { faults: { storm: { count: 4, retryAfterSeconds: 1 } } } });
  await sc.run({ batchSize: 10, concurrency: 1, maxAttempts: 1 });
  await expectDelivered(sc);
  expect(sc.emulator.state().requests.byStatus['429']).toBe(4);
}, 30_000);
