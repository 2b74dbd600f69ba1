/**
 * 429 with Retry-After, in seconds and as an HTTP date. The header is authoritative and pauses
 * EVERY sender: once the first 429s are back, no request reaches the endpoint until the pause is
 * over, and then the configured pace resumes without a burst. Arrival times come from the
 * emulator (GET /__state `starts`), so the pause is judged where it matters: at the endpoint.
 */
import { ExitCode } from '../../src/core/exit-codes.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 400 });
const STORM = { count: 3, retryAfterSeconds: 2 };
const RATE = 10;
/**
 * Every answer takes this long, so when the first 429 comes back the next STORM.count - 1
 * requests (paced 100 ms apart) are already in flight: the storm refuses a whole wave of senders.
 */
const LATENCY_MS = 400;
/** The emulator and the CLI read the same clock through different APIs. */
const CLOCK_SLACK_MS = 50;
/**
 * The pace is guaranteed at the moment requests start; arrivals at the endpoint jitter by a few
 * ms, so the "at most RATE in any second" check on arrivals uses a slightly shorter window. A
 * burst after the pause (the waiting senders released at once) would still break it.
 */
const PACE_WINDOW_MS = 900;

async function expectDeliveredAfterStorm(sc: Scenario): Promise<void> {
  expect(sc.runs.at(-1)!.code).toBe(ExitCode.Ok);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  const { summary, results } = readReport(sc.ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', counts: { failed: 0 } });
  // Exactly the storm's requests were refused; each was retried once it was over.
  expect(summary.requests).toMatchObject({ 429: STORM.count, retries: STORM.count });
  expect(sc.emulator.state().requests.byStatus['429']).toBe(STORM.count);
  expect(statusesByLine(results)).toEqual(data.expectedRows);
  expect(await sc.leaks()).toEqual([]);
}

/** The most requests that arrived within any `windowMs`. */
function busiestWindow(starts: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < starts.length; j++) {
    while (starts[j]! - starts[i]! >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

test('429 with Retry-After in seconds: every sender pauses that long, then the configured rate resumes', async () => {
  const sc = await openScenario(data, { emulator: { faults: { storm: STORM, retryAfter: 'seconds', latencyMs: LATENCY_MS } } });
  await sc.run({ concurrency: STORM.count, rate: RATE });
  await expectDeliveredAfterStorm(sc);

  const { starts } = sc.emulator.state();
  // The refused wave was in flight together: all of it arrived before the first refusal was back.
  expect(starts[STORM.count - 1]! - starts[0]!).toBeLessThan(LATENCY_MS);
  // Then nothing until the last refusal's pause was over: at the earliest, its arrival + Retry-After.
  expect(starts[STORM.count]! - starts[STORM.count - 1]!).toBeGreaterThanOrEqual(STORM.retryAfterSeconds * 1000 - CLOCK_SLACK_MS);
  // The requests that waited out the pause are paced again, not released in a burst.
  expect(busiestWindow(starts.slice(STORM.count), PACE_WINDOW_MS)).toBeLessThanOrEqual(RATE);
});

test('429 with Retry-After as an HTTP date: no request arrives before that date', async () => {
  const sc = await openScenario(data, { emulator: { faults: { storm: STORM, retryAfter: 'http-date', latencyMs: LATENCY_MS } } });
  await sc.run({ concurrency: STORM.count, rate: RATE });
  await expectDeliveredAfterStorm(sc);

  const { starts } = sc.emulator.state();
  expect(starts[STORM.count - 1]! - starts[0]!).toBeLessThan(LATENCY_MS);
  // The date the emulator put on the last refusal: whole seconds, rounded up.
  const retryAt = Math.ceil((starts[STORM.count - 1]! + STORM.retryAfterSeconds * 1000) / 1000) * 1000;
  expect(starts[STORM.count]!).toBeGreaterThanOrEqual(retryAt - CLOCK_SLACK_MS);
  expect(busiestWindow(starts.slice(STORM.count), PACE_WINDOW_MS)).toBeLessThanOrEqual(RATE);
});

test('an endpoint rate limit below --rate answers 429s throughout; the run still delivers everything', async () => {
  const small = generateDataset({ customers: 200 });
  const sc = await openScenario(small, { emulator: { faults: { rateLimit: 4, retryAfterSeconds: 1 } } });
  const run = await sc.run({ batchSize: 20, concurrency: 2, rate: 8 });

  expect(run.code).toBe(ExitCode.Ok);
  expect(sc.emulator.state().customers).toEqual(small.expectedState);
  const { summary } = readReport(sc.ws.report);
  expect(summary.requests['429']).toBe(sc.emulator.state().requests.byStatus['429']);
  expect(summary.counts.failed).toBe(0);
  expect(await sc.leaks()).toEqual([]);
});
