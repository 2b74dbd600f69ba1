/**
 * The built CLI on every fixture layout, on several files read as one stream, and on stdin, against
 * the emulator: the endpoint's final state, summary.json and every row of results.csv must be what
 * the oracle says.
 */
import { readFileSync } from 'node:fs';
import { runCli } from '../support/cli.js';
import { expectReportMatches, expectStateMatches } from '../support/integration/expect-run.js';
import { expectedOutcome, type Layout, type OracleInput } from '../support/integration/oracle.js';
import { fixtureInput, knownFixtureIds, sendArgs, withScenario } from '../support/integration/scenario.js';

const known = knownFixtureIds();

const LAYOUTS: [string, Layout, string][] = [
  ['customers-wide.csv', 'wide', ','],
  ['customers-json.csv', 'json', ','],
  ['customers-long.csv', 'long', ','],
  ['customers-semicolon.csv', 'wide', ';'],
  ['customers.csv.gz', 'wide', ','],
];

describe('run: each fixture layout against the emulator', () => {
  it.concurrent.each(LAYOUTS)('%s (%s) ends with the exact state, summary and results rows', async (name, layout, delimiter) => {
    const input = fixtureInput(name, layout, delimiter);
    const expected = expectedOutcome([input], { known });
    await withScenario({ known }, async (emulator, dirs) => {
      // The json fixture clears 2 of its 15 customers (null and []): above the default --max-clear.
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), '--max-clear', '20%', input.display]);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
    });
  });

  it('the fixtures exercise what they claim: not-found ids, duplicates, a cleared and a null customer', () => {
    const outcomes = LAYOUTS.map(([name, layout, delimiter]) => expectedOutcome([fixtureInput(name, layout, delimiter)], { known }));
    const all = outcomes.flatMap((o) => o.rows.map((r) => r.status));
    expect(all).toEqual(expect.arrayContaining(['updated', 'not_found', 'duplicate']));
    const segmentsSent = outcomes.flatMap((o) => [...o.customers.values()]);
    expect(segmentsSent).toContainEqual([]);
    expect(segmentsSent).toContainEqual(null);
  });
});

describe('run: several inputs as one stream', () => {
  it("keeps the first occurrence across files and names each row's file, with stdin in the middle", async () => {
    const wide = fixtureInput('customers-wide.csv', 'wide');
    const semicolon = fixtureInput('customers-semicolon.csv', 'wide', ';');
    const gz = fixtureInput('customers.csv.gz', 'wide');
    const stdinInput: OracleInput = { ...semicolon, display: 'stdin' };
    const expected = expectedOutcome([wide, stdinInput, gz], { known });
    expect(expected.rows.some((r) => r.file !== wide.display && r.status === 'duplicate')).toBe(true);
    await withScenario({ known }, async (emulator, dirs) => {
      const { code } = await runCli(['run', ...sendArgs(emulator, dirs), wide.display, '-', gz.display], {
        stdin: readFileSync(semicolon.display),
      });
      expect(code).toBe(0);
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0, multiFile: true });
    });
  });

  it('reads a single stdin input like a file', async () => {
    const json = fixtureInput('customers-json.csv', 'json');
    const expected = expectedOutcome([{ ...json, display: 'stdin' }], { known });
    await withScenario({ known }, async (emulator, dirs) => {
      const { code } = await runCli(['run', ...sendArgs(emulator, dirs), '--max-clear', '20%', '-'], { stdin: json.text });
      expect(code).toBe(0);
      expectStateMatches(emulator.state(), expected.finalState());
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
    });
  });
});
