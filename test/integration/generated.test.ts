/**
 * Files the project has never seen (generated, seeded): 5,000 rows over two files with random
 * duplicates, hostile-but-valid quoting, CRLF + BOM in one file and LF in the other, blank cells and
 * all-blank rows, sent in small batches by several concurrent senders while the emulator answers some
 * requests late (so batches complete out of order). The result must still be exact, row by row.
 */
import type { EmulatorHandle } from '../../src/emulator/index.js';
import { postBulk } from '../support/emulator.js';
import { runCli } from '../support/cli.js';
import type { Workspace } from '../support/workspace.js';
import { expectReportMatches, expectStateMatches } from '../support/integration/expect-run.js';
import { generateWideCsv, idPool, type WideFileSpec } from '../support/integration/generate.js';
import { expectedOutcome, parseWithLines, type OracleInput, type Segment } from '../support/integration/oracle.js';
import { sendArgs, withScenario, writeInput } from '../support/integration/scenario.js';

const pool = idPool(3_000);
/** Nine in ten customers exist; the rest must end not_found. */
const known = new Set(pool.filter((_, i) => i % 10 !== 3));
const SEED_SEGMENTS: Segment[] = [{ type: 'seed', value: 'before the run' }];

const common = { idPool: pool, blankShare: 0.03, brokenShare: 0.005 };
const SPECS: { name: string; spec: WideFileSpec }[] = [
  { name: 'excel-export.csv', spec: { ...common, seed: 11, rows: 4_000, delimiter: ';', crlf: true, bom: true } },
  { name: 'warehouse.csv', spec: { ...common, seed: 12, rows: 1_000, delimiter: ',', crlf: false, bom: false } },
];
const generated = SPECS.map(({ name, spec }) => ({ name, spec, file: generateWideCsv(spec) }));

/** Writes the generated files into the test's dir; returns them as the oracle reads them. */
function writeInputs(dirs: Workspace): Promise<OracleInput[]> {
  return Promise.all(generated.map(({ name, spec, file }) => writeInput(dirs.root, name, file.text, spec.delimiter)));
}

/** Gives every known customer segments first, so that a blank row visibly clears them. */
async function seedKnownCustomers(emulator: EmulatorHandle): Promise<Record<string, Segment[]>> {
  const ids = [...known];
  for (let i = 0; i < ids.length; i += 1_000) {
    const customers = ids.slice(i, i + 1_000).map((document_id) => ({ document_id, segments: SEED_SEGMENTS }));
    expect((await postBulk(emulator.url, { customers })).status).toBe(200);
  }
  return Object.fromEntries(ids.map((id) => [id, SEED_SEGMENTS]));
}

const CONCURRENT_SMALL_BATCHES = ['--batch-size', '7', '--concurrency', '4'];
/** A fifth of the answers come late, so requests complete out of order. */
const LATE_ANSWERS = { slowRate: 0.2, slowMs: 25 };

describe('run: generated files sent in small concurrent batches', () => {
  it('the oracle reads every record at the line it was written; records span lines; some ids look like formulas', () => {
    for (const { spec, file } of generated) {
      expect(parseWithLines(file.text, spec.delimiter).records.map((r) => r.line)).toEqual(file.recordLines);
      expect(file.recordLines.some((line, i) => line - (file.recordLines[i - 1] ?? 1) > 1)).toBe(true);
    }
    const inputs = generated.map(({ name, spec, file }) => ({
      display: name,
      text: file.text,
      delimiter: spec.delimiter,
      layout: 'wide' as const,
    }));
    const customers = [...expectedOutcome(inputs, { known }).customers.keys()];
    expect(customers.filter((id) => /^[=+\-@]/.test(id)).length).toBeGreaterThan(5);
  });

  it.concurrent('ends with the exact state and report; an all-blank first occurrence clears the customer', async () => {
    await withScenario({ known }, async (emulator, dirs) => {
      const inputs = await writeInputs(dirs);
      const before = await seedKnownCustomers(emulator);
      emulator.setFaults(LATE_ANSWERS);
      const expected = expectedOutcome(inputs, { known });
      const cleared = [...expected.customers].filter(([id, segments]) => segments?.length === 0 && known.has(id));
      expect(cleared.length).toBeGreaterThan(10);

      const { code, stderr } = await runCli([
        'run',
        ...sendArgs(emulator, dirs),
        ...CONCURRENT_SMALL_BATCHES,
        ...inputs.map((i) => i.display),
      ]);

      expect({ code, stderr }).toMatchObject({ code: 0 });
      const state = emulator.state();
      expectStateMatches(state, expected.finalState(before));
      for (const [id] of cleared) expect(state.customers[id]).toEqual([]);
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0, multiFile: true });
    });
  });

  it.concurrent('--skip-empty leaves blank-row customers as they were and lets a later row of the id win', async () => {
    await withScenario({ known }, async (emulator, dirs) => {
      const inputs = await writeInputs(dirs);
      const before = await seedKnownCustomers(emulator);
      emulator.setFaults(LATE_ANSWERS);
      const expected = expectedOutcome(inputs, { known, skipEmpty: true });
      const blankEverywhere = expectedOutcome(inputs, { known });
      const blankFirst = [...blankEverywhere.customers]
        .filter(([id, segments]) => segments?.length === 0 && known.has(id))
        .map(([id]) => id);
      const untouched = blankFirst.filter((id) => !expected.customers.has(id));
      const laterWins = blankFirst.filter((id) => (expected.customers.get(id)?.length ?? 0) > 0);
      expect({ untouched: untouched.length > 0, laterWins: laterWins.length > 0 }).toEqual({ untouched: true, laterWins: true });

      const { code, stderr } = await runCli([
        'run',
        ...sendArgs(emulator, dirs),
        ...CONCURRENT_SMALL_BATCHES,
        '--skip-empty',
        ...inputs.map((i) => i.display),
      ]);

      // Skipped rows are on purpose: they do not count against the default --max-invalid of 1%.
      expect(expected.counts.invalid / expected.counts.rows).toBeGreaterThan(0.01);
      expect({ code, stderr }).toMatchObject({ code: 0 });
      const state = emulator.state();
      expectStateMatches(state, expected.finalState(before));
      for (const id of untouched) expect(state.customers[id]).toEqual(SEED_SEGMENTS);
      for (const id of laterWins) expect(state.customers[id]).toEqual(expected.customers.get(id));
      expectReportMatches({ reportDir: dirs.report, expected, status: 'succeeded', exitCode: 0, multiFile: true });
    });
  });
});
