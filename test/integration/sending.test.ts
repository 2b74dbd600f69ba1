/**
 * Sending as the endpoint sees it: an endpoint that rate-limits below --rate, a rejected token
 * (exit 4), and customers the endpoint refuses one by one (exit 7, rejects.csv with the reason)
 * resent with `run --ignore-columns reason rejects.csv` once they are fixed. (The pace itself is
 * measured alone, in rate.test.ts.)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli } from '../support/cli.js';
import { readRetry, readSummary } from '../support/report.js';
import { expectReportMatches, expectStateMatches } from '../support/integration/expect-run.js';
import { expectedOutcome, withFailed, type OracleInput } from '../support/integration/oracle.js';
import { distinctCustomersCsv } from '../support/integration/generate.js';
import { fixtureInput, knownFixtureIds, sendArgs, TEST_TOKEN, withScenario, writeInput } from '../support/integration/scenario.js';

describe('an endpoint that rate-limits below --rate', () => {
  it.concurrent('answers 429 with Retry-After, and the run still ends exact', async () => {
    await withScenario({ faults: { rateLimit: 8, retryAfterSeconds: 1 } }, async (emulator, dirs) => {
      const input = await writeInput(dirs.root, 'distinct.csv', distinctCustomersCsv(24));

      const { code, stderr } = await runCli([
        'run',
        ...sendArgs(emulator, dirs, { rate: 20 }),
        '--batch-size',
        '1',
        '--concurrency',
        '4',
        input.display,
      ]);

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
      const { code, stdout, stderr } = await runCli([
        'run',
        ...sendArgs(emulator, dirs),
        '--batch-size',
        '2',
        '--concurrency',
        '1',
        input.display,
      ]);

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

/** A CSV report file without its last column (rejects.csv without `reason`), as text. */
function withoutLastColumn(text: string): string {
  const records = parse(text) as string[][];
  const cell = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return records.map((record) => `${record.slice(0, -1).map(cell).join(',')}\n`).join('');
}

describe('customers the endpoint refuses', () => {
  const known = knownFixtureIds();
  /** Known customers the endpoint answers 400 for while the fault is on. */
  const refused = ['1037-2053', '1629-2001', '1888-2372'];

  it.concurrent(
    'are rejected alone (exit 7, rejects.csv holds exactly them with the reason, no retry.csv); `run --ignore-columns reason rejects.csv` later delivers them like a clean run',
    async () => {
      const input = fixtureInput('customers-wide.csv', 'wide');
      await withScenario({ known, faults: { rejectIds: refused } }, async (emulator, dirs) => {
        const clean = expectedOutcome([input], { known });
        expect(refused.every((id) => clean.customers.has(id) && known.has(id))).toBe(true);

        const first = await runCli(['run', ...sendArgs(emulator, dirs), '--batch-size', '10', input.display]);

        expect(first.code).toBe(7);
        const partial = withFailed(clean, refused, known, 'rejected');
        expectReportMatches({ reportDir: dirs.report, expected: partial, status: 'partial', exitCode: 7 });
        expectStateMatches(emulator.state(), partial.finalState());
        expect(existsSync(path.join(dirs.report, 'retry.csv'))).toBe(false);
        const rejectsFile = path.join(dirs.report, 'rejects.csv');
        const rejectsText = readFileSync(rejectsFile, 'utf8');
        const reasons = (parse(rejectsText, { columns: true }) as Record<string, string>[]).map((r) => r.reason);
        expect(reasons).toEqual(
          refused.map((id) => `HTTP 400: type=error, code=invalidRequest, details=customers[0].document_id '${id}' is rejected`),
        );
        const rejectsInput: OracleInput = { display: rejectsFile, text: withoutLastColumn(rejectsText), delimiter: ',', layout: 'wide' };
        const retried = expectedOutcome([rejectsInput], { known });
        expect([...retried.customers]).toEqual(refused.map((id) => [id, clean.customers.get(id)]));

        // Fixed at the source (here: the endpoint accepts them now), the file resends exactly them.
        emulator.setFaults({ rejectIds: [] });
        const second = await runCli([
          'run',
          ...sendArgs(emulator, dirs, { reportDir: dirs.reportNamed('retried') }),
          '--ignore-columns',
          'reason',
          rejectsFile,
        ]);

        expect(second.code).toBe(0);
        expectReportMatches({ reportDir: dirs.reportNamed('retried'), expected: retried, status: 'succeeded', exitCode: 0 });
        expectStateMatches(emulator.state(), clean.finalState());
      });
    },
  );

  it.concurrent(
    'with inputs of mixed layouts, rejects.csv is one json-layout file that, without its reason column, resends exactly them',
    async () => {
      const wide = fixtureInput('customers-wide.csv', 'wide');
      const jsonText = 'document_id,segments\nJ-1,"[{""type"":""note"",""value"":""only in json""}]"\nJ-2,null\nJ-3,[]\n';
      await withScenario({ faults: { rejectIds: ['1148-2212', 'J-1', 'J-2'] } }, async (emulator, dirs) => {
        const json = await writeInput(dirs.root, 'extra.csv', jsonText, ',', 'json');
        const clean = expectedOutcome([wide, json], { known: 'all' });
        const refusedHere = ['1148-2212', 'J-1', 'J-2'];

        const first = await runCli(['run', ...sendArgs(emulator, dirs), wide.display, json.display]);

        expect(first.code).toBe(7);
        expectReportMatches({
          reportDir: dirs.report,
          expected: withFailed(clean, refusedHere, 'all', 'rejected'),
          status: 'partial',
          exitCode: 7,
          multiFile: true,
        });
        expect(existsSync(path.join(dirs.report, 'retry.csv'))).toBe(false);
        const rejectsText = readFileSync(path.join(dirs.report, 'rejects.csv'), 'utf8');
        expect(rejectsText.split('\n')[0]).toBe('document_id,segments,reason');
        const retryFile = path.join(dirs.root, 'fixed.csv');
        writeFileSync(retryFile, withoutLastColumn(rejectsText));
        const retried = expectedOutcome([{ display: retryFile, text: readFileSync(retryFile, 'utf8'), delimiter: ',', layout: 'json' }], {
          known: 'all',
        });
        expect([...retried.customers]).toEqual(refusedHere.map((id) => [id, clean.customers.get(id)]));

        emulator.setFaults({ rejectIds: [] });
        // Two of the three customers resent clear their segments (null, []): allowed on purpose.
        const second = await runCli([
          'run',
          ...sendArgs(emulator, dirs, { reportDir: dirs.reportNamed('retried') }),
          '--max-clear',
          '100%',
          retryFile,
        ]);

        expect(second.code).toBe(0);
        expectStateMatches(emulator.state(), clean.finalState());
      });
    },
  );
});
