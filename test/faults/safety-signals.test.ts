/**
 * SIGHUP is a graceful stop like SIGTERM (exit 129, report written, the rerun resumes), and no
 * signal leaves the run's temp files (the stdin spool, the id log, the customer spool) behind in
 * TMPDIR: stopped while stdin is still being spooled, while it is validated, or while sending.
 * Every run has TMPDIR set to a private directory of the test, which must end empty.
 */
import { readdirSync, statSync } from 'node:fs';
import { ExitCode } from '../../src/core/exit-codes.js';
import { logLines, spawnCli } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario, syncArgs, waitFor } from '../support/faults/scenario.js';
import { readReport, readSummary, statusesByLine } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 300 });
const SIGNALS = [
  ['SIGHUP', ExitCode.HungUp],
  ['SIGTERM', ExitCode.Terminated],
  ['SIGINT', ExitCode.Interrupted],
] as const;

const leftInTmp = (sc: Scenario): string[] => readdirSync(sc.ws.tmpDir);
/** The scenario's `run` reading `-` (stdin) instead of the input file. */
const stdinArgs = (sc: Scenario, extra: Record<string, unknown> = {}): string[] => [
  ...syncArgs(sc.ws, { endpoint: sc.emulator.url, batchSize: 20, concurrency: 2, ...extra }).slice(0, -1),
  '-',
];
const envOf = (sc: Scenario): Record<string, string> => ({ TMPDIR: sc.ws.tmpDir, SEGMENT_SYNC_TOKEN: sc.token });

test.each(SIGNALS)('%s while stdin is still being spooled: exit %i, nothing sent, no temp file left', async (signal, exitCode) => {
  const sc = await openScenario(data);
  // stdin stays open: the run is still spooling it when the signal comes.
  const child = spawnCli(stdinArgs(sc), { cwd: sc.ws.root, env: envOf(sc), stdin: data.csv.slice(0, 200), holdStdin: true });
  try {
    await waitFor('the stdin spool', () => leftInTmp(sc).some((name) => name.startsWith('segment-sync-')) && hasStdinSpool(sc));
    child.kill(signal);
    const { code, stderr } = await child.done;
    expect({ code, stderr }).toMatchObject({ code: exitCode });
  } finally {
    if (!child.exited()) child.kill('SIGKILL');
  }
  // Stopped before any row was decided: summary.json only.
  const summary = readSummary(sc.ws.report);
  expect(summary).toMatchObject({ status: 'interrupted', exitCode, requests: { total: 0 } });
  expect(sc.emulator.state().requests.total).toBe(0);
  expect(leftInTmp(sc)).toEqual([]);
});

test.each(SIGNALS)('%s while a large stdin is validated: exit %i, nothing sent, no temp file left', async (signal, exitCode) => {
  const big = generateDataset({ customers: 150_000 });
  const sc = await openScenario(big);
  const running = spawnCli(stdinArgs(sc), { cwd: sc.ws.root, env: envOf(sc), stdin: Buffer.from(big.csv) });
  // Once stdin is spooled whole, validation starts.
  await waitFor('stdin spooled whole', () => spooledBytes(sc) === Buffer.byteLength(big.csv), 20_000);
  running.kill(signal);
  const stopped = await running.done;

  expect({ code: stopped.code, stderr: stopped.stderr }).toMatchObject({ code: exitCode });
  const summary = readSummary(sc.ws.report);
  expect(summary).toMatchObject({ status: 'interrupted', exitCode });
  expect(sc.emulator.state().requests.total).toBe(0);
  expect(leftInTmp(sc)).toEqual([]);
});

test.each(SIGNALS)(
  '%s while sending from stdin: exit %i, report written, no temp file left; the rerun resumes',
  async (signal, exitCode) => {
    const sc = await openScenario(data);
    const running = spawnCli(stdinArgs(sc, { rate: 4 }), { cwd: sc.ws.root, env: envOf(sc), stdin: Buffer.from(data.csv) });
    await waitFor('a few acknowledged requests', () => (sc.emulator.state().requests.byStatus['200'] ?? 0) >= 2);
    running.kill(signal);
    const stopped = await running.done;

    expect({ code: stopped.code, stderr: stopped.stderr }).toMatchObject({ code: exitCode });
    expect(logLines(stopped.stdout).at(-1)).toMatchObject({ message: 'run finished', status: 'interrupted', exitCode });
    const first = readReport(sc.ws.report);
    expect(first.summary).toMatchObject({ status: 'interrupted', exitCode });
    const acknowledged = first.summary.counts.updated + first.summary.counts.notFound;
    expect(acknowledged).toBeGreaterThan(0);
    expect(sc.emulator.state().requests.customersReceived).toBe(acknowledged);
    expect(leftInTmp(sc)).toEqual([]);

    // The same stdin again: the journal knows what was acknowledged.
    const rerun = await spawnCli(stdinArgs(sc), { cwd: sc.ws.root, env: envOf(sc), stdin: Buffer.from(data.csv) }).done;
    expect({ code: rerun.code, stderr: rerun.stderr }).toMatchObject({ code: ExitCode.Ok });
    expect(sc.emulator.state().customers).toEqual(data.expectedState);
    expect(sc.emulator.state().requests.customersReceived).toBe(data.customers.length);
    const final = readReport(sc.ws.report);
    expect(final.summary).toMatchObject({ status: 'succeeded', resumed: { acknowledgedBefore: acknowledged } });
    expect(statusesByLine(final.results)).toEqual(data.expectedRows);
    expect(leftInTmp(sc)).toEqual([]);
  },
);

/** Everything inside the run's temp dirs (one level down), by name. */
function tmpEntries(sc: Scenario): string[] {
  const names: string[] = [];
  for (const dir of leftInTmp(sc)) {
    try {
      names.push(...readdirSync(`${sc.ws.tmpDir}/${dir}`));
    } catch {
      // removed meanwhile
    }
  }
  return names;
}

/** Size of the stdin spool file, -1 when there is none. */
function spooledBytes(sc: Scenario): number {
  for (const dir of leftInTmp(sc)) {
    for (const sub of safeList(`${sc.ws.tmpDir}/${dir}`).filter((name) => name.startsWith('segment-sync-stdin-'))) {
      try {
        return statSync(`${sc.ws.tmpDir}/${dir}/${sub}/stdin.csv`).size;
      } catch {
        return -1;
      }
    }
  }
  return -1;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function hasStdinSpool(sc: Scenario): boolean {
  return tmpEntries(sc).some((name) => name.startsWith('segment-sync-stdin-'));
}
