/**
 * Send what was validated: pass 1 spools the customers it checked, and pass 2 sends from the spool.
 * Whatever happens to the input path while the run sends — a new file renamed over it (the README's
 * drop method), a rewrite in place, rows appended — the endpoint receives exactly the validated
 * data, and summary.json's sha256 is of the bytes that were validated.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { ExitCode } from '../../src/core/exit-codes.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario, waitFor } from '../support/faults/scenario.js';
import { readReport, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 200 });
/** Slow answers and one request at a time: the run is still sending when the file changes. */
const SLOW = { emulator: { faults: { latencyMs: 150 } } };
const ARGS = { batchSize: 10, concurrency: 1 };

const acknowledged = (sc: Scenario): number => sc.emulator.state().requests.byStatus['200'] ?? 0;

/** The same ids with every segment cell blank: sent, it would clear every customer. */
function clearingExport(csv: string): string {
  const [header, ...rows] = csv.trimEnd().split('\n');
  const width = header!.split(',').length;
  return `${header}\n${rows.map((row) => `${row.split(',')[0]}${','.repeat(width - 1)}`).join('\n')}\n`;
}

async function expectValidatedDataSent(sc: Scenario, result: { code: number | null; stderr: string }): Promise<void> {
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: ExitCode.Ok });
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  const report = readReport(sc.ws.report);
  expect(report.summary.inputs[0]!.sha256).toBe(createHash('sha256').update(data.csv).digest('hex'));
  expect(statusesByLine(report.results)).toEqual(data.expectedRows);
}

test('a file renamed over the input while the run sends changes nothing that is sent', async () => {
  const sc = await openScenario(data, SLOW);
  const running = sc.spawn(ARGS);
  await waitFor('a few acknowledged requests', () => acknowledged(sc) >= 2);
  await fs.writeFile(`${sc.ws.input}.tmp`, clearingExport(data.csv));
  await fs.rename(`${sc.ws.input}.tmp`, sc.ws.input);
  await expectValidatedDataSent(sc, await running.done);
});

test('a rewrite in place and appended invalid rows while the run sends change nothing that is sent', async () => {
  const sc = await openScenario(data, SLOW);
  const running = sc.spawn(ARGS);
  await waitFor('a few acknowledged requests', () => acknowledged(sc) >= 2);
  const handle = await fs.open(sc.ws.input, 'r+');
  try {
    const blanked = clearingExport(data.csv);
    await handle.write(blanked, 0);
    await handle.write(Buffer.from(',broken,row,with,too,many,fields\n'.repeat(300)), Buffer.byteLength(blanked));
  } finally {
    await handle.close();
  }
  await expectValidatedDataSent(sc, await running.done);
});
