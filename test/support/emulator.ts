/**
 * Test helpers around the endpoint emulator: start one for the duration of a test, and talk to it
 * with plain fetch.
 */
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator/index.js';

export const TEST_TOKEN = 'dev-token';

/** Runs `fn` against a fresh emulator on 127.0.0.1 (random port) and always closes it. */
export async function withEmulator<T>(options: EmulatorOptions, fn: (emulator: EmulatorHandle) => Promise<T>): Promise<T> {
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0, ...options });
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

export interface PostResult {
  status: number;
  headers: Headers;
  text: string;
}

/** POSTs `body` (serialised unless already a string) with a Bearer token; `token: null` sends none. */
export async function postBulk(url: string, body: unknown, token: string | null = TEST_TOKEN): Promise<PostResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(url, { method: 'POST', headers, body: text });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Builds a request body from [id, segments] pairs. */
export function customersBody(...customers: [string, { type: string; value: string }[] | null][]): unknown {
  return { customers: customers.map(([document_id, segments]) => ({ document_id, segments })) };
}
