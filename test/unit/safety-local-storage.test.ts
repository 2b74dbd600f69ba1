/**
 * Local storage faults become a LocalStorageError (exit 8) naming the directory. As root (these
 * tests run as root) chmod does not stop a write, so an unwritable directory is made the one way
 * that holds for root too: a path under a regular file (ENOTDIR / EEXIST). A full disk and a
 * read-only mount are in test/faults/local-faults.test.ts (tmpfs, where mount is permitted).
 */
import { promises as fs, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requestBody } from '../../src/pipeline/batch/index.js';
import { LocalStorageError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { writeFileAtomic } from '../../src/core/atomic.js';
import { asStorageError } from '../../src/core/storage-error.js';
import { ChunkedOutput } from '../../src/pipeline/report/chunked-output.js';
import { createLimiter } from '../../src/pipeline/send/limiter.js';
import { NOT_SENT_STORAGE, Sender } from '../../src/pipeline/send/sender.js';
import { acquireLock } from '../../src/state/lock.js';
import { openJournal } from '../../src/state/journal.js';
import { ScratchWriter } from '../../src/pipeline/spool/scratch-file.js';
import type { Batch, CustomerRow } from '../../src/core/types.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safety-storage-'));
  file = path.join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: failed`), { code });

async function caught(run: () => unknown): Promise<LocalStorageError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof LocalStorageError) return error;
    throw error;
  }
  throw new Error('expected a LocalStorageError');
}

describe('asStorageError', () => {
  it.each([
    ['ENOSPC', /no space left on the device \(ENOSPC\)\. Free space on that volume/],
    ['EDQUOT', /disk quota is exhausted \(EDQUOT\)/],
    ['EROFS', /file system is read-only \(EROFS\)\. Mount it read-write/],
    ['EACCES', /permission denied \(EACCES\)\. Make the directory writable/],
    ['EPERM', /operation not permitted \(EPERM\)/],
    ['ENOTDIR', /a part of the path is a file, not a directory \(ENOTDIR\)/],
  ])('%s names the directory, the reason and what to do; exit 8', (code, pattern) => {
    const error = asStorageError(errno(code), '/data/reports/run-1/results.csv', 'results.csv');
    expect(error).toBeInstanceOf(LocalStorageError);
    const storage = error as LocalStorageError;
    expect(storage).toMatchObject({ exitCode: ExitCode.LocalStorage, code: 'LOCAL_STORAGE', dir: '/data/reports/run-1', errno: code });
    expect(storage.message).toMatch(/^cannot write results\.csv in \/data\/reports\/run-1: /);
    expect(storage.message).toMatch(pattern);
    expect(storage.message).toMatch(/then run the same command again/);
    expect(storage.cause).toMatchObject({ code });
    expect(ExitCode.LocalStorage).toBe(8);
  });

  it('passes any other error on unchanged (a bug stays a bug)', () => {
    const other = errno('EBADF');
    expect(asStorageError(other, '/x/y', 'y')).toBe(other);
    const plain = new TypeError('boom');
    expect(asStorageError(plain, '/x/y', 'y')).toBe(plain);
  });
});

describe('writers map storage failures', () => {
  it('writeFileAtomic under a file: LocalStorageError naming the directory, no temp file left', async () => {
    const error = await caught(() => writeFileAtomic(path.join(file, 'summary.json'), '{}'));
    expect(error).toMatchObject({ dir: file, errno: 'ENOTDIR' });
    expect(error.message).toMatch(/^cannot write summary\.json in .*a-file: a part of the path is a file/);
    expect(await fs.readdir(dir)).toEqual(['a-file']);
  });

  it('a report file (ChunkedOutput) in a directory that cannot be created', async () => {
    const error = await caught(() => ChunkedOutput.create(path.join(file, 'report', 'results.csv')));
    expect(error).toMatchObject({ dir: path.join(file, 'report'), errno: 'ENOTDIR' });
    expect(error.message).toMatch(/^cannot write the report in /);
  });

  it('the journal and the state lock in a state dir that is a file', async () => {
    const journal = await caught(() => openJournal({ stateDir: file, fingerprint: 'ab'.repeat(32), fresh: false }));
    expect(journal).toMatchObject({ dir: file, errno: 'EEXIST' });
    expect(journal.message).toMatch(/^cannot write the resume journal in .*a-file: the path exists and is not a directory/);
    const lock = await caught(() => acquireLock({ stateDir: path.join(file, 'state'), runId: 'run-1' }));
    expect(lock).toMatchObject({ dir: path.join(file, 'state'), errno: 'ENOTDIR' });
    expect(lock.message).toMatch(/^cannot write the state lock in /);
  });

  it('a scratch file (the spool, in TMPDIR)', async () => {
    const error = await caught(() => new ScratchWriter(path.join(file, 'spool.tmp')));
    expect(error.message).toMatch(/^cannot write temporary files \(TMPDIR\) in .*a-file: /);
  });
});

describe('the sender, when the journal cannot be written', () => {
  const row = (id: string, ordinal: number): CustomerRow => ({
    ordinal,
    id,
    json: JSON.stringify({ document_id: id, segments: [] }),
    clears: true,
  });
  const batchOf = (ids: string[], seq: number): Batch => {
    const customers = ids.map(row);
    return { seq, customers, bytes: Buffer.byteLength(requestBody(customers)) };
  };

  it('stops sending: the acknowledged customers stay updated, the rest are not sent; stoppedBy() is the storage error', async () => {
    const limiter = createLimiter({ rate: 0, concurrency: 1 });
    const full = new LocalStorageError(
      'cannot write the resume journal in /data/state: no space left on the device (ENOSPC).',
      '/data/state',
      'ENOSPC',
    );
    let posts = 0;
    const sender = new Sender({
      client: {
        post: async (body) => {
          posts++;
          return {
            kind: 'ok',
            updated: (JSON.parse(body) as { customers: { document_id: string }[] }).customers.map((c) => c.document_id),
          };
        },
      },
      limiter,
      retry: { maxAttempts: 2, baseMs: 1, capMs: 2 },
      token: { current: () => 't', reload: async () => false },
      stop: new AbortController().signal,
      abort: new AbortController().signal,
      limits: { maxCustomers: 10 },
      onAcknowledged: () => {
        throw full;
      },
    });
    try {
      // (A request already started when the journal failed still goes out: at most --concurrency.)
      const first = await sender.send(batchOf(['a', 'b'], 0));
      const second = await sender.send(batchOf(['c'], 1));
      expect(first.outcomes).toEqual(['updated', 'updated']);
      expect(second.outcomes).toEqual(['not_sent']);
      expect(second.errors).toEqual([NOT_SENT_STORAGE]);
      expect(sender.stoppedBy()).toBe(full);
      expect(posts).toBe(1);
    } finally {
      limiter.stop();
    }
  });

  it('any other error from onAcknowledged is still a bug, thrown', async () => {
    const limiter = createLimiter({ rate: 0, concurrency: 1 });
    const sender = new Sender({
      client: { post: async () => ({ kind: 'ok', updated: ['a'] }) },
      limiter,
      retry: { maxAttempts: 2, baseMs: 1, capMs: 2 },
      token: { current: () => 't', reload: async () => false },
      stop: new AbortController().signal,
      abort: new AbortController().signal,
      limits: { maxCustomers: 10 },
      onAcknowledged: () => {
        throw new RangeError('bug');
      },
    });
    try {
      await expect(sender.send(batchOf(['a'], 0))).rejects.toThrow(RangeError);
    } finally {
      limiter.stop();
    }
  });
});
