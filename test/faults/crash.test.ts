/**
 * kill -9 at random moments, then rerun until the run succeeds. Whatever the moment (reading,
 * sending, journalling, writing the report), the endpoint must end up holding exactly what one
 * clean run leaves, the final report must cover the whole input, and the reruns may re-send at
 * most what was in flight when each kill landed: concurrency × batch size customers per kill.
 * The kill points are drawn from seeded PRNGs, so a failure replays with the same seed.
 */
import { ExitCode } from '../../src/core/exit-codes.js';
import { mulberry32 as seededRandom } from '../../src/emulator/prng.js';
import type { CliResult } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario, waitFor } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 600 });
const ARGS = { batchSize: 20, concurrency: 2 };
/** Each answer takes this long: ~30 requests two at a time make ~2.5 s of sending to land kills in. */
const LATENCY_MS = 150;
/** Kills are drawn within this span after the run's first request, which covers the whole sending. */
const KILL_SPAN_MS = 2500;
const KILLS_PER_SEED = 2;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs once and kills it -9 at a random moment; resolves with the result (it may have finished first). */
async function runAndKill(sc: Scenario, random: () => number): Promise<{ result: CliResult; killed: boolean }> {
  const requestsBefore = sc.emulator.state().requests.total;
  const running = sc.spawn(ARGS);
  // Anchored on the first request, so the kills fall while customers are being sent, not during
  // the process's start-up, whose length depends on the machine's load.
  await Promise.race([waitFor('the first request', () => sc.emulator.state().requests.total > requestsBefore, 20_000), running.done]);
  await sleep(random() * KILL_SPAN_MS);
  if (!running.exited()) running.kill('SIGKILL');
  const result = await running.done;
  // The run may end on its own between the check and the kill: only a run the signal ended was killed.
  return { result, killed: result.signal === 'SIGKILL' };
}

test.each([11, 29, 53])(
  'kill -9 at random points (seed %i), rerun until exit 0: state identical to a clean run, re-sends bounded',
  async (seed) => {
    const random = seededRandom(seed);
    const sc = await openScenario(data, { emulator: { faults: { latencyMs: LATENCY_MS } } });

    let kills = 0;
    let last: CliResult | undefined;
    for (let round = 0; round < KILLS_PER_SEED && last?.code !== ExitCode.Ok; round++) {
      const { result, killed } = await runAndKill(sc, random);
      if (killed) kills++;
      last = result;
    }
    if (last?.code !== ExitCode.Ok) last = await sc.run(ARGS);

    expect({ code: last.code, stderr: last.stderr }).toMatchObject({ code: ExitCode.Ok });
    expect(kills).toBeGreaterThan(0);
    expect(sc.emulator.state().customers).toEqual(data.expectedState);
    const resent = sc.emulator.state().requests.customersReceived - data.customers.length;
    expect(resent).toBeGreaterThanOrEqual(0);
    expect(resent).toBeLessThanOrEqual(kills * ARGS.concurrency * ARGS.batchSize);

    const { summary, results } = readReport(sc.ws.report);
    expect(summary).toMatchObject({ status: 'succeeded', counts: { customers: data.customers.length, failed: 0 } });
    // Results of the killed runs and of the last one, merged: every row, with its true status.
    expect(statusesByLine(results)).toEqual(data.expectedRows);
    expect(await sc.leaks()).toEqual([]);
  },
);
