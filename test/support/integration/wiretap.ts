/**
 * A recording pass-through in front of an emulator: the CLI is pointed at the wiretap's URL, every
 * POST to the bulk endpoint is forwarded to the emulator unchanged, and the wiretap remembers which
 * customers each request listed and what the emulator answered. The emulator itself only counts
 * requests and customers; the incremental tests need to know WHICH customers were sent each night.
 *
 * It is not a second harness: the emulator (test/support/emulator.ts) still decides every answer
 * and holds the state; the wiretap only watches. Loopback only.
 *
 * A request is forwarded once its body is complete, and the forward is finished even if the CLI has
 * died meanwhile (kill -9): the endpoint applies what reached it, as a real server would.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Segment } from './oracle.js';

export interface TappedRequest {
  /** 1-based order of arrival at the wiretap. */
  seq: number;
  /** The customers listed, in request order. */
  customers: { document_id: string; segments: Segment[] | null }[];
  /** HTTP status the emulator answered (0 while in flight, -1 when the forward failed). */
  status: number;
  /** `updatedCustomers` of a 200 answer. */
  updated?: string[];
  /** The answer was written back to the CLI (false when the CLI had gone before it came). */
  delivered: boolean;
}

export interface Wiretap {
  /** The bulk endpoint URL to give the CLI (…/api/v3/customers/segments on the wiretap's port). */
  url: string;
  /** Every request seen so far, in order of arrival. */
  readonly requests: readonly TappedRequest[];
  /** Requests seen since the last mark(), and a new mark. */
  mark(): void;
  sinceMark(): TappedRequest[];
  /** Called after each answer was written back to the CLI. */
  onDelivered?: (request: TappedRequest) => void;
  close(): Promise<void>;
}

export async function startWiretap(upstreamUrl: string): Promise<Wiretap> {
  const upstream = new URL(upstreamUrl);
  const requests: TappedRequest[] = [];
  let markAt = 0;
  const tap: Wiretap = {
    url: '',
    requests,
    mark: () => {
      markAt = requests.length;
    },
    sinceMark: () => requests.slice(markAt),
    close: () => closeServer(server),
  };
  const server = createServer((req, res) => void forward(req, res));

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const path = req.url ?? '/';
    const isBulk = req.method === 'POST' && path.split('?')[0] === upstream.pathname;
    const record: TappedRequest | undefined = isBulk
      ? { seq: requests.length + 1, customers: customersOf(body), status: 0, delivered: false }
      : undefined;
    if (record) requests.push(record);
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let status: number;
    let text: string;
    const answerHeaders: Record<string, string> = {};
    try {
      const init: RequestInit = { method: req.method ?? 'GET', headers };
      if (req.method === 'POST') init.body = body;
      const answer = await fetch(new URL(path, upstream), init);
      status = answer.status;
      text = await answer.text();
      for (const name of ['retry-after', 'content-type', 'www-authenticate']) {
        const value = answer.headers.get(name);
        if (value !== null) answerHeaders[name] = value;
      }
    } catch {
      if (record) record.status = -1;
      req.socket.destroy();
      return;
    }
    if (record) {
      record.status = status;
      if (status === 200) record.updated = updatedOf(text);
    }
    if (res.destroyed || req.socket.destroyed) return;
    res.writeHead(status, { ...answerHeaders, 'content-length': Buffer.byteLength(text) });
    res.end(text, () => {
      if (!record) return;
      record.delivered = true;
      tap.onDelivered?.(record);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  tap.url = `http://127.0.0.1:${port}${upstream.pathname}`;
  return tap;
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function customersOf(body: string): TappedRequest['customers'] {
  try {
    const parsed = JSON.parse(body) as { customers?: TappedRequest['customers'] };
    return Array.isArray(parsed.customers) ? parsed.customers : [];
  } catch {
    return [];
  }
}

function updatedOf(text: string): string[] | undefined {
  try {
    const parsed = JSON.parse(text) as { updatedCustomers?: unknown };
    return Array.isArray(parsed.updatedCustomers) ? (parsed.updatedCustomers as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Every customer id listed in these requests, in order (repeats kept). */
export function sentIds(requests: readonly TappedRequest[]): string[] {
  return requests.flatMap((r) => r.customers.map((c) => c.document_id));
}
