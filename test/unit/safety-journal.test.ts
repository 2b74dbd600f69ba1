/**
 * A journal append that the disk refuses (ENOSPC, here a write to /dev/full swapped in under the
 * journal) is a LocalStorageError, changes neither memory nor the file, and the next open resumes
 * from the records before it. Torn tails left by a failed append are covered in state-journal.test.ts.
 */
import { closeSync, existsSync, openSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalStorageError } from '../../src/core/errors.js';
import { openJournal, type Journal } from '../../src/state/journal.js';

const FINGERPRINT = 'ef'.repeat(32);
let stateDir: string;

beforeEach(async () => {
  stateDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'safety-journal-')), 'state');
});
afterEach(() => fs.rm(path.dirname(stateDir), { recursive: true, force: true }));

const open = (): Promise<Journal> => openJournal({ stateDir, fingerprint: FINGERPRINT, fresh: false, onWarning: () => {} });

const onLinux = existsSync('/dev/full') ? test : test.skip;

onLinux(
  'a refused append throws LocalStorageError (exit 8), records nothing, and the rerun resumes from the records before it',
  async () => {
    const journal = await open();
    journal.record([0, 1], ['updated', 'not_found']);
    const file = (await fs.readdir(stateDir)).find((name) => name.startsWith('journal-'))!;
    const before = await fs.readFile(path.join(stateDir, file));

    // The disk is full from now on: every write fails with ENOSPC.
    const inner = journal as unknown as { fd: number };
    const realFd = inner.fd;
    inner.fd = openSync('/dev/full', 'w');
    let error: unknown;
    try {
      journal.record([2, 3], ['updated', 'updated']);
    } catch (e) {
      error = e;
    }
    closeSync(inner.fd);
    inner.fd = realFd;

    expect(error).toBeInstanceOf(LocalStorageError);
    expect(error).toMatchObject({ exitCode: 8, errno: 'ENOSPC', dir: stateDir });
    expect((error as Error).message).toMatch(/^cannot write the resume journal in .*state: no space left on the device \(ENOSPC\)/);
    // Memory follows disk: the refused record is not applied.
    expect([0, 1, 2, 3].map((o) => journal.status(o))).toEqual(['updated', 'not_found', undefined, undefined]);
    await journal.close();
    expect(await fs.readFile(path.join(stateDir, file))).toEqual(before);

    const rerun = await open();
    expect(rerun.resumed).toBe(true);
    expect([0, 1, 2, 3].map((o) => rerun.status(o))).toEqual(['updated', 'not_found', undefined, undefined]);
    rerun.record([2, 3], ['updated', 'updated']);
    await rerun.close();
    const third = await open();
    expect([0, 1, 2, 3].map((o) => third.status(o))).toEqual(['updated', 'not_found', 'updated', 'updated']);
    await third.close();
  },
);
