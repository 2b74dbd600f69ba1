import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/core/errors.js';
import { openInputs, readInputs, spoolToFile, type InputOptions } from '../../src/pipeline/input/index.js';
import { readFailure } from '../../src/pipeline/input/source.js';
import type { InputRow } from '../../src/core/types.js';

const WIDE = fileURLToPath(new URL('../../fixtures/customers-wide.csv', import.meta.url));
const OPTS: InputOptions = { idColumn: 'document_id', skipEmpty: false, maxRecordBytes: 1 << 20, maxFields: 1000 };
const runningAsRoot = process.getuid?.() === 0;

let tmpDir: string;
beforeEach(async () => {
  tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'input-open-'));
});
afterEach(async () => {
  await fs.rm(tmpDir, { recursive: true, force: true });
});

async function collect(chunks: AsyncIterable<InputRow[]>): Promise<InputRow[]> {
  const out: InputRow[] = [];
  for await (const rows of chunks) out.push(...rows);
  return out;
}

describe('stdin', () => {
  test('is spooled to a private file that can be read again, then removed', async () => {
    const spool = await spoolToFile(Readable.from([Buffer.from('document_id,tier\n'), Buffer.from('x,gold\n')]), tmpDir);
    expect(await fs.readFile(spool.path, 'utf8')).toBe('document_id,tier\nx,gold\n');
    expect((await fs.stat(spool.path)).mode & 0o777).toBe(0o600);
    await spool.cleanup();
    await expect(fs.stat(spool.path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test("'-' reads stdin, shown as 'stdin', as often as needed", async () => {
    const stdin = Readable.from([Buffer.from('document_id,tier\nfrom-stdin,gold\n')]);
    const opened = await openInputs(['-', WIDE], { tmpDir, stdin });
    try {
      expect(opened.files.map((f) => f.display)).toEqual(['stdin', WIDE]);
      const first = await collect(readInputs(opened.files, OPTS));
      const second = await collect(readInputs(opened.files, OPTS));
      expect(first[0]).toEqual({ file: 0, line: 2, id: 'from-stdin', segments: [{ type: 'tier', value: 'gold' }] });
      expect(first[1]?.file).toBe(1);
      expect(second).toEqual(first);
    } finally {
      await opened.cleanup();
    }
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });

  test("'-' twice is a bug here: resolveInputConfig refuses it (config.test.ts)", async () => {
    await expect(openInputs(['-', '-'], { tmpDir, stdin: Readable.from([]) })).rejects.toBeInstanceOf(RangeError);
  });

  test('stdin is left unread when another input is rejected', async () => {
    const stdin = Readable.from([Buffer.from('document_id,tier\n')]);
    await expect(openInputs(['-', path.join(tmpDir, 'missing.csv')], { tmpDir, stdin })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(stdin.readableDidRead).toBe(false);
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });
});

describe('openInputs checks every path before anything is read', () => {
  test('a missing file is an InputError naming it', async () => {
    const missing = path.join(tmpDir, 'nope.csv');
    const err = await openInputs([WIDE, missing], { tmpDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'FILE_NOT_FOUND', file: missing, message: `${missing}: no such file` });
  });

  test('a directory is not a file', async () => {
    await expect(openInputs([tmpDir], { tmpDir })).rejects.toMatchObject({ code: 'NOT_A_FILE' });
  });

  test('no paths at all is a bug here: resolveInputConfig refuses it', async () => {
    await expect(openInputs([], { tmpDir })).rejects.toBeInstanceOf(RangeError);
  });

  (runningAsRoot ? test.skip : test)('an unreadable file is rejected', async () => {
    const file = path.join(tmpDir, 'secret.csv');
    await fs.writeFile(file, 'document_id,tier\n', { mode: 0o000 });
    await expect(openInputs([file], { tmpDir })).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
  });

  test('a permission failure maps to FILE_UNREADABLE with advice (also checked when tests run as root)', () => {
    const err = readFailure('EACCES', 'data/x.csv', false);
    expect(err).toMatchObject({ code: 'FILE_UNREADABLE', message: 'data/x.csv: permission denied; make the file readable by this user' });
  });
});
