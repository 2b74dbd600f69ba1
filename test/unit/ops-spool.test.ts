/** A signal while stdin is spooled ends the spooling at once; on a terminal, the run says it reads stdin. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { openInputs, spoolToFile, SpoolInterrupted, STDIN_NOTICE } from '../../src/pipeline/input/open.js';

let tmpDir: string;
beforeEach(async () => {
  tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ops-spool-'));
});
afterEach(async () => {
  await fs.rm(tmpDir, { recursive: true, force: true });
});

/** stdin that never ends by itself, like a terminal nobody typed Ctrl-D into. */
function openStdin(isTTY = false): PassThrough & { isTTY: boolean } {
  return Object.assign(new PassThrough(), { isTTY });
}

describe('spoolToFile with a stop signal', () => {
  test('an abort while stdin is still open ends the spooling at once and removes the spool', async () => {
    const stdin = openStdin();
    const controller = new AbortController();
    const spooling = spoolToFile(stdin, tmpDir, controller.signal);
    stdin.write('document_id,tier\n1,gold\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(await fs.readdir(tmpDir)).toHaveLength(1);
    controller.abort();
    await expect(spooling).rejects.toBeInstanceOf(SpoolInterrupted);
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });

  test('an abort before it starts creates nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(spoolToFile(openStdin(), tmpDir, controller.signal)).rejects.toBeInstanceOf(SpoolInterrupted);
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });

  test('without an abort it spools as before', async () => {
    const stdin = openStdin();
    const spooling = spoolToFile(stdin, tmpDir, new AbortController().signal);
    stdin.end('document_id\nx\n');
    const spool = await spooling;
    expect(await fs.readFile(spool.path, 'utf8')).toBe('document_id\nx\n');
    await spool.cleanup();
  });
});

describe('openInputs and stdin on a terminal', () => {
  test('says that stdin is being read when stdin and stderr are terminals', async () => {
    const notices: string[] = [];
    const stdin = openStdin(true);
    const opening = openInputs(['-'], { tmpDir, stdin, stderr: { isTTY: true }, notice: (m) => notices.push(m) });
    stdin.end('document_id\nx\n');
    const opened = await opening;
    expect(notices).toEqual([STDIN_NOTICE]);
    expect(STDIN_NOTICE).toContain('Ctrl-D');
    expect(STDIN_NOTICE).toContain('Ctrl-C');
    await opened.cleanup();
  });

  test.each([
    ['stdin is a pipe', false, true],
    ['stderr is not a terminal', true, false],
  ])('says nothing when %s', async (_name, stdinTty, stderrTty) => {
    const notices: string[] = [];
    const stdin = openStdin(stdinTty);
    const opening = openInputs(['-'], { tmpDir, stdin, stderr: { isTTY: stderrTty }, notice: (m) => notices.push(m) });
    stdin.end('document_id\nx\n');
    await (await opening).cleanup();
    expect(notices).toEqual([]);
  });

  test('passes the stop signal to the spooling', async () => {
    const controller = new AbortController();
    const stdin = openStdin();
    const opening = openInputs(['-'], { tmpDir, stdin, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(opening).rejects.toBeInstanceOf(SpoolInterrupted);
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });
});
