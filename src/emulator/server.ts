/**
 * The emulator of `POST /api/v3/customers/segments` on node:http. This file only wires HTTP to the
 * core (emulator-core.ts), which decides every answer; see there for the semantics and the order
 * of fault checks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorAnswer, RESET } from './answers.js';
import { adminAnswer, isAdminPath } from './admin-routes.js';
import { EmulatorCore, type EmulatorState } from './emulator-core.js';
import { readBody, resetConnection, sendAnswer } from './http-io.js';
import { ENDPOINT_PATH, type EmulatorOptions, type Faults, formatProblems, resolveEmulatorOptions } from './options.js';

export type { EmulatorOptions, Faults } from './options.js';
export type { EmulatorState } from './emulator-core.js';

export interface EmulatorHandle {
  /** The full bulk endpoint URL, e.g. http://127.0.0.1:43123/api/v3/customers/segments. */
  url: string;
  /** Scheme, host and port, e.g. http://127.0.0.1:43123 (the control routes live under it). */
  baseUrl: string;
  /** Same as GET /__state. */
  state(): EmulatorState;
  /** Changes some faults; throws RangeError naming any bad value. */
  setFaults(faults: Partial<Faults>): void;
  /** Simulates a token rotation: only these tokens are accepted from now on. */
  setTokens(tokens: string[]): void;
  /** Forgets the customers' segments and the statistics. */
  reset(): void;
  /** Stops listening and drops open connections; the port is free when it resolves. */
  close(): Promise<void>;
}

/**
 * Server timeouts above those of any keep-alive client: if the server closed an idle connection
 * just as a client reused it, the client would see a reset the test did not inject.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Epoch milliseconds with sub-millisecond precision and no jumps when the wall clock is adjusted. */
const clock = (): number => performance.timeOrigin + performance.now();

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const resolved = resolveEmulatorOptions(options);
  if (!resolved.ok) throw new RangeError(`Invalid emulator options: ${formatProblems(resolved.error)}`);
  const core = new EmulatorCore(resolved.value, clock);
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, (req, res) => route(core, req, res));
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  await listen(server, resolved.value.host, resolved.value.port);
  const baseUrl = baseUrlOf(server.address() as AddressInfo);
  return {
    url: baseUrl + ENDPOINT_PATH,
    baseUrl,
    state: () => core.state(),
    setFaults: (faults) => {
      const checked = core.setFaults(faults);
      if (!checked.ok) throw new RangeError(`Invalid faults: ${formatProblems(checked.error)}`);
    },
    setTokens: (tokens) => {
      const checked = core.setTokens(tokens);
      if (!checked.ok) throw new RangeError(`Invalid tokens: ${formatProblems(checked.error)}`);
    },
    reset: () => core.reset(),
    close: once(() => close(server)),
  };
}

function route(core: EmulatorCore, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  const method = req.method ?? 'GET';
  if (path === ENDPOINT_PATH) {
    if (method === 'POST') void handleBulk(core, req, res);
    else sendAnswer(res, core.methodNotAllowed(method));
  } else if (isAdminPath(path)) {
    void handleAdmin(core, req, res, method, path);
  } else {
    sendAnswer(res, core.notFound(path));
  }
}

async function handleBulk(core: EmulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const contentLength = req.headers['content-length'];
  const early = core.beforeBody({
    authorization: req.headers.authorization,
    contentLength: contentLength === undefined ? undefined : Number(contentLength),
  });
  if (early === RESET) return resetConnection(req);
  if (early !== undefined) return sendAnswer(res, early);
  const body = await readBody(req, core.maxBodyBytes);
  if (body.kind === 'complete') sendAnswer(res, core.afterBody(body.text));
  else if (body.kind === 'too-large') sendAnswer(res, core.tooLarge());
}

async function handleAdmin(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
  const body = await readBody(req, core.maxBodyBytes);
  if (body.kind === 'complete') sendAnswer(res, adminAnswer(core, method, path, body.text));
  else if (body.kind === 'too-large') sendAnswer(res, errorAnswer(413, 'payloadTooLarge', 'The body is too large'));
}

/** Closing twice must not fail: tests close in `finally` after a test may already have closed. */
function once<T>(fn: () => T): () => T {
  let result: { value: T } | undefined;
  return () => (result ??= { value: fn() }).value;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive and dripping connections would otherwise hold the port open.
    server.closeAllConnections();
  });
}

function baseUrlOf({ address, family, port }: AddressInfo): string {
  const host = family === 'IPv6' ? `[${address}]` : address;
  return `http://${host}:${port}`;
}
