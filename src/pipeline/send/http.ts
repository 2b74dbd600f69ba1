/**
 * One POST to the bulk endpoint, with axios, mapped to an HttpOutcome value. This is the only
 * module that touches axios; its errors carry the request config (and so the Authorization
 * header), which is why none of them is ever returned, thrown or logged from here.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios from 'axios';
import { isLoopbackHost } from '../../config/transport-env.js';
import { endpointTarget } from './misconfiguration.js';
import { isTlsCode, type HttpOutcome } from './post-outcome.js';
import { interpretResponse } from './response.js';
import { BodyBuffers, type EncodedBody, type RequestBody } from './body.js';

export interface HttpClientOptions {
  /** The full bulk URL, http: or https:. */
  endpoint: string;
  /** TOTAL deadline of one request, connection to last byte. */
  timeoutMs: number;
  /** Larger answers are not read (the real one is a short list of ids). */
  maxResponseBytes: number;
  userAgent: string;
}

export interface HttpClient {
  /** The endpoint as shown in messages: origin and path, without query, credentials or fragment. */
  readonly target: string;
  /** `body`: text, or the customers' JSON (encoded into a reused buffer: see body.ts). */
  post(body: string | RequestBody, token: string, signal: AbortSignal): Promise<HttpOutcome>;
  /** Closes the kept-alive connections. */
  close(): void;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { endpoint, timeoutMs, maxResponseBytes, userAgent } = validateHttpClientOptions(options);
  // TLS verification stays at Node's default (on): never set rejectUnauthorized here.
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true });
  // As many as requests in flight at once (--concurrency, and a few for probes and splits).
  const buffers = new BodyBuffers(16);
  const axiosClient = axios.create({
    httpAgent,
    httpsAgent,
    // A redirect is an error, not something to follow with the token (and following costs 20-40%).
    maxRedirects: 0,
    // Loopback traffic never goes through a proxy (HTTP_PROXY & co.): it is plain http to this
    // machine, and a proxy would see the token. Elsewhere axios honours the proxy variables; a
    // plain-http endpoint behind one was refused when the options were checked (transport-env.ts).
    ...(isLoopbackHost(new URL(endpoint).hostname) ? { proxy: false as const } : {}),
    // Every status is an answer to interpret, not an exception.
    validateStatus: () => true,
    // A stream, so the status is known even when the body is too large to read: a 503 with a huge
    // HTML page is still a 503. The size cap is enforced while reading (readCapped), which is what
    // axios's maxContentLength does too, except that its error would lose the status.
    responseType: 'stream',
    // The body is already JSON text: by default axios JSON.parses a string body sent as JSON to
    // "normalise" it, which cost ~2.5 s per million customers.
    transformRequest: [(data: unknown) => data],
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': userAgent },
  });

  return {
    target: endpointTarget(endpoint),
    async post(body, token, signal) {
      // axios's own `timeout` restarts on every byte, so a server dripping its answer would never
      // trip it; this deadline covers the whole exchange.
      const deadline = AbortSignal.timeout(timeoutMs);
      const encoded = typeof body === 'string' ? undefined : body.encode(buffers);
      try {
        const response = await axiosClient.post<Readable>(endpoint, encoded?.bytes ?? body, {
          headers: { Authorization: `Bearer ${token}` },
          signal: AbortSignal.any([signal, deadline]),
        });
        const text = await readCapped(response.data, maxResponseBytes);
        if (encoded !== undefined) releaseWhenWritten(buffers, encoded, response.request);
        return interpretResponse(
          {
            status: response.status,
            retryAfter: headerText(response.headers['retry-after']),
            location: headerText(response.headers.location),
            body: text,
          },
          { secrets: [token], nowMs: Date.now(), maxResponseBytes },
        );
      } catch (error) {
        return failureOutcome(error, signal, deadline);
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** The endpoint and --timeout are checked by resolveRunConfig, naming the flag; the rest are constants: a bad value here is a bug (RangeError). */
export function validateHttpClientOptions(options: HttpClientOptions): HttpClientOptions {
  const { endpoint, timeoutMs, maxResponseBytes, userAgent } = options;
  if (!URL.canParse(endpoint) || !['http:', 'https:'].includes(new URL(endpoint).protocol)) {
    throw new RangeError(`endpoint must be an http(s) URL (got ${JSON.stringify(endpoint)}).`);
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)}).`);
  }
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes <= 0) {
    throw new RangeError(`maxResponseBytes must be a whole number > 0 (got ${String(maxResponseBytes)}).`);
  }
  if (!userAgent.trim()) throw new RangeError('userAgent must not be empty.');
  return options;
}

/**
 * The body's buffer goes back to the pool only when its request has been written out entirely (an
 * answer may come before the whole body was sent: a 401 or 413 decided from the headers). Failed
 * requests never give theirs back: a cancelled write may still be reading it.
 */
function releaseWhenWritten(buffers: BodyBuffers, encoded: EncodedBody, request: unknown): void {
  const written = (request as { writableFinished?: unknown } | undefined)?.writableFinished === true;
  if (written) buffers.release(encoded.buffer);
}

/** The body as UTF-8 text, or undefined (and the connection dropped) once it passes `cap` bytes. */
async function readCapped(stream: Readable, cap: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Maps a thrown failure to a value. Only the error's `code` is read: the error itself holds the
 * request config with the token and is dropped here. An error without a code is a bug, rethrown.
 */
function failureOutcome(error: unknown, callerSignal: AbortSignal, deadline: AbortSignal): HttpOutcome {
  if (callerSignal.aborted) return { kind: 'aborted' };
  if (deadline.aborted) return { kind: 'timeout' };
  const code = errorCode(error);
  if (code !== undefined) return isTlsCode(code) ? { kind: 'tls', code } : { kind: 'network', code };
  if (axios.isAxiosError(error)) return { kind: 'network', code: 'ERR_UNKNOWN' };
  throw error;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  // Codes are identifiers like ECONNRESET; anything else is not trusted into logs.
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/i.test(code) ? code : undefined;
}

function headerText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
