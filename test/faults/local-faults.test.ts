/**
 * Local storage faults end with exit 8 (never 70) and a message naming the directory, the report
 * written where it can be, and a journal a rerun resumes from.
 *
 * What can be simulated here, honestly: the tests run as root, where chmod does not stop a write.
 * - An unwritable report or state dir is a path under a regular file (ENOTDIR/EEXIST): holds for root.
 * - A full disk (ENOSPC) and a read-only file system (EROFS) are tiny tmpfs mounts, made only when
 *   `mount` is permitted (root with CAP_SYS_ADMIN); elsewhere those tests are skipped, and the
 *   mapping is covered by test/unit/safety-local-storage.test.ts.
 * - A journal append that fails mid-run cannot be provoked reliably from outside (its records are a
 *   few bytes and a tmpfs page holds thousands); the sender's reaction is unit-tested, and the
 *   journal cuts a failed append back (see src/state/journal.ts), which the torn-tail tests cover.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, promises as fs, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode } from '../../src/core/exit-codes.js';
import { type CliResult, spawnCli } from '../support/cli.js';
import { generateDataset } from '../support/faults/dataset.js';
import { closeScenarios, openScenario, type Scenario, syncArgs } from '../support/faults/scenario.js';
import { readReport, readSummary, statusesByLine } from '../support/report.js';

const data = generateDataset({ customers: 2000 });
const mounts: string[] = [];

afterEach(async () => {
  for (const dir of mounts.splice(0)) unmount(dir);
  await closeScenarios();
});

function canMount(): boolean {
  if (process.platform !== 'linux') return false;
  const probe = mkdtempSync(path.join(os.tmpdir(), 'segment-sync-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmdirSync(probe);
  }
}
const withMount = canMount() ? test : test.skip;

function mountTmpfs(dir: string, options: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
  mounts.push(dir);
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** Fills a file system: writes until ENOSPC, then gives back `leaveBytes`. */
async function fill(dir: string, leaveBytes: number): Promise<void> {
  const filler = path.join(dir, 'filler');
  const handle = await fs.open(filler, 'w');
  try {
    const block = Buffer.alloc(4096, 1);
    for (;;) await handle.write(block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  const { size } = await fs.stat(filler);
  await fs.truncate(filler, Math.max(0, size - leaveBytes));
}

const PACED = { batchSize: 100, concurrency: 2 };

/** The scenario's run with another report or state dir (syncArgs takes each flag once). */
async function runWith(sc: Scenario, dirs: { report?: string; state?: string }): Promise<CliResult> {
  const ws = { ...sc.ws, ...dirs };
  const run = await spawnCli(syncArgs(ws, { endpoint: sc.emulator.url, ...PACED }), {
    cwd: sc.ws.root,
    env: { TMPDIR: sc.ws.tmpDir, SEGMENT_SYNC_TOKEN: sc.token },
  }).done;
  sc.runs.push(run);
  return run;
}

function expectStorageExit(run: { code: number | null; stderr: string }, dir: string): void {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.LocalStorage });
  expect(run.stderr).toContain(dir);
  expect(run.stderr).not.toMatch(/internal error/);
}

test('a report dir under a file (not a directory): exit 8 naming it, nothing sent, the state dir free for a rerun', async () => {
  const sc = await openScenario(data);
  const blocker = path.join(sc.ws.root, 'blocker');
  writeFileSync(blocker, 'a file where a directory should be');
  const reportDir = path.join(blocker, 'report');
  const run = await runWith(sc, { report: reportDir });

  expectStorageExit(run, reportDir);
  expect(run.stderr).toMatch(/cannot write the report in .*: a part of the path is a file, not a directory \(ENOTDIR\)/);
  expect(sc.emulator.state().requests.total).toBe(0);
  // The lock was released: a rerun with a usable report dir goes through.
  const rerun = await sc.run(PACED);
  expect(rerun.code).toBe(ExitCode.Ok);
  expect(sc.emulator.state().customers).toEqual(data.expectedState);
});

test('a state dir under a file: exit 8 naming it, nothing sent', async () => {
  const sc = await openScenario(data);
  const blocker = path.join(sc.ws.root, 'blocker');
  writeFileSync(blocker, 'x');
  const stateDir = path.join(blocker, 'state');
  const run = await runWith(sc, { state: stateDir });

  expectStorageExit(run, stateDir);
  expect(run.stderr).toMatch(/cannot write the state lock in /);
  expect(sc.emulator.state().requests.total).toBe(0);
});

withMount('a read-only report dir (EROFS): exit 8 naming it and saying what to do, nothing sent', async () => {
  const sc = await openScenario(data);
  const mount = path.join(sc.ws.root, 'ro');
  mountTmpfs(mount, 'ro,size=64k');
  const reportDir = path.join(mount, 'report');
  const run = await runWith(sc, { report: reportDir });

  expectStorageExit(run, reportDir);
  expect(run.stderr).toMatch(/the file system is read-only \(EROFS\)\. Mount it read-write/);
  expect(sc.emulator.state().requests.total).toBe(0);
});

withMount('a full state dir (ENOSPC) at the start: exit 8, nothing sent', async () => {
  const sc = await openScenario(data);
  const mount = path.join(sc.ws.root, 'full-state');
  mountTmpfs(mount, 'size=64k');
  await fill(mount, 0);
  const run = await runWith(sc, { state: mount });

  expectStorageExit(run, mount);
  expect(run.stderr).toMatch(/no space left on the device \(ENOSPC\)/);
  expect(sc.emulator.state().requests.total).toBe(0);
});

withMount(
  'a report dir that fills up (ENOSPC) at the end: exit 8, summary.json still written, no torn results.csv; the rerun resumes and sends nothing twice',
  async () => {
    const sc = await openScenario(data);
    const mount = path.join(sc.ws.root, 'small-report');
    mountTmpfs(mount, 'size=128k');
    // Room for summary.json (a few KiB), not for results.csv (~50 KiB for 2,000 rows).
    await fill(mount, 16 * 1024);
    const reportDir = path.join(mount, 'report');
    const run = await runWith(sc, { report: reportDir });

    expectStorageExit(run, reportDir);
    // Everything was delivered before the report was written.
    expect(sc.emulator.state().customers).toEqual(data.expectedState);
    const summary = readSummary(reportDir);
    expect(summary).toMatchObject({
      status: 'failed',
      exitCode: ExitCode.LocalStorage,
      counts: { updated: expect.any(Number), failed: 0 },
    });
    expect(summary.message).toMatch(/cannot write results\.csv in .*small-report\/report: no space left on the device \(ENOSPC\)/);
    // No half file: neither results.csv nor its temp file.
    expect((await fs.readdir(reportDir)).sort()).toEqual(['summary.json']);

    // Space freed, a rerun (new report dir) resumes: every customer already acknowledged, nothing resent.
    const receivedBefore = sc.emulator.state().requests.customersReceived;
    const rerun = await sc.run(PACED);
    expect({ code: rerun.code, stderr: rerun.stderr }).toMatchObject({ code: ExitCode.Ok });
    expect(sc.emulator.state().requests.customersReceived).toBe(receivedBefore);
    const final = readReport(sc.ws.report);
    expect(final.summary).toMatchObject({ status: 'succeeded', resumed: { acknowledgedBefore: data.customers.length } });
    expect(statusesByLine(final.results)).toEqual(data.expectedRows);
  },
);

withMount('a full TMPDIR while stdin is spooled: exit 8 naming it (not "input rejected"), nothing sent', async () => {
  const sc = await openScenario(data);
  const tmp = path.join(sc.ws.root, 'full-tmp');
  mountTmpfs(tmp, 'size=64k');
  await fill(tmp, 8 * 1024);
  const args = syncArgs(sc.ws, { endpoint: sc.emulator.url, ...PACED });
  const run = await spawnCli([...args.slice(0, -1), '-'], {
    cwd: sc.ws.root,
    env: { TMPDIR: tmp, SEGMENT_SYNC_TOKEN: sc.token },
    stdin: Buffer.from(data.csv),
  }).done;
  sc.runs.push(run);

  expectStorageExit(run, tmp);
  expect(run.stderr).toMatch(/no space left on the device \(ENOSPC\)/);
  expect(sc.emulator.state().requests.total).toBe(0);
  // The partial spool was removed again.
  expect((await fs.readdir(tmp)).filter((name) => name.startsWith('segment-sync-'))).toEqual([]);
});
