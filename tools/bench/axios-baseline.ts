/**
 * The yardstick of throughput: plain axios with keep-alive posting the same request bodies the CLI
 * sends, with the same concurrency, and nothing else (no validation, limiter, retries, report).
 * The bodies are built before the clock starts: only the posting is timed.
 */
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import axios, { type AxiosInstance } from 'axios';
import { parse } from 'csv-parse';

/**
 * The request bodies for a wide file, as the CLI builds them: first occurrence of each id wins over
 * the whole file, a customer's segments are its non-blank cells in column order, `batchSize`
 * customers a body.
 */
export async function buildBodies(file: string, batchSize: number): Promise<string[]> {
  const bodies: string[] = [];
  const seen = new Set<string>();
  let header: string[] | undefined;
  let batch: string[] = [];
  const parser = parse({ bom: true });
  parser.on('readable', () => {
    let record: string[] | null;
    while ((record = parser.read() as string[] | null) !== null) {
      if (header === undefined) {
        header = record.map((name) => name.trim());
        continue;
      }
      const id = record[0]!.trim();
      if (seen.has(id)) continue;
      seen.add(id);
      batch.push(customerJson(id, header, record));
      if (batch.length === batchSize) {
        bodies.push(body(batch));
        batch = [];
      }
    }
  });
  await pipeline(createReadStream(file), parser);
  if (batch.length > 0) bodies.push(body(batch));
  return bodies;
}

function customerJson(id: string, header: readonly string[], record: readonly string[]): string {
  const segments: { type: string; value: string }[] = [];
  for (let c = 1; c < record.length; c++) {
    const value = record[c]!.trim();
    if (value !== '') segments.push({ type: header[c]!, value });
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

/** Posts every body with `concurrency` requests in flight over kept-alive connections. */
export async function postAll(url: string, token: string, bodies: readonly string[], concurrency: number): Promise<PostFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const client = axios.create({
    httpAgent: agent,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
  });
  let next = 0;
  let updated = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const taken = await post(client, url, bodies[next++]!);
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
    throw new Error(`baseline POST failed: ${response ? `HTTP ${response.status}` : (code ?? 'no answer')}`);
  }
}
