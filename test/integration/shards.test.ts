/**
 * Issue 4, sharded runs: four `--shard i/4` runs against one emulator end with the same state as a
 * single run against another, and `report merge` of their reports gives the single run's counts and
 * exactly its results rows.
 */
import path from 'node:path';
import { withEmulator } from '../support/emulator.js';
import { runCli } from '../support/cli.js';
import { readResults, readSummary } from '../support/report.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';
import { expectReportMatches, expectStateMatches } from '../support/integration/expect-run.js';
import { generateWideCsv, idPool } from '../support/integration/generate.js';
import { expectedOutcome, type OracleInput } from '../support/integration/oracle.js';
import { fixtureInput, knownFixtureIds, sendArgs, writeInput } from '../support/integration/scenario.js';

const SHARDS = 4;
const pool = idPool(400, 'S');
/** Most generated customers and most fixture customers exist. */
const known = new Set([...pool.filter((_, i) => i % 7 !== 0), ...knownFixtureIds()]);

async function inputs(dirs: Workspace): Promise<OracleInput[]> {
  const file = generateWideCsv({
    seed: 41,
    rows: 600,
    idPool: pool,
    delimiter: ',',
    crlf: false,
    bom: false,
    blankShare: 0.03,
    brokenShare: 0.005,
  });
  return [await writeInput(dirs.root, 'nightly.csv', file.text), fixtureInput('customers-wide.csv', 'wide')];
}

describe('sharded runs', () => {
  let dirs: Workspace;
  beforeEach(async () => {
    dirs = await makeWorkspace();
  });
  afterEach(() => dirs.remove());

  it(`${SHARDS} shards end like one run: same endpoint state, and the merged report equals the single report`, async () => {
    const files = await inputs(dirs);
    const expected = expectedOutcome(files, { known });
    const paths = files.map((f) => f.display);
    const shardDir = (i: number, kind: string): string => path.join(dirs.root, `shard-${i}-${kind}`);

    await withEmulator({ known }, async (single) => {
      await withEmulator({ known }, async (sharded) => {
        const runs = await Promise.all([
          runCli(['run', ...sendArgs(single, dirs), ...paths]),
          ...Array.from({ length: SHARDS }, (_, i) =>
            runCli([
              'run',
              ...sendArgs(sharded, dirs, { reportDir: shardDir(i, 'report'), stateDir: shardDir(i, 'state') }),
              '--shard',
              `${i}/${SHARDS}`,
              ...paths,
            ]),
          ),
        ]);
        expect(runs.map((r) => r.code)).toEqual(new Array(SHARDS + 1).fill(0));

        expectStateMatches(single.state(), expected.finalState());
        expect(sharded.state().customers).toEqual(single.state().customers);
      });
    });
    expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0, multiFile: true });
    // Each shard did a share of the work, and the shares add up to the whole.
    const shareOf = Array.from({ length: SHARDS }, (_, i) => readSummary(shardDir(i, 'report')).counts.customers);
    expect(shareOf.every((customers) => customers > 0)).toBe(true);
    expect(shareOf.reduce((a, b) => a + b, 0)).toBe(expected.counts.customers);

    const merged = path.join(dirs.root, 'merged');
    const merge = await runCli(['report', 'merge', ...Array.from({ length: SHARDS }, (_, i) => shardDir(i, 'report')), '--out', merged]);

    expect({ code: merge.code, stderr: merge.stderr }).toMatchObject({ code: 0 });
    expect(readSummary(merged)).toMatchObject({ status: 'succeeded', exitCode: 0, counts: readSummary(dirs.report).counts });
    expect(readResults(merged)).toEqual(readResults(dirs.report));
  });
});
