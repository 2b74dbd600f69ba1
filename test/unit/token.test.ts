import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { resolveToken } from '../../src/config/token.js';

let dir: string;
let tokenFile: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segment-sync-token-'));
  tokenFile = path.join(dir, 'token');
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function usageErrorOf(promise: Promise<unknown>): Promise<UsageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe('resolveToken precedence', () => {
  it('prefers the token file over the environment and the flag', async () => {
    await fs.writeFile(tokenFile, 'from-file\n');
    const token = await resolveToken({ file: tokenFile, value: 'from-flag' }, { SEGMENT_SYNC_TOKEN: 'from-env' });
    expect(token.origin).toBe('file');
    expect(token.current()).toBe('from-file');
  });

  it('prefers SEGMENT_SYNC_TOKEN over the flag when there is no file', async () => {
    const token = await resolveToken({ value: 'from-flag' }, { SEGMENT_SYNC_TOKEN: 'from-env' });
    expect(token.origin).toBe('env');
    expect(token.current()).toBe('from-env');
  });

  it('falls back to the flag, and skips a blank environment variable', async () => {
    const token = await resolveToken({ value: ' from-flag ' }, { SEGMENT_SYNC_TOKEN: '  \n' });
    expect(token.origin).toBe('flag');
    expect(token.current()).toBe('from-flag');
  });

  it('trims the newline a secret file usually ends with', async () => {
    await fs.writeFile(tokenFile, '  tok-123\r\n');
    expect((await resolveToken({ file: tokenFile }, {})).current()).toBe('tok-123');
  });
});

describe('resolveToken failures', () => {
  it('explains all three ways to give a token when there is none', async () => {
    const error = await usageErrorOf(resolveToken({}, {}));
    expect(error.code).toBe('NO_TOKEN');
    expect(error.message).toContain('--token-file');
    expect(error.message).toContain('SEGMENT_SYNC_TOKEN');
    expect(error.message).toContain('--token ');
  });

  it('names a missing token file and the reason', async () => {
    const missing = path.join(dir, 'nope');
    const error = await usageErrorOf(resolveToken({ file: missing, value: 'from-flag' }, { SEGMENT_SYNC_TOKEN: 'from-env' }));
    expect(error.message).toContain('--token-file');
    expect(error.message).toContain(missing);
    expect(error.message).toContain('ENOENT');
  });

  it('refuses an empty token file rather than falling back to another source', async () => {
    await fs.writeFile(tokenFile, ' \n');
    const error = await usageErrorOf(resolveToken({ file: tokenFile }, { SEGMENT_SYNC_TOKEN: 'from-env' }));
    expect(error.message).toContain(tokenFile);
    expect(error.message).toContain('empty');
  });

  it('refuses a directory given as the token file', async () => {
    expect((await usageErrorOf(resolveToken({ file: dir }, {}))).message).toContain('EISDIR');
  });
});

describe('TokenSource.reload', () => {
  it('picks up a rotated token file and reports the change', async () => {
    await fs.writeFile(tokenFile, 'old-token\n');
    const token = await resolveToken({ file: tokenFile }, {});
    await fs.writeFile(tokenFile, 'new-token\n');
    expect(await token.reload()).toBe(true);
    expect(token.current()).toBe('new-token');
  });

  it('returns false when the file still holds the same token', async () => {
    await fs.writeFile(tokenFile, 'same-token\n');
    const token = await resolveToken({ file: tokenFile }, {});
    await fs.writeFile(tokenFile, 'same-token');
    expect(await token.reload()).toBe(false);
    expect(token.current()).toBe('same-token');
  });

  it('keeps the current token when the file is gone or empty mid-rotation', async () => {
    await fs.writeFile(tokenFile, 'kept-token');
    const token = await resolveToken({ file: tokenFile }, {});
    await fs.writeFile(tokenFile, '');
    expect(await token.reload()).toBe(false);
    await fs.rm(tokenFile);
    expect(await token.reload()).toBe(false);
    expect(token.current()).toBe('kept-token');
  });

  it('never changes a token from the environment or the flag', async () => {
    for (const token of [await resolveToken({}, { SEGMENT_SYNC_TOKEN: 'env-token' }), await resolveToken({ value: 'flag-token' }, {})]) {
      const before = token.current();
      expect(await token.reload()).toBe(false);
      expect(token.current()).toBe(before);
    }
  });
});

describe('TokenSource.secrets', () => {
  it('lists every token the file has held, for redaction', async () => {
    await fs.writeFile(tokenFile, 'token-one');
    const token = await resolveToken({ file: tokenFile }, {});
    await fs.writeFile(tokenFile, 'token-two');
    await token.reload();
    await token.reload();
    await fs.writeFile(tokenFile, 'token-three');
    await token.reload();
    expect(token.secrets()).toEqual(['token-one', 'token-two', 'token-three']);
  });

  it('lists the token of a fixed source', async () => {
    expect((await resolveToken({}, { SEGMENT_SYNC_TOKEN: 'env-token' })).secrets()).toEqual(['env-token']);
    expect((await resolveToken({ value: 'flag-token' }, {})).secrets()).toEqual(['flag-token']);
  });
});
