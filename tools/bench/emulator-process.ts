/**
 * The endpoint emulator as a child process (`segment-sync emulator --port 0`), so that serving
 * requests never competes with the client being measured for the same event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import axios from 'axios';
import { BENCH_DEFAULTS } from './options.js';

export interface EmulatorProcess {
  /** The bulk endpoint URL it printed. */
  url: string;
  /** Request start times (epoch ms) from GET /__state. Reads every customer held too: use on small runs. */
  starts(): Promise<number[]>;
  /** Answers by status ('200', '429', …) from GET /__state. */
  byStatus(): Promise<Record<string, number>>;
  /** Request counts (customersReceived: customers in requests that passed validation) from GET /__state. */
  requests(): Promise<RequestCounts>;
  /** POST /__reset: forgets the customers held and the request statistics (the URL stays). */
  reset(): Promise<void>;
  /** POST /__faults, e.g. { rateLimit: 10 }: changes the faults of the running emulator. */
  setFaults(faults: Record<string, number>): Promise<void>;
  stop(): Promise<void>;
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+\S*)/;
const START_TIMEOUT_MS = 15_000;

/** `faultArgs`: emulator flags such as ['--rate-limit', '30', '--burst', '2']. */
export async function startEmulatorProcess(cli: string, faultArgs: readonly string[] = []): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [cli, 'emulator', '--port', '0', '--known-all', '--token', BENCH_DEFAULTS.token, ...faultArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await listeningUrl(child);
    return {
      url,
      starts: async () => (await readState(url)).starts,
      byStatus: async () => (await readState(url)).requests.byStatus,
      requests: async () => (await readState(url)).requests,
      reset: () => postAdmin(url, '/__reset', {}),
      setFaults: (faults) => postAdmin(url, '/__faults', faults),
      stop: () => stop(child),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** Resolves with the URL from the emulator's first stdout line that names one. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    // Thrown in the executor, this rejects the promise.
    const { stdout } = child;
    if (stdout === null) throw new TypeError('the emulator was spawned without a stdout pipe');
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the emulator printed no URL within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = LISTENING.exec(seen);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve(match[1]);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${String(code)}) before listening`));
    });
  });
}

export interface RequestCounts {
  total: number;
  byStatus: Record<string, number>;
  customersReceived: number;
}

async function readState(url: string): Promise<{ starts: number[]; requests: RequestCounts }> {
  const stateUrl = new URL('/__state', url).href;
  try {
    // The state lists every customer held: reset() a big store before reading it.
    const response = await axios.get<{ starts: number[]; requests: RequestCounts }>(stateUrl, { maxContentLength: Infinity });
    return response.data;
  } catch (error) {
    // Never pass an axios error on whole: it carries the request config.
    // eslint-disable-next-line preserve-caught-error -- no `cause`, for the same reason
    throw new Error(`GET ${stateUrl} failed: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
}

async function postAdmin(url: string, route: string, body: object): Promise<void> {
  const adminUrl = new URL(route, url).href;
  try {
    await axios.post(adminUrl, body);
  } catch (error) {
    // eslint-disable-next-line preserve-caught-error -- no `cause`: the axios error carries the request config
    throw new Error(`POST ${adminUrl} failed: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
