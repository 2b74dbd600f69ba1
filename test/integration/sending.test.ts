/**
 * Sending as the endpoint sees it: an endpoint that rate-limits below --rate, a rejected token
 * (exit 4), and customers the endpoint refuses (exit 1, retry.csv) resent with `run retry.csv` once
 * the fault is gone. (The pace itself is measured alone, in rate.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, readRetry, readSummary, runCli } from '../helpers/cli.js';
import { expectReportMatches, expectStateMatches } from './support/expect-run.js';
import { expectedOutcome, withFailed, type OracleInput } from './support/oracle.js';
import { distinctCustomersCsv } from './support/generate.js';
import { fixtureInput, knownFixtureIds, sendArgs, TEST_TOKEN, withScenario, writeInput } from './support/scenario.js';

describe('an endpoint that rate-limits below --rate', () => {
  it.concurrent('answers 429 with Retry-After, and the run still ends exact', async () => {
    await withScenario({ faults: { rateLimit: 8, retryAfterSeconds: 1 } }, async (emulator, dirs) => {
      const input = await writeInput(dirs.root, 'distinct.csv', distinctCustomersCsv(24));

      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs, { rate: 20 }), '--batch-size', '1', '--concurrency', '4', input.display]);

      expect({ code, stderr }).toMatchObject({ code: 0 });
      const expected = expectedOutcome([input], { known: 'all' });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      const { requests } = readSummary(dirs.report);
      expect(requests['429']).toBeGreaterThan(0);
      expect(requests.retries).toBe(requests['429']);
    });
  });
});

describe('authentication rejected', () => {
  it.concurrent('401: exit 4, status failed, nothing more is sent, and the report and retry.csv cover every customer', async () => {
    const input = fixtureInput('customers-wide.csv', 'wide');
    await withScenario({ tokens: ['the-only-valid-token'] }, async (emulator, dirs) => {
      const { code, stdout, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), '--batch-size', '2', '--concurrency', '1', input.display]);

      expect(code).toBe(4);
      // One request answered 401; at most one more, already past the limiter as the answer came.
      const { requests } = emulator.state();
      expect(requests.total).toBeLessThanOrEqual(2);
      expect(requests.byStatus).toEqual({ 401: requests.total });
      const clean = expectedOutcome([input], { known: 'all' });
      const allIds = [...clean.customers.keys()];
      // The customers of the requests answered 401 failed; the others were never sent.
      const failedIds = allIds.slice(0, 2 * requests.total);
      const expected = withFailed(withFailed(clean, failedIds, 'all'), allIds.slice(failedIds.length), 'all', 'not_sent');
      expectReportMatches({ reportDir: dirs.report, expected, status: 'failed', exitCode: 4 });
      expect(readRetry(dirs.report)?.map((row) => row.document_id)).toEqual(allIds);
      expect(stdout + stderr).not.toContain(TEST_TOKEN);
    });
  });
});

describe('customers the endpoint refuses', () => {
  const known = knownFixtureIds();
  /** Known customers the endpoint answers 400 for while the fault is on. */
  const refused = ['1037-2053', '1629-2001', '1888-2372'];

  it.concurrent('fail alone (exit 1, retry.csv holds exactly them); `run retry.csv` later delivers them like a clean run', async () => {
    const input = fixtureInput('customers-wide.csv', 'wide');
    await withScenario({ known, faults: { rejectIds: refused } }, async (emulator, dirs) => {
      const clean = expectedOutcome([input], { known });
      expect(refused.every((id) => clean.customers.has(id) && known.has(id))).toBe(true);

      const first = await runCli(['run', ...sendArgs(emulator, dirs), '--batch-size', '10', input.display]);

      expect(first.code).toBe(1);
      const partial = withFailed(clean, refused, known);
      expectReportMatches({ reportDir: dirs.report, expected: partial, status: 'partial', exitCode: 1 });
      expectStateMatches(emulator.state(), partial.finalState());
      const retryFile = path.join(dirs.report, 'retry.csv');
      const retryInput: OracleInput = { display: retryFile, text: readFileSync(retryFile, 'utf8'), delimiter: ',', layout: 'wide' };
      const retried = expectedOutcome([retryInput], { known });
      expect([...retried.customers]).toEqual(refused.map((id) => [id, clean.customers.get(id)]));

      emulator.setFaults({ rejectIds: [] });
      const second = await runCli(['run', ...sendArgs(emulator, dirs, { reportDir: dirs.reportNamed('retried') }), retryFile]);

      expect(second.code).toBe(0);
      expectReportMatches({ reportDir: dirs.reportNamed('retried'), expected: retried, status: 'succeeded', exitCode: 0 });
      expectStateMatches(emulator.state(), clean.finalState());
    });
  });

  it.concurrent('with inputs of mixed layouts, retry.csv is one json-layout file that resends exactly them', async () => {
    const wide = fixtureInput('customers-wide.csv', 'wide');
    const jsonText = 'document_id,segments\nJ-1,"[{""type"":""note"",""value"":""only in json""}]"\nJ-2,null\nJ-3,[]\n';
    await withScenario({ faults: { rejectIds: ['1148-2212', 'J-1', 'J-2'] } }, async (emulator, dirs) => {
      const json = await writeInput(dirs.root, 'extra.csv', jsonText, ',', 'json');
      const clean = expectedOutcome([wide, json], { known: 'all' });
      const refusedHere = ['1148-2212', 'J-1', 'J-2'];

      const first = await runCli(['run', ...sendArgs(emulator, dirs), wide.display, json.display]);

      expect(first.code).toBe(1);
      expectReportMatches({ reportDir: dirs.report, expected: withFailed(clean, refusedHere, 'all'), status: 'partial', exitCode: 1, multiFile: true });
      const retryFile = path.join(dirs.report, 'retry.csv');
      const retried = expectedOutcome([{ display: retryFile, text: readFileSync(retryFile, 'utf8'), delimiter: ',', layout: 'json' }], { known: 'all' });
      expect([...retried.customers]).toEqual(refusedHere.map((id) => [id, clean.customers.get(id)]));

      emulator.setFaults({ rejectIds: [] });
      // Two of the three customers resent clear their segments (null, []): allowed on purpose.
      const second = await runCli(['run', ...sendArgs(emulator, dirs, { reportDir: dirs.reportNamed('retried') }), '--max-clear', '100%', retryFile]);

      expect(second.code).toBe(0);
      expectStateMatches(emulator.state(), clean.finalState());
    });
  });
});
