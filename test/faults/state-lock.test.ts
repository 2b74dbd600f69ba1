/**
 * One run per state dir: a second run on the same dir exits 2 at once, naming the first one's pid
 * and start time, and sends nothing; a lock left by a dead process is taken over with a warning.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode } from '../../src/core/exit-codes.js';
import { logLines, spawnCli } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, syncArgs, waitFor } from '../support/faults/scenario.js';
import { readReport } from '../support/report.js';

afterEach(closeScenarios);

const data = generateDataset({ customers: 300 });
/** A deadline well above the held-back answers: they must not time out and be sent twice. */
const ARGS = { batchSize: 20, concurrency: 2, timeoutSeconds: 10 };

test("a second run on the same state dir exits 2 at once, naming the running one's pid and start time, and sends nothing", async () => {
  // Answers held back, so the first run is surely still running however slowly the second starts.
  const sc = await openScenario(data, { emulator: { faults: { latencyMs: 3000 } } });
  const first = sc.spawn(ARGS);
  await waitFor('the first run to send', () => sc.emulator.state().starts.length >= 1);

  const secondReport = path.join(sc.ws.root, 'second-report');
  const secondTmp = path.join(sc.ws.root, 'second-tmp');
  await fs.mkdir(secondTmp);
  const second = await spawnCli(syncArgs({ ...sc.ws, report: secondReport }, { ...ARGS, endpoint: sc.emulator.url }), {
    cwd: sc.ws.root,
    env: { SEGMENT_SYNC_TOKEN: sc.token, TMPDIR: secondTmp },
  }).done;
  sc.runs.push(second);

  expect(first.exited()).toBe(false); // "at once": the first run is still going
  expect(second.code).toBe(ExitCode.Usage);
  expect(second.stderr).toMatch(new RegExp(`pid ${first.pid}\\b.*started \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d`));
  expect(second.stderr).not.toMatch(/^\s+at /m);
  // Turned away before it created anything: no report dir, no temp dir left behind.
  expect(existsSync(secondReport)).toBe(false);
  expect(await fs.readdir(secondTmp)).toEqual([]);

  sc.emulator.setFaults({ latencyMs: 0 });
  const done = await first.done;
  expect(done.code).toBe(ExitCode.Ok);
  // Only the first run sent: every customer exactly once.
  expect(sc.emulator.state().requests.customersReceived).toBe(data.customers.length);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  expect(await sc.leaks()).toEqual([]);
});

/** The pid of a process that has exited (and so is free, unless the OS reuses it within ms). */
function deadPid(): number {
  const gone = spawnSync(process.execPath, ['-e', '']);
  return gone.pid!;
}

test('a stale lock whose pid is dead is taken over with a warning', async () => {
  const sc = await openScenario(data);
  const pid = deadPid();
  await fs.mkdir(sc.ws.state, { recursive: true });
  const lock = path.join(sc.ws.state, 'lock');
  await fs.writeFile(
    lock,
    `${JSON.stringify({ pid, hostname: os.hostname(), runId: 'crashed-run', startedAt: '2026-11-20T02:00:00.000Z' })}\n`,
  );

  const run = await sc.run(ARGS);
  expect(run.code).toBe(ExitCode.Ok);
  const warning = logLines(run.stdout).find((l) => l.level === 'warn' && String(l.message).includes('stale lock'));
  expect(String(warning?.message)).toContain(`pid ${pid}`);
  expect(existsSync(lock)).toBe(false); // released at the end
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
  expect(readReport(sc.ws.report).summary.status).toBe('succeeded');
  expect(await sc.leaks()).toEqual([]);
});
