/**
 * The yardsticks of throughput: plain axios with keep-alive posting the same request bodies the CLI
 * sends, with the same concurrency, and nothing else (no validation, limiter, retries, report).
 * baseline-send.ts runs it as a user's script would, as a whole process that parses, dedupes and
 * posts as it reads; the sending-phase yardstick builds the bodies first and times only the posting.
 */
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import axios, { type AxiosInstance } from 'axios';
import { parse } from 'csv-parse';

/**
 * The request bodies for a wide file, as the CLI builds them: first occurrence of each id wins over
 * the whole file (a Set of the ids seen), a customer's segments are its non-blank cells in column
 * order, `batchSize` customers a body. Streams: a body is built when the consumer asks for the
 * next one, the way a user's script would read, dedupe and post in one go. `tally.customers`
 * counts the customers put in bodies so far.
 */
export async function* streamBodies(
  file: string,
  batchSize: number,
  tally: { customers: number } = { customers: 0 },
): AsyncGenerator<string> {
  const seen = new Set<string>();
  let header: string[] | undefined;
  let batch: string[] = [];
  const input = createReadStream(file);
  const parser = input.pipe(parse({ bom: true }));
  // pipe() does not pass on the file's errors: without this an unreadable file would end nothing.
  input.on('error', (error) => parser.destroy(error));
  for await (const record of parser as AsyncIterable<string[]>) {
    if (header === undefined) {
      header = record.map((name) => name.trim());
      continue;
    }
    const [first] = record;
    if (first === undefined) throw new TypeError('csv-parse gave a record with no fields');
    const id = first.trim();
    if (seen.has(id)) continue;
    seen.add(id);
    tally.customers++;
    batch.push(customerJson(id, header, record));
    if (batch.length === batchSize) {
      yield body(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield body(batch);
}

/** Every body of streamBodies, built up front (the yardstick of the sending phase alone). */
export async function buildBodies(file: string, batchSize: number): Promise<string[]> {
  const bodies: string[] = [];
  for await (const built of streamBodies(file, batchSize)) bodies.push(built);
  return bodies;
}

function customerJson(id: string, header: readonly string[], record: readonly string[]): string {
  const segments: { type: string; value: string }[] = [];
  // `as string`: c < record.length, and csv-parse rejects a record longer than the header (its
  // column count check is on); an indexed loop, as this is the yardstick's per-row work.
  for (let c = 1; c < record.length; c++) {
    const value = (record[c] as string).trim();
    if (value !== '') segments.push({ type: header[c] as string, value });
  }
  return JSON.stringify({ document_id: id, segments });
}

function body(customers: readonly string[]): string {
  return `{"customers":[${customers.join(',')}]}`;
}

export interface PostFigures {
  postingMs: number;
  /** Sum of the answers' updatedCustomers: the check that every body was taken. */
  updated: number;
}

/**
 * Posts every body with `concurrency` requests in flight over kept-alive connections. The bodies
 * may be a stream (streamBodies): the workers share one iterator, whose next() calls an async
 * generator queues, so each body is posted exactly once.
 */
export async function postAll(
  url: string,
  token: string,
  bodies: Iterable<string> | AsyncIterable<string>,
  concurrency: number,
): Promise<PostFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const client = axios.create({
    httpAgent: agent,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
  });
  const source: Iterator<string> | AsyncIterator<string> =
    Symbol.asyncIterator in bodies ? bodies[Symbol.asyncIterator]() : bodies[Symbol.iterator]();
  let updated = 0;
  const worker = async (): Promise<void> => {
    for (let next = await source.next(); next.done !== true; next = await source.next()) {
      const taken = await post(client, url, next.value);
      updated += taken; // not `updated += await …`: that reads `updated` before the await
    }
  };
  try {
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { postingMs: performance.now() - started, updated };
  } finally {
    agent.destroy();
  }
}

async function post(client: AxiosInstance, url: string, body: string): Promise<number> {
  try {
    const response = await client.post<{ updatedCustomers: string[] }>(url, body);
    return response.data.updatedCustomers.length;
  } catch (error) {
    // The axios error carries the Authorization header: pass on only what went wrong.
    const { response, code } = error as { response?: { status: number }; code?: string };
    // eslint-disable-next-line preserve-caught-error -- no `cause`: the axios error holds the token
    throw new Error(`baseline POST failed: ${response ? `HTTP ${response.status}` : (code ?? 'no answer')}`);
  }
}
