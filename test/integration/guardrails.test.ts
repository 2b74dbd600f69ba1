/**
 * What is checked before anything is sent: `validate` and `--dry-run` send nothing, too many invalid
 * rows reject the input (exit 3, nothing sent), and a structurally broken file stops the run with a
 * message naming the file and line — never a stack trace.
 */
import { readdirSync } from 'node:fs';
import { fixture, runCli } from '../support/cli.js';
import { readResults, readSummary } from '../support/report.js';
import { expectReportMatches, expectResultsMatch, expectStateMatches } from '../support/integration/expect-run.js';
import { generateWideCsv, idPool } from '../support/integration/generate.js';
import { expectedOutcome, type OracleInput } from '../support/integration/oracle.js';
import { fixtureInput, knownFixtureIds, sendArgs, withScenario, writeInput } from '../support/integration/scenario.js';
import { withWorkspace } from '../support/workspace.js';

const known = knownFixtureIds();
/** A stack trace line as Node prints it. */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe('validate and --dry-run', () => {
  it.concurrent('validate needs no endpoint or token and reports every customer as valid', async () => {
    const input = fixtureInput('customers-long.csv', 'long');
    await withWorkspace(async (dirs) => {
      const { code } = await runCli(['validate', '--report-dir', dirs.report, input.display]);
      expect(code).toBe(0);
      const expected = expectedOutcome([input], { known, sent: false });
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0 });
      expect(readSummary(dirs.report).dryRun).toBe(true);
    });
  });

  it.concurrent('run --dry-run with an endpoint sends zero requests and reports valid rows', async () => {
    const input = fixtureInput('customers-wide.csv', 'wide');
    await withScenario({ known }, async (emulator, dirs) => {
      const { code } = await runCli(['run', ...sendArgs(emulator, dirs), '--dry-run', input.display]);
      expect(code).toBe(0);
      expect(emulator.state().requests.total).toBe(0);
      expectReportMatches({
        reportDir: dirs.report,
        expected: expectedOutcome([input], { known, sent: false }),
        status: 'succeeded',
        exitCode: 0,
      });
    });
  });
});

describe('--max-invalid', () => {
  /** 200 rows of which about a fifth are broken. */
  function dirtyInput(dir: string): Promise<OracleInput> {
    const file = generateWideCsv({
      seed: 7,
      rows: 200,
      idPool: idPool(150),
      delimiter: ',',
      crlf: false,
      bom: false,
      blankShare: 0,
      brokenShare: 0.2,
    });
    return writeInput(dir, 'dirty.csv', file.text);
  }

  it.concurrent('over the threshold: exit 3, zero requests, status rejected, and results.csv still says why', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const input = await dirtyInput(dirs.root);
      const expected = expectedOutcome([input], { known: 'all', sent: false });
      const invalid = expected.counts.invalid;
      expect(invalid).toBeGreaterThan(20);

      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), '--max-invalid', String(invalid - 1), input.display]);

      expect(code).toBe(3);
      expect(stderr).toContain('--max-invalid');
      expect(emulator.state().requests.total).toBe(0);
      expectReportMatches({ reportDir: dirs.report, expected, status: 'rejected', exitCode: 3 });
    });
  });

  it.concurrent(
    'validate over the threshold: exit 3, every valid customer is "not sent: input rejected" in results.csv, no scratch file left in the report dir',
    async () => {
      await withWorkspace(async (dirs) => {
        const input = await dirtyInput(dirs.root);
        const expected = expectedOutcome([input], { known: 'all', sent: false });
        const { code } = await runCli([
          'validate',
          '--report-dir',
          dirs.report,
          '--max-invalid',
          String(expected.counts.invalid - 1),
          input.display,
        ]);
        expect(code).toBe(3);
        const rows = readResults(dirs.report);
        expect(rows).toHaveLength(200);
        const valid = rows.filter((r) => r.status === 'valid');
        expect(valid.length).toBe(expected.counts.customers);
        expect(new Set(valid.map((r) => r.detail))).toEqual(new Set(['not sent: input rejected']));
        expect(rows.filter((r) => r.status === 'invalid').length).toBe(expected.counts.invalid);
        expect(readdirSync(dirs.report).sort()).toEqual(['results.csv', 'summary.json']);
      });
    },
  );

  it.concurrent('at or under the threshold (a count or a share): the valid customers are sent', async () => {
    await withScenario({}, async (emulator, dirs) => {
      const input = await dirtyInput(dirs.root);
      const expected = expectedOutcome([input], { known: 'all' });
      const asCount = await runCli([
        'run',
        ...sendArgs(emulator, dirs, { reportDir: dirs.reportNamed('count') }),
        '--max-invalid',
        String(expected.counts.invalid),
        input.display,
      ]);
      expect(asCount.code).toBe(0);
      expectReportMatches({ reportDir: dirs.reportNamed('count'), expected, status: 'succeeded', exitCode: 0 });

      const asShare = await runCli([
        'run',
        ...sendArgs(emulator, dirs, { reportDir: dirs.reportNamed('share') }),
        '--fresh',
        '--max-invalid',
        '30%',
        input.display,
      ]);
      expect(asShare.code).toBe(0);
      expectStateMatches(emulator.state(), expected.finalState());
      expectResultsMatch(dirs.reportNamed('share'), expected);
    });
  });
});

describe('structurally broken input', () => {
  const HOSTILE: [string, number][] = [
    ['unclosed-quote.csv', 4],
    ['latin1.csv', 3],
    ['missing-id-column.csv', 1],
    ['wide-10000-fields.csv', 3],
  ];

  it.concurrent.each(HOSTILE)('%s: exit 3 naming the file and line %i, no stack trace, nothing sent', async (name, line) => {
    const file = fixture('hostile', name);
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), file]);
      expect(code).toBe(3);
      expect(stderr).toContain(`${file}:${line}:`);
      expect(stderr).not.toMatch(STACK_LINE);
      expect(emulator.state().requests.total).toBe(0);
      expect(readSummary(dirs.report)).toMatchObject({ status: 'rejected', exitCode: 3 });
    });
  });

  // Read as wide, each customer would be sent the segments segment_type=tier and segment_value=gold
  // in place of its own (the endpoint replaces them), and its other rows counted as duplicates.
  it.concurrent('a long export whose columns are segment_type and segment_value: exit 3 naming both, nothing sent', async () => {
    await withScenario({ known: new Set(['C1', 'C2']) }, async (emulator, dirs) => {
      const rows = ['document_id,segment_type,segment_value', 'C1,tier,gold', 'C1,region,north', 'C2,tier,silver'];
      const input = await writeInput(dirs.root, 'long-renamed.csv', `${rows.join('\n')}\n`);
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), input.display]);
      expect(code).toBe(3);
      expect(stderr).toContain(`${input.display}:1:`);
      expect(stderr).toContain('\\"segment_type\\" and \\"segment_value\\"');
      expect(stderr).toContain('--layout wide');
      expect(emulator.state().requests.total).toBe(0);
      expect(readSummary(dirs.report)).toMatchObject({ status: 'rejected', exitCode: 3 });
      // Said to be wide, the same file is sent as it reads.
      const forced = await runCli(['run', ...sendArgs(emulator, dirs), '--layout', 'wide', input.display]);
      expect(forced.code).toBe(0);
      expect(emulator.state().requests.total).toBeGreaterThan(0);
    });
  });

  it.concurrent('a broken second file stops the whole run: the good first file is not sent either', async () => {
    const good = fixture('customers-wide.csv');
    const broken = fixture('hostile', 'unclosed-quote.csv');
    await withScenario({}, async (emulator, dirs) => {
      const { code, stderr } = await runCli(['run', ...sendArgs(emulator, dirs), good, broken]);
      expect(code).toBe(3);
      expect(stderr).toContain(`${broken}:4:`);
      expect(emulator.state().requests.total).toBe(0);
    });
  });
});
