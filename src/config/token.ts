/**
 * Where the access token comes from, in order of preference: --token-file (a mounted secret, which
 * can be rotated under a running job), env SEGMENT_SYNC_TOKEN, --token. The token is kept here only;
 * every other module asks for it at the moment it builds a request.
 */
import { promises as fs } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { registerSecret } from '../core/secrets.js';

export interface TokenSource {
  readonly origin: 'file' | 'env' | 'flag';
  current(): string;
  /** Re-reads the token file (after a 401: the secret may have been rotated). True when it changed. */
  reload(): Promise<boolean>;
  /** Every token value seen so far (each is also registered in src/core/secrets.ts when read). */
  secrets(): readonly string[];
}

const HOW_TO_GIVE_ONE =
  'No access token. Give one of: --token-file <path> (preferred, e.g. a mounted secret), ' +
  'the environment variable SEGMENT_SYNC_TOKEN, or --token <token>.';

export async function resolveToken(given: { file?: string; value?: string }, env: NodeJS.ProcessEnv = process.env): Promise<TokenSource> {
  if (given.file) return fileToken(given.file, await readTokenFile(given.file));
  const fromEnv = env.SEGMENT_SYNC_TOKEN?.trim();
  if (fromEnv) return fixedToken('env', fromEnv);
  const fromFlag = given.value?.trim();
  if (fromFlag) return fixedToken('flag', fromFlag);
  throw new UsageError(HOW_TO_GIVE_ONE, 'NO_TOKEN');
}

async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`--token-file ${file} cannot be read (${code}).`, 'NO_TOKEN');
  }
  const token = text.trim();
  if (!token) throw new UsageError(`--token-file ${file} is empty.`, 'NO_TOKEN');
  return token;
}

function fixedToken(origin: 'env' | 'flag', token: string): TokenSource {
  registerSecret(token);
  return { origin, current: () => token, reload: async () => false, secrets: () => [token] };
}

function fileToken(file: string, initial: string): TokenSource {
  registerSecret(initial);
  let token = initial;
  const seen = [initial];
  return {
    origin: 'file',
    current: () => token,
    async reload() {
      let next: string;
      try {
        next = await readTokenFile(file);
      } catch {
        return false;
      }
      if (next === token) return false;
      // Before it is used: the old token may still be echoed by a request in flight, the new one from now on.
      registerSecret(next);
      token = next;
      seen.push(next);
      return true;
    },
    secrets: () => seen,
  };
}
